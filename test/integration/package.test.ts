import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
      'dist/bundle/cx.cjs',
      'dist/bundle/cx-cli.cjs',
      'dist/bundle/cx-ui.cjs',
      'native/build/cx-nsenter',
      'dist/man/cx.1',
      'dist/completions/cx.bash',
      'dist/completions/_cx',
      'dist/completions/cx.fish',
    ]) {
      assert.ok(files.includes(f), `${f} not in ${files.join(' ')}`);
    }
    assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('dist/src/') || f.startsWith('dist/exe')), files.join(' '));
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { man: string[]; engines: { node: string } };
    assert.deepEqual(pkg.man, ['./dist/man/cx.1']);
    assert.match(readFileSync(`${ROOT}dist/man/cx.1`, 'utf8'), /^\.TH CX 1 /);
    assert.match(readFileSync(`${ROOT}bin/cx`, 'utf8'), /^#!\/bin\/sh\n/);
  });

  it('loads node-pty (a native addon) only on demand: a plain exec and ls never load it', () => {
    // A preload that says so when anything asks for node-pty (the bundles require it through the
    // loader's createRequire, which goes through Module._load).
    const dir = mkdtempSync(path.join(tmpdir(), 'cx-pty-trap-'));
    const trap = path.join(dir, 'trap.cjs');
    writeFileSync(
      trap,
      `const M = require('node:module'); const load = M._load;
M._load = function (request, ...rest) { if (request === 'node-pty') process.stderr.write('NODE-PTY LOADED\\n'); return load.call(this, request, ...rest); };`,
    );
    try {
      for (const args of [['exec', '--backend', 'nsenter', 'cx-no-such-container', '--', 'true'], ['ls', '--no-trunc'], ['--help']]) {
        const r = spawnSync(`${ROOT}bin/cx`, args, {
          encoding: 'utf8',
          env: { ...process.env, NODE_OPTIONS: `--require=${trap}` },
          timeout: 60_000,
        });
        assert.doesNotMatch(
          r.stderr,
          /NODE-PTY LOADED/,
          `cx ${args.join(' ')} loaded node-pty: import it with await import() where a TTY session needs it`,
        );
        assert.doesNotMatch(r.stderr, /Error: Cannot find module|SyntaxError/, r.stderr);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
