import { execFileSync } from '../util/child.js';
import { randomHex, sha256, sha256Hex } from '../util/crypto.js';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from '../util/private-dir.js';
import { trustedDir, trustedFile } from './trust.js';

/** Where a debug session sees its toolbox (in its own mount namespace only). */
export const TOOLBOX_MOUNT = '/.cx';

/**
 * A toolbox for `cx debug`: host directories the nsenter helper mounts read-only at /.cx (several are
 * stacked as an overlay, the first on top), the PATH entries and the shell inside it, and what it is.
 */
export interface Toolbox {
  layers: string[];
  /** Absolute paths as the session sees them (under /.cx), appended to the container's PATH. */
  path: string[];
  /** The toolbox's shell as the session sees it, or undefined when it has none. */
  shell: string | undefined;
  description: string;
}

/** A problem with a toolbox source: one line saying what is wrong, and what to do. */
export class ToolboxError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const STRACE_CANDIDATES = ['/usr/bin/strace', '/bin/strace'];
/** Directories of the container's own toolbox search, relative to the toolbox root. */
const BIN_DIRS = ['bin', 'usr/bin', 'sbin', 'usr/sbin', 'usr/local/bin', ''];
const SHELLS = ['sh', 'ash', 'bash'];
/** cx's own cache of built toolboxes: root's, on tmpfs (rebuilt after a reboot). */
const CACHE_DIR = '/run/cx';

