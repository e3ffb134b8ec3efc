import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CX_BIN } from '../helpers/cx.js';
import { PtyRun } from '../helpers/pty.js';
import { suiteContainers } from '../helpers/suite.js';
import { enterContract } from './enter-contract.js';

enterContract('docker');

describe('cx enter: shell choice (docker backend)', () => {
  const containers = suiteContainers();

  it("uses the user's login shell from the container's passwd", async () => {
    const c = await containers.run();
    const p = new PtyRun(CX_BIN, ['enter', '-u', 'app', c.name]);
    try {
      await p.expect(/\$ $/m);
      p.type('echo "shell=$0 user=$(id -un)"\r');
      await p.expect(/shell=\/bin\/sh user=app/);
      p.type('exit 3\r');
      assert.equal((await p.waitExit()).exitCode, 3);
    } finally {
      p.kill();
    }
  });

  it('says so, in one line, when the image has no shell at all', async () => {
    const c = await containers.run({ image: 'cx-test/noshell:1', cmd: ['/busybox', 'sleep', '1000000'] });
    const p = new PtyRun(CX_BIN, ['enter', c.name]);
    try {
      const { exitCode } = await p.waitExit();
      assert.equal(exitCode, 127);
      assert.match(p.screen, /cx: no shell in this container/);
      assert.match(p.screen, /cx exec <target> -- \/path\/to\/program/);
    } finally {
      p.kill();
    }
  });
});
