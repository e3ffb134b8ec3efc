import { readdir } from '../util/fs-async.js';
import { readText } from './read-text.js';

/** The fields of /proc/<pid>/stat cx needs. */
export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, T (stopped), t, Z (zombie), X (dead), I... */
  state: string;
  ppid: number;
  /** Start time in clock ticks since boot (field 22): with the PID, identifies one process for good. */
  startTime: number;
}

/** Parse /proc/<pid>/stat text. comm may hold spaces and ')', so split after the LAST ')'. */
export function parseStat(pid: number, text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const startTime = Number(rest[19]);
  const ppid = Number(rest[1]);
  if (!rest[0] || !Number.isFinite(startTime) || !Number.isFinite(ppid)) return undefined;
  return { pid, comm: text.slice(open + 1, close), state: rest[0], ppid, startTime };
}

export async function readStat(pid: number, procRoot = '/proc'): Promise<ProcStat | undefined> {
  try {
    return parseStat(pid, await readText(`${procRoot}/${pid}/stat`));
  } catch {
    return undefined;
  }
}

export async function readCgroup(pid: number, procRoot = '/proc'): Promise<string | undefined> {
  try {
    return await readText(`${procRoot}/${pid}/cgroup`);
  } catch {
    return undefined;
  }
}

/** NUL-separated argv of a process ([] when it is gone or a kernel thread). */
export async function readCmdline(pid: number, procRoot = '/proc'): Promise<string[]> {
  try {
    const raw = await readText(`${procRoot}/${pid}/cmdline`);
    return raw.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    return [];
  }
}

export async function listPids(procRoot = '/proc'): Promise<number[]> {
  const names = await readdir(procRoot).catch(() => [] as string[]);
  return names.filter((n) => /^\d+$/.test(n)).map(Number);
}

export function stateName(state: string): string {
  const names: Record<string, string> = {
    R: 'running',
    S: 'sleeping',
    D: 'disk sleep',
    T: 'stopped',
    t: 'tracing stop',
    Z: 'zombie',
    X: 'dead',
    I: 'idle',
  };
  return names[state] ?? state;
}

/** The verdict on a PID a runtime record names. */
export type PidCheck = { ok: true } | { ok: false; reason: string };

export type CgroupRuntime = 'docker' | 'podman' | 'containerd';

const ID = '([0-9a-f]{64})';
/**
 * The whole cgroup paths (from the root of the hierarchy) that the engines give a container
 * (engine-facts §4). Anchored at both ends: a path that merely contains an id (a user's own
 * `systemd-run --user --scope` unit can be named anything) is not a container's cgroup.
 */
const CGROUP_SHAPES: Array<[RegExp, CgroupRuntime]> = [
  [new RegExp(`^/docker/${ID}$`), 'docker'],
  [new RegExp(`^/system\\.slice/docker-${ID}\\.scope$`), 'docker'],
  [new RegExp(`^/machine\\.slice/libpod-${ID}\\.scope(?:/container)?$`), 'podman'],
  [new RegExp(`^/libpod_parent/libpod-${ID}(?:/container)?$`), 'podman'],
  [new RegExp(`^/kubepods(?:\\.slice)?(?:/[^/]+)*/cri-containerd-${ID}\\.scope$`), 'containerd'],
  [new RegExp(`^/kubepods(?:/[^/]+)*/pod[0-9a-f_-]+/${ID}$`), 'containerd'],
];

/** The container a single cgroup path is, by the engines' exact shapes; undefined for anything else. */
export function containerOfCgroupPath(p: string): { id: string; runtime: CgroupRuntime } | undefined {
  for (const [re, runtime] of CGROUP_SHAPES) {
    const m = re.exec(p);
    if (m?.[1]) return { id: m[1], runtime };
  }
  return undefined;
}

/** The paths of a /proc/<pid>/cgroup text ("hierarchy:controllers:path" per line), root "/" left out. */
export function cgroupPaths(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const p = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    if (p !== '/' && p !== '') out.push(p);
  }
  return out;
}

/**
 * A cgroup path the runtime recorded, in /proc/<pid>/cgroup's terms. runc's state.json names mount
 * points (/sys/fs/cgroup/<controller>/docker/<id>); a bundle's linux.cgroupsPath is either a path
 * (cgroupfs driver) or "slice:prefix:name" (systemd driver: /slice/prefix-name.scope).
 */
function recordedMatches(recorded: string, p: string): boolean {
  if (recorded.startsWith('/sys/fs/cgroup/') || recorded === '/sys/fs/cgroup') {
    if (!recorded.endsWith(p)) return false;
    return /^\/sys\/fs\/cgroup(?:\/[^/]+)?$/.test(recorded.slice(0, recorded.length - p.length));
  }
  const sd = /^([^:/]+\.slice):([^:/]+):([^:/]+)$/.exec(recorded);
  if (sd) return p.endsWith(`/${sd[2]}-${sd[3]}.scope`) && p.split('/').includes(sd[1] ?? '');
  return recorded === p;
}

/**
 * Is the process in the cgroup of container `id`? Every hierarchy it is placed in (not the root)
 * must BE that container's cgroup: equal to a path the runtime recorded for it, else one of the
 * engines' exact shapes for that id, and the id is the last component either way.
 */
export function inContainerCgroup(text: string, id: string, recorded: readonly string[] = []): boolean {
  const paths = cgroupPaths(text);
  if (paths.length === 0) return false;
  return paths.every((p) => {
    const last = p.split('/').pop() ?? '';
    const leaf = last === 'container' ? (p.split('/').slice(-2)[0] ?? '') : last;
    if (!leaf.includes(id)) return false;
    if (recorded.some((r) => recordedMatches(r, p))) return true;
    return containerOfCgroupPath(p)?.id === id;
  });
}

/**
 * Is the process in the container's cgroup or one below it (a container running systemd nests its
 * services), by the same exact shapes: each placed hierarchy starts with the container's own path.
 */
export function underContainerCgroup(text: string, id: string): boolean {
  const paths = cgroupPaths(text);
  if (paths.length === 0) return false;
  return paths.every((p) => {
    const parts = p.split('/');
    for (let n = parts.length; n > 1; n--) {
      if (containerOfCgroupPath(parts.slice(0, n).join('/'))?.id === id) return true;
    }
    return false;
  });
}

/**
 * Is `pid` still this container's process? It must exist, not be a zombie, have the start time the
 * runtime recorded (when known: a reused PID has another) and sit in the container's own cgroup.
 * A container that exited while the daemon was frozen fails here, so cx never enters a reused PID.
 */
export async function validatePid(
  pid: number | undefined,
  id: string,
  expectedStart: number | undefined,
  procRoot = '/proc',
  recordedCgroups: readonly string[] = [],
): Promise<PidCheck> {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return { ok: false, reason: 'no PID recorded' };
  const [stat, cgroup] = await Promise.all([readStat(pid, procRoot), readCgroup(pid, procRoot)]);
  if (!stat) return { ok: false, reason: `process ${pid} is gone` };
  if (stat.state === 'Z' || stat.state === 'X') return { ok: false, reason: `process ${pid} is a zombie (exited)` };
  if (expectedStart !== undefined && stat.startTime !== expectedStart) {
    return { ok: false, reason: `PID ${pid} was reused (start time ${stat.startTime}, runtime recorded ${expectedStart})` };
  }
  if (cgroup === undefined || !inContainerCgroup(cgroup, id, recordedCgroups)) {
    return { ok: false, reason: `process ${pid} is not in the container's cgroup` };
  }
  return { ok: true };
}
