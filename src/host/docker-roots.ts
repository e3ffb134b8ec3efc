import { mkdir, readFile, realpath, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { listPids, readCmdline, readStat } from './proc.js';

export const DEFAULT_DATA_ROOT = '/var/lib/docker';
export const DEFAULT_EXEC_ROOT = '/var/run/docker';
export const DEFAULT_DAEMON_JSON = '/etc/docker/daemon.json';
const DEFAULT_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];
/** Last roots seen per socket: lets cx find a dead daemon's state (tmpfs: gone at reboot, like the state). */
export const ROOTS_CACHE = '/run/cx/engines.json';

/** Where one Docker engine keeps its state, and how cx learned it (for `cx doctor`). */
export interface DockerRoots {
  dataRoot: string;
  execRoot: string;
  /** The dockerd serving the socket, when one was found. */
  pid: number | undefined;
  how: string;
}

interface DaemonArgs {
  hosts: string[];
  dataRoot: string | undefined;
  execRoot: string | undefined;
  configFile: string | undefined;
}

/** The flags of a dockerd command line that say where it listens and keeps its state. */
export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  const out: DaemonArgs = { hosts: [], dataRoot: undefined, execRoot: undefined, configFile: undefined };
  const take = (names: string[], i: number): { value: string; skip: number } | undefined => {
    const arg = argv[i] ?? '';
    for (const n of names) {
      if (arg === n) return { value: argv[i + 1] ?? '', skip: 1 };
      if (arg.startsWith(`${n}=`)) return { value: arg.slice(n.length + 1), skip: 0 };
      if (n.length === 2 && arg.startsWith(n) && !arg.startsWith('--')) return { value: arg.slice(2), skip: 0 };
    }
    return undefined;
  };
  for (let i = 1; i < argv.length; i++) {
    const host = take(['-H', '--host'], i);
    const data = host ? undefined : take(['--data-root', '--graph', '-g'], i);
    const exec = host || data ? undefined : take(['--exec-root'], i);
    const conf = host || data || exec ? undefined : take(['--config-file'], i);
    if (host) out.hosts.push(host.value);
    if (data) out.dataRoot = data.value;
    if (exec) out.execRoot = exec.value;
    if (conf) out.configFile = conf.value;
    i += (host ?? data ?? exec ?? conf)?.skip ?? 0;
  }
  return out;
}

interface DaemonJson {
  'data-root'?: string;
  graph?: string;
  'exec-root'?: string;
  hosts?: string[];
}

async function readDaemonJson(file: string): Promise<DaemonJson> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DaemonJson;
  } catch {
    return {};
  }
}

async function canonical(p: string): Promise<string> {
  // /var/run is usually a symlink to /run: compare sockets by their real directory.
  try {
    return path.join(await realpath(path.dirname(p)), path.basename(p));
  } catch {
    return path.normalize(p);
  }
}

/** Does a daemon with these hosts listen on `socket`? No -H at all (or fd://) means the default socket. */
async function servesSocket(hosts: readonly string[], socket: string): Promise<boolean> {
  const want = await canonical(socket);
  const defaults = await Promise.all(DEFAULT_SOCKETS.map(canonical));
  const list = hosts.length === 0 ? ['fd://'] : hosts;
  for (const h of list) {
    if (h.startsWith('fd://') && defaults.includes(want)) return true;
    if (h.startsWith('unix://') && (await canonical(h.slice('unix://'.length))) === want) return true;
  }
  return false;
}

function absolute(p: string | undefined): string | undefined {
  return p !== undefined && path.isAbsolute(p) ? path.normalize(p) : undefined;
}

/** dockerd processes and what they say about themselves (cmdline, then their daemon.json). */
async function runningDaemons(procRoot: string): Promise<Array<{ pid: number; args: DaemonArgs; json: DaemonJson }>> {
  const pids = await listPids(procRoot);
  const stats = await Promise.all(pids.map((p) => readStat(p, procRoot)));
  const daemons = stats.filter((s) => s !== undefined && s.comm === 'dockerd' && s.state !== 'Z');
  return Promise.all(
    daemons.map(async (s) => {
      const args = parseDaemonArgs(await readCmdline(s!.pid, procRoot));
      return { pid: s!.pid, args, json: await readDaemonJson(args.configFile ?? DEFAULT_DAEMON_JSON) };
    }),
  );
}

/**
 * Find where the engine behind `socket` keeps its state: the dockerd serving it (its command line,
 * then its daemon.json), else what cx saw last time that daemon was up, else (default socket only)
 * /etc/docker/daemon.json and Docker's defaults. undefined when a non-default socket has no daemon
 * and was never seen: guessing would list another engine's containers.
 */
export async function locateDockerRoots(
  socket: string,
  opts: { procRoot?: string; cacheFile?: string; daemonJson?: string } = {},
): Promise<DockerRoots | undefined> {
  const procRoot = opts.procRoot ?? '/proc';
  const cacheFile = opts.cacheFile ?? ROOTS_CACHE;
  for (const d of await runningDaemons(procRoot)) {
    const hosts = d.args.hosts.length ? d.args.hosts : (d.json.hosts ?? []);
    if (!(await servesSocket(hosts, socket))) continue;
    const fromArgs = d.args.dataRoot !== undefined || d.args.execRoot !== undefined;
    const roots: DockerRoots = {
      dataRoot: absolute(d.args.dataRoot) ?? absolute(d.json['data-root'] ?? d.json.graph) ?? DEFAULT_DATA_ROOT,
      execRoot: absolute(d.args.execRoot) ?? absolute(d.json['exec-root']) ?? DEFAULT_EXEC_ROOT,
      pid: d.pid,
      how: `from dockerd ${d.pid}'s ${fromArgs ? 'command line' : 'configuration (daemon.json or defaults)'}`,
    };
    await remember(cacheFile, socket, roots);
    return roots;
  }
  const cached = (await readCache(cacheFile))[await canonical(socket)];
  if (cached) return { ...cached, pid: undefined, how: `no dockerd serves ${socket}; last seen roots (${cacheFile})` };
  const defaults = await Promise.all(DEFAULT_SOCKETS.map(canonical));
  if (!defaults.includes(await canonical(socket))) return undefined;
  const json = await readDaemonJson(opts.daemonJson ?? DEFAULT_DAEMON_JSON);
  return {
    dataRoot: absolute(json['data-root'] ?? json.graph) ?? DEFAULT_DATA_ROOT,
    execRoot: absolute(json['exec-root']) ?? DEFAULT_EXEC_ROOT,
    pid: undefined,
    how: 'no dockerd running: /etc/docker/daemon.json and the defaults',
  };
}

type Cache = Record<string, { dataRoot: string; execRoot: string }>;

async function readCache(file: string): Promise<Cache> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Cache) : {};
  } catch {
    return {};
  }
}

async function remember(file: string, socket: string, roots: DockerRoots): Promise<void> {
  try {
    const cache = await readCache(file);
    const key = await canonical(socket);
    const prev = cache[key];
    if (prev && prev.dataRoot === roots.dataRoot && prev.execRoot === roots.execRoot) return;
    cache[key] = { dataRoot: roots.dataRoot, execRoot: roots.execRoot };
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}`;
    await writeFile(tmp, JSON.stringify(cache), { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    // Best effort (non-root cx cannot write /run): the cache only helps when the daemon dies later.
  }
}
