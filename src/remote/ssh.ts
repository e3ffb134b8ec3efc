import { execFile, spawn } from '../util/child.js';
import type { StdioOptions } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { homedir } from 'node:os';
import path from 'node:path';
import { sshSaid } from '../backends/ssh/said.js';
import { CxError } from '../errors.js';
import { ensurePrivateDir } from '../util/private-dir.js';
import type { RemoteHost } from './target.js';

/**
 * cx reaches other hosts with the system's `ssh` client, so the user's ~/.ssh/config, agent,
 * known_hosts and ProxyJump all keep working, and cx never sees a key. Every call shares one
 * connection per host (ControlMaster) kept for a minute after the last use (ControlPersist), in a
 * control directory only the user can enter.
 */

/** A failure to reach or use a host (exit 255, as ssh's own). The ssh message is kept in the line. */
export class RemoteError extends CxError {
  constructor(
    readonly host: RemoteHost,
    readonly reason: 'unknown-host' | 'auth' | 'host-key' | 'unreachable' | 'not-root' | 'no-cx' | 'no-engine' | 'lost' | 'remote',
    message: string,
    hint?: string,
  ) {
    super(`${host.label}: ${message}`, { exitCode: 255, ...(hint === undefined ? {} : { hint }) });
  }
}

export interface SshSettings {
  /** Deadline for connecting and for each short call (CX_SSH_TIMEOUT_MS, default 8 s). */
  timeoutMs: number;
  controlDir: string;
  /** CX_SSH_CONFIG: an ssh_config file used instead of ~/.ssh/config (ssh -F). */
  configFile: string | undefined;
  /** No password or passphrase prompts (no terminal to ask on, or several hosts at once). */
  batch: boolean;
}

export function sshSettings(env: NodeJS.ProcessEnv, batch: boolean): SshSettings {
  const t = Number(env['CX_SSH_TIMEOUT_MS']);
  const config = env['CX_SSH_CONFIG'];
  return {
    timeoutMs: Number.isFinite(t) && t > 0 ? t : 8000,
    controlDir: controlDir(env),
    configFile: config && path.isAbsolute(config) ? config : undefined,
    batch,
  };
}

/**
 * The directory holding the ControlMaster sockets: $XDG_RUNTIME_DIR/cx-ssh when that is set (it is the
 * user's own, and ensurePrivateDir refuses one another user owns), else /run/cx/ssh for root and
 * ~/.cache/cx/ssh for others. Sockets are named by ssh's %C hash (short: sun_path is 108 bytes).
 */
function controlDir(env: NodeJS.ProcessEnv): string {
  const runtime = env['XDG_RUNTIME_DIR'];
  let dir: string;
  if (runtime && path.isAbsolute(runtime) && existsSync(runtime)) dir = path.join(runtime, 'cx-ssh');
  else if (process.getuid?.() === 0) {
    mkdirSync('/run/cx', { recursive: true, mode: 0o700 });
    ensurePrivateDir('/run/cx');
    dir = '/run/cx/ssh';
  } else {
    const cache = path.join(homedir(), '.cache', 'cx');
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    dir = path.join(cache, 'ssh');
  }
  try {
    ensurePrivateDir(dir);
  } catch (err) {
    throw new CxError(`cannot use ${dir} for ssh connection sockets: ${(err as Error).message}`);
  }
  return dir;
}

