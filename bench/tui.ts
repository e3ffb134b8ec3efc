/**
 * The TUI's budget: first paint with 100 containers <= 500 ms after start, idle CPU over
 * 30 s <= 2% of a core, RSS <= 150 MiB. bin/cx runs in a real pty; 100 containers are started on the
 * shared engine with a label and removed afterwards. `cx ls` with the same 100 is the reference.
 */
import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import * as pty from 'node-pty';
import { CX, cpuPercent, fmt, machine, median, recordSection, rssMiB } from './lib.js';

const COUNT = 100;
const RUNS = 7;
const IDLE_S = 30;
const LABEL = 'cx-bench-tui=1';

async function startContainers(): Promise<void> {
  const names = Array.from({ length: COUNT }, (_, i) => `cxbench-tui-${String(i).padStart(3, '0')}`);
  // Batches: 100 parallel `docker run`s overwhelm a 2-core machine.
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(
      names
        .slice(i, i + 10)
        .map((n) => execa('docker', ['run', '-d', '--name', n, '--label', LABEL, 'cx-test/busybox:1', 'sleep', '100000'])),
    );
  }
}

async function removeContainers(): Promise<void> {
  const ids = (await execa('docker', ['ps', '-aq', '--filter', `label=${LABEL}`])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await execa('docker', ['rm', '-f', ...ids], { reject: false });
}

interface Paint {
  firstFrameMs: number;
  listMs: number;
  proc: pty.IPty;
}

/** Spawn `cx` in a pty; time to the first frame, and to the frame that lists >= COUNT containers. */
function paint(): Promise<Paint> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const proc = pty.spawn(CX, [], {
      name: 'xterm-256color',
      cols: 160,
      rows: 50,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', TERM: 'xterm-256color' },
    });
    let out = '';
    let firstFrameMs: number | undefined;
    const timer = setTimeout(() => {
      proc.kill();
      const text = out.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '');
      writeFileSync('/tmp/cx-tui-bench-screen.txt', text);
      reject(
        new Error(
          `no list within 20 s (screen in /tmp/cx-tui-bench-screen.txt); header lines seen: ${JSON.stringify((text.match(/cx {2}[^\n]{0,40}/g) ?? []).slice(-3))}`,
        ),
      );
    }, 20_000);
    proc.onData((d) => {
      out += d;
      const text = out.replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '');
      if (firstFrameMs === undefined && text.includes('NAME')) firstFrameMs = performance.now() - t0;
      // The newest header counts (the first frames say "0 running" while the list loads).
      const m = [...text.slice(-20_000).matchAll(/cx {2}(\d+) running/g)].pop();
      if (m && Number(m[1]) >= COUNT && text.includes('cxbench-tui-000')) {
        clearTimeout(timer);
        resolve({ firstFrameMs: firstFrameMs ?? performance.now() - t0, listMs: performance.now() - t0, proc });
      }
    });
  });
}

async function quit(p: pty.IPty): Promise<void> {
  const exited = new Promise<void>((r) => p.onExit(() => r()));
  p.write('q');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  try {
    p.kill();
  } catch {
    // gone
  }
}

async function main(): Promise<void> {
  await removeContainers();
  await startContainers();
  const loadBefore = os.loadavg()[0] ?? 0;
  try {
    const first: number[] = [];
    const list: number[] = [];
    const ls: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const p = await paint();
      first.push(p.firstFrameMs);
      list.push(p.listMs);
      await quit(p.proc);
      const t0 = performance.now();
      await execa(CX, ['ls']);
      ls.push(performance.now() - t0);
    }
    // Idle: the list is shown, nobody types, the engine is quiet (events mode).
    const p = await paint();
    await new Promise((r) => setTimeout(r, 2000));
    const cpu = await cpuPercent(p.proc.pid, IDLE_S);
    const mem = rssMiB(p.proc.pid);
    await quit(p.proc);

    const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
    const md = `## TUI

${new Date().toISOString().slice(0, 10)}, ${machine()}. \`cx\` in a 160x50 pty with ${COUNT} extra running containers on the shared engine; ${RUNS} runs, medians; idle measured once over ${IDLE_S} s.

| measure | cx TUI | reference | target |
|---|---|---|---|
| start -> first frame (header, loading) | ${fmt(median(first))} | | |
| start -> first paint with the ${COUNT} containers listed | ${fmt(median(list))} | \`cx ls\` (start to exit): ${fmt(median(ls))} | <= 500 ms: ${verdict(median(list) <= 500)} |
| idle CPU over ${IDLE_S} s (engine events, no keys) | ${cpu.toFixed(2)}% of a core | | <= 2%: ${verdict(cpu <= 2)} |
| RSS while idle (peak) | ${mem.rss.toFixed(1)} MiB (${mem.hwm.toFixed(1)} MiB) | | <= 150 MiB: ${verdict(mem.hwm <= 150)} |

Runs (list painted, ms): ${list.map((x) => x.toFixed(0)).join(', ')}. 1-min load average ${loadBefore.toFixed(1)} at the start, ${(os.loadavg()[0] ?? 0).toFixed(1)} at the end (other suites share the machine and the engine).`;
    recordSection('tui', md);
    process.stdout.write(`${md}\n`);
  } finally {
    await removeContainers();
  }
}

await main();
