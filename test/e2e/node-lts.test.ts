import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { before, describe, it } from 'node:test';
import { CX_BIN } from '../helpers/cx.js';
import { suiteContainer } from '../helpers/suite.js';

const INFO = fileURLToPath(new URL('../../../dist/exe/build-info.json', import.meta.url));
const PKG = fileURLToPath(new URL('../../../package.json', import.meta.url));

/**
 * The npm package (bin/cx and its bundle) on the Node LTS the executable is built on, beside the
 * machine's Node that runs every other test: `engines` promises both. A pty session proves node-pty's
 * addon (Node-API, built once against this machine's Node) loads on the other line too.
 */
describe('the npm package on the Node LTS line the executable uses', () => {
  const target = suiteContainer();
  let node = '';
  before(() => {
    node = (JSON.parse(readFileSync(INFO, 'utf8')) as { node: string }).node;
  });

  const cx = (args: string[]) => execa(node, [CX_BIN, ...args], { reject: false, timeout: 60_000, stdin: 'ignore' });

  it('engines in package.json admits it', async () => {
    const { stdout } = await execa(node, ['--version']);
    const major = Number(/^v(\d+)\./.exec(stdout)?.[1]);
    const engines = (JSON.parse(readFileSync(PKG, 'utf8')) as { engines: { node: string } }).engines.node;
    assert.equal(engines, '>=20.19 <21 || >=22.11');
    assert.ok(major >= 22, stdout);
  });

  it('--version, ls --json', async () => {
    const v = await cx(['--version']);
    assert.equal(v.stdout, `cx ${(JSON.parse(readFileSync(PKG, 'utf8')) as { version: string }).version}`);
    const ls = await cx(['ls', '--json']);
    assert.equal(ls.exitCode, 0, ls.stderr);
    assert.ok((JSON.parse(ls.stdout) as { name: string }[]).some((c) => c.name === target.name));
  });

  for (const backend of ['runc', 'nsenter']) {
    it(`exec -t --backend ${backend}: a pty through node-pty`, async () => {
      const r = await cx(['exec', '-t', '--backend', backend, target.name, '--', 'tty']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /^\/dev\/pts\/\d+\r?$/);
    });
  }
});
