import { readFileSync } from 'node:fs';
import path from 'node:path';
import { listPids, readCmdline, readStat } from './proc.js';
import { readRootMemo, withLatest, writeRootMemo, type Note } from './root-memo.js';
import { canonicalSocket, trustedDaemonPid, trustedDir, trustedFile } from './trust.js';
import { readFile } from '../util/fs-async.js';

export const DEFAULT_DATA_ROOT = '/var/lib/docker';
export const DEFAULT_EXEC_ROOT = '/var/run/docker';
export const DEFAULT_DAEMON_JSON = '/etc/docker/daemon.json';
/** Where dockerd writes its PID by default (--pidfile): a hint for finding it, never trusted alone. */
export const DEFAULT_PIDFILE = '/var/run/docker.pid';
const DEFAULT_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];
/** Last roots seen per socket: lets cx find a dead daemon's state (tmpfs: gone at reboot, like the state). */
export const ROOTS_CACHE = '/run/cx/engines.json';
/** Engines (sockets) remembered: the most recently seen. */
export const ENGINES_KEPT = 16;

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
  usernsRemap: string | undefined;
}

/** The flags of a dockerd command line that say where it listens and keeps its state. */
export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  const out: DaemonArgs = { hosts: [], dataRoot: undefined, execRoot: undefined, configFile: undefined, usernsRemap: undefined };
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
    const remap = host || data || exec || conf ? undefined : take(['--userns-remap'], i);
    if (remap) out.usernsRemap = remap.value;
    if (host) out.hosts.push(host.value);
    if (data) out.dataRoot = data.value;
    if (exec) out.execRoot = exec.value;
    if (conf) out.configFile = conf.value;
    i += (host ?? data ?? exec ?? conf ?? remap)?.skip ?? 0;
  }
  return out;
}

interface DaemonJson {
  'data-root'?: string;
  graph?: string;
  'exec-root'?: string;
  hosts?: string[];
  'userns-remap'?: string;
}

/** A daemon.json, only when root alone can have written it (else: as if absent). */
function readDaemonJson(file: string, note: Note): DaemonJson {
  const t = trustedFile(file);
  if (!t.ok) {
    if (!/ENOENT/.test(t.reason)) note(`ignoring ${file}: ${t.reason}`);
    return {};
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DaemonJson;
  } catch {
    return {};
  }
}

