import { listPids, readCgroup, readStat } from '../host/proc.js';
import { bareContainer, type Container, type ContainerRuntime } from './types.js';

const ID = '([0-9a-f]{64})';
/** cgroup path shapes that name a container (engine-facts §4), with the runtime they imply. */
const SHAPES: Array<[RegExp, ContainerRuntime]> = [
  [new RegExp(`/docker[/-]${ID}(?:\\.scope)?(?:/|$)`), 'docker'],
  [new RegExp(`/libpod-${ID}(?:\\.scope)?(?:/|$)`), 'podman'],
  [new RegExp(`/cri-containerd-${ID}\\.scope(?:/|$)`), 'containerd'],
  [new RegExp(`/kubepods[^\\n]*/pod[0-9a-f_-]+/${ID}(?:/|$)`), 'containerd'],
];

/** Which container (if any) a /proc/<pid>/cgroup text puts the process in. */
export function containerOfCgroup(text: string): { id: string; runtime: ContainerRuntime } | undefined {
  for (const line of text.split('\n')) {
    const p = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    for (const [re, runtime] of SHAPES) {
      const m = re.exec(p);
      if (m?.[1]) return { id: m[1], runtime };
    }
  }
  return undefined;
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
