import { locateDockerRoots, type DockerRoots } from '../host/docker-roots.js';
import { readStat, stateName, type ProcStat } from '../host/proc.js';
import { EngineError } from '../errors.js';
import { TROUBLE_TEXT, type DaemonState } from './daemon-state.js';
import { rawPing } from './docker-client.js';

export type { DaemonState };

/** What cx knows about the daemon behind the socket, with the facts that show it. */
export interface DaemonHealth {
  state: DaemonState;
  socketPath: string;
  /** The dockerd process serving the socket, when found. */
  pid: number | undefined;
  /**
   * Where that engine keeps its state: undefined when it cannot be told, and when the daemon answered
   * at once (not looked up then: read files through Context.roots(), which looks them up).
   */
  roots: DockerRoots | undefined;
  /** Human facts, e.g. "process 2876 state T (stopped)". */
  evidence: string[];
  elapsedMs: number;
  /** The daemon's process is stopped (state T): frozen for certain, not merely slow. */
  stopped?: boolean;
  /** What cx refused to believe while looking (an untrusted dockerd, state dir or cache): --debug. */
  distrusted?: string[];
  /** The API version /_ping announced, when it answered (saves the client its own ping). */
  apiVersion?: string;
}

/**
 * The ping's deadline (CX_PING_TIMEOUT_MS overrides it). A stopped dockerd is known at once from its
 * process state; one that is merely silent gets a second chance of the same length before it is
 * called frozen, so a slow but working daemon (a loaded host) is not taken for a dead one.
 */
export const HEALTH_DEADLINE_MS = 1200;

/** How long a ping may take before cx also looks for the daemon's process (see checkDaemon). */
const LOOKUP_AFTER_MS = 25;

/**
 * Learn the daemon's state once, within about HEALTH_DEADLINE_MS: ping it and, in parallel, find its
 * process. A stopped process (state T) settles "frozen" at once instead of waiting for the deadline.
 */
