import type { DockerClient } from '../engine/docker-client.js';
import { EngineError } from '../errors.js';
import { bareContainer, type Container, type ContainerConfig, type ContainerState } from './types.js';

/**
 * The parts of a container's JSON that cx reads. The Engine API's inspect and Docker's on-disk
 * config.v2.json share this shape (the daemon serves the one from the other); only the id key's
 * spelling differs.
 */
export interface ContainerJson {
  Name?: string;
  Created?: string;
  Path?: string;
  Args?: string[];
  State?: {
    Status?: string;
    Running?: boolean;
    Paused?: boolean;
    Restarting?: boolean;
    Dead?: boolean;
    RemovalInProgress?: boolean;
    Pid?: number;
    ExitCode?: number;
    StartedAt?: string;
    FinishedAt?: string;
  };
  Config?: {
    Hostname?: string;
    User?: string;
    Env?: string[] | null;
    WorkingDir?: string;
    Tty?: boolean;
    Image?: string;
    Labels?: Record<string, string> | null;
  };
}

/** GET /containers/{id}/json. */
interface InspectBody extends ContainerJson {
  Id: string;
  Name: string;
  HostConfig?: { GroupAdd?: string[] | null };
}

export interface ListItem {
  Id: string;
  Names?: string[];
  Image?: string;
  Command?: string;
  State?: string;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * Containers as the Engine API reports them: one list call, and for each entry what the list lacks
 * (PID, times, exit code, session config). `facts` supplies that without a request (the data-root's
 * record, as root); otherwise, or when it cannot, an inspect per container, each with its own
 * deadline. A container whose inspect does not answer (wedged in dockerd: its lock is held by a hung
 * operation, while the list itself still answers) costs that one row: `stuck` gives its stand-in
 * record, else one from the list entry, marked stuck either way.
 */
export async function listFromApi(
  client: DockerClient,
  opts: {
    all: boolean;
    stuck?: (item: ListItem, why: string) => Promise<Container | undefined>;
    facts?: (item: ListItem) => Promise<Container | undefined>;
    /** The list, already asked for (sent with the health check, unversioned); else asked for now. */
    items?: Promise<ListItem[]>;
  },
): Promise<Container[]> {
  const items = await (opts.items ?? client.json<ListItem[]>('GET', `/containers/json?all=${opts.all ? 1 : 0}`));
  const inspected = await Promise.all(
    items.map(async (item) => {
      const known = await opts.facts?.(item).catch(() => undefined);
      // The list is the daemon's answer now: its name and state win over the record at rest.
      if (known) {
        const state = listState(item) ?? known.state;
        const ended = state === 'exited' || state === 'dead';
        return { ...known, state, exitCode: ended ? known.exitCode : undefined, pid: isRunningState(state) ? known.pid : undefined };
      }
      return inspectContainer(client, item.Id).catch(async (err: unknown) => {
        // Removed between list and inspect: not an error, just gone.
        if (err instanceof EngineError && err.statusCode === 404) return undefined;
        if (!(err instanceof EngineError) || err.statusCode !== undefined) throw err;
        const why = err.message;
        return { ...((await opts.stuck?.(item, why)) ?? fromListItem(item)), stuck: why };
      });
    }),
  );
  return inspected.filter((c): c is Container => c !== undefined);
}

const KNOWN_STATES: readonly ContainerState[] = ['running', 'paused', 'restarting', 'created', 'exited', 'dead', 'removing'];

function isRunningState(s: ContainerState): boolean {
  return s === 'running' || s === 'paused' || s === 'restarting';
}

function listState(item: ListItem): ContainerState | undefined {
  return KNOWN_STATES.includes(item.State as ContainerState) ? (item.State as ContainerState) : undefined;
}

/** What the list entry alone says about a container (its inspect did not answer). */
function fromListItem(item: ListItem): Container {
  return bareContainer(item.Id, 'docker-api', {
    name: (item.Names?.[0] ?? '').replace(/^\//, '') || item.Id.slice(0, 12),
    image: item.Image ?? '',
    command: item.Command ?? '',
    state: listState(item) ?? 'unknown',
  });
}

export async function inspectContainer(client: DockerClient, idOrName: string, opts: { unversioned?: boolean } = {}): Promise<Container> {
  const body = await client.json<InspectBody>('GET', `/containers/${encodeURIComponent(idOrName)}/json`, opts);
  return fromInspect(body);
}

export function fromInspect(b: InspectBody): Container {
  const state = stateOf(b.State ?? {});
  const c = fromContainerJson(b.Id, b, state, b.HostConfig);
  // The daemon always names a container: its name is taken as given, with no short-id stand-in.
  return { ...c, name: b.Name.replace(/^\//, ''), exitCode: state === 'exited' || state === 'dead' ? c.exitCode : undefined };
}

/**
 * A container from the JSON inspect and config.v2.json share, in the state the caller read from it
 * (each source reads it its own way). The exit code is kept whatever the state: the caller clears it
 * where it does not apply.
 */
export function fromContainerJson(id: string, j: ContainerJson, state: ContainerState, host?: { GroupAdd?: string[] | null }): Container {
  const s = j.State ?? {};
  const cfg = j.Config ?? {};
  return {
    id,
    name: (j.Name ?? '').replace(/^\//, '') || id.slice(0, 12),
    image: cfg.Image ?? '',
    command: [j.Path ?? '', ...(j.Args ?? [])].join(' ').trim(),
    state,
    createdAt: j.Created,
    startedAt: realTime(s.StartedAt),
    finishedAt: realTime(s.FinishedAt),
    exitCode: s.ExitCode,
    pid: s.Pid !== undefined && s.Pid > 0 ? s.Pid : undefined,
    runtime: 'docker',
    source: 'docker-api',
    labels: cfg.Labels ?? {},
    config: sessionConfig(cfg, host),
  };
}

/** The session-relevant part of a container's Config (inspect and config.v2.json alike). */
export function sessionConfig(cfg: NonNullable<ContainerJson['Config']>, host?: { GroupAdd?: string[] | null }): ContainerConfig {
  return {
    ...(host ? { groupAdd: Array.isArray(host.GroupAdd) ? host.GroupAdd.filter((g) => typeof g === 'string') : [] } : {}),
    user: cfg.User ?? '',
    env: cfg.Env ?? [],
    workingDir: cfg.WorkingDir ?? '',
    hostname: cfg.Hostname ?? '',
    tty: cfg.Tty ?? false,
  };
}

function stateOf(s: NonNullable<InspectBody['State']>): ContainerState {
  const status = s.Status as ContainerState | undefined;
  if (status !== undefined && KNOWN_STATES.includes(status)) return status;
  if (s.Paused) return 'paused';
  if (s.Restarting) return 'restarting';
  if (s.Running) return 'running';
  return 'unknown';
}

/** Docker writes the zero time for "never". */
export function realTime(t: string | undefined): string | undefined {
  return t === undefined || t === '' || t === ZERO_TIME ? undefined : t;
}
