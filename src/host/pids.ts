import { readText } from './read-text.js';
import { cgroupDirs, cgroupMounts } from './cgroup-join.js';

/** A container's pids cgroup: how many tasks it holds and may hold. */
export interface PidsUsage {
  current: number;
  max: number;
}

/**
 * The pids cgroup of a process (a container's init) and its use, or undefined when there is no limit
 * or it cannot be read. Only read, and only below the host's own cgroup mount: the path comes from
 * /proc/PID/cgroup, a kernel record, and one with ".." in it is refused anyway.
 */
export async function pidsUsage(pid: number): Promise<PidsUsage | undefined> {
  const cgroup = await readText(`/proc/${pid}/cgroup`).catch(() => '');
  const dirs = cgroupDirs(cgroup, cgroupMounts());
  const dir = dirs.v1.get('pids') ?? dirs.v2;
  if (!dir) return undefined;
  const [max, current] = await Promise.all([readText(`${dir}/pids.max`).catch(() => ''), readText(`${dir}/pids.current`).catch(() => '')]);
  if (!/^\d+\s*$/.test(max) || !/^\d+\s*$/.test(current)) return undefined;
  return { current: Number(current), max: Number(max) };
}

/** The one wording of a full pids cgroup, for every backend. */
export function pidsFullText(name: string, use: PidsUsage): string {
  return `${name} is at its pids limit (${use.current} of ${use.max} processes)`;
}
