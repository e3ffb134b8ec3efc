import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cx, text } from '../helpers/cx.js';
import { DedicatedEngine } from '../helpers/dedicated-engine.js';
import { requireEngine } from '../helpers/engine.js';

interface Row {
  id: string;
  name: string;
  state: string;
  pid: number | null;
  source: string;
  stuck: string | null;
  backends: string[];
}

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
  let fine: { id: string; name: string; pid: number };
  let wedged: { id: string; name: string; pid: number };
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

  it('cx ls lists every container; the wedged one is marked stuck, from its on-disk record', async () => {
    const r = await cx(['ls', '--json'], { env: engine.env, timeoutMs: 30_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    const rows = JSON.parse(text(r)) as Row[];
    const ok = rows.find((x) => x.id === fine.id);
    assert.equal(ok?.source, 'docker-api');
    assert.equal(ok?.stuck, null);
    const stuck = rows.find((x) => x.id === wedged.id);
    assert.ok(stuck, text(r));
    assert.equal(stuck.name, wedged.name);
    assert.equal(stuck.state, 'running');
    assert.equal(stuck.pid, wedged.pid);
    assert.equal(stuck.source, 'docker-disk');
    assert.match(stuck.stuck ?? '', /did not answer/);
    assert.ok(!stuck.backends.includes('docker'), String(stuck.backends));
    assert.match(r.stderr, new RegExp(`${wedged.name} is shown as its on-disk record says`));
  });

  it('the table says which row dockerd is stuck on', async () => {
    const r = await cx(['ls'], { env: engine.env, timeoutMs: 30_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), new RegExp(`^${wedged.id.slice(0, 12)}\\s+${wedged.name}\\s+\\S+\\s+running \\(dockerd stuck\\)`, 'm'));
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