/** The ELF interpreter (PT_INTERP) of `file`: undefined for a static binary, null when not ELF. */
export function elfInterpreter(file: string): string | undefined | null {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(64);
    if (readSync(fd, head, 0, 64, 0) < 64 || head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return null;
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    const ph = Buffer.alloc(phentsize * phnum);
    readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      if (ph.readUInt32LE(o) !== 3) continue; // PT_INTERP
      const off = Number(ph.readBigUInt64LE(o + 8));
      const size = Number(ph.readBigUInt64LE(o + 32));
      const buf = Buffer.alloc(Math.min(size, 4096));
      readSync(fd, buf, 0, buf.length, off);
      return buf.toString('latin1').replace(/\0.*$/s, '');
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

interface HostTools {
  busybox: string | undefined;
  /** Why there is no usable busybox. */
  busyboxWhy: string;
  strace: string | undefined;
  straceInterp: string | undefined;
}

function findHostTools(): HostTools {
  let busybox: string | undefined;
  let busyboxWhy = 'no busybox on the host (apt-get install busybox-static)';
  for (const c of BUSYBOX_CANDIDATES) {
    if (!existsSync(c)) continue;
    const t = trustedFile(c);
    if (!t.ok) {
      busyboxWhy = `${c} is not trusted: ${t.reason}`;
      continue;
    }
    const interp = elfInterpreter(c);
    if (interp !== undefined) {
      busyboxWhy = `${c} is not a static binary (apt-get install busybox-static)`;
      continue;
    }
    busybox = c;
    break;
  }
  let strace: string | undefined;
  let straceInterp: string | undefined;
  for (const c of STRACE_CANDIDATES) {
    if (!existsSync(c) || !trustedFile(c).ok) continue;
    const interp = elfInterpreter(c);
    if (interp === null) continue;
    strace = c;
    straceInterp = interp;
    break;
  }
  return { busybox, busyboxWhy, strace, straceInterp };
}

/** What `cx debug` would use by default, without building anything (for `cx doctor`). */
export function describeDefaultToolbox(): { ok: boolean; detail: string } {
  const t = findHostTools();
  if (!t.busybox) return { ok: false, detail: `${t.busyboxWhy}; or give --toolbox DIR / --image REF` };
  const strace = !t.strace
    ? 'no strace on the host'
    : t.straceInterp
      ? `${t.strace} (dynamic: copied with its libraries and loader)`
      : `${t.strace} (static)`;
  return { ok: true, detail: `${t.busybox} (static busybox, its applets on PATH at ${TOOLBOX_MOUNT}/bin) + ${strace}` };
}

/** The shared libraries `ldd` names for a trusted host binary (absolute paths only). */
function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' }, timeout: 10_000 });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

/**
 * The default toolbox, built once per host binary version into root's private cache: the static
 * busybox with a link per applet, and strace (a dynamic one with its libraries and loader, started
 * through the loader so the container's own libc is never used).
 */
export function defaultToolbox(): Toolbox {
  const t = findHostTools();
  if (!t.busybox)
    throw new ToolboxError(
      `cx debug has no toolbox: ${t.busyboxWhy}`,
      'install busybox-static, or give --toolbox DIR (static binaries) or --image REF',
    );
  const key = sha256();
  for (const f of [t.busybox, t.strace]) {
    if (!f) continue;
    const st = statSync(f);
    key.update(`${f} ${st.ino} ${st.size} ${st.mtimeMs}\n`);
  }
  ensurePrivateDir(CACHE_DIR);
  const dir = path.join(CACHE_DIR, `toolbox-${key.digest('hex').slice(0, 16)}`);
  const strace = t.strace ? ` + strace${t.straceInterp ? ' (with its libraries)' : ''}` : '';
  const toolbox: Toolbox = {
    layers: [dir],
    path: [`${TOOLBOX_MOUNT}/bin`],
    shell: `${TOOLBOX_MOUNT}/bin/sh`,
    description: `busybox from ${t.busybox}${strace}`,
  };
  if (existsSync(path.join(dir, '.complete'))) return toolbox;
  const tmp = path.join(CACHE_DIR, `.toolbox-${randomHex(6)}`);
  try {
    mkdirSync(path.join(tmp, 'bin'), { recursive: true, mode: 0o755 });
    // Whatever root's umask: the session may run as any user of the container.
    chmodSync(tmp, 0o755);
    chmodSync(path.join(tmp, 'bin'), 0o755);
    copyFileSync(t.busybox, path.join(tmp, 'bin/busybox'));
    chmodSync(path.join(tmp, 'bin/busybox'), 0o755);
    const applets = execFileSync(t.busybox, ['--list'], { encoding: 'utf8', env: {}, timeout: 10_000 }).split('\n');
    for (const a of applets) {
      if (/^[A-Za-z0-9_.[-]+$/.test(a) && a !== 'busybox' && a !== '.' && a !== '..') symlinkSync('busybox', path.join(tmp, 'bin', a));
    }
    if (t.strace) addStrace(tmp, t.strace, t.straceInterp);
    writeFileSync(path.join(tmp, '.complete'), '');
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another cx built the same toolbox meanwhile: use that one.
      if (!existsSync(path.join(dir, '.complete'))) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return toolbox;
}

function addStrace(dir: string, strace: string, interp: string | undefined): void {
  rmSync(path.join(dir, 'bin/strace'), { force: true });
  if (!interp) {
    copyFileSync(strace, path.join(dir, 'bin/strace'));
    chmodSync(path.join(dir, 'bin/strace'), 0o755);
    return;
  }
  mkdirSync(path.join(dir, 'lib'), { mode: 0o755 });
  chmodSync(path.join(dir, 'lib'), 0o755);
  for (const lib of [interp, ...sharedLibraries(strace)]) {
    if (!trustedFile(lib).ok) continue;
    copyFileSync(lib, path.join(dir, 'lib', path.basename(lib)));
    chmodSync(path.join(dir, 'lib', path.basename(lib)), 0o755);
  }
  copyFileSync(strace, path.join(dir, 'lib/strace'));
  chmodSync(path.join(dir, 'lib/strace'), 0o755);
  const loader = `${TOOLBOX_MOUNT}/lib/${path.basename(interp)}`;
  chmodSync(path.join(dir, 'lib', path.basename(interp)), 0o755);
  writeFileSync(
    path.join(dir, 'bin/strace'),
    `#!${TOOLBOX_MOUNT}/bin/sh\nexec ${loader} --library-path ${TOOLBOX_MOUNT}/lib ${TOOLBOX_MOUNT}/lib/strace "$@"\n`,
    { mode: 0o755 },
  );
}

/** The PATH entries and shell of a toolbox whose top layer is `top` (as the session will see them). */
function layout(layers: string[]): { path: string[]; shell: string | undefined } {
  const exists = (rel: string): boolean =>
    layers.some((l) => {
      try {
        lstatSync(path.join(l, rel));
        return true;
      } catch {
        return false;
      }
    });
  const dirs = BIN_DIRS.filter((d) => exists(d === '' ? '.' : d));
  const toPath = (d: string): string => (d === '' ? TOOLBOX_MOUNT : `${TOOLBOX_MOUNT}/${d}`);
  let shell: string | undefined;
  for (const d of dirs) for (const s of SHELLS) if (shell === undefined && exists(path.join(d, s))) shell = `${toPath(d)}/${s}`;
  return { path: dirs.map(toPath), shell };
}

/** `--toolbox DIR`: any directory of (static) programs, root's alone (it is run as root). */
export function directoryToolbox(dir: string): Toolbox {
  const abs = path.resolve(dir);
  if (abs.includes(':') || abs.includes(','))
    throw new ToolboxError(`invalid --toolbox '${dir}': the path may not contain ':' or ','`, 'move or link it elsewhere');
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new ToolboxError(`--toolbox ${dir}: no such directory`, 'give a directory of static binaries');
  }
  if (!st.isDirectory()) throw new ToolboxError(`--toolbox ${dir}: not a directory`, 'give a directory of static binaries');
  const trust = trustedDir(abs);
  if (!trust.ok)
    throw new ToolboxError(
      `--toolbox ${dir} is not root's alone: ${trust.reason}`,
      'its programs run with root privileges in the container: keep them in a root-owned directory',
    );
  const l = layout([abs]);
  return { layers: [abs], ...l, description: `directory ${abs}` };
}

/** `--image REF`: the root filesystem of a local image, its layers stacked read-only. */
export function imageToolbox(ref: string, dataRoot: string): Toolbox {
  const image = imageLayers(ref, dataRoot);
  const l = layout(image.layers);
  return {
    layers: image.layers,
    ...l,
    description: `image ${image.name} (${image.layers.length} layer${image.layers.length === 1 ? '' : 's'}, from ${dataRoot})`,
  };
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

/**
 * The overlay2 diff directories of a local image, the top layer first, read from the engine's
 * on-disk storage (so it works with the daemon frozen or dead): repositories.json maps the name to
 * the image ID, the image config lists its layers' diff IDs, their chain IDs name the layer records,
 * whose cache-id is the overlay2 directory. Every directory is checked to be root's alone.
 */
export function imageLayers(ref: string, dataRoot: string): { name: string; layers: string[] } {
  const imageDir = path.join(dataRoot, 'image/overlay2');
  const trust = trustedDir(imageDir);
  if (!trust.ok)
    throw new ToolboxError(`cannot read local images: ${trust.reason}`, 'cx reads images from an overlay2 engine owned by root');
  const id = resolveImage(ref, imageDir);
  const configFile = path.join(imageDir, 'imagedb/content/sha256', id);
  const config = readJson(configFile) as { rootfs?: { diff_ids?: unknown } };
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length === 0 || !diffIds.every((d) => typeof d === 'string' && /^sha256:[0-9a-f]{64}$/.test(d))) {
    throw new ToolboxError(`image ${ref} has no readable layer list`, 'pull or build it again');
  }
  const layers: string[] = [];
  let chain = '';
  for (const diff of diffIds as string[]) {
    chain = chain === '' ? diff : `sha256:${sha256Hex(`${chain} ${diff}`)}`;
    const rec = path.join(imageDir, 'layerdb/sha256', chain.slice(7));
    let cache: string;
    try {
      cache = readFileSync(path.join(rec, 'cache-id'), 'utf8').trim();
    } catch {
      throw new ToolboxError(`image ${ref}: layer ${chain.slice(7, 19)} is missing from ${imageDir}`, 'pull the image again');
    }
    if (!/^[0-9a-f]{64}$/.test(cache))
      throw new ToolboxError(`image ${ref}: layer ${chain.slice(7, 19)} has an invalid cache id`, 'pull the image again');
    const diffDir = path.join(dataRoot, 'overlay2', cache, 'diff');
    const ok = trustedDir(diffDir);
    if (!ok.ok)
      throw new ToolboxError(`image ${ref}: layer directory not trusted: ${ok.reason}`, 'cx reads only root-owned engine storage');
    layers.unshift(diffDir);
  }
  return { name: ref, layers };
}

function resolveImage(ref: string, imageDir: string): string {
  const hex = /^(?:sha256:)?([0-9a-f]{12,64})$/.exec(ref)?.[1];
  const content = path.join(imageDir, 'imagedb/content/sha256');
  if (hex) {
    if (hex.length === 64 && existsSync(path.join(content, hex))) return hex;
  }
  let repos: Record<string, Record<string, string>> = {};
  try {
    repos = (readJson(path.join(imageDir, 'repositories.json')) as { Repositories?: typeof repos }).Repositories ?? {};
  } catch {
    // no named images yet
  }
  const named = ref.includes(':') && !ref.endsWith(']') && !/:[^/]*\//.test(ref.slice(ref.lastIndexOf(':'))) ? ref : `${ref}:latest`;
  for (const tags of Object.values(repos)) {
    const id = tags[named] ?? tags[`docker.io/library/${named}`] ?? tags[`docker.io/${named}`];
    if (id && /^sha256:[0-9a-f]{64}$/.test(id)) return id.slice(7);
  }
  if (hex && hex.length < 64) {
    const all = new Set<string>();
    for (const tags of Object.values(repos)) for (const id of Object.values(tags)) if (id.startsWith(`sha256:${hex}`)) all.add(id.slice(7));
    if (all.size === 1) return [...all][0] as string;
  }
  throw new ToolboxError(`no local image ${ref}`, 'pull it first (docker pull), or list them with docker images');
}
