import { execFile } from '../util/child.js';
import path from 'node:path';
import { DockerClient } from '../engine/docker-client.js';
import { checksumOf } from '../util/checksum.js';
import { destinationArgs, socketAnswers, type SshSettings } from './ssh.js';
import type { RemoteHost } from './target.js';

/**
 * The short way into a remote container that the remote dockerd serves: its Engine API socket,
 * forwarded to a unix socket in cx's private control directory by the host's connection master
 * (`ssh -O forward -L local:remote`). No process starts on the remote at all (sshd connects the
 * channel to the socket), so `cx -H h exec c -- true` costs one Node start here plus dockerd's exec,
 * as the docker CLI's `ssh h docker exec` costs one login shell plus the CLI there.
 *
 * It is only a shortcut, never a decision: cx takes it when the remote dockerd answers for the target
 * within DIRECT_PROBE_MS and says it is running, which is exactly when the remote cx's auto would
 * choose docker. Anything else (a silent or absent daemon, a container it does not know, a paused one,
 * a forward sshd refuses) leaves the command to the carried cx, which decides with everything it can
 * read there (its on-disk discovery, runc, nsenter).
 */

/** How long the remote dockerd has to answer the target's inspect before the carried cx decides. */
export const DIRECT_PROBE_MS = 500;

/** The remote engine's socket path (CX_REMOTE_DOCKER_HOST=unix://..., else docker's default); undefined when not a unix socket. */
export function remoteEngineSocket(env: NodeJS.ProcessEnv): string | undefined {
  const given = env['CX_REMOTE_DOCKER_HOST'];
  if (given === undefined || given === '') return '/var/run/docker.sock';
  const p = given.startsWith('unix://') ? given.slice('unix://'.length) : '';
  // A path ssh's -L would read differently (a ':' separates its fields) is left to the remote cx.
  return p.startsWith('/') && !/[:\s\0]/.test(p) ? p : undefined;
}

/** Where this host's forwarded engine socket lives: a name, not a secret (the directory is the user's own). */
export function forwardPath(s: SshSettings, host: RemoteHost, remoteSocket: string): string {
  return path.join(s.controlDir, `engine-${checksumOf(Buffer.from(`${host.label}\0${remoteSocket}`))}.sock`);
}

function muxRequest(host: RemoteHost, s: SshSettings, op: 'forward' | 'cancel', spec: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('ssh', ['-O', op, '-L', spec, ...destinationArgs(host, s)], { timeout: 2000 }, (err) => resolve(!err));
  });
}

/**
 * The local end of the forward, set up through the live connection master when it is not up yet;
 * undefined when it cannot be (no master, a ControlPath cx does not manage, sshd refusing).
 * A master keeps its forwards until it exits (ControlPersist), so later runs only connect().
 */
export async function engineForward(host: RemoteHost, s: SshSettings, remoteSocket: string): Promise<string | undefined> {
  const local = forwardPath(s, host, remoteSocket);
  if (await socketAnswers(local)) return local;
  const spec = `${local}:${remoteSocket}`;
  // A master cx started replaces a file a dead master left (StreamLocalBindUnlink, in sshArgs); asking
  // twice for the same forward is answered "ok" without binding again.
  if ((await muxRequest(host, s, 'forward', spec)) && (await socketAnswers(local))) return local;
  // The master has it on record but its socket file is gone: drop it and bind again.
  if ((await muxRequest(host, s, 'cancel', spec)) && (await muxRequest(host, s, 'forward', spec)) && (await socketAnswers(local))) {
    return local;
  }
  return undefined;
}

/** One GET through the forward within the deadline, judged by `ok`; no answer, or an error, is false. */
async function probe(
  socketPath: string,
  apiPath: string,
  deadlineMs: number,
  ok: (status: number, body: Buffer) => boolean,
): Promise<boolean> {
  const client = new DockerClient({ socketPath, origin: 'DOCKER_HOST' }, { deadlineMs });
  try {
    const res = await client.raw('GET', apiPath);
    return ok(res.status, res.body);
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/**
 * Whether the remote dockerd, through the forward, knows `target` and runs it (not paused, not
 * restarting), answering within the deadline. Any other answer, or none, is "no".
 */
export function engineRuns(socketPath: string, target: string, deadlineMs = DIRECT_PROBE_MS): Promise<boolean> {
  return probe(socketPath, `/containers/${encodeURIComponent(target)}/json`, deadlineMs, (status, body) => {
    if (status !== 200) return false;
    const state = (JSON.parse(body.toString('utf8')) as { State?: { Running?: unknown; Paused?: unknown; Restarting?: unknown } }).State;
    return state?.Running === true && state.Paused !== true && state.Restarting !== true;
  });
}

/** Whether the engine behind the forward answers /_ping with 200 within the deadline. */
export function engineAnswers(socketPath: string, deadlineMs = DIRECT_PROBE_MS): Promise<boolean> {
  return probe(socketPath, '/_ping', deadlineMs, (status) => status === 200);
}
