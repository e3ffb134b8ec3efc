import { randomHex } from '../util/crypto.js';
import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExitStatus } from '../backends/types.js';
import { CxError } from '../errors.js';
import { trustedDir } from '../host/trust.js';
import { ensurePrivateDir } from '../util/private-dir.js';
import type { SessionObserver } from './observer.js';

/** Where root's cx keeps its audit trail unless CX_AUDIT_LOG says otherwise. */
export const DEFAULT_AUDIT_LOG = '/var/log/cx/audit.jsonl';

/**
 * The audit log to write, if any: CX_AUDIT_LOG when set (`off` turns it off), else the default
 * when cx runs as root. `explicit` tells a configured path (every problem with it is an error)
 * from the default (a machine without /var/log, such as a bare chroot, just has no trail).
 */
export function auditLogPath(env: NodeJS.ProcessEnv, uid = process.getuid?.() ?? -1): { path: string; explicit: boolean } | undefined {
  const configured = env['CX_AUDIT_LOG'];
  if (configured !== undefined && configured !== '') return configured === 'off' ? undefined : { path: configured, explicit: true };
  return uid === 0 ? { path: DEFAULT_AUDIT_LOG, explicit: false } : undefined;
}

/** Who started the session: the login uid survives sudo and su, SUDO_USER says who used sudo. */
export interface Invoker {
  uid: number;
  user: string;
  /** null when not set (a process not started from a login): written, so its absence is visible. */
  loginUid: number | null;
  sudoUser: string | null;
}

export function invoker(env: NodeJS.ProcessEnv): Invoker {
  let loginUid: number | null;
  try {
    const n = Number(readFileSync('/proc/self/loginuid', 'utf8').trim());
    // 4294967295 is "never set" (a process not started from a login, e.g. a service).
    loginUid = Number.isInteger(n) && n !== 4294967295 ? n : null;
  } catch {
    loginUid = null;
  }
  let user = '';
  try {
    user = os.userInfo().username;
  } catch {
    user = '';
  }
  return { uid: process.getuid?.() ?? -1, user, loginUid, sudoUser: env['SUDO_USER'] || null };
}

/** What the start line records about a session (never its environment values, never keystrokes). */
export interface AuditStart {
  container: { id: string; name: string; image: string };
  backend: string;
  why: string;
  /** The user asked for inside the container (empty: the container's own). */
  user: string;
  command: readonly string[];
  tty: boolean;
  recording: string | null;
}

export interface AuditLine extends Partial<AuditStart> {
  time: string;
  event: 'start' | 'end';
  session: string;
  by?: Invoker;
  host?: string;
  exitCode?: number;
  error?: string;
  detached?: boolean;
  durationMs?: number;
}

/** How every refusal to open the audit log ends. */
const NO_SESSION_WITHOUT_RECORD = 'no session is started without its audit record';

/**
 * The audit log file, opened once per session so a rotated log is picked up. The directory must be
 * this user's own (0700, not a symlink; created so when missing) in a parent only root controls;
 * the file is opened without following a symlink (O_NOFOLLOW) and must be a regular file of ours
 * with no group or other access. Anything else is refused: root never writes through a path
 * another user could have redirected.
 */
export class AuditLog {
  private constructor(
    readonly path: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Open the configured log, or undefined when there is none; throws a CxError saying what is wrong. */
  static open(env: NodeJS.ProcessEnv): AuditLog | undefined {
    const where = auditLogPath(env);
    if (!where) return undefined;
    const file = path.resolve(where.path);
    const dir = path.dirname(file);
    if (!where.explicit && !existsSync(path.dirname(dir))) return undefined;
    const fail = (why: string): never => {
      throw new CxError(`audit log ${file}: ${why}; no session is started without its audit record`, {
        hint: 'fix it, or set CX_AUDIT_LOG to another path (CX_AUDIT_LOG=off turns the log off)',
      });
    };
    if ((process.getuid?.() ?? -1) === 0) {
      const parent = trustedDir(path.dirname(dir));
      if (!parent.ok) fail(`its directory's parent is not root's alone (${parent.reason})`);
    }
    try {
      ensurePrivateDir(dir);
    } catch (err) {
      fail((err as Error).message);
    }
    const log = new AuditLog(file, env);
    // Fail now, before anything starts, rather than at the first line.
    log.append(undefined);
    return log;
  }

  /** Record a session's start; the returned observer records its end. */
  started(start: AuditStart): AuditSession {
    const session = randomHex(8);
    const began = Date.now();
    this.append({ time: new Date(began).toISOString(), event: 'start', session, by: invoker(this.env), host: os.hostname(), ...start });
    return new AuditSession(this, session, began);
  }

  /** One JSON line, one write (O_APPEND keeps concurrent writers' lines whole). */
  append(line: AuditLine | undefined): void {
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ELOOP' ? 'is a symlink, refusing to write through it' : `cannot open it (${code ?? String(err)})`;
      throw new CxError(`audit log ${this.path}: ${why}; ${NO_SESSION_WITHOUT_RECORD}`, {
        hint: 'remove what is in its place, or set CX_AUDIT_LOG to another path (CX_AUDIT_LOG=off turns the log off)',
      });
    }
    try {
      const st = fstatSync(fd);
      const uid = process.getuid?.() ?? -1;
      if (!st.isFile() || st.uid !== uid || (st.mode & 0o077) !== 0) {
        const mode = (st.mode & 0o777).toString(8);
        throw new CxError(
          `audit log ${this.path}: not a private file of uid ${uid} (owner ${st.uid}, mode ${mode}); ${NO_SESSION_WITHOUT_RECORD}`,
          { hint: 'remove it so cx creates it afresh (0600), or set CX_AUDIT_LOG to another path' },
        );
      }
      if (line) writeSync(fd, `${JSON.stringify(line)}\n`);
    } finally {
      closeSync(fd);
    }
  }
}

/** Writes a session's end line once: exit status (or detach), duration. */
export class AuditSession implements SessionObserver {
  private done = false;

  constructor(
    private readonly log: AuditLog,
    readonly id: string,
    private readonly began: number,
  ) {}

  exit(status: ExitStatus): void {
    this.end({ exitCode: status.exitCode, ...(status.error ? { error: status.error.message } : {}) });
  }

  detached(): void {
    this.end({ detached: true });
  }

  private end(fields: Partial<AuditLine>): void {
    if (this.done) return;
    this.done = true;
    const now = Date.now();
    try {
      this.log.append({ time: new Date(now).toISOString(), event: 'end', session: this.id, durationMs: now - this.began, ...fields });
    } catch {
      // The start was written; an end that cannot be (the log removed meanwhile) must not crash cx.
    }
  }
}
