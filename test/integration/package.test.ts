import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * What `npm pack` (so `npm i -g` and npx) ships: without `files`, dist/ (gitignored) would be left out
 * and the installed bin/cx would import nothing. Checked offline, with the build already done.
 */
describe('the npm package', () => {
  it('ships bin/cx, its bundle, the helper, the man page and the completions', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const f of [
      'bin/cx',
      'dist/bundle/cx.js',
      'native/build/cx-nsenter',
      'dist/man/cx.1',
      'dist/completions/cx.bash',
      'dist/completions/_cx',
      'dist/completions/cx.fish',
    ]) {
      assert.ok(files.includes(f), `${f} not in ${files.join(' ')}`);
    }
    assert.ok(files.some((f) => /^dist\/bundle\/chunks\/program-\w+\.js$/.test(f)));
    assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('dist/src/') || f.startsWith('dist/exe')), files.join(' '));
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { man: string[]; engines: { node: string } };
    assert.deepEqual(pkg.man, ['./dist/man/cx.1']);
    assert.match(readFileSync(`${ROOT}dist/man/cx.1`, 'utf8'), /^\.TH CX 1 /);
    assert.match(readFileSync(`${ROOT}bin/cx`, 'utf8'), /^#!\/bin\/sh\n/);
  });

  it('loads node-pty (a native addon) only on demand: no chunk a plain exec loads imports it statically', () => {
    const dir = `${ROOT}dist/bundle/chunks/`;
    const staticImports = readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .filter((f) => /^import\s[^;]*from\s*["']node-pty["']/m.test(readFileSync(dir + f, 'utf8')));
    assert.deepEqual(staticImports, [], 'import node-pty with await import() where a TTY session needs it');
  });
});
