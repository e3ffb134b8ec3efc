import assert from 'node:assert/strict';
import { execa } from 'execa';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { CX_BIN } from '../helpers/cx.js';
import { requireEngine } from '../helpers/engine.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const bundle = (name: string) => readFileSync(path.join(ROOT, 'dist', 'bundle', name), 'utf8');

/** Which bundle the loader ran for a command line (its --debug line). */
async function bundleRun(args: string[]): Promise<string | undefined> {
  const r = await execa(CX_BIN, ['--debug', ...args], { reject: false, stdin: 'ignore' });
  return /^cx: debug: bundle (\S+),/m.exec(r.stderr)?.[1];
}

describe('start-up stays light', () => {
  before(requireEngine);

  it('one-liners run the bundle without the TUI, which has no Ink, React or yoga in it', async () => {
    // Markers: React's element symbol and yoga-layout's embedded WebAssembly ("\0asm" in base64).
    for (const marker of ['react.transitional.element', 'AGFzbQ']) {
      assert.ok(bundle('cx-ui.cjs').includes(marker), `${marker} is no longer a marker of the TUI's code: pick another`);
      assert.ok(!bundle('cx-cli.cjs').includes(marker), `cx-cli.cjs has ${marker}: something outside src/tui imports the TUI`);
    }
    for (const args of [['ls'], ['doctor'], ['--help'], ['exec', 'ui', '--', 'true']]) {
      assert.equal(await bundleRun(args), 'cx-cli.cjs', `cx ${args.join(' ')}`);
    }
    assert.equal(await bundleRun(['ui', '--help']), 'cx-ui.cjs');
  });

  it('neither bundle loads node:fs/promises (~1.4 ms of every start: util/fs-async.ts has what cx uses)', () => {
    for (const name of ['cx-cli.cjs', 'cx-ui.cjs']) {
      assert.doesNotMatch(bundle(name), /require\("(node:)?fs\/promises"\)/, `${name} requires fs/promises`);
    }
  });

  it('cx --version is answered by the loader alone (no bundle read)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cx-loader-only-'));
    try {
      mkdirSync(path.join(dir, 'dist', 'bundle'), { recursive: true });
      copyFileSync(path.join(ROOT, 'dist', 'bundle', 'cx.cjs'), path.join(dir, 'dist', 'bundle', 'cx.cjs'));
      copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
      const loader = path.join(dir, 'dist', 'bundle', 'cx.cjs');
      const r = await execa('node', [loader, '--version'], { reject: false });
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^cx \d+\.\d+\.\d+$/);
      // The same loader without its bundles fails any other command: the check above means something.
      const other = await execa('node', [loader, 'ls'], { reject: false });
      assert.notEqual(other.exitCode, 0);
      assert.match(other.stderr, /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
