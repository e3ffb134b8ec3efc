import { readFile } from 'node:fs/promises';

/** A container's pids cgroup: how many tasks it holds and may hold. */
export interface PidsUsage {
  current: number;
  max: number;
}

/** Where the cgroup filesystems are mounted, from mountinfo: cgroup2 and the v1 "pids" hierarchy. */
async function cgroupMounts(): Promise<{ v2?: string; pids?: string }> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const out: { v2?: string; pids?: string } = {};
  for (const line of text.split('\n')) {
    const [left = '', right = ''] = line.split(' - ');
    const f = left.split(' ');
    const [fstype = '', , superopts = ''] = right.split(' ');
    if (f[3] !== '/') continue;
    const point = (f[4] ?? '').replace(/\\040/g, ' ');
    if (fstype === 'cgroup2') out.v2 ??= point;
    else if (fstype === 'cgroup' && superopts.split(',').includes('pids')) out.pids ??= point;
  }
  return out;
}

/**
 * The pids cgroup of a process (a container's init) and its use, or undefined when there is no limit
 * or it cannot be read. Only read, and only below the host's own cgroup mount: the path comes from
 * /proc/PID/cgroup, a kernel record, and one with ".." in it is refused anyway.
 */
export async function pidsUsage(pid: number): Promise<PidsUsage | undefined> {
  const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  const mounts = await cgroupMounts();
  let dir: string | undefined;
  for (const line of cgroup.split('\n')) {
    const m = /^\d+:([^:]*):(\/.*)$/.exec(line);
    if (!m || (m[2] ?? '').split('/').includes('..')) continue;
    const path = m[2] === '/' ? '' : (m[2] ?? '');
    if (m[1] !== '' && m[1]?.split(',').includes('pids') && mounts.pids) dir = `${mounts.pids}${path}`;
    else if (m[1] === '' && mounts.v2 && dir === undefined) dir = `${mounts.v2}${path}`;
  }
  if (!dir) return undefined;
  const [max, current] = await Promise.all([
    readFile(`${dir}/pids.max`, 'utf8').catch(() => ''),
    readFile(`${dir}/pids.current`, 'utf8').catch(() => ''),
  ]);
  if (!/^\d+\s*$/.test(max) || !/^\d+\s*$/.test(current)) return undefined;
  return { current: Number(current), max: Number(max) };
}

/** The one wording of a full pids cgroup, for every backend. */
export function pidsFullText(name: string, use: PidsUsage): string {
  return `${name} is at its pids limit (${use.current} of ${use.max} processes)`;
}
