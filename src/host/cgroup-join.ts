import { close, constants, openSync, readFileSync, write } from 'node:fs';

/** Where the cgroup filesystems are mounted: cgroup2 and the v1 hierarchies, by controller or name=. */
export interface CgroupMounts {
  v2?: string;
  /** v1 mount points by each of their controllers (and "name=systemd"-style names). */
  v1: Map<string, string>;
}

let mounts: CgroupMounts | undefined;

/**
 * The cgroup mounts of cx's mount namespace, from mountinfo (read once per run, synchronously: the
 * join warm-up below must be under way before cx next yields to the event loop).
 */
export function cgroupMounts(): CgroupMounts {
  if (mounts) return mounts;
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    // no mountinfo: no cgroup mounts known
  }
  const out: CgroupMounts = { v1: new Map() };
  for (const line of text.split('\n')) {
    const [left = '', right = ''] = line.split(' - ');
    const f = left.split(' ');
    const [fstype = '', , superopts = ''] = right.split(' ');
    if (f[3] !== '/') continue;
    const point = (f[4] ?? '').replace(/\\040/g, ' ');
    if (fstype === 'cgroup2') out.v2 ??= point;
    else if (fstype === 'cgroup') for (const o of superopts.split(',')) if (!out.v1.has(o)) out.v1.set(o, point);
  }
  return (mounts = out);
}

/**
 * Make the next cgroup join fast (nsenter's helper and runc join the container's cgroups).
 *
 * Writing a PID to any cgroup.procs takes the kernel's one global cgroup_threadgroup_rwsem for
 * writing, and that waits for an RCU grace period unless a write ended within about one grace period
 * before it: measured on this machine kind, a join costs 7.8 ms (10-14 ms on others) after a quiet
 * moment and 0.2 ms within ~15 ms of the previous one (bench/RESULTS.md, the targets notes). So cx
 * writes its own PID to the cgroup it is already in (a migration to where it is: nothing changes)
 * as soon as it knows a join is coming, in the background, and the helper's join finds the grace
 * period already passed. Root only (the join itself needs root); any failure only means the join
 * waits as it would have. The paths are the kernel's (mountinfo and /proc/self/cgroup, cx's own).
 */
export function warmCgroupJoin(): void {
  if (process.getuid?.() !== 0) return;
  const file = ownProcsFile(cgroupMounts());
  if (!file) return;
  // Opened here, written in the thread pool: the write (the part that waits) is queued at once, not
  // when cx next yields to the event loop (its resolution is synchronous reads: that would be late).
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch {
    return;
  }
  write(fd, String(process.pid), () => close(fd, () => undefined));
}

/** cgroup.procs of the cgroup cx itself is in, in cgroup2 if mounted, else in any v1 hierarchy. */
function ownProcsFile(m: CgroupMounts): string | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/cgroup', 'latin1');
  } catch {
    return undefined;
  }
  const dirs = cgroupDirs(text, m);
  const dir = dirs.v2 ?? dirs.v1.values().next().value;
  return dir === undefined ? undefined : `${dir}/cgroup.procs`;
}

/**
 * Where the cgroups a /proc/PID/cgroup text names are, under this namespace's mounts: the cgroup2 one,
 * and the v1 ones by controller (in the order the text lists them). The text is the kernel's; a path
 * with ".." in it is skipped all the same.
 */
export function cgroupDirs(text: string, m: CgroupMounts): { v2?: string; v1: Map<string, string> } {
  const out: { v2?: string; v1: Map<string, string> } = { v1: new Map() };
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(\/.*)$/.exec(line);
    if (!match || (match[2] ?? '').split('/').includes('..')) continue;
    const rel = match[2] === '/' ? '' : (match[2] ?? '');
    if (match[1] === '') {
      if (m.v2) out.v2 ??= `${m.v2}${rel}`;
      continue;
    }
    for (const c of (match[1] ?? '').split(',')) {
      const point = m.v1.get(c);
      if (point && !out.v1.has(c)) out.v1.set(c, `${point}${rel}`);
    }
  }
  return out;
}
