/**
 * The nsenter helper when things around it go wrong: a command that stops reading, a container
 * frozen behind the daemon's back, many sessions at once, a container with an absurd number of
 * environment records. Each case hung, died or failed at random before the helper handled it.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { describe, it } from 'node:test';
import { cx, text } from '../helpers/cx.js';
import { suiteContainer, suiteContainers } from '../helpers/suite.js';

describe('nsenter helper: faults', () => {
  const containers = suiteContainers();
  const c = suiteContainer({}, containers);

  it("passes on the command's exit status when it stops reading input cx is still sending (no death by SIGPIPE)", async () => {
    const input = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < 3; i++) {
      const r = await cx(['exec', '--backend', 'nsenter', '-i', c.name, '--', 'sh', '-c', 'head -c 10 >/dev/null; exit 3'], { input });
      assert.equal(r.exitCode, 3, r.stderr);
    }
  });

  it('16 sessions entering one container at the same moment all start (one seccomp tracer at a time is waited for)', async () => {
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) => cx(['exec', '--backend', 'nsenter', c.name, '--', 'echo', `s${i}`], { timeoutMs: 90_000 })),
      );
      results.forEach((r, i) => {
        assert.equal(r.exitCode, 0, `session ${i}: ${r.stderr}`);
        assert.equal(text(r), `s${i}\n`);
      });
    }
  });

  it('a container with 100,000 files in /etc/container_environment still works: 4096 applied, one warning for the rest', async () => {
    const setup =
      'mkdir -p /etc/container_environment && cd /etc/container_environment && seq 1 100000 | sed "s/^/V/" | xargs touch && touch /ready && exec sleep 100000';
    const p = await containers.run({ cmd: ['sh', '-c', setup] });
    const deadline = Date.now() + 120_000;
    while ((await execa('docker', ['exec', p.name, 'test', '-e', '/ready'], { reject: false })).exitCode !== 0) {
      assert.ok(Date.now() < deadline, 'the container did not create its records in time');
      await new Promise((r) => setTimeout(r, 200));
    }
    const r = await cx(['exec', '--backend', 'nsenter', p.name, '--', 'sh', '-c', 'env | grep -c "^V[0-9]*="'], { timeoutMs: 120_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), '4096\n');
    assert.match(
      r.stderr,
      /^cx: warning: \/etc\/container_environment holds 100000 variables: only the first 4096 \(by name\) are applied, 95904 skipped/,
    );
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    const env = await cx(['env', '--backend', 'nsenter', p.name], { timeoutMs: 120_000 });
    assert.equal(env.exitCode, 0, env.stderr);
    assert.match(text(env), /^V1=$/m);
  });

  it("refuses a container frozen behind the daemon's back (runc pause) with exit 126, and does not hang", async () => {
    const p = await containers.run();
    const runc = ['--root', '/run/docker/runtime-runc/moby'];
    await execa('runc', [...runc, 'pause', p.id]);
    try {
      const r = await cx(['exec', '--backend', 'nsenter', p.name, '--', 'true'], { timeoutMs: 30_000 });
      assert.equal(r.exitCode, 126, r.stderr);
      assert.match(r.stderr, /^cx: container \S+ is paused: cannot exec in a paused container/m);
    } finally {
      await execa('runc', [...runc, 'resume', p.id], { reject: false });
    }
    const after = await cx(['exec', '--backend', 'nsenter', p.name, '--', 'true']);
    assert.equal(after.exitCode, 0, after.stderr);
  });
});
