import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * What root's cx may believe. cx runs as root and acts on what it finds: a daemon's command line
 * decides which directories it reads, those directories' records decide which runc root, bundle and
 * PID it uses. Anything an unprivileged user can create (a process named dockerd, a directory, a
 * state file, a cgroup) must not steer it. The rules, in one place:
 *
 * - A daemon is trusted when its process runs as root (real and effective uid 0), its executable is a
 *   root-owned file no group or other may write, in directories that pass trustedDir, and it holds
 *   the listening socket itself (the socket's inode, from /proc/net/unix, is among its open fds).
 * - A directory is trusted when its real path (symlinks resolved) is root-owned and not writable by
 *   group or others, and so is every directory above it; an intermediate directory may be
 *   world-writable only with the sticky bit (like /tmp), where no one can rename root's entries.
 *   This is the rule runc applies to its own state (it refuses a root not owned by root).
 */

export type Verdict = { ok: true } | { ok: false; reason: string };

const WRITABLE_BY_OTHERS = 0o022;
const STICKY = 0o1000;

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

let instant: Map<string, unknown> | undefined;

/**
 * Run `fn` (synchronous) with the host checks made inside it memoized: for one batch of checks that
 * all happen at the same moment (the backends column of `cx ls`: a hundred containers share their
 * runtime root and most of their bundles' parent directories). Every check is still made, once per
 * batch instead of once per container; nothing asynchronous can run inside, and the memo ends with fn.
 */
export function sameInstant<T>(fn: () => T): T {
  if (instant) return fn();
  instant = new Map();
  try {
    return fn();
  } finally {
    instant = undefined;
  }
}

/** compute(), or its answer from earlier in the same sameInstant batch. */
export function instantMemo<T>(key: string, compute: () => T): T {
  if (!instant) return compute();
  if (instant.has(key)) return instant.get(key) as T;
  const v = compute();
  instant.set(key, v);
  return v;
}

/**
 * trustedDir, checked once per directory for one listing's many containers (they share their runtime
 * root): the same checks, made when the listing starts reading that root, as a single record read
 * makes them when it starts.
 */
export function oneCheckPerDir(): (dir: string) => Verdict {
  const seen = new Map<string, Verdict>();
  return (dir) => {
    let v = seen.get(dir);
    if (!v) seen.set(dir, (v = trustedDir(dir)));
    return v;
  };
}

/** Is `dir` (and every directory above it) under root's sole control? */
export function trustedDir(dir: string): Verdict {
  if (!path.isAbsolute(dir)) return { ok: false, reason: `${dir} is not an absolute path` };
  let real: string;
  try {
    real = instantMemo(`realpath:${dir}`, () => realpathSync.native(dir));
  } catch (err) {
    return { ok: false, reason: `${dir}: ${errCode(err)}` };
  }
  // From the top down (the first directory that fails is the one reported), each directory above
  // checked once per batch: a hundred bundles under one parent cost a lookup each, not a walk each.
  const up = real === '/' ? OK : aboveVerdict(path.dirname(real));
  return up.ok ? instantMemo(`dir:last:${real}`, () => dirVerdict(real, true)) : up;
}

const OK: Verdict = { ok: true };

/** `p` and every directory above it, as directories above the one checked (a sticky bit allowed). */
function aboveVerdict(p: string): Verdict {
  return instantMemo(`dir:above:${p}`, () => {
    const up = p === '/' ? OK : aboveVerdict(path.dirname(p));
    return up.ok ? dirVerdict(p, false) : up;
  });
}

/** One directory of trustedDir's walk (the last one may not rely on a sticky bit). */
function dirVerdict(p: string, last: boolean): Verdict {
  let st;
  try {
    st = lstatSync(p);
  } catch (err) {
    return { ok: false, reason: `${p}: ${errCode(err)}` };
  }
  if (!st.isDirectory()) return { ok: false, reason: `${p} is not a directory` };
  if (st.uid !== 0) return { ok: false, reason: `${p} is owned by uid ${st.uid}, not root` };
  if ((st.mode & WRITABLE_BY_OTHERS) !== 0 && (last || (st.mode & STICKY) === 0)) {
    return { ok: false, reason: `${p} is writable by group or others (mode ${(st.mode & 0o7777).toString(8)})` };
  }
  return { ok: true };
}

/** Is `file` a regular root-owned file no one else may write, in a trusted directory? */
export function trustedFile(file: string): Verdict {
  let real: string;
  let st;
  try {
    real = realpathSync.native(file);
    st = statSync(real);
  } catch (err) {
    return { ok: false, reason: `${file}: ${errCode(err)}` };
  }
  if (!st.isFile()) return { ok: false, reason: `${real} is not a regular file` };
  if (st.uid !== 0) return { ok: false, reason: `${real} is owned by uid ${st.uid}, not root` };
  if ((st.mode & WRITABLE_BY_OTHERS) !== 0) return { ok: false, reason: `${real} is writable by group or others` };
  return trustedDir(path.dirname(real));
}

/** Canonical socket path: /var/run is usually a symlink to /run, so compare by the real directory. */
export function canonicalSocket(p: string): string {
  try {
    return path.join(realpathSync(path.dirname(p)), path.basename(p));
  } catch {
    return path.normalize(p);
  }
}

/** Inodes of the unix sockets bound at `socketPath` (from /proc/net/unix: "... Inode Path"). */
export function socketInodes(socketPath: string, procRoot = '/proc'): Set<string> {
  const want = canonicalSocket(socketPath);
  const out = new Set<string>();
  let text: string;
  try {
    text = readFileSync(`${procRoot}/net/unix`, 'utf8');
  } catch {
    return out;
  }
  // A host has hundreds of bound sockets: only those with the wanted file name have their directory
  // resolved (a realpath each), not every line.
  const tail = `/${path.basename(want)}`;
  for (const line of text.split('\n').slice(1)) {
    if (!line.endsWith(tail)) continue;
    const f = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path
    if (f.length < 8 || !f[7]?.startsWith('/')) continue;
    if (canonicalSocket(f.slice(7).join(' ')) === want) out.add(f[6] ?? '');
  }
  out.delete('');
  return out;
}

/**
 * Is `pid` a root process running a root-owned binary that holds the socket at `socketPath`?
 * A process name is just a string anyone can choose; the socket can only be bound by whoever may
 * write its directory, and its inode can only be in the fd table of whoever bound or inherited it.
 */
export function trustedDaemonPid(pid: number, socketPath: string, procRoot = '/proc'): Verdict {
  const base = `${procRoot}/${pid}`;
  let status: string;
  try {
    status = readFileSync(`${base}/status`, 'utf8');
  } catch (err) {
    return { ok: false, reason: `process ${pid}: ${errCode(err)}` };
  }
  const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  if (!uids || uids[1] !== '0' || uids[2] !== '0') return { ok: false, reason: `process ${pid} does not run as root` };
  let exe: string;
  try {
    exe = readlinkSync(`${base}/exe`);
  } catch (err) {
    return { ok: false, reason: `process ${pid}: its executable cannot be read (${errCode(err)})` };
  }
  if (exe.endsWith(' (deleted)')) return { ok: false, reason: `process ${pid}: its executable ${exe} was deleted` };
  const bin = trustedFile(exe);
  if (!bin.ok) return { ok: false, reason: `process ${pid}: its executable is not trusted (${bin.reason})` };
  const inodes = socketInodes(socketPath, procRoot);
  if (inodes.size === 0) return { ok: false, reason: `no process listens on ${socketPath}` };
  let fds: string[];
  try {
    // Numerically: a daemon's listening sockets are among its first fds, and readdir's order
    // ("0", "1", "10", "100", ...) would read the links of hundreds of others first.
    fds = readdirSync(`${base}/fd`).sort((a, b) => Number(a) - Number(b));
  } catch (err) {
    return { ok: false, reason: `process ${pid}: its fds cannot be read (${errCode(err)})` };
  }
  for (const fd of fds) {
    let link: string;
    try {
      link = readlinkSync(`${base}/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m?.[1] && inodes.has(m[1])) return { ok: true };
  }
  return { ok: false, reason: `process ${pid} does not hold the socket ${socketPath}` };
}
