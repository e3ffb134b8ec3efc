/**
 * `cx debug` on a real terminal, in a container with no shell at all (one static program, read-only
 * root): a prompt from the toolbox's shell, the container's files and processes, a working pty, and
 * the shell's exit code as cx's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CX_BIN, cx } from '../helpers/cx.js';
import { PtyRun } from '../helpers/pty.js';
import { scratchImage } from '../helpers/scratch-image.js';
import { suiteContainer } from '../helpers/suite.js';

describe('cx debug in a pty', () => {
  const c = suiteContainer(async () => ({ image: await scratchImage(), args: ['--read-only'], cmd: [] }));

  it("the image has no shell; cx debug gives a prompt, the target's root and processes, and the exit code", async () => {
    const noShell = await cx(['exec', c.name, '--', 'sh', '-c', 'true']);
    assert.equal(noShell.exitCode, 127, noShell.stderr);
    const p = new PtyRun(CX_BIN, ['debug', c.name], { cols: 97, rows: 31 });
    try {
      await p.expect(/cx-debug:\/# $/m);
      await p.ask('ls /', /sleeper/);
      const from = p.mark();
      p.type('ps -o pid,args; stty size; tty\r');
      await p.expect(/^\s*1\s+\/sleeper\r?$[\s\S]*31 97\r?\n\/dev\/pts\/\d+/m, { from });
      p.type('exit 5\r');
      const done = await p.waitExit();
      assert.equal(done.exitCode, 5, p.screen);
    } finally {
      p.kill();
    }
  });

  it('the TUI: inspect says the image has no shell, d opens the toolbox shell and comes back to the list', async () => {
    const p = new PtyRun(CX_BIN, [], { cols: 110, rows: 30 });
    try {
      await p.expect(c.name);
      p.type('/');
      p.type(c.name);
      p.type('\r');
      let from = p.mark();
      p.type('i');
      await p.expect(/shell: none in this image .*press d/, { from });
      p.type('\x1b');
      from = p.mark();
      p.type('d');
      await p.expect(/cx-debug:\/# $/m, { from });
      from = p.mark();
      p.type('ls /; exit 3\r');
      await p.expect(/sleeper/, { from });
      await p.expect(`${c.name}: shell exited with status 3`, { from });
      p.type('q');
      const done = await p.waitExit();
      assert.equal(done.exitCode, 0, p.screen);
    } finally {
      p.kill();
    }
  });
});
