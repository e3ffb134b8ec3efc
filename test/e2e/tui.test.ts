import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cx, CX_BIN } from '../helpers/cx.js';
import { DedicatedEngine, type EngineContainer } from '../helpers/dedicated-engine.js';
import { Containers, requireEngine, uniqueName } from '../helpers/engine.js';
import { PtyRun } from '../helpers/pty.js';
import { filterTo } from '../helpers/tui.js';

/**
 * `cx` with no arguments in a real pty against the real engine. cx runs under a shell that saves
 * the terminal settings before and after (stty -g), prints cx's PID (the inner sh execs cx) and
 * its exit code, so each test can signal cx and check the terminal came back exactly as it was.
 */
class TuiRun {
  readonly pty: PtyRun;
  constructor(
    readonly dir: string,
    env: Record<string, string> = {},
  ) {
    const script = 'stty -g > "$0/before"; sh -c \'echo "cxpid=$$"; exec "$0"\' "$1"; echo "rc=$?"; stty -g > "$0/after"; echo finished';
    this.pty = new PtyRun('sh', ['-c', script, dir, CX_BIN], { cols: 100, rows: 30, env });
  }

  async pid(): Promise<number> {
    return Number((await this.pty.expect(/cxpid=(\d+)/))[1]);
  }

  /** Wait for cx to end; returns its exit code, after checking the terminal settings are restored. */
  async finish(): Promise<number> {
    const m = await this.pty.expect(/rc=(\d+)/);
    await this.pty.expect('finished');
    const [before, after] = await Promise.all([
      readFile(path.join(this.dir, 'before'), 'utf8'),
      readFile(path.join(this.dir, 'after'), 'utf8'),
    ]);
    assert.equal(after, before, 'stty settings after cx differ from before');
    const raw = this.pty.raw;
    // The alternate screen was left and the cursor shown again, after the last time it was hidden.
    assert.ok(raw.lastIndexOf('\x1b[?1049l') > raw.lastIndexOf('\x1b[?1049h'), 'still in the alternate screen');
    assert.ok(raw.lastIndexOf('\x1b[?25h') > raw.lastIndexOf('\x1b[?25l'), 'cursor left hidden');
    return Number(m[1]);
  }
}

