/**
 * Live sessions in the TUI: switching between sessions (key typed -> the other session's screen
 * redrawn, target <= 50 ms at 200x60), idle CPU with 5 detached sessions each printing a line a
 * second (<= 3% of a core) and RSS with those 5 (<= 200 MiB). bin/cx runs in a real pty against the
 * shared engine; the 5 containers are started with a label and removed afterwards.
 */
import { execa } from 'execa';
import * as pty from 'node-pty';
import { CX, cpuPercent, fmt, machine, median, recordSection, rssMiB } from './lib.js';

const COLS = 200;
const ROWS = 60;
const COUNT = 5;
const SWITCHES = 30;
const IDLE_S = 30;
const LABEL = 'cx-bench-sessions=1';
const NEXT = '\x10\x0e';
const DETACH = '\x10\x11';

class Term {
  out = '';
  readonly proc: pty.IPty;
  constructor() {
    this.proc = pty.spawn(CX, [], {
      name: 'xterm-256color',
      cols: COLS,
      rows: ROWS,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', TERM: 'xterm-256color', CX_AUDIT_LOG: 'off' },
    });
    this.proc.onData((d) => (this.out += d));
  }
  /** Wait (bounded) for `text` in the output after offset `from`; returns when it was seen. */
  async wait(text: string | RegExp, from: number, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.out.slice(from);
      if (typeof text === 'string' ? rest.includes(text) : text.test(rest)) return performance.now();
      if (Date.now() > deadline)
        throw new Error(`no ${String(text)} within ${timeoutMs} ms; tail: ${JSON.stringify(this.out.slice(-400))}`);
      await new Promise((r) => setImmediate(r));
    }
  }
}

async function main(): Promise<void> {
  const names = Array.from({ length: COUNT }, (_, i) => `cxbench-sess-${i}`);
  await execa('docker', ['rm', '-f', ...names], { reject: false });
  await Promise.all(
    names.map((n) => execa('docker', ['run', '-d', '--name', n, '--label', LABEL, 'cx-test/busybox:1', 'sleep', '100000'])),
  );
  const t = new Term();
  try {
    await t.wait(names[COUNT - 1] ?? '', 0);
    for (const [i, n] of names.entries()) {
      let from = t.out.length;
      t.proc.write('/');
      t.proc.write(n);
      t.proc.write('\r');
      await t.wait(`filter: ${n}`, from);
      from = t.out.length;
      t.proc.write('\r');
      await t.wait('/ # ', from);
      t.proc.write(`echo SESSION-$((${i}+1000))-MARK; while true; do date; sleep 1; done\r`);
      await t.wait(`SESSION-${i + 1000}-MARK`, from);
      from = t.out.length;
      t.proc.write(DETACH);
      await t.wait('detached, still running', from);
      // Clear the filter; wait for the list before the next key (ESC + key reads as one meta key).
      from = t.out.length;
      t.proc.write('\x1b');
      await t.wait(/NAME +ID/, from);
    }

    // Idle: the list shows, 5 sessions print a line a second each into their emulators.
    const pid = t.proc.pid;
    await new Promise((r) => setTimeout(r, 3000));
    const cpu = await cpuPercent(pid, IDLE_S);
    const mem = rssMiB(pid);

    // Switching: open the first from the sessions view, then next, next, ... timing each redraw.
    let from = t.out.length;
    t.proc.write('w');
    await t.wait('STATE', from);
    from = t.out.length;
    t.proc.write('\r');
    await t.wait('SESSION-1000-MARK', from);
    const times: number[] = [];
    let at = 0;
    for (let k = 0; k < SWITCHES; k++) {
      at = (at + 1) % COUNT;
      from = t.out.length;
      const start = performance.now();
      t.proc.write(NEXT);
      const seen = await t.wait(new RegExp(`\\x1b\\[3J[\\s\\S]*SESSION-${at + 1000}-MARK`), from);
      times.push(seen - start);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0;
    from = t.out.length;
    t.proc.write(DETACH);
    await t.wait('detached', from);
    const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
    const sw = median(times);
    const md = `## TUI live sessions

${new Date().toISOString().slice(0, 10)}, ${machine()}. \`cx\` in a ${COLS}x${ROWS} pty, ${COUNT} sessions (docker backend) each running \`while true; do date; sleep 1; done\`; idle measured once over ${IDLE_S} s with all ${COUNT} detached; ${SWITCHES} switches (ctrl-p ctrl-n) timed from the key to the next session's redrawn screen reaching the pty.

| measure | result | target |
|---|---|---|
| switch to the next session, key to redrawn screen | median ${fmt(sw)}, p95 ${fmt(p95)} | <= 50 ms: ${verdict(sw <= 50)} |
| idle CPU, ${COUNT} detached sessions printing 1 line/s each | ${cpu.toFixed(2)}% of a core | <= 3%: ${verdict(cpu <= 3)} |
| RSS with ${COUNT} sessions (peak) | ${mem.rss.toFixed(1)} MiB (${mem.hwm.toFixed(1)} MiB) | <= 200 MiB: ${verdict(mem.hwm <= 200)} |
`;
    console.log(md);
    recordSection('sessions', md);
    // Quit: from the sessions view back to the list, then q and confirm, which hangs the sessions up.
    const exited = new Promise<void>((r) => t.proc.onExit(() => r()));
    await t.wait('esc back', from);
    from = t.out.length;
    t.proc.write('\x1b');
    await t.wait(/NAME +ID/, from);
    t.proc.write('q');
    await t.wait('quit and hang up', from);
    t.proc.write('y');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  } finally {
    t.proc.kill();
    await execa('docker', ['rm', '-f', ...names], { reject: false });
  }
}

await main();
