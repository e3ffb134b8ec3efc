/** What discovery knows about one container, whatever source it came from. */
export interface Container {
  /** Full 64-hex id. */
  id: string;
  /** Name without the leading '/'. Untrusted: sanitize before printing. */
  name: string;
  image: string;
  command: string;
  state: ContainerState;
  createdAt: string | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  exitCode: number | undefined;
  /** Host PID of the container's init process, when running (validated for non-API sources). */
  pid: number | undefined;
  /** Which engine manages it. */
  runtime: ContainerRuntime;
  /** The source the record's main data came from (the best one that saw it). */
  source: ContainerSource;
  labels: Record<string, string>;
  config: ContainerConfig;
  /** Every source that saw this container, best first (provenance). Absent means [source]. */
  sources?: ContainerSource[];
  /** How the low-level runtime can be reached without the daemon (runc backend). */
  oci?: OciRuntimeRef;
  /** Kubernetes names from the CRI annotations (containerd k8s.io namespace). */
  k8s?: { namespace: string; pod: string; container: string };
  /**
   * Set when a non-API record said "running" but the process is gone or is no longer the
   * container's (exited while the daemon was not watching, PID reused): state is then 'exited'.
   */
  stale?: string;
  /**
   * Set when dockerd listed the container but did not answer for it (its inspect hung: one wedged
   * container holds its own lock, not the daemon's): the record is then what its on-disk files say.
   */
  stuck?: string;
}

/** Where the OCI runtime keeps this container's state, and the bundle it was created from. */
export interface OciRuntimeRef {
  /** runc or crun. */
  binary: 'runc' | 'crun';
  /** The runtime's --root (its state directory holds <root>/<id>/). */
  root: string;
  /** The OCI bundle directory (config.json), when known. */
  bundle: string | undefined;
  /** /proc/<pid>/stat start time recorded by the runtime, when known. */
  pidStart: number | undefined;
}

export type ContainerState = 'running' | 'paused' | 'restarting' | 'created' | 'exited' | 'dead' | 'removing' | 'unknown';
export type ContainerRuntime = 'docker' | 'containerd' | 'podman';
/**
 * docker-api: the Engine API. docker-disk: the data-root's config.v2.json. runc-state: an OCI
 * runtime's state dir. containerd: a containerd task bundle. podman: podman's runtime files.
 * proc: recognised in /proc by its cgroup path (last resort: no name, no config).
 */
export type ContainerSource = 'docker-api' | 'docker-disk' | 'runc-state' | 'containerd' | 'podman' | 'proc';

/** The parts of the container's configuration a session inherits, as docker exec applies them. */
export interface ContainerConfig {
  user: string;
  env: string[];
  workingDir: string;
  hostname: string;
  tty: boolean;
  /** HostConfig.GroupAdd (names or gids): every exec gets these groups too. Absent: not known. */
  groupAdd?: string[];
}

/** A running container known only by id and source; each source fills in what it knows. */
export function bareContainer(id: string, source: ContainerSource, over: Partial<Container> = {}): Container {
  return {
    id,
    name: id.slice(0, 12),
    image: '',
    command: '',
    state: 'running',
    createdAt: undefined,
    startedAt: undefined,
    finishedAt: undefined,
    exitCode: undefined,
    pid: undefined,
    runtime: 'docker',
    source,
    labels: {},
    config: { user: '', env: [], workingDir: '', hostname: '', tty: false },
    ...over,
  };
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** Sources of a record, best first. */
export function sourcesOf(c: Container): ContainerSource[] {
  return c.sources ?? [c.source];
}

/** One line for stderr: something on disk could not be read; the rest of the listing goes on. */
export type Warn = (line: string) => void;
