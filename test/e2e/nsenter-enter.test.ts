import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { CX_BIN } from '../helpers/cx.js';
import { PtyRun } from '../helpers/pty.js';
import { suiteContainer } from '../helpers/suite.js';
import { enterContract } from './enter-contract.js';

enterContract('nsenter');

describe('cx enter --backend nsenter: the terminal belongs to the container', () => {
  const c = suiteContainer();

  it('tty names a pts node that exists in the container, with job control and no warnings', async () => {
    const p = new PtyRun(CX_BIN, ['enter', '--backend', 'nsenter', c.name], { cols: 101, rows: 33 });
    try {
      await p.expect(/# $/m);
      const tty = await p.ask('tty', /(\/dev\/pts\/\d+)\r?\n/);
      const path = tty[1] ?? '';
      // The same path seen through docker exec (the container's own devpts), and it is our terminal.
      const seen = await execa('docker', ['exec', c.name, 'ls', path], { reject: false });
      assert.equal(seen.exitCode, 0, `${path} does not exist in the container: ${seen.stderr}`);
      await p.ask('stty size', /33 101\r?\n/);
      // Job control: the pty is the shell's controlling terminal and its process group is in front.
      const st = await p.ask('set -- $(cat /proc/$$/stat); echo "pgrp=$5 tty=$7 tpgid=$8"', /pgrp=(\d+) tty=(\d+) tpgid=(-?\d+)\r?\n/);
      assert.notEqual(st[2], '0', 'no controlling terminal');
      assert.equal(st[3], st[1], 'the shell is not the foreground process group');
      assert.doesNotMatch(p.screen, /cannot set terminal process group|no job control|can't access tty/i);
      // The session's processes are in the container's pid namespace: the shell is not PID 1.
      await p.ask('echo "ppid=$PPID"', /ppid=0\r?\n/);
      p.type('exit 7\r');
      assert.equal((await p.waitExit()).exitCode, 7);
    } finally {
      p.kill();
    }
  });

  it('runs as -u app with its login shell and a terminal the user owns', async () => {
    const p = new PtyRun(CX_BIN, ['enter', '--backend', 'nsenter', '-u', 'app', c.name]);
    try {
      await p.expect(/\$ $/m);
      await p.ask('echo "shell=$0 user=$(id -un) home=$HOME"', /shell=\/bin\/sh user=app home=\/home\/app/);
      await p.ask('stat -c "owner=%u" $(tty)', /owner=1000/);
      p.type('exit\r');
      assert.equal((await p.waitExit()).exitCode, 0);
    } finally {
      p.kill();
    }
  });
});
