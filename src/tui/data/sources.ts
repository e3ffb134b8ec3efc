import type { BackendChoice, Selection } from '../../backends/registry.js';
import { chooseShell } from '../../backends/shell.js';
import type { BackendName, EnvEntry, ExecRequest } from '../../backends/types.js';
import type { Container } from '../../discovery/types.js';
import type { CxError } from '../../errors.js';
import { callerTerm } from '../../cli/commands/session-options.js';
import type { InspectSummary } from './inspect.js';
import type { LiveFeed } from './live.js';
import type { ProcessList } from './processes.js';

/** The registry's part the TUI uses (the real Registry, or a test one over in-memory backends). */
export interface BackendChooser {
  usableFor(c: Container): BackendName[];
  select(choice: BackendChoice, c: Container): Selection;
}

/** Everything the TUI reads from the outside world; the app and its hooks see only this. */
export interface TuiSources {
  /**
   * Every container, stopped ones included, read afresh; warnings are lines the sources reported;
   * engine is the daemon's health learned for this listing, when the sources know it.
   */
  list(): Promise<{ containers: Container[]; warnings: string[]; engine?: EngineState }>;
  registry: BackendChooser;
  /** Backend names offered when choosing (besides auto). */
  backendNames: readonly string[];
  inspect(c: Container): Promise<InspectSummary>;
  processes(c: Container): Promise<ProcessList>;
  live: LiveFeed;
  /** The caller's environment (TERM travels into sessions, as with `cx enter`). */
  env: NodeJS.ProcessEnv;
}

/** The daemon's health as the banner shows it: ok, frozen, dead, absent or denied, and the facts. */
export interface EngineState {
  state: string;
  detail: string;
}

/** How to enter: the backend and the user chosen with b and u. */
export interface EnterChoice {
  backend: BackendChoice;
  /** Empty: the container's configured user. */
  user: string;
}

/** The environment a shell entered with `choice` gets, and the backend that would give it. */
export async function sessionEnvironment(
  sources: Pick<TuiSources, 'registry' | 'env'>,
  c: Container,
  choice: EnterChoice,
): Promise<{ entries: EnvEntry[]; backend: string; why: string }> {
  const { backend, why } = sources.registry.select(choice.backend, c);
  const request: ExecRequest = { cmd: ['sh'], tty: true, stdin: true, user: choice.user, workdir: '', env: callerTerm(sources.env), size: undefined };
  return { entries: await backend.environment(c, request), backend: backend.name, why };
}

/** A one-off command's result; output is raw (untrusted) and capped. */
export interface CommandResult {
  output: string;
  exitCode: number;
  truncated: boolean;
  error: CxError | undefined;
  backend: string;
}

/** More output than this is cut: the view is for a quick look, `cx exec` is for bulk. */
export const COMMAND_OUTPUT_LIMIT = 256 * 1024;

/**
 * Run `command` through the container's shell (the one `cx enter` would pick), without a TTY or
 * stdin, collecting stdout and stderr interleaved. Aborting kills the command.
 */
export async function runCommand(
  sources: Pick<TuiSources, 'registry'>,
  c: Container,
  choice: EnterChoice,
  command: string,
  signal?: AbortSignal,
): Promise<CommandResult> {
  const { backend } = sources.registry.select(choice.backend, c);
  const shell = await chooseShell(backend.files(c), choice.user || c.config.user);
  const session = await backend.open(c, { cmd: [shell.path, '-c', command], tty: false, stdin: false, user: choice.user, workdir: '', env: [], size: undefined });
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  session.onData((data) => {
    if (size >= COMMAND_OUTPUT_LIMIT) {
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
    output: all.subarray(0, COMMAND_OUTPUT_LIMIT).toString('utf8'),
    exitCode: status.exitCode,
    truncated: truncated || all.length > COMMAND_OUTPUT_LIMIT,
    error: status.error,
    backend: backend.name,
  };
}
