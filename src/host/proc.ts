import { readdir } from 'node:fs/promises';
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

/**
 * Is `pid` still this container's process? It must exist, not be a zombie, have the start time the
 * runtime recorded (when known: a reused PID has another) and sit in a cgroup naming the id.
 * A container that exited while the daemon was frozen fails here, so cx never enters a reused PID.
 */
export async function validatePid(
  pid: number | undefined,
  id: string,
  expectedStart: number | undefined,
  procRoot = '/proc',
): Promise<PidCheck> {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return { ok: false, reason: 'no PID recorded' };
  const [stat, cgroup] = await Promise.all([readStat(pid, procRoot), readCgroup(pid, procRoot)]);
  if (!stat) return { ok: false, reason: `process ${pid} is gone` };
  if (stat.state === 'Z' || stat.state === 'X') return { ok: false, reason: `process ${pid} is a zombie (exited)` };
  if (expectedStart !== undefined && stat.startTime !== expectedStart) {
    return { ok: false, reason: `PID ${pid} was reused (start time ${stat.startTime}, runtime recorded ${expectedStart})` };
  }
  if (cgroup === undefined || !cgroup.includes(id)) {
    return { ok: false, reason: `process ${pid} is not in the container's cgroup` };
  }
  return { ok: true };
}
