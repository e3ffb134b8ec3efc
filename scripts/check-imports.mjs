// Fails when the modules under src/ import each other in a cycle (type-only imports count: a cycle
// of types still ties the files together). The layering itself is checked by eslint's
// no-restricted-imports rules in eslint.config.js; this catches cycles inside one folder.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = 'src';
const files = readdirSync(ROOT, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.tsx?$/.test(f))
  .map((f) => path.join(ROOT, f));
const known = new Set(files);

/** The src/ files a module imports (static, dynamic and re-exports), by relative specifier. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const out = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
    const base = path.join(path.dirname(file), m[1]).replace(/\.js$/, '');
    const hit = [`${base}.ts`, `${base}.tsx`].find((f) => known.has(f));
    if (hit) out.push(hit);
  }
  return out;
}

const graph = new Map(files.map((f) => [f, importsOf(f)]));

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let index = 0;
const stack = [];
const meta = new Map();
const cycles = [];
function visit(v) {
  meta.set(v, { index, low: index, on: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!meta.has(w)) {
      visit(w);
      meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).low);
    } else if (meta.get(w).on) {
      meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).index);
    }
  }
  if (meta.get(v).low === meta.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      meta.get(w).on = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  }
}
for (const f of files) if (!meta.has(f)) visit(f);

if (cycles.length > 0) {
  for (const c of cycles) console.error(`import cycle among ${c.length} files: ${c.join(' ')}`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} modules under src/, no import cycle`);
