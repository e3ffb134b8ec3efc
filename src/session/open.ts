import { hasEnvironmentSources, type EnvAlternative } from '../backends/exec-env.js';
import type { BackendChoice, Selection } from '../backends/registry.js';
import type { Backend, BackendName, EnvEntry, ExecRequest, Session } from '../backends/types.js';
import { assertRunning } from '../discovery/resolve.js';
import type { Container } from '../discovery/types.js';
import { BackendUnavailableError, type CxError } from '../errors.js';
import { noteCodePath } from '../util/code-cache.js';
import { settleTerm } from './term.js';

/** The registry's part a session needs (the real Registry, or a test one over in-memory backends). */
export interface BackendChooser {
  usableFor(c: Container): BackendName[];
  select(choice: BackendChoice, c: Container): Selection;
}

/** A session opened in a container, with the backend that opened it and why that one. */
export interface Opened {
  session: Session;
  request: ExecRequest;
  backend: Backend;
  why: string;
}

export interface OpenOptions {
  backend: BackendChoice;
  /** Builds the request once the backend is known (the shell choice reads files through it). */
  request: (container: Container, backend: Backend) => Promise<ExecRequest> | ExecRequest;
  trace?: (line: string) => void;
}

/**
 * The one way cx opens a session, for the CLI and the TUI alike: the container must be running,
 * the registry picks the backend (auto: the best that can enter it, with the reason), the request
 * is built for that backend, and the backend opens it. The session is paused until resumed.
 */
export async function openSession(registry: Pick<BackendChooser, 'select'>, container: Container, opts: OpenOptions): Promise<Opened> {
  assertRunning(container);
  const { backend, why } = registry.select(opts.backend, container);
  opts.trace?.(`backend ${why}`);
  const request = await settleTerm(backend.files(container), await opts.request(container, backend));
  if (request.debug && backend.name !== 'nsenter') {
    throw new BackendUnavailableError(`a debug session needs the nsenter backend, not ${backend.name}`, {
      hint: 'run it as root with the helper built (see `cx doctor`)',
    });
  }
  if (request.term) opts.trace?.(`TERM=${request.term.value}: ${request.term.why}`);
  opts.trace?.(`running ${JSON.stringify(request.cmd)} tty=${request.tty} stdin=${request.stdin}`);
  const session = await backend.open(container, request);
  noteCodePath(`session:${backend.name}:${request.tty ? 'tty' : 'pipe'}`);
  return { session, request, backend, why };
}

/**
 * How target resolution may use the Engine API for a backend choice: a daemon-less backend never
 * waits on dockerd, not even to find the container; an explicit docker backend tries it and falls
 * back to the files for a container the daemon is stuck on. With auto or docker, a container the
 * daemon answers for is entered through the daemon: its runtime task (what runc needs) is not read.
 */
export function apiUseFor(choice: BackendChoice): { api: boolean | 'try'; runtimeTask: boolean } {
  return {
    api: choice === 'runc' || choice === 'nsenter' ? false : choice === 'docker' ? 'try' : true,
    runtimeTask: choice === 'runc' || choice === 'nsenter',
  };
}

/**
 * A backend the user named but that cannot work here at all (not root, helper not built, no
 * daemon) is the real problem: say so before discovery fails in some less obvious way.
 */
export async function checkNamedBackend(registry: { get(name: BackendName): Backend }, choice: BackendChoice): Promise<void> {
  if (choice === 'auto') return;
  const availability = await registry.get(choice).probe();
  if (!availability.ok) {
    throw new BackendUnavailableError(`the ${choice} backend is not available: ${availability.reason}`, {
      hint: 'see `cx doctor`, or try --backend auto',
    });
  }
}

/**
 * The environment a session built by `request` would get, from the backend auto (or the user) picks:
 * what `cx env` prints and the TUI's env view shows. With `sources`, a backend that sees several
 * records of the environment (nsenter) also says where they disagree.
 */
export async function sessionEnvironment(
  registry: Pick<BackendChooser, 'select'>,
  container: Container,
  opts: { backend: BackendChoice; request: ExecRequest; sources?: boolean; trace?: (line: string) => void },
): Promise<{ entries: EnvEntry[]; differing: ReadonlyMap<string, EnvAlternative[]>; backend: Backend; why: string }> {
  assertRunning(container);
  const { backend, why } = registry.select(opts.backend, container);
  opts.trace?.(`backend ${why}`);
  const request = await settleTerm(backend.files(container), opts.request);
  if (opts.sources && hasEnvironmentSources(backend)) {
    const report = await backend.environmentReport(container, request);
    return { entries: report.entries, differing: report.differing, backend, why };
  }
  return { entries: await backend.environment(container, request), differing: new Map(), backend, why };
}

/** A non-TTY run's collected output; output is raw (untrusted) and capped. */
export interface Collected {
  output: string;
  exitCode: number;
  truncated: boolean;
  error: CxError | undefined;
}

/**
 * Resume a session without a TTY or stdin and collect stdout and stderr interleaved, up to `limit`
 * bytes (the rest is counted, not kept). Aborting kills the command.
 */
export async function collectOutput(session: Session, limit: number, signal?: AbortSignal): Promise<Collected> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  session.onData((data) => {
    if (size >= limit) {
      truncated = true;
      return;
    }
    chunks.push(data);
    size += data.length;
  });
  const onAbort = (): void => session.kill('SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  const status = await new Promise<{ exitCode: number; error?: CxError }>((resolve) => {
    session.onExit(resolve);
    session.resume();
  });
  signal?.removeEventListener('abort', onAbort);
  const all = Buffer.concat(chunks);
  return {
    output: all.subarray(0, limit).toString('utf8'),
    exitCode: status.exitCode,
    truncated: truncated || all.length > limit,
    error: status.error,
  };
}
