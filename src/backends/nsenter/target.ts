import { readText } from '../../host/read-text.js';
import { readBundleConfig, type OciConfig } from '../../host/bundle.js';
import { parseStat } from '../../host/proc.js';
import type { Container } from '../../discovery/types.js';
import { inContainerCgroup } from '../../host/proc.js';
import { NotRunningError } from '../../errors.js';
import { sanitize } from '../../util/sanitize.js';
import { CAP_SYS_ADMIN, capMask, hasCap, hexMask, parseStatus } from './caps.js';

/** The capability sets a process entering the container gets (runc applies them after setuid). */
export interface CapSets {
  bounding: bigint;
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  ambient: bigint;
}

/**
 * What cx knows about the container's init process, read from /proc and the runtime bundle. The
 * helper re-checks pid, start time and cgroup through handles that cannot be swapped under it.
 */
export interface Target {
  id: string;
  pid: number;
  /** /proc/<pid>/stat field 22: a reused PID has another one. */
  startTime: number;
  caps: CapSets;
  noNewPrivs: boolean;
  /** Seccomp mode of the init: 0 none, 1 strict, 2 filter. */
  seccomp: number;
  /** CAP_SYS_ADMIN without a seccomp filter: `docker run --privileged`, or as good as host root. */
  privileged: boolean;
  bundle: OciConfig | undefined;
}

/** Read the target facts; a missing or foreign process is a clear NotRunningError, never a guess. */
export async function readTarget(c: Container): Promise<Target> {
  const name = sanitize(c.name);
  const pid = c.pid;
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) {
    throw new NotRunningError(`container ${name} has no running process`, { hint: `start it first: docker start ${name}` });
  }
  const gone = (why: string): NotRunningError =>
    new NotRunningError(`container ${name}: ${why}`, { hint: 'it stopped or restarted; run the command again (see `cx ls`)' });
  let stat: string, status: string, cgroup: string;
  try {
    // Synchronous reads (host/read-text.ts): nothing to overlap them with, and each async one is
    // several trips through the thread pool.
    const read = (f: string): Promise<string> => readText(`/proc/${pid}/${f}`);
    [stat, status, cgroup] = await Promise.all([read('stat'), read('status'), read('cgroup')]);
  } catch {
    throw gone(`its process ${pid} is gone`);
  }
  const startTime = parseStartTime(stat);
  if (startTime === undefined) throw gone(`its process ${pid} has exited`);
  // A runtime record of the start time (runc state) beats what we read now: it catches a reuse
  // that happened before cx looked.
  const expected = c.oci?.pidStart;
  if (expected !== undefined && expected !== startTime) throw gone(`PID ${pid} now belongs to another process (start time differs)`);
  // The bundle discovery found for it (containerd's task dir, podman's), else the engines' usual places.
  const bundle = (await readBundleConfig(c.id, undefined, c.oci?.bundle))?.config;
  // The process must be IN the container's cgroup (the one its bundle records, else the engine's
  // exact path for the id), not in any cgroup whose name happens to contain the id.
  if (!inContainerCgroup(cgroup, c.id, bundle?.linux?.cgroupsPath ? [bundle.linux.cgroupsPath] : [])) {
    throw gone(`PID ${pid} is not in the container's cgroup (PID reused, or not a container process)`);
  }
  const st = parseStatus(status);
  const nspid = (st.get('NSpid') ?? '').split(/\s+/);
  if (nspid.length >= 2 && nspid[nspid.length - 1] !== '1') throw gone(`PID ${pid} is not the container's init process`);

  const own = capsFromStatus(st);
  // The bundle's sets are what an exec gets (moby copies spec.Process), but never beyond the init's
  // own bounding set: nothing in the container can hold a capability outside it.
  const caps = bundle?.process?.capabilities ? within(capsFromBundle(bundle.process.capabilities), own.bounding) : own;
  const seccomp = Number(st.get('Seccomp') ?? 0);
  return {
    id: c.id,
    pid,
    startTime,
    caps,
    noNewPrivs: bundle?.process?.noNewPrivileges ?? st.get('NoNewPrivs') === '1',
    seccomp,
    privileged: seccomp === 0 && hasCap(caps.bounding, CAP_SYS_ADMIN),
    bundle,
  };
}

/** Field 22 of /proc/<pid>/stat, for a process that is not a zombie. */
export function parseStartTime(stat: string): number | undefined {
  const parsed = parseStat(0, stat);
  if (!parsed || parsed.state === 'Z' || parsed.state === 'X') return undefined;
  return Number.isSafeInteger(parsed.startTime) && parsed.startTime > 0 ? parsed.startTime : undefined;
}

/** The exec process gets the container spec's capabilities (moby copies spec.Process for an exec). */
function capsFromBundle(c: Record<string, string[]>): CapSets {
  return {
    bounding: capMask(c['bounding']),
    effective: capMask(c['effective']),
    permitted: capMask(c['permitted']),
    inheritable: capMask(c['inheritable']),
    ambient: capMask(c['ambient']),
  };
}

/**
 * Without the bundle: the init's own sets, exactly. A non-root init holds no effective or permitted
 * capabilities, and the session gets none either: its bounding set is only a ceiling (an
 * unprivileged host process has the full one), never a grant.
 */
export function capsFromStatus(st: Map<string, string>): CapSets {
  const bounding = hexMask(st.get('CapBnd'));
  const permitted = hexMask(st.get('CapPrm')) & bounding;
  return {
    bounding,
    effective: hexMask(st.get('CapEff')) & permitted,
    permitted,
    inheritable: hexMask(st.get('CapInh')) & bounding,
    ambient: hexMask(st.get('CapAmb')) & permitted,
  };
}

function within(c: CapSets, bounding: bigint): CapSets {
  return {
    bounding: c.bounding & bounding,
    effective: c.effective & bounding,
    permitted: c.permitted & bounding,
    inheritable: c.inheritable & bounding,
    ambient: c.ambient & bounding,
  };
}

/**
 * One value per container and init PID for the life of a backend (a command reads the target and
 * the container's files several times: files, environment, the exec itself).
 */
export function perContainer<T>(make: (c: Container) => T): (c: Container) => T {
  const made = new Map<string, T>();
  return (c) => {
    const key = `${c.id}:${c.pid ?? ''}`;
    if (!made.has(key)) made.set(key, make(c));
    return made.get(key) as T;
  };
}

/** readTarget once per container and init PID. */
export function targetCache(): (c: Container) => Promise<Target> {
  return perContainer(readTarget);
}
