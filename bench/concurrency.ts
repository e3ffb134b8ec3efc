/**
 * 64 sessions at once into one container, per backend, beside 64 `docker exec`s in the same run:
 * every exit code must be the command's own, nothing may be left behind (no runtime or helper
 * process, no scratch file, no extra process in the container), and the wall time of the batch is
 * compared with docker exec's. Bounded: BATCH sessions per round, ROUNDS rounds, a deadline per run.
 * Run: npm run build && node dist/bench/concurrency.js  (needs the engine: bash scripts/test-env.sh)
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { CX, fmt, machine, median, recordSection } from './lib.js';

const BATCH = Number(process.env['BENCH_BATCH'] ?? 64);
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 3));
const DEADLINE_MS = 120_000;
const name = `cx-bench-conc-${process.pid}`;

interface Outcome {
  wrong: number;
  failures: string[];
  ms: number;
}

/** Run `argv(i)` for i in 0..BATCH-1 at once; command i exits with i % 50 (so every code is checked). */
async function batch(argv: (i: number) => string[]): Promise<Outcome> {
  const start = process.hrtime.bigint();
  const results = await Promise.all(
    Array.from(
      { length: BATCH },
      (_, i) =>
        new Promise<{ i: number; code: number | null; err: string }>((resolve) => {
          const a = argv(i);
          const child = spawn(a[0] ?? '', a.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          child.stderr.on('data', (d: Buffer) => (err += d.toString()));
          const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
          child.on('close', (code) => {
            clearTimeout(timer);
            resolve({ i, code, err });
          });
        }),
    ),
  );
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const bad = results.filter((r) => r.code !== r.i % 50);
  return { ms, wrong: bad.length, failures: bad.slice(0, 3).map((r) => `#${r.i}: exit ${r.code} ${r.err.trim().split('\n')[0] ?? ''}`) };
}

/** What a session could leave behind: runtime/helper processes, scratch files, container processes. */
function leftovers(containerId: string, containerPid: string): string[] {
  const found: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    if (/cx-nsenter|runc (--\S+ \S+ )*(exec|init)|docker exec/.test(cmd) && !cmd.includes('containerd-shim') && cmd.includes(containerId))
      found.push(`${p}: ${cmd.slice(0, 80)}`);
  }
  const tmp = readdirSync(os.tmpdir()).filter((f) => f.startsWith('cx-runc-'));
  if (tmp.length) found.push(`scratch: ${tmp.join(' ')}`);
  const procs = execFileSync('docker', ['top', name, '-o', 'pid'], { encoding: 'utf8' }).trim().split('\n').slice(1);
  if (procs.length !== 1) found.push(`container processes: ${procs.length} (expected 1, init ${containerPid})`);
  return found;
}

try {
  execFileSync('docker', ['run', '-d', '--name', name, 'cx-test/busybox:1', 'sleep', '100000']);
  const pid = execFileSync('docker', ['inspect', '--format', '{{.State.Pid}}', name], { encoding: 'utf8' }).trim();
  const id = execFileSync('docker', ['inspect', '--format', '{{.Id}}', name], { encoding: 'utf8' }).trim();
  const variants: Record<string, (i: number) => string[]> = {
    'docker exec': (i) => ['docker', 'exec', name, 'sh', '-c', `exit ${i % 50}`],
    'cx --backend docker': (i) => [CX, 'exec', '--backend', 'docker', name, '--', 'sh', '-c', `exit ${i % 50}`],
    'cx --backend runc': (i) => [CX, 'exec', '--backend', 'runc', name, '--', 'sh', '-c', `exit ${i % 50}`],
    'cx --backend nsenter': (i) => [CX, 'exec', '--backend', 'nsenter', name, '--', 'sh', '-c', `exit ${i % 50}`],
  };
  const rows: string[] = [];
  const times: Record<string, number[]> = {};
  const wrong: Record<string, number> = {};
  const notes: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, argv] of Object.entries(variants)) {
      const o = await batch(argv);
      (times[label] ??= []).push(o.ms);
      wrong[label] = (wrong[label] ?? 0) + o.wrong;
      if (o.failures.length) notes.push(`${label}: ${o.failures.join('; ')}`);
      const left = leftovers(id, pid);
      if (left.length) notes.push(`${label} left behind: ${left.join('; ')}`);
    }
  }
  const ref = median(times['docker exec'] ?? [1]);
  for (const [label, t] of Object.entries(times)) {
    const m = median(t);
    rows.push(`| ${label} | ${fmt(m)} | ${(m / ref).toFixed(2)}x | ${wrong[label]} of ${BATCH * ROUNDS} |`);
  }
  const md = `## 64-way concurrency (faults issue)

${new Date().toISOString().slice(0, 10)}, ${machine()}. ${BATCH} sessions at once into one container, ${ROUNDS} rounds per variant,
interleaved; wall time of a whole batch (median of rounds); every command exits with its own code (i % 50).

| variant | batch wall time | vs docker exec | wrong exit codes |
|---|---|---|---|
${rows.join('\n')}

${notes.length ? `Notes:\n${notes.map((n) => `- ${n}`).join('\n')}` : 'Nothing left behind after any batch (no helper/runtime process, no scratch file, one process in the container).'}
`;
  recordSection('concurrency', md);
  process.stdout.write(md);
} finally {
  execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
}
