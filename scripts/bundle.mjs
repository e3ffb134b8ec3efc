// Bundle the compiled CLI (dist/src) into dist/bundle/ for bin/cx: one file for the one-liners
// instead of ~40 small modules cuts start-up by ~30 ms. Dynamic imports (the TUI) stay separate
// chunks, loaded only when used; node_modules packages with native code or large trees stay external.
import { build } from 'esbuild';

await build({
  entryPoints: { cx: 'dist/src/cli/main.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['node-pty', 'ink', 'react', 'react/*', 'ink-testing-library'],
  // commander is CommonJS: give the ESM bundle a require().
  banner: { js: "import { createRequire as __cxRequire } from 'node:module'; const require = __cxRequire(import.meta.url);" },
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});
