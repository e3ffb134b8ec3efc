import { spawn } from '../util/child.js';
import { CxError } from '../errors.js';
import type { IO } from '../session/io.js';
import { sanitize } from '../util/sanitize.js';
import { checksumOf } from '../util/checksum.js';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureRemoteCx, guardedCommand, localExecutable, remotePath, type LocalExecutable } from './carry.js';
import {
  capture,
  assertConnected,
  controlSocket,
  masterAlive,
  RemoteError,
  shQuote,
  socketAnswers,
  sshArgs,
  sshFailure,
  sshSettings,
  type Captured,
  type SshSettings,
} from './ssh.js';
import type { RemoteHost } from './target.js';

/**
 * Running a cx command on another host: the remote copy of cx runs the same command line (without
 * -H) over `ssh -tt` when both local stdin and stdout are terminals (ssh then puts the local terminal
 * in raw mode, gives the remote pty the local size and forwards every resize) and over `ssh -T`
 * otherwise (bytes pass through untouched, stdin's EOF reaches the remote command, stderr stays apart).
 */

/**
 * The environment the remote cx gets: cx's own settings (CX_*), never the whole local environment.
 * The ones that configure the local side (CX_HOST, CX_SSH_*) stay here; CX_REMOTE_DOCKER_HOST becomes
 * the remote's DOCKER_HOST (a local DOCKER_HOST names a local socket and is not sent).
 */
export function forwardedEnv(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || !/^CX_[A-Z0-9_]+$/.test(k)) continue;
    if (k === 'CX_HOST' || k.startsWith('CX_SSH_')) continue;
    if (k === 'CX_REMOTE_DOCKER_HOST') out.push(`DOCKER_HOST=${v}`);
    else if (!k.startsWith('CX_REMOTE_')) out.push(`${k}=${v}`);
  }
  return out.sort();
}

function remoteCommand(cxPath: string, args: readonly string[], env: NodeJS.ProcessEnv): string {
  const vars = forwardedEnv(env);
  return ['exec', ...(vars.length ? ['env', ...vars] : []), cxPath, ...args].map(shQuote).join(' ');
}

function executable(host: RemoteHost, s: SshSettings): LocalExecutable {
  const exe = localExecutable(s.controlDir);
  if (!exe) {
    throw new RemoteError(
      host,
      'no-cx',
      'this cx has no single-file executable to carry to the remote host',
      'build it (npm run build:exe), or run the cx-linux-x64 executable itself',
    );
  }
  return exe;
}

/**
 * A mark in the private control dir: this host had this very cx, checked, while that connection
 * lived. It holds the connection's control socket (when ssh -G named one in that directory).
 */
function memoFile(s: SshSettings, host: RemoteHost, file: string): string {
  // A name, not a secret (the directory is the user's own): the checksum, not node:crypto (~3 ms to load).
  return path.join(s.controlDir, `placed-${checksumOf(Buffer.from(`${host.label}\0${file}`))}`);
}

/** The connection of the mark is still up: its control socket answers (or, without one, `ssh -O check`). */
async function markedConnectionAlive(memo: string, host: RemoteHost, s: SshSettings): Promise<boolean> {
  let socket: string;
  try {
    socket = readFileSync(memo, 'utf8').trim();
  } catch {
    return false;
  }
  if (socket !== '' && path.dirname(socket) === s.controlDir) return socketAnswers(socket);
  return masterAlive(host, s);
}

/**
 * Where the remote cx is. With a live connection and a mark from an earlier check, no round trip:
 * the guard in front of the command checks again on the remote (see guardedCommand). Otherwise the
 * full check (which also opens the connection, so ssh's own failures are told apart and worded).
 */
async function locate(
  host: RemoteHost,
  s: SshSettings,
  version: string,
  exe: LocalExecutable,
): Promise<{ file: string; checked: boolean }> {
  const memo = memoFile(s, host, remotePath(version, exe));
  if (await markedConnectionAlive(memo, host, s)) return { file: remotePath(version, exe), checked: false };
  const [{ file }, socket] = await Promise.all([ensureRemoteCx(host, s, version, exe), controlSocket(host, s)]);
  writeFileSync(memo, socket ?? '', { mode: 0o600 });
  return { file, checked: true };
}

/**
 * The host reached and its copy of cx in place, as before any remote command (usually no round trip:
 * see locate). The way back for a command that tried the forwarded Engine API first and could not.
 */
export async function prepareHost(host: RemoteHost, s: SshSettings, version: string): Promise<void> {
  await locate(host, s, version, executable(host, s));
}

