import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { CX_BIN, cx, lsRows, text } from '../helpers/cx.js';
import { DedicatedEngine, type EngineContainer } from '../helpers/dedicated-engine.js';
import { requireEngine } from '../helpers/engine.js';
import { PtyRun } from '../helpers/pty.js';

/**
 * A SIGSTOPped dockerd (a dedicated one, never the shared engine): cx learns it is frozen, lists
 * from the data-root it finds on the daemon's command line, and enters through runc.
 */
describe('with the daemon frozen (SIGSTOP on a dedicated dockerd)', () => {
  let engine: DedicatedEngine;
  let web: EngineContainer;
  let doomed: EngineContainer;

  before(async () => {
    await requireEngine();
    engine = await DedicatedEngine.start();
    web = await engine.run({ args: ['-e', 'GREETING=hello frozen', '-w', '/tmp'] });
    doomed = await engine.run();
    // While it answers: cx sees the engine through the API, and learns where it keeps its state.
    const r = await engine.freezeAfterLs(() => cx(['ls', '--json'], { env: engine.env }));
    assert.equal(lsRows(r).find((x) => x.id === web.id)?.source, 'docker-api');
  });
  after(async () => {
    await engine?.stop();
  });

  it('cx doctor says frozen, with the stopped process as evidence', async () => {
    const r = await cx(['doctor'], { env: engine.env, timeoutMs: 20_000 });
    const out = text(r);
    assert.match(out, new RegExp(`^FAIL\\s+daemon\\s+frozen: .*dockerd process ${engine.pid} state T \\(stopped\\)`, 'm'));
    assert.match(
      out,
      new RegExp(
        `^ok\\s+state dirs\\s+data-root ${engine.dataRoot}, exec-root ${engine.execRoot} \\(from dockerd ${engine.pid}'s command line\\)`,
        'm',
      ),
    );
  });

  it('cx ls lists the running containers with their names and PIDs, from disk', async () => {
    const r = await cx(['ls', '--json'], { env: engine.env, timeoutMs: 20_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /^cx: warning: dockerd is frozen .*listing from on-disk and runtime state$/m);
    const rows = lsRows(r);
    const row = rows.find((x) => x.id === web.id);
    assert.ok(row, text(r));
    assert.equal(row.name, web.name);
    assert.equal(row.pid, web.pid);
    assert.equal(row.state, 'running');
    assert.equal(row.source, 'docker-disk');
    assert.ok(row.sources.includes('containerd'), String(row.sources));
    assert.equal(row.backends[0], 'runc', String(row.backends));
    assert.ok(!row.backends.includes('docker'), 'docker cannot enter while the daemon is down');
    // Only this engine's containers: none of the shared engine's.
    const shared = await execa('docker', ['ps', '-q', '--no-trunc']);
    for (const id of shared.stdout.split('\n').filter(Boolean))
      assert.ok(!rows.some((x) => x.id === id), `shared engine container ${id} listed`);
  });

  it('the table marks rows that came from disk', async () => {
    const r = await cx(['ls'], { env: engine.env, timeoutMs: 20_000 });
    assert.match(text(r), /SOURCE/);
    assert.match(text(r), new RegExp(`${web.id.slice(0, 12)}\\s+${web.name}\\s+.*\\s+runc[a-z,]*\\s+disk\\s*$`, 'm'));
  });

  it('cx exec runs through runc, with the container environment, and says it fell back', async () => {
    const r = await cx(['exec', web.name, '--', 'sh', '-c', 'echo "$GREETING in $(pwd)"; exit 7'], { env: engine.env, timeoutMs: 20_000 });
    assert.equal(r.exitCode, 7, r.stderr);
    assert.equal(text(r), 'hello frozen in /tmp\n');
    assert.match(r.stderr, new RegExp(`^cx: warning: dockerd is frozen \\(.*\\): entering ${web.name} through runc$`, 'm'));
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
  });

  it('cx exec --backend nsenter|runc by name or full id asks the daemon nothing, not even a ping', async () => {
    for (const backend of ['nsenter', 'runc']) {
      for (const target of [web.name, web.id]) {
        const r = await cx(['exec', '--debug', '--backend', backend, target, '--', 'sh', '-c', 'echo "$GREETING"'], {
          env: engine.env,
          timeoutMs: 20_000,
        });
        assert.equal(r.exitCode, 0, r.stderr);
        assert.equal(text(r), 'hello frozen\n');
        // --debug traces every Engine API request and the health check's ping: there must be none.
        assert.match(r.stderr, new RegExp(`^cx: debug: state roots: ${engine.dataRoot}, ${engine.execRoot} `, 'm'));
        assert.doesNotMatch(r.stderr, /^cx: debug: (api |dockerd is )/m, `${backend} ${target}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /warning/, r.stderr);
      }
    }
  });

  it('cx exec is confined like docker exec (cgroup, capabilities, seccomp)', async () => {
    const r = await cx(['exec', web.name, '--', 'sh', '-c', 'grep -E "^(CapBnd|Seccomp):" /proc/self/status; cat /proc/self/cgroup'], {
      env: engine.env,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /^CapBnd:\s+00000000a80425fb$/m);
    assert.match(text(r), /^Seccomp:\s+2$/m);
    assert.match(text(r), new RegExp(`:/docker/${web.id}$`, 'm'));
  });

  it('cx env gives the environment a session would get', async () => {
    const r = await cx(['env', web.name], { env: engine.env });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /^GREETING=hello frozen$/m);
    assert.match(text(r), /^HOME=\/root$/m);
  });

  it('cx enter opens a shell on a real terminal', async () => {
    const run = new PtyRun(CX_BIN, ['enter', web.name], { env: engine.env, cols: 91, rows: 33 });
    try {
      await run.expect(/# $/m, { timeoutMs: 20_000 });
      run.type('stty size; echo "x$((6*7))y"; exit 3\r');
      await run.expect('33 91');
      await run.expect('x42y');
      const e = await run.waitExit(20_000);
      assert.equal(e.exitCode, 3, run.screen);
    } finally {
      run.kill();
    }
  });

  it('a container that exits while the daemon is frozen is not reported as running, nor entered', async () => {
    process.kill(doomed.pid, 'SIGKILL');
    // The shim reaps it; containerd cannot tell the frozen daemon, so its files still say running.
    for (let i = 0; i < 200; i++) {
      const st = await execa('cat', [`/proc/${doomed.pid}/stat`], { reject: false });
      if (st.exitCode !== 0 || / Z /.test(st.stdout)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await cx(['ls', '--all', '--json'], { env: engine.env });
    const row = lsRows(r).find((x) => x.id === doomed.id);
    assert.ok(row, text(r));
    assert.equal(row.state, 'exited');
    assert.equal(row.pid, null);
    assert.ok(row.stale, 'the record should say why it is stale');
    assert.deepEqual(row.backends, []);
    const running = await cx(['ls', '--json'], { env: engine.env });
    assert.ok(!lsRows(running).some((x) => x.id === doomed.id));
    const ex = await cx(['exec', doomed.name, '--', 'true'], { env: engine.env });
    assert.equal(ex.exitCode, 1, ex.stderr);
    assert.match(ex.stderr, new RegExp(`^cx: container ${doomed.name} is not running`, 'm'));
  });

  it('cx doctor <target> explains the backend choice', async () => {
    const r = await cx(['doctor', web.name], { env: engine.env });
    assert.equal(r.exitCode, 0, text(r) + r.stderr);
    assert.match(text(r), /^FAIL\s+enter docker\s+dockerd is frozen/m);
    assert.match(text(r), new RegExp(`^ok\\s+enter runc\\s+runc state in ${engine.execRoot}/runtime-runc/moby$`, 'm'));
    assert.match(text(r), /^ok\s+choice\s+--backend auto uses runc: .*\(not docker: dockerd is frozen/m);
  });
});
