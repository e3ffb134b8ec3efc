import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { cacheRoot, ensureCacheRoot } from '../util/cache-root.js';
import { checksum, checksumMemory, checksumOf } from '../util/checksum.js';
import type { CodeCacheBoot } from '../util/code-cache.js';
import { ensurePrivateDir, privateDirProblem } from '../util/private-dir.js';
import { writeWhole } from '../util/write-whole.js';
import { takeHostArgs } from '../remote/target.js';
import { optionArgs, version } from './version.js';

/**
 * What `cx` runs first (dist/bundle/cx.cjs, and the executable's main script): it picks cx's bundle
 * for the command line (cx-ui.cjs, everything, when it may open the TUI; cx-cli.cjs, everything but
 * the TUI, otherwise), compiles it with a V8 code cache and runs it.
 *
 * Why: compiling is most of what a short command costs after Node's own start-up. Node's caches
 * (the executable's code cache, NODE_COMPILE_CACHE on Node 22+) hold only what V8 compiles before
 * running anything, which is little: nearly every function is compiled lazily on its first call, on
 * every run. A cache taken when a run ends holds every function that run compiled, so the next run of
 * the same path compiles next to nothing (`cx exec --backend nsenter`, interleaved: 123 -> 98 ms on
 * Node 20, the executable 110 -> 88 ms).
 *
 * How: the cache lives in cx's private cache directory (cacheRoot(): /run/cx for root), in code/, one
 * file per bundle build (so the TUI's, with Ink and React, is apart from the one-liners'), Node
 * version, architecture and command (V8 deserializes a cache whole: each command's holds only what
 * that command runs). The bundle reports the paths it takes (noteCodePath: a command, a
 * backend); a run that ends with exit code 0, within WRITE_WITHIN_S of its start, after taking a path
 * the cache has not seen, writes a new cache (the TUI, whose runs are long, writes it once its list
 * is painted): V8 then holds what it read from the old one plus what it compiled since, so the cache
 * grows to cover the paths in use and is rewritten a handful of times per build. A cache is code: it
 * is read only from a directory and a file that are this user's alone (as the executable's helper
 * is), only whole (a checksum in its header, src/util/checksum.ts), and anything wrong with it
 * (missing, unsafe, damaged, from another V8: V8 checks its version and flags) means compiling as
 * usual, never an error. `cx --debug` says which bundle ran and what became of its cache.
 */

// Set by scripts/bundle-config.mjs: each bundle's file (and asset) name and content hash (its cache's
// name), and the line a bundle is wrapped in, the same here as where the executable's build compiles
// its first caches (asset <bundle>.cache).
declare const __CX_BUNDLES__: Record<'cli' | 'ui', { file: string; id: string }>;
declare const __CX_WRAP_HEAD__: string;
declare const __CX_EXECUTABLE__: boolean | undefined;
const MAGIC = 'cx code cache 2\n';
/** A run past this has likely had V8 drop the bytecode of its start-up (bytecode flushing): not written. */
const WRITE_WITHIN_S = 10;
/** Caches of other builds (upgrades, an executable beside the npm package) kept before the oldest go. */
const KEEP = 8;

interface Cached {
  paths: Set<string>;
  data: Buffer;
}

function boot(): void {
  const argv = process.argv.slice(2);
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    // Answered before the bundle is even read: the floor of every cx command. Written to fd 1
    // directly: process.stdout would load Node's stream modules for one line (~2 ms).
    try {
      writeSync(1, `cx ${version()}\n`);
    } catch {
      process.exitCode = 1; // no stdout (closed, a closed pipe): nothing to tell, nothing to do
    }
    return;
  }
  const command = commandWord(argv);
  const bundle = __CX_BUNDLES__[command.tui ? 'ui' : 'cli'];
  const executable = typeof __CX_EXECUTABLE__ !== 'undefined' && __CX_EXECUTABLE__;
  const sea = executable ? process.getBuiltinModule('node:sea') : undefined;
  const filename = executable ? process.execPath : path.join(__dirname, bundle.file);
  const source = sea ? sea.getAsset(bundle.file, 'utf8') : readFileSync(filename, 'utf8');
  const dir = path.join(cacheRoot(), 'code');
  // One cache per command: V8 reads a cache whole, so each command's holds only its own code
  // (`cx exec`'s 0.35 MB instead of 0.57 MB for every command seen: ~4 ms less per exec).
  const key = command.key;
  const file = path.join(dir, `${buildName(bundle.id)}-${key ?? 'none'}.bin`);
  // Until a run has written one, the executable starts from the cache its build compiled (the
  // bundle's top level only; without any, compiling it all takes 10-40 ms): its V8 is this one.
  const read = key === undefined ? undefined : readCache(dir, file);
  const own = typeof read === 'object' ? read : undefined;
  const builtIn = own || !sea ? undefined : carriedCache(sea, bundle.file.replace(/\.cjs$/, '.cache'));
  const cached = own ?? (builtIn && { paths: new Set<string>(), data: builtIn });
  // The wrapper is one line: the bundle's line numbers (stack traces) stay as they are.
  const script = new Script(`${__CX_WRAP_HEAD__}${source}\n})`, { filename, cachedData: cached?.data });
  const known = new Set(cached && !script.cachedDataRejected ? cached.paths : []);
  const state = !cached
    ? typeof read === 'string'
      ? `${file} not used (${read}): compiled without it`
      : `none yet (${file})`
    : script.cachedDataRejected
      ? `${file} rejected by V8 (another V8 or other flags): compiled, to be rewritten`
      : own
        ? `${file} (${[...own.paths].join(', ') || 'no path yet'})`
        : `the one built in (until ${file} is written${typeof read === 'string' ? `; it was not used: ${read}` : ''})`;
  const taken = new Set<string>();
  /** Write the cache if this run took a path it lacks (early enough that nothing was flushed). */
  const save = () => {
    if (process.uptime() > WRITE_WITHIN_S || [...taken].every((p) => known.has(p))) return;
    // Named after a command only once cx has run that command (a file per real command, never one
    // per word someone typed).
    if (key === undefined || !(taken.has(key) || taken.has(`remote:${key}`))) return;
    try {
      const data = script.createCachedData();
      for (const p of taken) known.add(p);
      writeCache(dir, file, known, data);
    } catch {
      // A cache is an optimisation: a full disk or a directory someone else owns leaves it unwritten.
    }
  };
  process.once('exit', (code) => code === 0 && save());
  const bootApi: CodeCacheBoot = { note: (p) => void taken.add(p), save, state: `${bundle.file}, code cache: ${state}` };
  const module = { exports: {} };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(filename), module, filename, path.dirname(filename), bootApi);
}

