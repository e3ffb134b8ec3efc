import { readdir, readFile } from '../../util/fs-async.js';
import { underContainerCgroup } from '../../host/proc.js';
import type { Container } from '../../discovery/types.js';
import type { DockerClient } from '../../engine/docker-client.js';
import { parseStat } from '../../host/proc.js';

/** One process of a container, as the host sees it. cmd is raw (untrusted). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  user: string;
  state: string;
  rssKiB: number | undefined;
  cmd: string;
}

export interface ProcessList {
  processes: ProcessInfo[];
  /** Where the list came from: the host's /proc, or the Engine API's top. */
  from: 'proc' | 'engine';
  note: string | undefined;
}

async function readProc(pid: string, id: string): Promise<ProcessInfo | undefined> {
  try {
    const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8');
    if (!underContainerCgroup(cgroup, id)) return undefined;
    const [stat, status, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`),
    ]);
    const parsed = parseStat(Number(pid), stat);
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '?';
    const rss = /^VmRSS:\s+(\d+)/m.exec(status)?.[1];
    const args = cmdline.toString('utf8').replace(/\0+$/, '').split('\0').join(' ');
    return {
      pid: Number(pid),
      ppid: parsed?.ppid ?? 0,
      user: uid,
      state: parsed?.state ?? '?',
      rssKiB: rss === undefined ? undefined : Number(rss),
      cmd: args === '' ? `[${parsed?.comm ?? ''}]` : args,
    };
  } catch {
    // The process ended while being read, or is not ours to read.
    return undefined;
  }
}

/** The container's processes from /proc: those in the container's cgroup (not any path naming its id). */
export async function procProcesses(id: string, procRoot = '/proc'): Promise<ProcessInfo[]> {
  const pids = (await readdir(procRoot)).filter((n) => /^\d+$/.test(n));
  const found = await Promise.all(pids.map((p) => readProc(p, id)));
  return found.filter((p): p is ProcessInfo => p !== undefined).sort((a, b) => a.pid - b.pid);
}

interface TopBody {
  Titles?: string[];
  Processes?: string[][];
}

/** From /proc first (works without the daemon); the Engine API's top when /proc shows nothing. */
export async function containerProcesses(client: DockerClient | undefined, c: Container): Promise<ProcessList> {
  const fromProc = await procProcesses(c.id).catch(() => []);
  if (fromProc.length > 0 || !client || c.runtime !== 'docker') {
    return { processes: fromProc, from: 'proc', note: fromProc.length === 0 ? 'no process of this container in /proc' : undefined };
  }
  try {
    const top = await client.json<TopBody>('GET', `/containers/${encodeURIComponent(c.id)}/top?ps_args=-ef`);
    const titles = top.Titles ?? [];
    const col = (name: string): number => titles.indexOf(name);
    const processes = (top.Processes ?? []).map((row) => ({
      pid: Number(row[col('PID')] ?? 0),
      ppid: Number(row[col('PPID')] ?? 0),
      user: row[col('UID')] ?? '?',
      state: '?',
      rssKiB: undefined,
      cmd: row[col('CMD')] ?? row[row.length - 1] ?? '',
    }));
    return { processes, from: 'engine', note: 'from the Engine API (not visible in this /proc)' };
  } catch (err) {
    return { processes: [], from: 'proc', note: `no process visible: ${err instanceof Error ? err.message : String(err)}` };
  }
}
