// Bundle the compiled CLI (dist/src) for bin/cx: dist/bundle/cx-ui.cjs is cx in one CommonJS file
// (~60 modules and their packages, the TUI's Ink and React included: a dependency tree resolved at
// build time instead of on every start), cx-cli.cjs the same without the TUI, and cx.cjs the loader
// that picks one and runs it with a code cache (src/cli/loader.ts; settings shared with the
// executable in scripts/bundle-config.mjs). node-pty stays external: it loads a native addon
// relative to its own package.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { BUNDLES, loaderOptions, mainBundleOptions } from './bundle-config.mjs';

rmSync('dist/bundle', { recursive: true, force: true });

// The version is written in (as in the executable): no package.json read on every start.
const define = { __CX_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) };

const bundleTexts = {};
for (const b of BUNDLES) {
  const outfile = `dist/bundle/${b.file}`;
  await build(mainBundleOptions({ outfile, target: 'node20', tui: b.tui, define, external: ['node-pty'] }));
  bundleTexts[b.name] = readFileSync(outfile, 'utf8');
}
await build(loaderOptions({ outfile: 'dist/bundle/cx.cjs', target: 'node20', bundleTexts, define }));
