/**
 * The nsenter helper when things around it go wrong: a command that stops reading, a container
 * frozen behind the daemon's back, many sessions at once, a container with an absurd number of
 * environment records. Each case hung, died or failed at random before the helper handled it.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { after, before, describe, it } from 'node:test';
import { cx, text } from '../helpers/cx.js';
import { Containers, requireEngine, type TestContainer } from '../helpers/engine.js';

describe('nsenter helper: faults', () => {
  const containers = new Containers();
  let c: TestContainer;
  before(async () => {
    await requireEngine();
    c = await containers.run();
  });
  after(() => containers.remove());

  it("passes on the command's exit status when it stops reading input cx is still sending (no death by SIGPIPE)", async () => {
    const input = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < 3; i++) {
      const r = await cx(['exec', '--backend', 'nsenter', '-i', c.name, '--', 'sh', '-c', 'head -c 10 >/dev/null; exit 3'], { input });
      assert.equal(r.exitCode, 3, r.stderr);
    }
  });
});