async function canonical(p: string): Promise<string> {
  return Promise.resolve(canonicalSocket(p));
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

/**
 * The dockerd serving `socket`, and what it says about itself (cmdline, then its daemon.json). A
 * process named dockerd is only a candidate: it counts when it is trusted (root, root-owned binary)
 * and holds the socket itself. At most one process can pass (the one that bound or inherited it);
 * should several, the lowest PID (numerically) is taken so the answer never depends on readdir order.
 */
async function servingDaemon(
  procRoot: string,
  socket: string,
  note: Note,
  pidfile: string | undefined,
): Promise<{ pid: number; start: number; args: DaemonArgs; json: DaemonJson } | undefined> {
  // The default dockerd's pidfile names the likely candidate: checked exactly like any process
  // found by the scan (only a hint: a wrong or foreign PID fails the checks and the scan follows).
  const hinted = pidfile ? await pidFromFile(pidfile) : undefined;
  if (hinted !== undefined) {
    const found = await checkCandidate(await readStat(hinted, procRoot), procRoot, socket, note);
    if (found) return found;
  }
  const pids = (await listPids(procRoot)).filter((p) => p !== hinted).sort((a, b) => a - b);
  const stats = await Promise.all(pids.map((p) => readStat(p, procRoot)));
  for (const s of stats) {
    const found = await checkCandidate(s, procRoot, socket, note);
    if (found) return found;
  }
  return undefined;
}

/** A pid from a pidfile root alone can have written (else undefined). */
async function pidFromFile(file: string): Promise<number | undefined> {
  if (!trustedFile(file).ok) return undefined;
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The daemon behind `socket` when `s` is one: named dockerd, serving the socket, and trusted. */
async function checkCandidate(
  s: Awaited<ReturnType<typeof readStat>>,
  procRoot: string,
  socket: string,
  note: Note,
): Promise<{ pid: number; start: number; args: DaemonArgs; json: DaemonJson } | undefined> {
  if (s === undefined || s.comm !== 'dockerd' || s.state === 'Z') return undefined;
  const args = parseDaemonArgs(await readCmdline(s.pid, procRoot));
  const json = readDaemonJson(args.configFile ?? DEFAULT_DAEMON_JSON, note);
  const hosts = args.hosts.length ? args.hosts : (json.hosts ?? []);
  if (!(await servesSocket(hosts, socket))) return undefined;
  const trust = trustedDaemonPid(s.pid, socket, procRoot);
  if (!trust.ok) {
    note(`not trusting dockerd ${s.pid}: ${trust.reason}`);
    return undefined;
  }
  return { pid: s.pid, start: s.startTime, args, json };
}

/** Roots are used only when root alone controls both directories. */
function checkRoots(dataRoot: string, execRoot: string, note: Note, whose: string): boolean {
  for (const dir of [dataRoot, execRoot]) {
    const t = trustedDir(dir);
    if (!t.ok) {
      note(`not using ${whose} state dir ${dir}: ${t.reason}`);
      return false;
    }
  }
  return true;
}

/**
 * Find where the engine behind `socket` keeps its state: the dockerd serving it (its command line,
 * then its daemon.json), else what cx saw last time that daemon was up, else (default socket only)
 * /etc/docker/daemon.json and Docker's defaults. undefined when a non-default socket has no daemon
 * and was never seen: guessing would list another engine's containers.
 */
export async function locateDockerRoots(
  socket: string,
  opts: { procRoot?: string; cacheFile?: string; daemonJson?: string; note?: Note; pidfile?: string; fresh?: boolean } = {},
): Promise<DockerRoots | undefined> {
  const procRoot = opts.procRoot ?? '/proc';
  const cacheFile = opts.cacheFile ?? ROOTS_CACHE;
  const note = opts.note ?? ((): void => undefined);
  // What cx remembers of this socket, read once (root's cx only; see root-memo.ts).
  const memo = readRootMemo<Cache>(cacheFile, note);
  const key = canonicalSocket(socket);
  // `fresh` (cx doctor): every check made again, as when the daemon is seen for the first time.
  const seen = opts.fresh ? undefined : await checkedBefore(memo[key], procRoot, note);
  if (seen) return seen;
  // The pidfile hint only for the real /proc (a fixture tree has no such file of its own).
  const d = await servingDaemon(procRoot, socket, note, opts.pidfile ?? (procRoot === '/proc' ? DEFAULT_PIDFILE : undefined));
  if (d) {
    const fromArgs = d.args.dataRoot !== undefined || d.args.execRoot !== undefined;
    const roots: DockerRoots = {
      dataRoot: remappedDataRoot(
        absolute(d.args.dataRoot) ?? absolute(d.json['data-root'] ?? d.json.graph) ?? DEFAULT_DATA_ROOT,
        d.args.usernsRemap ?? d.json['userns-remap'],
      ),
      execRoot: absolute(d.args.execRoot) ?? absolute(d.json['exec-root']) ?? DEFAULT_EXEC_ROOT,
      pid: d.pid,
      how: `from dockerd ${d.pid}'s ${fromArgs ? 'command line' : 'configuration (daemon.json or defaults)'}`,
    };
    // The daemon is root's, but its dirs are still checked: a root dockerd started with a user's
    // --data-root would hand that user the records cx acts on.
    if (!checkRoots(roots.dataRoot, roots.execRoot, note, `dockerd ${d.pid}'s`)) return undefined;
    // Remembered with which process it is; merged into the file as it is now (another cx may have
    // written it since it was read above), and only when something changed.
    const entry: Cache[string] = {
      dataRoot: roots.dataRoot,
      execRoot: roots.execRoot,
      daemon: { pid: d.pid, start: d.start, how: roots.how },
    };
    if (JSON.stringify(memo[key]) !== JSON.stringify(entry)) {
      writeRootMemo(cacheFile, withLatest(readRootMemo<Cache>(cacheFile, note), key, entry, ENGINES_KEPT), note);
    }
    return roots;
  }
  const cached = memo[key];
  if (
    cached &&
    typeof cached.dataRoot === 'string' &&
    typeof cached.execRoot === 'string' &&
    checkRoots(cached.dataRoot, cached.execRoot, note, 'the remembered')
  ) {
    return {
      dataRoot: cached.dataRoot,
      execRoot: cached.execRoot,
      pid: undefined,
      how: `no dockerd serves ${socket}; last seen roots (${cacheFile})`,
    };
  }
  const defaults = await Promise.all(DEFAULT_SOCKETS.map(canonical));
  if (!defaults.includes(await canonical(socket))) return undefined;
  const json = readDaemonJson(opts.daemonJson ?? DEFAULT_DAEMON_JSON, note);
  const roots: DockerRoots = {
    dataRoot: remappedDataRoot(absolute(json['data-root'] ?? json.graph) ?? DEFAULT_DATA_ROOT, json['userns-remap']),
    execRoot: absolute(json['exec-root']) ?? DEFAULT_EXEC_ROOT,
    pid: undefined,
    how: 'no dockerd running: /etc/docker/daemon.json and the defaults',
  };
  return checkRoots(roots.dataRoot, roots.execRoot, note, 'the default') ? roots : undefined;
}

type Cache = Record<string, { dataRoot: string; execRoot: string; daemon?: { pid: number; start: number; how: string } }>;

/**
 * The roots of the daemon that passed every check when cx last looked, if that same process still
 * runs: the same PID with the same start time is the same process (a PID comes back only after the
 * whole PID space went round, never within the clock tick its first owner started in), and a
 * process's command line and the configuration it started with do not change, so neither do its
 * roots. What is made again: the process's identity (its stat) and the roots' directories. Saves the
 * daemon's checks (its binary, its fds against /proc/net/unix, its command line and daemon.json):
 * 3-5 ms of every command that reads the engine's files.
 */
async function checkedBefore(entry: Cache[string] | undefined, procRoot: string, note: Note): Promise<DockerRoots | undefined> {
  const d = entry?.daemon;
  if (!entry || !d || !Number.isSafeInteger(d.pid) || !Number.isSafeInteger(d.start) || typeof d.how !== 'string') return undefined;
  if (typeof entry.dataRoot !== 'string' || typeof entry.execRoot !== 'string') return undefined;
  const s = await readStat(d.pid, procRoot);
  if (!s || s.comm !== 'dockerd' || s.state === 'Z' || s.startTime !== d.start) return undefined;
  if (!checkRoots(entry.dataRoot, entry.execRoot, note, `dockerd ${d.pid}'s`)) return undefined;
  return { dataRoot: entry.dataRoot, execRoot: entry.execRoot, pid: d.pid, how: d.how };
}

/**
 * With --userns-remap, dockerd keeps all its state (containers, images, layers) under
 * <data-root>/<uid>.<gid>, the first subordinate ids of the remap user ("default" is dockremap; the
 * group defaults to the user) from /etc/subuid and /etc/subgid. Unknown ids: the data-root as given.
 */
export function remappedDataRoot(dataRoot: string, remap: string | undefined, etc = '/etc'): string {
  if (!remap) return dataRoot;
  const [user = '', group] = remap.split(':');
  const name = user === 'default' ? 'dockremap' : user;
  const uid = firstSubordinateId(path.join(etc, 'subuid'), name);
  const gid = firstSubordinateId(path.join(etc, 'subgid'), group ?? name);
  return uid !== undefined && gid !== undefined ? path.join(dataRoot, `${uid}.${gid}`) : dataRoot;
}

function firstSubordinateId(file: string, owner: string): number | undefined {
  if (!trustedFile(file).ok) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [who, start] = line.trim().split(':');
    if (who === owner && start !== undefined && /^\d{1,10}$/.test(start)) return Number(start);
  }
  return undefined;
}