/** Run `args` (a cx command line without -H) with the remote cx, stdio passed through; its exit code. */
export async function runRemote(host: RemoteHost, args: readonly string[], io: IO, version: string): Promise<number> {
  const tty = io.stdinIsTTY && io.stdoutIsTTY;
  const s = sshSettings(io.env, !tty);
  const exe = executable(host, s);
  const { file } = await locate(host, s, version, exe);
  const run = (): Promise<number> =>
    runInherited([...sshArgs(host, s, tty ? '-tt' : '-T'), guardedCommand(file, exe.sha256, remoteCommand(file, args, io.env))]);
  const code = await run();
  if (code !== 255) return code;
  // 255: ssh's own failure, the guard's refusal (nothing ran), or the command's own exit code.
  await assertConnected(host, s);
  const again = await ensureRemoteCx(host, s, version, exe);
  // The record matched at once: the guard passed, so the command ran and exited 255 itself.
  if (again.how === 'ready') return 255;
  // The copy had changed or gone (now checked or placed again): the command did not run. On a
  // terminal nothing was lost, so run it now; a pipe's input may have been read already.
  if (tty) return run();
  throw new RemoteError(
    host,
    'no-cx',
    'the copy of cx on the remote had changed or gone; it is checked and in place again, and the command did not run',
    'run the command again',
  );
}

/** ssh with the terminal (or pipes) passed through; its exit code. */
async function runInherited(args: string[]): Promise<number> {
  const child = spawn('ssh', args, { stdio: 'inherit' });
  // ^C on the terminal reaches ssh (and through it the remote side) by itself; a signal sent to cx
  // alone is passed on, so ssh restores the terminal and ends the remote command.
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, forward(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, sig === 'SIGINT' ? () => undefined : h);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', (e) => reject(new CxError(`cannot run ssh: ${e.message}`, { hint: 'install the OpenSSH client' })));
      child.on('exit', (c, sig) => resolve(c ?? 128 + signalNumber(sig)));
    });
  } finally {
    for (const [sig] of handlers) process.removeAllListeners(sig);
  }
}

function signalNumber(sig: NodeJS.Signals | null): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
  return (sig && table[sig]) || 0;
}

/** One host's answer to `cx ls --json`: its records, or why it has none. */
export interface HostListing {
  host: RemoteHost;
  records?: Record<string, unknown>[];
  error?: RemoteError;
  /** The remote cx's warnings (daemon frozen, ...), one a line. */
  warnings: string[];
}

/**
 * `cx ls --json` on every host at once, each under its own deadline (connect and list): a host that
 * does not answer costs its own row, never the others' time.
 */
export interface FallbackListing {
  records: Record<string, unknown>[];
  warnings: string[];
}

export async function listHosts(
  hosts: readonly RemoteHost[],
  all: boolean,
  env: NodeJS.ProcessEnv,
  version: string,
  /** Another way to list a host cx cannot run on (the remote Engine API), or undefined for none. */
  fallback?: (host: RemoteHost, why: RemoteError) => Promise<FallbackListing> | undefined,
): Promise<HostListing[]> {
  const s = sshSettings(env, true);
  return Promise.all(
    hosts.map(async (host): Promise<HostListing> => {
      const started = Date.now();
      try {
        const exe = executable(host, s);
        const { file, checked } = await locate(host, s, version, exe);
        const ls = (): Promise<Captured> =>
          capture(host, s, guardedCommand(file, exe.sha256, remoteCommand(file, ['ls', '--json', ...(all ? ['--all'] : [])], env)), {
            timeoutMs: Math.max(1000, s.timeoutMs - (Date.now() - started)),
          });
        let r = await ls();
        // The guard refused (nothing ran, nothing printed): check in full, then once more.
        if (r.code === 255 && r.stdout.length === 0 && !r.timedOut && !checked) {
          await ensureRemoteCx(host, s, version, exe);
          r = await ls();
        }
        const warnings = r.stderr
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        if (r.code === 255 || r.timedOut) return { host, error: sshFailure(host, r, s), warnings: [] };
        if (r.code !== 0)
          return {
            host,
            error: new RemoteError(
              host,
              'remote',
              sanitize(warnings.map((w) => w.replace(/^cx: /, '')).join('; ') || `cx ls exited ${r.code}`),
            ),
            warnings: [],
          };
        const parsed = JSON.parse(r.stdout.toString('utf8')) as unknown;
        if (!Array.isArray(parsed)) throw new Error('not a JSON array');
        return { host, records: parsed as Record<string, unknown>[], warnings };
      } catch (err) {
        if (err instanceof RemoteError) {
          const other = fallback?.(host, err);
          if (!other) return { host, error: err, warnings: [] };
          try {
            return { host, ...(await other) };
          } catch (second) {
            return { host, error: second instanceof RemoteError ? second : err, warnings: [] };
          }
        }
        return { host, error: new RemoteError(host, 'remote', `unexpected answer to cx ls: ${(err as Error).message}`), warnings: [] };
      }
    }),
  );
}
