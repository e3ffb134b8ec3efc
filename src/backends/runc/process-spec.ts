import { closeSync, constants, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { readFile } from '../../util/fs-async.js';
import { readText } from '../../host/read-text.js';
import os from 'node:os';
import path from 'node:path';
import { BackendUnavailableError } from '../../errors.js';
import type { Container } from '../../discovery/types.js';
import { sanitize } from '../../util/sanitize.js';
import type { TermSize } from '../types.js';
import type { ExecUser } from '../exec-user.js';
import { trustedDir } from '../../host/trust.js';
import { capNames } from '../nsenter/caps.js';

/** An OCI runtime-spec `process` (what `runc exec --process <file>` reads). */
export interface OciProcess {
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; additionalGids?: number[]; umask?: number };
  args: string[];
  env?: string[];
  cwd: string;
  [key: string]: unknown;
}

/**
 * The container's own process spec from its OCI bundle: capabilities, rlimits, no_new_privs,
 * AppArmor and oom score come from here, exactly as containerd passes them to runc for docker exec.
 */
export async function loadBundleProcess(c: Container): Promise<OciProcess> {
  const bundle = c.oci?.bundle;
  if (!bundle) {
    throw new BackendUnavailableError(`the runc backend cannot find the OCI bundle of ${sanitize(c.name)}`, {
      hint: 'its runtime state names no bundle; try --backend nsenter',
    });
  }
  const trust = trustedDir(bundle);
  if (!trust.ok) {
    throw new BackendUnavailableError(`not using the OCI bundle of ${sanitize(c.name)}: ${sanitize(trust.reason)}`, {
      hint: 'a bundle must be owned by root and writable by root alone',
    });
  }
  try {
    const config = JSON.parse(await readText(path.join(bundle, 'config.json'))) as { process?: OciProcess };
    if (!config.process) throw new Error('no process section');
    return config.process;
  } catch (err) {
    throw new BackendUnavailableError(`cannot read the OCI bundle of ${sanitize(c.name)} (${path.join(bundle, 'config.json')})`, {
      hint: 'try --backend nsenter',
      cause: err,
    });
  }
}

/** The exec process: the container's spec with the command, env, cwd, user and terminal of this session. */
/** docker's umask for a process whose config sets none (the shim's), never the caller's. */
export const DEFAULT_UMASK = 0o022;

export function execProcess(
  base: OciProcess,
  opts: { args: string[]; env: string[]; cwd: string; user: ExecUser; tty: boolean; size: TermSize | undefined; privileged?: bigint },
): OciProcess {
  const proc: OciProcess = {
    ...base,
    args: opts.args,
    env: opts.env,
    cwd: opts.cwd,
    // runc leaves the umask it inherited when the spec has none: cx's caller's would leak in.
    user: {
      ...base.user,
      uid: opts.user.uid,
      gid: opts.user.gid,
      additionalGids: opts.user.groups,
      umask: base.user.umask ?? DEFAULT_UMASK,
    },
    terminal: opts.tty,
  };
  delete proc.consoleSize;
  if (opts.tty && opts.size) proc.consoleSize = { height: opts.size.rows, width: opts.size.cols };
  if (opts.privileged !== undefined) {
    // docker exec --privileged: every capability in every set but ambient, and no AppArmor confinement
    // (only where the container has a profile: the host supports AppArmor then).
    const all = capNames(opts.privileged);
    proc['capabilities'] = { bounding: all, effective: all, permitted: all, inheritable: all };
    if (typeof base['apparmorProfile'] === 'string' && base['apparmorProfile'] !== '') proc['apparmorProfile'] = 'unconfined';
  }
  return proc;
}

/**
 * The files of one runc call: the process spec (it holds the session's environment, secrets
 * included) and runc's own log (its errors). Neither ever has a name on disk: each is an unnamed
 * file (O_TMPFILE, or created and unlinked at once where that is unsupported) that cx holds open,
 * and runc opens it through /proc/<cx>/fd/<n>. Nothing is left behind however cx ends, SIGKILL
 * included: the kernel frees the file when the last descriptor closes.
 */
export interface RuncScratch {
  processFile: string;
  logFile: string;
  cleanup(): Promise<void>;
}

/** Linux's O_TMPFILE (__O_TMPFILE | O_DIRECTORY; __O_TMPFILE is 020000000 on x86 and arm). */
const O_TMPFILE = 0o20000000 | constants.O_DIRECTORY;

function unnamedFile(): number {
  const dir = os.tmpdir();
  try {
    return openSync(dir, O_TMPFILE | constants.O_RDWR, 0o600);
  } catch {
    // A filesystem without O_TMPFILE: a name in a private directory, gone before runc starts.
  }
  const priv = mkdtempSync(path.join(dir, 'cx-runc-'));
  try {
    const file = path.join(priv, 'f');
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    unlinkSync(file);
    return fd;
  } finally {
    rmSync(priv, { recursive: true, force: true });
  }
}

export function writeScratch(proc: OciProcess): Promise<RuncScratch> {
  const procFd = unnamedFile();
  let logFd: number;
  try {
    writeSync(procFd, JSON.stringify(proc));
    logFd = unnamedFile();
  } catch (err) {
    closeSync(procFd);
    return Promise.reject(err as Error);
  }
  let closed = false;
  return Promise.resolve({
    processFile: `/proc/${process.pid}/fd/${procFd}`,
    logFile: `/proc/${process.pid}/fd/${logFd}`,
    cleanup: () => {
      if (!closed) {
        closed = true;
        closeSync(procFd);
        closeSync(logFd);
      }
      return Promise.resolve();
    },
  });
}

/** runc's last error from its JSON log (start failures: command not found, bad cwd...). */
export async function lastRuncError(logFile: string): Promise<string | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  let last: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if ((entry.level === 'error' || entry.level === 'fatal') && entry.msg) last = entry.msg;
    } catch {
      // not a JSON line
    }
  }
  return last;
}

/** argv for `runc exec` with a process file; `detach`: runc returns once the process has started. */
export function runcExecArgs(c: Container, scratch: RuncScratch, detach = false): string[] {
  const oci = c.oci;
  if (!oci) throw new BackendUnavailableError(`no runtime state known for ${sanitize(c.name)}`);
  const log = oci.binary === 'runc' ? ['--log', scratch.logFile, '--log-format', 'json'] : [];
  return ['--root', oci.root, ...log, 'exec', ...(detach ? ['--detach'] : []), '--process', scratch.processFile, c.id];
}
