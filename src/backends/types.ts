import type { CxError } from '../errors.js';
import type { Container } from '../discovery/types.js';
import type { Disposable } from '../util/emitter.js';

/** Every backend cx knows; the registry lists those that are implemented. */
export type BackendName = 'docker' | 'nsenter' | 'runc' | 'ssh';

export interface TermSize {
  cols: number;
  rows: number;
}

/** What to run in the container and how; the same for every backend. */
export interface ExecRequest {
  cmd: string[];
  /** Allocate a terminal for the process. */
  tty: boolean;
  /** Attach cx's stdin to the process. */
  stdin: boolean;
  /** `user`, `uid`, `user:group` or `uid:gid`; empty means the container's configured user. */
  user: string;
  /** Empty means the container's configured working directory. */
  workdir: string;
  /** `K=V` entries applied over the session's environment (`K` alone unsets). */
  env: string[];
  /** The terminal size to start with (TTY only). */
  size: TermSize | undefined;
  /**
   * `cmd` is the shell cx picked for an interactive session, not one the user named: a backend that
   * has a login of its own (ssh) starts that instead.
   */
  login?: boolean;
  /** A debug session (`cx debug`): only the nsenter backend can open one. */
  debug?: DebugSpec;
  /** docker exec --privileged: every capability cx itself holds, for this process only. */
  privileged?: boolean;
  /** docker exec -d: start the command and return at once; nothing waits on it (no TTY, no stdin). */
  detach?: boolean;
  /**
   * The TERM of a TTY session and why (the caller's when the container can draw for it, else a
   * fallback). Absent: docker's default, xterm. A -e TERM=... in `env` still wins.
   */
  term?: TermChoice;
  /**
   * Without a TTY, what a daemon-less backend hands to the process as its own stdin/stdout instead
   * of a pipe cx copies through. The session then has no stdin to write to or stdout to read from
   * for that stream.
   */
  direct?: DirectStdio;
}

/**
 * A debug session: the toolbox's host directories are mounted read-only at /.cx in the session's own
 * copy of the container's mount namespace (several are stacked, the first on top), and `path` is
 * appended to the container's PATH.
 */
export interface DebugSpec {
  toolbox: string[];
  path: string[];
  /** Keep host root's capabilities, without the container's seccomp filter or no_new_privs. */
  privileged: boolean;
}

/** The TERM a TTY session gets, and the reason shown by `cx env --sources`. */
export interface TermChoice {
  value: string;
  why: string;
}

/** What a daemon-less backend hands to the process directly instead of piping it through cx. */
export interface DirectStdio {
  /** An fd the process gets as its stdin as is (cx's own, when it is a pipe). */
  stdin?: number;
  /** A regular file's fd, fed to the process's stdin pipe by the host's cat (no copy through cx). */
  feedStdin?: number;
  /** An fd the process gets as its stdout as is (a pipe, /dev/null). */
  stdout?: number;
}

/** Whether a backend can be used, and if not, why (shown by `cx doctor` and in errors). */
export interface Availability {
  ok: boolean;
  reason: string;
}

export type { Disposable };

/** How a session ended. `error` is set when the command could not be started at all. */
export interface ExitStatus {
  exitCode: number;
  error?: CxError;
}

export type StreamName = 'stdout' | 'stderr';

/**
 * A running process in a container, shaped like a pty (node-pty's IPty): whatever the backend (a
 * hijacked Engine API stream, a local pty, ssh), src/attach drives it the same way.
 * A session starts paused: nothing is delivered before the first resume(), so no output is lost
 * between open() and the listeners being attached.
 */
export interface Session {
  readonly tty: boolean;
  /**
   * Input for the process; false means "buffer full": stop writing until onDrain fires. When given,
   * `written` MUST be called once the data has been handed to the OS (or dropped because the session
   * ended): attach reuses the buffer after that, which keeps bulk copies fast and memory flat.
   */
  write(data: Buffer | string, written?: () => void): boolean;
  /** Stdin EOF. In TTY mode this is a no-op: closing a pty's input would end its output too. */
  end(): void;
  resize(size: TermSize): void;
  /** Signal the process itself (best effort; Ctrl-C in TTY mode travels as a byte instead). */
  kill(signal?: NodeJS.Signals): void;
  pause(): void;
  resume(): void;
  onData(listener: (data: Buffer, stream: StreamName) => void): Disposable;
  onDrain(listener: () => void): Disposable;
  /** Fires once, after the last onData. */
  onExit(listener: (status: ExitStatus) => void): Disposable;
}

/** One environment variable a session gets, and which layer set it. */
export interface EnvEntry {
  name: string;
  value: string;
  source: EnvSource;
  /** More about the source, when there is a choice behind it (TERM: the caller's, or a fallback). */
  note?: string;
}

/**
 * container-config: the container's configured env (Engine API / its config on disk). bundle: the
 * runtime bundle's config.json process.env. proc-environ: the init's /proc/PID/environ.
 * container-environment: baseimage-docker's /etc/container_environment/ record.
 */
export type EnvSource =
  | 'default'
  | 'hostname'
  | 'container-config'
  | 'bundle'
  | 'proc-environ'
  | 'container-environment'
  | 'passwd'
  | 'tty'
  | 'exec-option'
  | 'ssh-login';

/** Reading files of the container's own filesystem, resolved inside the container (never the host's). */
export interface ContainerFiles {
  /** The file's bytes, undefined when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  exists(path: string): Promise<boolean>;
  /**
   * Which of several paths exist, in one go where each call is costly (a runtime exec per call).
   * Optional: without it, callers ask exists() for each.
   */
  existing?(paths: readonly string[]): Promise<boolean[]>;
}

/**
 * A way into a container. Every backend (docker, nsenter, runc, ssh) adapts to this; commands go
 * through the registry and never construct one.
 */
export interface Backend {
  readonly name: BackendName;
  readonly summary: string;
  /** Can this backend work on this machine at all (for `cx doctor`). */
  probe(): Promise<Availability>;
  /** Can it enter this particular container. */
  canEnter(container: Container): Availability;
  open(container: Container, request: ExecRequest): Promise<Session>;
  files(container: Container): ContainerFiles;
  /** The environment a session with this request would get. */
  environment(container: Container, request: ExecRequest): Promise<EnvEntry[]>;
}
