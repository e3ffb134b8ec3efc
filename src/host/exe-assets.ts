import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cacheRoot, ensureCacheRoot } from '../util/cache-root.js';
import { ensurePrivateDir } from '../util/private-dir.js';
import { writeWhole } from '../util/write-whole.js';

/**
 * Files the single-file executable (dist/cx-linux-x64) carries besides its JavaScript: the nsenter
 * helper and node-pty's addon. They must be real files to be run or dlopen'ed, so on first use they
 * are written to a private cache directory and run from there; the npm package never gets here.
 */
export type AssetName = 'cx-nsenter' | 'pty.node';

// Replaced by `true` when scripts/build-exe.mjs bundles the executable; undefined everywhere else.
declare const __CX_EXECUTABLE__: boolean | undefined;

export function inExecutable(): boolean {
  return typeof __CX_EXECUTABLE__ !== 'undefined' && __CX_EXECUTABLE__;
}

const placed = new Map<AssetName, string>();
let cacheDir: string | undefined;

/**
 * The path of an embedded asset, written to the cache if missing and checked against the embedded
 * bytes (all of them, compared: no hash to compute) the first time this process uses it: a file that
 * differs (tampered, truncated, left by another build) is replaced atomically. Throws with a one-line
 * reason when the cache directory is not safe to use.
 */
export function embeddedAssetPath(name: AssetName): string {
  const known = placed.get(name);
  if (known) return known;
  const bytes = asset(name);
  const dir = ensureCacheDir();
  const file = path.join(dir, name);
  if (!matches(file, bytes)) writeWhole(file, [bytes], 0o700);
  placed.set(name, file);
  return file;
}

/**
 * The cache directory, without creating it: /run/cx/<version>-<id> for root, where the build wrote
 * the id, a hash of the files carried (so two builds never share a directory).
 */
function assetCacheDir(): string {
  return path.join(cacheRoot(), `${embeddedVersion()}-${typeof __CX_ASSETS_ID__ !== 'undefined' ? __CX_ASSETS_ID__ : 'dev'}`);
}
declare const __CX_ASSETS_ID__: string | undefined;

function ensureCacheDir(): string {
  if (cacheDir) return cacheDir;
  const dir = assetCacheDir();
  try {
    ensureCacheRoot();
    ensurePrivateDir(dir);
  } catch (err) {
    throw new Error(`cannot use the cache for cx's embedded files: ${(err as Error).message}`);
  }
  cacheDir = dir;
  return dir;
}

function embeddedVersion(): string {
  return typeof __CX_VERSION__ !== 'undefined' ? __CX_VERSION__ : 'dev';
}
declare const __CX_VERSION__: string | undefined;

function asset(name: AssetName): Uint8Array {
  // node:sea only where it is used: the npm package (which never gets here) does not load it.
  const raw = process.getBuiltinModule('node:sea').getRawAsset(name);
  return typeof raw === 'string' ? Buffer.from(raw) : new Uint8Array(raw);
}

/** Whether `file` is a regular file we own, writable only by us, whose content is `want`. */
function matches(file: string, want: Uint8Array): boolean {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0 || st.size !== want.length) return false;
    return readFileSync(fd).equals(want);
  } finally {
    closeSync(fd);
  }
}
