import { cgroupPaths, containerOfCgroupPath, inContainerCgroup, listPids, readCgroup, readStat } from '../host/proc.js';
import { bareContainer, type Container, type ContainerRuntime } from './types.js';

/** Which container (if any) a /proc/<pid>/cgroup text puts the process in: every placed hierarchy must agree. */
export function containerOfCgroup(text: string): { id: string; runtime: ContainerRuntime } | undefined {
  const paths = cgroupPaths(text);
  const first = paths[0] === undefined ? undefined : containerOfCgroupPath(paths[0]);
  if (!first) return undefined;
  return inContainerCgroup(text, first.id) ? first : undefined;
}

/**
 * The last resort: containers recognised only by their processes' cgroup paths. One record per id,
 * with the oldest process as its PID (the init). No name, image or config: just enough to enter.
 */
export async function scanProc(procRoot = '/proc'): Promise<Container[]> {
  const pids = await listPids(procRoot);
  const found = new Map<string, { pid: number; start: number; runtime: ContainerRuntime }>();
  await Promise.all(
    pids.map(async (pid) => {
      const cg = await readCgroup(pid, procRoot);
      const hit = cg === undefined ? undefined : containerOfCgroup(cg);
      if (!hit) return;
      const st = await readStat(pid, procRoot);
      if (!st || st.state === 'Z' || st.state === 'X') return;
      const prev = found.get(hit.id);
      if (!prev || st.startTime < prev.start || (st.startTime === prev.start && pid < prev.pid)) {
        found.set(hit.id, { pid, start: st.startTime, runtime: hit.runtime });
      }
    }),
  );
  return [...found].map(([id, p]) => bareContainer(id, 'proc', { pid: p.pid, runtime: p.runtime }));
}