/** ssh's arguments up to and including the destination; the remote command follows. */
export function sshArgs(host: RemoteHost, s: SshSettings, mode: '-T' | '-tt'): string[] {
  return [
    mode,
    ...(s.configFile ? ['-F', s.configFile] : []),
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${s.controlDir}/%C`,
    '-o',
    'ControlPersist=60',
    '-o',
    `ConnectTimeout=${Math.max(1, Math.ceil(s.timeoutMs / 1000))}`,
    // Errors stay; "Permanently added ... to the list of known hosts" and the like do not.
    '-o',
    'LogLevel=ERROR',
    // A master cx starts replaces the socket file of an engine forward a dead master left (forward.ts).
    '-o',
    'StreamLocalBindUnlink=yes',
    ...(s.batch ? ['-o', 'BatchMode=yes'] : []),
    ...(host.user ? ['-l', host.user] : []),
    ...(host.port ? ['-p', String(host.port)] : []),
    host.host,
  ];
}

/** sshArgs without the tty mode: for ssh's own requests about a host (-G, -O check, -O forward). */
export function destinationArgs(host: RemoteHost, s: SshSettings): string[] {
  return sshArgs(host, s, '-T').filter((a) => a !== '-T');
}

/** Quote one word for the remote POSIX shell that runs an ssh command line. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface Captured {
  code: number;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
}

/**
 * Run `script` with the remote `sh` over `ssh -T`, collecting its output, killed at the deadline.
 * `input` (bytes or a stream source) becomes its stdin; without it, stdin is empty.
 */
export function capture(
  host: RemoteHost,
  s: SshSettings,
  script: string,
  opts: { input?: NodeJS.ReadableStream; timeoutMs?: number } = {},
): Promise<Captured> {
  const stdio: StdioOptions = ['pipe', 'pipe', 'pipe'];
  const child = spawn('ssh', [...sshArgs(host, s, '-T'), `sh -c ${shQuote(script)}`], { stdio });
  const out: Buffer[] = [];
  let err = '';
  let timedOut = false;
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  if (opts.input) {
    // A local read error (the executable went away mid-copy) ends the copy; the remote side then
    // finds the hash wrong and says so.
    opts.input.on('error', () => child.stdin?.end());
    opts.input.pipe(child.stdin!);
  } else child.stdin?.end();
  child.stdin?.on('error', () => undefined);
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? s.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CxError(`cannot run ssh: ${e.message}`, { hint: 'install the OpenSSH client (apt-get install openssh-client)' }));
    });
    // 'exit', not 'close': a connection master forked by ControlPersist may hold the pipes open and
    // must not keep us waiting. But what ssh wrote just before exiting may not have been read yet
    // (on a loaded host its error line arrived after 'exit', and a refused connection read as
    // "ssh failed with exit code 255"): wait for both pipes to end, for at most 500 ms.
    const ended = (stream: Readable | null): Promise<void> =>
      stream && !stream.readableEnded
        ? new Promise((r) => {
            stream.once('end', r);
            stream.once('close', r);
          })
        : Promise.resolve();
    const drained = Promise.all([ended(child.stdout), ended(child.stderr)]);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const settle = (): void => {
        clearTimeout(grace);
        resolve({ code: code ?? (signal ? 128 : 255), stdout: Buffer.concat(out), stderr: err, timedOut });
      };
      const grace = setTimeout(settle, 500);
      void drained.then(settle);
    });
  });
}

/** The one-line reason for an ssh failure (exit 255 or the deadline), keeping ssh's own words. */
export function sshFailure(host: RemoteHost, r: Captured, s: SshSettings): RemoteError {
  const said = sshSaid(r.stderr, 2);
  if (r.timedOut) {
    return new RemoteError(
      host,
      'unreachable',
      `no answer within ${s.timeoutMs} ms${said ? ` (ssh: ${said})` : ''}`,
      'check the host is up and reachable, or raise CX_SSH_TIMEOUT_MS',
    );
  }
  if (/Could not resolve hostname|Name or service not known|nodename nor servname/i.test(r.stderr)) {
    return new RemoteError(host, 'unknown-host', `unknown host (ssh: ${said})`, 'check the name, or add a Host entry to ~/.ssh/config');
  }
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|host key .* changed/i.test(r.stderr)) {
    return new RemoteError(
      host,
      'host-key',
      `host key verification failed (ssh: ${said})`,
      'if the host was reinstalled, remove its old key with ssh-keygen -R, then run again',
    );
  }
  if (/Permission denied|Too many authentication failures|no mutual signature|Authentication failed/i.test(r.stderr)) {
    return new RemoteError(
      host,
      'auth',
      `authentication failed (ssh: ${said})`,
      'check the user and that your key is loaded (ssh-add -l) and authorised on the host',
    );
  }
  if (
    /Connection refused|timed out|No route to host|Network is unreachable|Connection closed|Connection reset|kex_exchange/i.test(r.stderr)
  ) {
    return new RemoteError(host, 'unreachable', `host unreachable (ssh: ${said})`, 'check the host, port and that sshd runs there');
  }
  return new RemoteError(
    host,
    'remote',
    `ssh failed${said ? ` (ssh: ${said})` : ` with exit code ${r.code}`}`,
    'run the same ssh by hand to see why',
  );
}

/**
 * The control socket ssh uses for `host` (its ControlPath with %C expanded, from `ssh -G`), when it
 * lies in cx's private control directory; undefined otherwise (a ControlPath of the user's own
 * ssh_config wins over cx's -o, and then cx does not look at it).
 */
export async function controlSocket(host: RemoteHost, s: SshSettings): Promise<string | undefined> {
  const args = destinationArgs(host, s);
  const out = await new Promise<string>((resolve) => {
    execFile('ssh', ['-G', ...args], { timeout: 2000, encoding: 'utf8' }, (err, stdout) => resolve(err ? '' : stdout));
  });
  const file = out
    .split('\n')
    .find((l) => l.startsWith('controlpath '))
    ?.slice('controlpath '.length)
    .trim();
  return file && path.dirname(file) === s.controlDir ? file : undefined;
}

/**
 * Whether a master listens on `socket` (a socket file of cx's private control directory): a unix
 * connect() and close, about a millisecond, instead of `ssh -O check` (an ssh process and a mux
 * exchange). A connection it cannot make, for whatever reason, is "no".
 */
export function socketAnswers(socket: string, deadlineMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    let st;
    try {
      st = lstatSync(socket);
    } catch {
      resolve(false);
      return;
    }
    if (!st.isSocket() || st.uid !== process.getuid?.()) {
      resolve(false);
      return;
    }
    const conn = net.connect(socket);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      conn.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), deadlineMs);
    conn.once('connect', () => done(true));
    conn.once('error', () => done(false));
  });
}

/** After a command failed: the connection master gone means the ssh connection was lost (said so, with exit code 255). */
export async function assertConnected(host: RemoteHost, s: SshSettings): Promise<void> {
  if (!(await masterAlive(host, s))) {
    throw new RemoteError(host, 'lost', 'the ssh connection was lost', 'run again; check the network and the remote sshd');
  }
}

/** Whether the connection master for `host` is alive (after an exit 255: was it ssh's or the command's?). */
export function masterAlive(host: RemoteHost, s: SshSettings): Promise<boolean> {
  const args = destinationArgs(host, s);
  return new Promise((resolve) => {
    const child = spawn('ssh', ['-O', 'check', ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.on('error', () => resolve(false));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
