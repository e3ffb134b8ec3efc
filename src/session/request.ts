import { chooseShell } from '../backends/shell.js';
import type { Backend, ExecRequest, TermSize } from '../backends/types.js';
import type { Container } from '../discovery/types.js';

/** What the user asked of any session, whichever front end asked: who, where, extra variables. */
export interface SessionSpec {
  /** Empty: the container's configured user. */
  user: string;
  /** Empty: the container's working directory. */
  workdir: string;
  /** NAME=value to set, NAME alone to unset, applied last. */
  env: string[];
  /** docker exec --privileged. */
  privileged?: boolean;
}

/** A spec that asks for nothing beyond the container's own settings. */
export const DEFAULT_SPEC: SessionSpec = { user: '', workdir: '', env: [] };

export interface RequestShape {
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  /** The caller's environment: its TERM travels into TTY sessions. Absent: the backend's default TERM. */
  callerEnv?: NodeJS.ProcessEnv;
  /** The terminal's size for a TTY session (ignored without a TTY). */
  size?: TermSize | undefined;
  /** Start and return at once (docker exec -d). */
  detach?: boolean;
}

/**
 * The one place an ExecRequest is built, for `cx exec`, `cx enter`, `cx env` and the TUI alike: a
 * TTY session carries the caller's TERM (checked against the container's terminfo when the session
 * opens; the user's -e TERM=... still wins), and a size only with a TTY.
 */
export function execRequest(spec: SessionSpec, shape: RequestShape): ExecRequest {
  const term = shape.tty && shape.callerEnv ? callerTerm(shape.callerEnv) : undefined;
  return {
    cmd: shape.cmd,
    tty: shape.tty,
    stdin: shape.stdin,
    user: spec.user,
    workdir: spec.workdir,
    env: [...spec.env],
    ...(term !== undefined ? { term: { value: term, why: "caller's TERM" } } : {}),
    size: shape.tty ? shape.size : undefined,
    privileged: spec.privileged === true,
    detach: shape.detach === true,
  };
}

/** The caller's TERM, passed to TTY sessions so the container's programs draw for the real terminal. */
export function callerTerm(env: NodeJS.ProcessEnv): string | undefined {
  const term = env['TERM'];
  return term !== undefined && /^[A-Za-z0-9._+-]{1,64}$/.test(term) ? term : undefined;
}

/**
 * The shell a session starts: `shell` when the user named one, else the choice `cx enter` makes
 * (login shell from the container's passwd, then bash, ash, sh), explained through `trace`.
 */
export async function sessionShell(
  backend: Backend,
  container: Container,
  user: string,
  shell = '',
  trace: (line: string) => void = () => undefined,
): Promise<string> {
  if (shell !== '') return shell;
  const choice = await chooseShell(backend.files(container), user || container.config.user);
  trace(`shell ${choice.path}: ${choice.reason}`);
  return choice.path;
}

/** The request of an interactive shell on a terminal: what `cx enter` and Enter in the TUI run. */
export async function enterRequest(
  backend: Backend,
  container: Container,
  spec: SessionSpec & { shell?: string },
  terminal: { env: NodeJS.ProcessEnv; size(): TermSize | undefined; trace?: (line: string) => void },
): Promise<ExecRequest> {
  const shell = await sessionShell(backend, container, spec.user, spec.shell, terminal.trace);
  const request = execRequest(spec, { cmd: [shell], tty: true, stdin: true, callerEnv: terminal.env, size: terminal.size() });
  return spec.shell ? request : { ...request, login: true };
}