describe('cx TUI in a real terminal (shared engine)', () => {
  const containers = new Containers();
  const prefix = uniqueName('t');
  const names = { a: `${prefix}-al`, b: `${prefix}-br`, c: `${prefix}-ch` };
  let dir: string;

  before(async () => {
    await requireEngine();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-tui-'));
    await Promise.all([
      containers.run({ name: names.a }),
      containers.run({ name: names.b, args: ['-e', 'EVIL=x\x1b[31mred\x1b]0;pwned\x07', '--label', 'note=\x1b[2Jwiped'] }),
      containers.run({ name: names.c }),
    ]);
  });
  after(async () => {
    await containers.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('filter to one, Enter, run a command, exit, back on the list with the selection and status; q restores the terminal', async () => {
    const run = new TuiRun(dir);
    const p = run.pty;
    try {
      await p.expect(names.c);
      p.type('/');
      p.type(`${prefix}-b`);
      await p.expect(/1 of \d+ running match/);
      p.type('\r');
      let from = p.mark();
      await p.expect(`filter: ${prefix}-b`, { from });
      p.type('\r');
      // The shell gets the terminal: the right size from its first prompt, and output on the screen.
      await p.expect(/\/ # $/m);
      p.type('stty size; echo "in-$(hostname)-$((6*7))"\r');
      await p.expect(/30 100\s+in-[0-9a-f]{12}-42/);
      p.resize(120, 40);
      from = p.mark();
      p.type('stty size\r');
      await p.expect(/40 120/, { from });
      p.resize(100, 30);
      from = p.mark();
      p.type('exit 7\r');
      await p.expect(`${names.b}: shell exited with status 7`, { from });
      await p.expect(new RegExp(`› ${names.b}`), { from });
      // Back in the list, keys work again: clear the filter and see all three.
      from = p.mark();
      p.type('\x1b');
      await p.expect(names.a, { from });
      p.type('q');
      assert.equal(await run.finish(), 0);
    } finally {
      p.kill();
    }
  });

  it('shows env, a one-off command, inspect and processes, with container-controlled text escaped', async () => {
    const run = new TuiRun(dir);
    const p = run.pty;
    try {
      await p.expect(names.c);
      await filterTo(p, names.b);
      let from = p.mark();
      p.type('e');
      await p.expect(/container config +EVIL +x\\x1b\[31mred\\x1b\]0;pwned\\x07/, { from });
      await p.expect(/docker default +PATH/, { from });
      p.type('\x1b');
      from = p.mark();
      p.type('x');
      p.type('echo out-$((1+2)); id -un');
      p.type('\r');
      await p.expect(/out-3\s+root\s+exit status 0 \(via docker\)/, { from });
      from = p.mark();
      p.type('i');
      await p.expect(/image +cx-test\/busybox:1/, { from });
      await p.expect(/cgroup +\/docker\//, { from });
      from = p.mark();
      p.type('p');
      await p.expect(/sleep 100000/, { from });
      for (const seq of ['\x1b[31mred', '\x1b]0;pwned', 'pwned\x07', '\x1b[2Jwiped'])
        assert.ok(!p.raw.includes(seq), `${JSON.stringify(seq)} reached the terminal raw`);
      from = p.mark();
      p.type('\x1b');
      // Back on the list before ctrl-c (an ESC and a key within a few ms read as one meta keypress).
      await p.expect(/NAME +ID/, { from });
      p.type('\x03');
      assert.equal(await run.finish(), 0);
    } finally {
      p.kill();
    }
  });

  for (const [sig, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${sig} while in the list restores the terminal (exit ${code})`, async () => {
      const run = new TuiRun(dir);
      try {
        const pid = await run.pid();
        await run.pty.expect(names.c);
        process.kill(pid, sig);
        assert.equal(await run.finish(), code);
      } finally {
        run.pty.kill();
      }
    });
  }

  it('without a terminal, cx prints usage and a hint instead of waiting', async () => {
    const r = await cx([]);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /Usage: cx/);
    assert.match(r.stderr, /^cx: no command given, and no terminal for the TUI$/m);
    assert.match(r.stderr, /cx ls/);
    const ui = await cx(['ui']);
    assert.equal(ui.exitCode, 2);
    assert.match(ui.stderr, /^cx: the cx TUI needs a terminal on stdin and stdout$/m);
  });
});

describe('cx TUI with the daemon frozen (dedicated engine)', () => {
  let engine: DedicatedEngine;
  let web: EngineContainer;
  let dir: string;

  before(async () => {
    await requireEngine();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-tui-frozen-'));
    engine = await DedicatedEngine.start();
    web = await engine.run({ args: ['-e', 'GREETING=hello frozen'] });
    await engine.freezeAfterLs();
  });
  after(async () => {
    await engine?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows the banner, lists from disk, and still enters (through runc)', async () => {
    const run = new TuiRun(dir, engine.env);
    const p = run.pty;
    try {
      await p.expect(/dockerd is not responding: listing from disk, refreshing every 3 s; entering via runc/, { timeoutMs: 30_000 });
      await p.expect(web.name);
      await filterTo(p, web.name);
      p.type('\r');
      await p.expect(/\/ # $/m, { timeoutMs: 30_000 });
      const from = p.mark();
      p.type('echo "$GREETING"; stty size\r');
      await p.expect(/hello frozen\s+30 100/, { from });
      p.type('exit 4\r');
      await p.expect(`${web.name}: shell exited with status 4`, { from, timeoutMs: 30_000 });
      p.type('q');
      assert.equal(await run.finish(), 0);
    } finally {
      p.kill();
    }
  });
});
