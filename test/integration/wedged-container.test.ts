import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cx, lsRows, text } from '../helpers/cx.js';
import { DedicatedEngine, type EngineContainer } from '../helpers/dedicated-engine.js';
import { requireEngine } from '../helpers/engine.js';

function parentOf(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * One container wedged in dockerd while the daemon itself answers: its shim is stopped and a
 * `docker kill` hangs holding the container's lock, so its inspect never answers while
 * `docker ps` (and every other container) still does. A dedicated engine, never the shared one.
 */
describe('one container wedged in a live dockerd', () => {
  let engine: DedicatedEngine;
  let fine: EngineContainer;
  let wedged: EngineContainer;
  let shim = 0;
  let hung: ResultPromise | undefined;

  before(async () => {
    await requireEngine();
    engine = await DedicatedEngine.start();
    fine = await engine.run();
    wedged = await engine.run();
    shim = parentOf(wedged.pid);
    assert.match(readFileSync(`/proc/${shim}/comm`, 'utf8'), /^containerd-shim/);
    process.kill(shim, 'SIGSTOP');
    hung = execa('docker', ['-H', `unix://${engine.socket}`, 'kill', wedged.id], { reject: false, timeout: 120_000 });
    // Wait (bounded) until its inspect hangs while the list still answers.
    const end = Date.now() + 30_000;
    for (;;) {
      const r = await execa('docker', ['-H', `unix://${engine.socket}`, 'inspect', wedged.id], { reject: false, timeout: 2_000 });
      if (r.timedOut) break;
      if (Date.now() > end) throw new Error('the container did not wedge');
      await sleep(100);
    }
    const ps = await execa('docker', ['-H', `unix://${engine.socket}`, 'ps', '-q'], { timeout: 10_000 });
    assert.ok(ps.stdout.includes(wedged.id.slice(0, 12)));
  });

  after(async () => {
    if (shim) {
      try {
        process.kill(shim, 'SIGCONT');
      } catch {
        // gone
      }
    }
    hung?.kill('SIGKILL');
    await hung?.catch(() => undefined);
    await engine?.stop();
  });

  it("cx ls (root) lists every container from the daemon's list without asking about each one, the wedged one included", async () => {
    // The list answers for a wedged container; only an inspect would hang, and cx ls makes none:
    // what the list lacks comes from the records dockerd keeps in its data-root.
    const r = await cx(['ls', '--json', '--debug'], { env: engine.env, timeoutMs: 30_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /^cx: debug: api GET \S*\/containers\/[0-9a-f]{64}\/json/m, r.stderr);
    const rows = lsRows(r);
    for (const c of [fine, wedged]) {
      const row = rows.find((x) => x.id === c.id);
      assert.ok(row, text(r));
      assert.equal(row.name, c.name);
      assert.equal(row.state, 'running');
      assert.equal(row.pid, c.pid);
      assert.equal(row.source, 'docker-api');
    }
  });

  it('cx doctor <wedged> says dockerd does not answer for it', async () => {
    const r = await cx(['doctor', wedged.name], { env: engine.env, timeoutMs: 30_000 });
    assert.match(text(r) + r.stderr, /did not answer/);
  });

  for (const backend of ['runc', 'nsenter']) {
    it(`cx exec --backend ${backend} enters the wedged container without asking dockerd`, async () => {
      const r = await cx(['exec', '--backend', backend, wedged.name, '--', 'echo', 'inside'], { env: engine.env, timeoutMs: 30_000 });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(text(r), 'inside\n');
      assert.doesNotMatch(r.stderr, /did not answer/);
    });
  }

  it('cx exec (auto) finds it from the files when its inspect hangs, and enters without dockerd', async () => {
    const r = await cx(['exec', wedged.name, '--', 'echo', 'inside'], { env: engine.env, timeoutMs: 30_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), 'inside\n');
  });
});