export async function checkDaemon(
  socketPath: string,
  opts: { deadlineMs?: number; locate?: typeof locateDockerRoots; complete?: boolean } = {},
): Promise<DaemonHealth> {
  const deadlineMs = opts.deadlineMs ?? HEALTH_DEADLINE_MS;
  const started = Date.now();
  const evidence: string[] = [];
  const distrusted: string[] = [];
  let rootsP: Promise<DockerRoots | undefined> | undefined;
  const lookup = (): Promise<DockerRoots | undefined> =>
    (rootsP ??= (opts.locate ?? locateDockerRoots)(socketPath, { note: (l) => distrusted.push(l) }).catch(() => undefined));
  const done = (state: DaemonState, roots: DockerRoots | undefined): DaemonHealth => ({
    state,
    socketPath,
    pid: roots?.pid,
    roots,
    evidence,
    distrusted,
    elapsedMs: Date.now() - started,
  });
  // No stat of the socket first: a connect to a path with no socket file fails at once (ENOENT).
  // One deadline, then the second chance: the process state cuts it short when dockerd is stopped.
  const ping = rawPing(socketPath, 2 * deadlineMs);
  // The process state can answer before the ping's deadline: a stopped dockerd never answers. Finding
  // the process (and the state roots with it) is ~10 ms of file reads that a daemon answering at once
  // does not need: it starts only if the ping is not answered within LOOKUP_AFTER_MS (or at once with
  // `complete`, for cx doctor). Whoever reads files looks the roots up then (Context.roots()).
  let stopped: Promise<ProcStat | undefined> | undefined;
  const watch = (): Promise<ProcStat | undefined> =>
    (stopped ??= lookup().then(async (roots) => {
      const st = roots?.pid ? await readStat(roots.pid) : undefined;
      if (st && (st.state === 'T' || st.state === 't')) ping.cancel();
      return st;
    }));
  const timer = opts.complete ? (watch(), undefined) : setTimeout(watch, LOOKUP_AFTER_MS);
  const outcome = await ping.result;
  clearTimeout(timer);
  // Answered before the lookup started: nothing to wait for (roots stay unknown here).
  const looked = stopped !== undefined || outcome.kind !== 'answer' || outcome.status !== 200;
  const proc = looked ? await watch() : undefined;
  const roots = looked ? await lookup() : undefined;
  const procFact =
    roots?.pid === undefined
      ? 'no dockerd process serving this socket was found'
      : proc
        ? `dockerd process ${roots.pid} state ${proc.state} (${stateName(proc.state)})`
        : `dockerd process ${roots.pid} is gone`;
  switch (outcome.kind) {
    case 'answer':
      evidence.push(`/_ping answered HTTP ${outcome.status}${outcome.apiVersion ? ` (API ${outcome.apiVersion})` : ''}`);
      if (Date.now() - started > deadlineMs) evidence.push(`slowly: after ${Date.now() - started} ms`);
      if (roots?.pid !== undefined) evidence.push(procFact);
      return {
        ...done(outcome.status === 200 ? 'ok' : 'frozen', roots),
        ...(outcome.apiVersion ? { apiVersion: outcome.apiVersion } : {}),
      };
    case 'timeout': {
      const stopped = proc?.state === 'T' || proc?.state === 't';
      const waited = `${((2 * deadlineMs) / 1000).toFixed(1)} s`;
      evidence.push(
        stopped
          ? `${socketPath} accepts connections`
          : outcome.connected
            ? `dockerd accepted the connection on ${socketPath} but did not answer /_ping within ${waited} (a second chance included)`
            : `connecting to ${socketPath} did not complete within ${waited}`,
      );
      evidence.push(procFact);
      return { ...done('frozen', roots), stopped };
    }
    case 'error':
      if (outcome.code === 'EACCES' || outcome.code === 'EPERM') {
        evidence.push(`permission denied on ${socketPath}`);
        return done('denied', roots);
      }
      if (outcome.code === 'ENOENT') {
        evidence.push(`no socket file at ${socketPath}`);
        if (roots?.pid) evidence.push(`dockerd ${roots.pid} runs but does not serve it`);
        return done('absent', roots);
      }
      evidence.push(outcome.code === 'ECONNREFUSED' ? `${socketPath} refuses connections` : `${socketPath}: ${outcome.message}`);
      evidence.push(procFact);
      return done('dead', roots);
  }
}

/**
 * The error for "the daemon cannot be used and its state cannot be found either", in the words the
 * Engine API client uses for the same failures.
 */
export function daemonUnusableError(h: DaemonHealth): EngineError {
  const sock = h.socketPath;
  const where = 'and cx cannot tell where that engine keeps its state';
  switch (h.state) {
    case 'absent':
      return new EngineError(`${TROUBLE_TEXT.absent} at ${sock}`, {
        daemon: 'absent',
        hint: 'start dockerd, or point DOCKER_HOST=unix://... at its socket',
      });
    case 'dead':
      return new EngineError(`${TROUBLE_TEXT.dead}: ${sock} refuses connections, ${where}`, {
        daemon: 'dead',
        hint: "start dockerd (cx remembers an engine's state dirs once it has seen it running)",
      });
    case 'denied':
      return new EngineError(`permission denied on ${sock}: cx runs as uid ${process.getuid?.() ?? '?'}, not root and not in its group`, {
        daemon: 'denied',
        hint: 'run cx as root (sudo cx ...), or join the socket\'s group (usermod -aG docker "$USER", then log in again)',
      });
    default:
      return new EngineError(`${describeHealth(h)}, ${where}`, {
        ...(h.state === 'ok' ? {} : { daemon: h.state }),
        hint: "see `cx doctor`; cx finds a frozen engine's state from its dockerd command line",
      });
  }
}

/** "frozen (dockerd process 2876 state T (stopped))" for warnings and --debug. */
export function describeHealth(h: DaemonHealth): string {
  return `dockerd is ${h.state === 'ok' ? 'up' : h.state} (${h.evidence.join('; ')})`;
}