/** The cache the executable's build compiled for a bundle (none in a build made without). */
function carriedCache(sea: typeof import('node:sea'), name: string): Buffer | undefined {
  try {
    return Buffer.from(sea.getRawAsset(name) as ArrayBuffer);
  } catch {
    return undefined;
  }
}

/**
 * What the loader needs to know of a command line: whether it may open the TUI (`tui`), and the
 * name of its code cache (`key`: the command, `ui` for the TUI; undefined when there is no command
 * to name one after).
 *
 * The TUI: `ui`, or no command at all (program.ts opens the TUI for an empty command line, and the
 * host picker for several hosts, which may come from -H or from the environment), unless it asks
 * for help. Anything unclear goes to the whole bundle, which runs every command line.
 */
export function commandWord(argv: readonly string[]): { tui: boolean; key: string | undefined } {
  try {
    const words = optionArgs(takeHostArgs(argv).rest);
    const command = words.find((a) => !a.startsWith('-'));
    const tui = command === 'ui' || (command === undefined && !words.includes('--help') && !words.includes('-h'));
    const key = tui ? 'ui' : command;
    return { tui, key: key !== undefined && /^[a-z]{1,20}$/.test(key) ? key : undefined };
  } catch {
    return { tui: true, key: undefined };
  }
}

/** What the caches of one build of a bundle share: its content hash, Node's version, the architecture. */
function buildName(id: string): string {
  return `${id}-${process.version}-${process.arch}`;
}

/**
 * The cache in `file` if `dir` and the file are this user's alone and it is a whole cache of ours;
 * else why not (undefined when there is none).
 */
function readCache(dir: string, file: string): Cached | string | undefined {
  const uid = process.getuid?.() ?? -1;
  const dirProblem = privateDirProblem(path.dirname(dir), uid) ?? privateDirProblem(dir, uid);
  if (dirProblem) return /ENOENT/.test(dirProblem) ? undefined : dirProblem;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? undefined : code === 'ELOOP' ? 'a symlink' : String(code);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o077) !== 0) return `not a file of uid ${uid} only it can read`;
    if (st.size > 64 * 1024 * 1024) return 'too big';
    // Read straight into the memory the checksum sums (no copy), and hand V8 a view of it.
    const memory = checksumMemory(st.size);
    const buf = Buffer.from(memory.buffer, 0, st.size);
    for (let off = 0, n; off < buf.length; off += n) if ((n = readSync(fd, buf, off, buf.length - off, off)) === 0) return 'truncated';
    const end = buf.indexOf(10, MAGIC.length);
    if (buf.toString('latin1', 0, MAGIC.length) !== MAGIC || end < 0) return 'not a cx code cache of this version';
    const header = JSON.parse(buf.toString('utf8', MAGIC.length, end)) as { paths?: unknown; sum?: unknown };
    const paths = header.paths;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) return 'not a cx code cache of this version';
    // V8 checks a cache's version, flags and source length, but not, in release builds, its bytes:
    // a damaged cache would crash cx on every run.
    if (header.sum !== checksum(memory, end + 1, st.size)) return 'damaged (checksum)';
    return { paths: new Set(paths), data: buf.subarray(end + 1) };
  } catch (err) {
    return `unreadable (${(err as Error).message})`;
  } finally {
    closeSync(fd);
  }
}

/** Write the cache atomically (a concurrent run reads the old one or the new one, never half). */
function writeCache(dir: string, file: string, paths: Set<string>, data: Buffer): void {
  ensureCacheRoot();
  ensurePrivateDir(dir);
  const header = JSON.stringify({ paths: [...paths].sort(), sum: checksumOf(data) });
  writeWhole(file, [`${MAGIC}${header}\n`, data], 0o600);
  prune(dir, path.basename(file).split('-').slice(0, 3).join('-'));
}

/**
 * Keep the caches of this build and of the KEEP - 1 builds (other versions of cx, Node versions,
 * the executable beside the npm package) used last; remove the rest.
 */
function prune(dir: string, build: string): void {
  const others = readdirSync(dir)
    .filter((f) => f.endsWith('.bin') && !f.startsWith(`${build}-`))
    .map((f) => ({ f, build: f.split('-').slice(0, 3).join('-'), t: statSync(path.join(dir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.t - a.t);
  const kept = new Set<string>();
  for (const o of others) if (kept.size < KEEP - 1 || kept.has(o.build)) kept.add(o.build);
  for (const { f } of others.filter((o) => !kept.has(o.build))) {
    try {
      unlinkSync(path.join(dir, f));
    } catch {
      // another run removed it first
    }
  }
}

// Only where scripts/bundle-config.mjs built it as the loader (tests import this file for the above).
if (typeof __CX_BUNDLES__ !== 'undefined') boot();
