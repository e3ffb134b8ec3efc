import type { BackendChoice } from '../../backends/registry.js';
import type { EnvEntry } from '../../backends/types.js';
import type { DaemonState } from '../../engine/daemon-state.js';
import type { Container } from '../../discovery/types.js';
import {
  collectOutput,
  openSession,
  sessionEnvironment as environmentOf,
  type BackendChooser,
  type Collected,
} from '../../session/open.js';
import { DEFAULT_SPEC, execRequest, sessionShell } from '../../session/request.js';
import { CxError } from '../../errors.js';
import type { InspectSummary } from './inspect.js';
import type { LiveFeed } from './live.js';
import type { ProcessList } from './processes.js';

export type { BackendChooser };

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
  state: DaemonState;
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
  const request = execRequest({ ...DEFAULT_SPEC, user: choice.user }, { cmd: ['sh'], tty: true, stdin: true, callerEnv: sources.env });
  const env = await environmentOf(sources.registry, c, { backend: choice.backend, request });
  return { entries: env.entries, backend: env.backend.name, why: env.why };
}

/**
 * The shell Enter would start in `c` (what `cx enter` picks), null when the image has none (only a
 * debug session, `d`, has a shell there), undefined when it cannot be told (no backend can look).
 */
export async function shellOf(
  sources: Pick<TuiSources, 'registry'>,
  c: Container,
  choice: EnterChoice,
): Promise<string | null | undefined> {
  let backend;
  try {
    backend = sources.registry.select(choice.backend, c).backend;
  } catch {
    return undefined;
  }
  try {
    return await sessionShell(backend, c, choice.user);
  } catch (err) {
    return err instanceof CxError && err.exitCode === 127 ? null : undefined;
  }
}

/** A one-off command's result; output is raw (untrusted) and capped. */
export interface CommandResult extends Collected {
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
  const spec = { ...DEFAULT_SPEC, user: choice.user };
  const { session, backend } = await openSession(sources.registry, c, {
    backend: choice.backend,
    request: async (container, b) =>
      execRequest(spec, { cmd: [await sessionShell(b, container, spec.user), '-c', command], tty: false, stdin: false }),
  });
  return { ...(await collectOutput(session, COMMAND_OUTPUT_LIMIT, signal)), backend: backend.name };
}
