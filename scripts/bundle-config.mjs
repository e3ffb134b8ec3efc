// The esbuild settings shared by the npm package's bundles (scripts/bundle.mjs) and the single-file
// executable's (scripts/build-exe.mjs). Both run cx from CommonJS bundles of dist/src/cli/main.js
// compiled by a small loader (src/cli/loader.ts) that keeps a V8 code cache of them: one CommonJS
// file starts 10-15 ms faster than ES module chunks, and a code cache needs a classic script (V8
// cannot cache an ES module's code across runs on Node 20). There are two bundles: cx-ui.cjs holds
// everything, cx-cli.cjs everything but the TUI (Ink, React, xterm: 1.0 of 1.3 MB), which every
// one-liner would otherwise compile (~40 ms without a cache) or load from its cache (~2 ms more).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** How the loader wraps the bundle to compile it (a CommonJS module's wrapper plus cx's boot API). */
export const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname, __cxBoot) {';

/** The two bundles: the loader's name for each, its file (and asset) name, and whether it has the TUI. */
export const BUNDLES = [
  { name: 'cli', file: 'cx-cli.cjs', tui: false },
  { name: 'ui', file: 'cx-ui.cjs', tui: true },
];

/**
 * What the bundles and the loader share: one CommonJS file for Node; import.meta.url (version.ts and
 * helper-path.ts find files beside the bundle) becomes the file's own URL (the loader passes a
 * bundle's path as its __filename); minified, whitespace and syntax only (~40% smaller, ~15% less CPU
 * to start an exec, measured with perf stat): identifiers stay, so error names and --debug stack
 * traces still read.
 */
function commonOptions({ entry, outfile, target, define }) {
  return {
    entryPoints: [path.join(root, 'dist', 'src', 'cli', entry)],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target,
    // import.meta.url is worked out when first read (finding the helper), not on every start (~0.5 ms).
    define: { 'import.meta.url': '__cxMeta.url', 'import.meta.filename': '__filename', ...define },
    banner: { js: "var __cxMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
    logLevel: 'warning',
    minifyWhitespace: true,
    minifySyntax: true,
  };
}

/** esbuild options for one of cx's bundles; `plugins` adds to them, `define` too. */
export function mainBundleOptions({ outfile, target, tui, define = {}, plugins = [], external = [] }) {
  return {
    ...commonOptions({ entry: 'main.js', outfile, target, define: { 'process.env.NODE_ENV': '"production"', ...define } }),
    external,
    // import() of an external (node-pty) would stay import(), which a script compiled by the loader
    // cannot run (vm.Script has no module loader): make it a require() in a promise.
    supported: { 'dynamic-import': false },
    // Ink imports react-devtools-core only when DEV=true; never in cx. An empty module keeps it out.
    alias: { 'react-devtools-core': path.join(root, 'scripts', 'empty-module.mjs') },
    plugins: [noTopLevelAwait(), lazyChildProcess(), ...(tui ? [] : [withoutTui()]), ...plugins],
  };
}

/** esbuild options for the loader, given the bundles' texts by name (their content names their caches). */
export function loaderOptions({ outfile, target, bundleTexts, define = {} }) {
  const bundles = Object.fromEntries(BUNDLES.map((b) => [b.name, { file: b.file, id: bundleId(bundleTexts[b.name]) }]));
  return commonOptions({
    entry: 'loader.js',
    outfile,
    target,
    define: { __CX_BUNDLES__: JSON.stringify(bundles), __CX_WRAP_HEAD__: JSON.stringify(WRAP_HEAD), ...define },
  });
}

/** What names a bundle's code cache: its content, so a rebuilt bundle never meets an old cache. */
export function bundleId(text) {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * commander's node:child_process replaced by cx's own lazy one (src/util/child.ts): commander requires
 * it when it loads, for executable subcommands, which cx has none of; loaded on first use instead, a
 * command that starts no process never loads it (~1 ms).
 */
function lazyChildProcess() {
  return {
    name: 'lazy-child-process',
    setup(b) {
      b.onResolve({ filter: /^(node:)?child_process$/ }, ({ importer }) =>
        /[\\/]node_modules[\\/]commander[\\/]/.test(importer) ? { path: path.join(root, 'dist', 'src', 'util', 'child.js') } : undefined,
      );
    },
  };
}

/** The TUI's entry replaced by scripts/no-tui.mjs (see there). */
function withoutTui() {
  return {
    name: 'without-tui',
    setup(b) {
      b.onResolve({ filter: /[\\/]tui[\\/]entry\.js$/ }, () => ({ path: path.join(root, 'scripts', 'no-tui.mjs') }));
    },
  };
}

/**
 * CommonJS has no top-level await, which Ink and yoga-layout use: Ink only in development mode (never
 * in cx), yoga-layout to compile its WebAssembly. Replace both with synchronous code: Ink's dev-only
 * branches become dead, and yoga's Emscripten module gets its wasm instantiated synchronously
 * (instantiateWasm hook), after which the factory finishes initialising in the same tick.
 */
export function noTopLevelAwait() {
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

function fail(message) {
  console.error(`bundle: ${message}`);
  process.exit(1);
}
