import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CX_BIN } from '../helpers/cx.js';
import { requireEngine } from '../helpers/engine.js';

const TRACER = fileURLToPath(new URL('../helpers/trace-loads.js', import.meta.url));

/** The modules one cx run loads. */
async function loads(args: string[], dir: string): Promise<string[]> {
  const file = path.join(dir, `${args.join('_').replace(/\W/g, '')}.txt`);
  const r = await execa('node', ['--import', TRACER, CX_BIN, ...args], { env: { CX_TRACE_LOADS: file }, reject: false, stdin: 'ignore' });
  assert.equal(r.exitCode, 0, r.stderr);
  return (await readFile(file, 'utf8')).trim().split('\n');
}

describe('start-up stays light', () => {
  let dir: string;
  before(async () => {
    await requireEngine();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-loads-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('one-liners never load Ink or React', async () => {
    for (const args of [['ls'], ['doctor'], ['--help']]) {
      const urls = await loads(args, dir);
      const ui = urls.filter((u) => /node_modules\/(ink|react|react-reconciler|yoga-layout)\//.test(u) || u.includes('/src/tui/'));
      assert.deepEqual(ui, [], `cx ${args.join(' ')} loaded UI modules`);
    }
  });

  it('cx --version loads only the entry and what it needs to print', async () => {
    const urls = (await loads(['--version'], dir)).filter((u) => u.startsWith('file:'));
    assert.ok(!urls.some((u) => u.includes('node_modules')), urls.join('\n'));
    assert.ok(urls.length <= 8, `cx --version loaded ${urls.length} files:\n${urls.join('\n')}`);
  });
});
