import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cx, lsRows, text } from '../helpers/cx.js';
import { DedicatedEngine, type EngineContainer } from '../helpers/dedicated-engine.js';
import { requireEngine } from '../helpers/engine.js';

/**
 * --live-restore and a dockerd killed with SIGKILL (a dedicated engine): its containers keep
 * running; cx finds them through the state dirs it saw while the daemon was up, lists and enters
 * them; the restarted daemon adopts them again.
 */
describe('with a dead daemon (--live-restore, SIGKILL on a dedicated dockerd)', () => {
  let engine: DedicatedEngine;
  let web: EngineContainer;

  before(async () => {
    await requireEngine();
    engine = await DedicatedEngine.start({ liveRestore: true });
    web = await engine.run({ args: ['-e', 'WHO=survivor'] });
    const up = await cx(['ls'], { env: engine.env });
    assert.equal(up.exitCode, 0, up.stderr);
    await engine.crash();
  });
  after(async () => {
    await engine?.stop();
  });

  it('cx doctor says dead: the socket refuses and the process is gone', async () => {
    const r = await cx(['doctor'], { env: engine.env });
    assert.match(text(r), /^FAIL\s+daemon\s+dead: .*refuses connections/m);
    assert.match(
      text(r),
      new RegExp(`^ok\\s+state dirs\\s+data-root ${engine.dataRoot}, exec-root ${engine.execRoot} \\(no dockerd serves`, 'm'),
    );
  });

  it('cx ls still lists the container, running, with its PID', async () => {
    const r = await cx(['ls', '--json'], { env: engine.env });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /^cx: warning: dockerd is dead /m);
    const row = lsRows(r).find((x) => x.id === web.id);
    assert.ok(row, text(r));
    assert.equal(row.name, web.name);
    assert.equal(row.state, 'running');
    assert.equal(row.pid, web.pid);
    assert.equal(row.source, 'docker-disk');
    assert.equal(row.backends[0], 'runc', String(row.backends));
    assert.ok(!row.backends.includes('docker'), 'docker cannot enter while the daemon is down');
  });

  it('cx exec enters it through runc', async () => {
    const r = await cx(['exec', web.name, '--', 'sh', '-c', 'echo $WHO'], { env: engine.env });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), 'survivor\n');
    assert.match(r.stderr, /^cx: warning: dockerd is dead \(.*\): entering .* through runc$/m);
  });

  it('the restarted daemon adopts the container again, and cx goes back to the API', async () => {
    await engine.launch();
    const pid = String((await engine.docker(['inspect', '--format', '{{.State.Running}} {{.State.Pid}}', web.id])).stdout).trim();
    assert.equal(pid, `true ${web.pid}`);
    const r = await cx(['ls', '--json'], { env: engine.env });
    assert.equal(r.stderr, '');
    const row = lsRows(r).find((x) => x.id === web.id);
    assert.equal(row?.source, 'docker-api');
    assert.deepEqual(row?.backends.slice(0, 2), ['docker', 'runc']);
  });
});
