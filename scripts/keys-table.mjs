// The TUI's key table in README.md and docs/tui.md is generated from the keymap (src/tui/keymap.ts),
// so the docs and the `?` screen can never disagree. `node scripts/keys-table.mjs` rewrites the text
// between the markers; `--check` (run by `npm run lint`) fails when a file is out of date.
import { Buffer } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const FILES = ['README.md', 'docs/tui.md'];
const BEGIN = '<!-- keys:begin (generated from src/tui/keymap.ts by scripts/keys-table.mjs) -->';
const END = '<!-- keys:end -->';

// The keymap is TypeScript and the check must not need a build: bundle the one module in memory.
const out = await build({
  entryPoints: ['src/tui/presentation/help.ts'],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'node',
  logLevel: 'error',
});
const mod = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
const table = mod.keyTableMarkdown();

const check = process.argv.includes('--check');
let stale = 0;
for (const file of FILES) {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) {
    console.error(`${file}: no key table markers (${BEGIN} ... ${END})`);
    process.exit(1);
  }
  const next = `${text.slice(0, start + BEGIN.length)}\n\n${table}\n${text.slice(end)}`;
  if (next === text) continue;
  if (check) {
    console.error(`${file}: the key table is out of date with src/tui/keymap.ts; run: node scripts/keys-table.mjs`);
    stale++;
  } else {
    writeFileSync(file, next);
    console.log(`${file}: key table rewritten`);
  }
}
process.exit(stale > 0 ? 1 : 0);
