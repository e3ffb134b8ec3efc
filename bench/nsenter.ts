/**
 * Issue 3's target for the nsenter backend, in one run (interleaved, medians):
 *   cx exec --backend nsenter <c> -- true   vs docker exec <c> true     (target <= 1.0x: no daemon round trips)
 *   cx exec --backend nsenter <c> -- true   vs nsenter -t PID -a true   (reported: the price of parity)
 *   the helper alone (cx-nsenter exec ... true, what cx adds beyond Node) vs nsenter -t PID -a true
 * Run: npm run build && node dist/bench/nsenter.js  (needs the engine: bash scripts/test-env.sh)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CX, ROOT, fmt, interleave, machine, medianMs, recordSection } from './lib.js';

const RUNS = Math.max(10, Number(process.env['BENCH_RUNS'] ?? 15));
const name = `cx-bench-ns-${process.pid}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cx-bench-ns-'));

try {
  const id = execFileSync('docker', ['run', '-d', '--name', name, 'cx-test/busybox:1', 'sleep', '100000'], { encoding: 'utf8' }).trim();
  const pid = execFileSync('docker', ['inspect', '--format', '{{.State.Pid}}', id], { encoding: 'utf8' }).trim();
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  // The helper by itself, with the arguments cx would pass (environment on fd 3 from a file).
  const env = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\0HOME=/root\0';
  const ctl = path.join(dir, 'ctl');
  writeFileSync(ctl, `${Buffer.byteLength(env)}\n${env}`);
  const helper = `${ROOT}native/build/cx-nsenter`;
  const helperCmd = `${helper} exec --pid ${pid} --start ${start} --id ${id} --uid 0 --gid 0 --groups 0 --cwd / --cap-bnd a80425fb --cap-eff a80425fb --cap-prm a80425fb --cap-inh 0 --cap-amb 0 --seccomp -- true 3<${ctl}`;

  const r = await interleave(
    {
      cx: { argv: [CX, 'exec', '--backend', 'nsenter', name, '--', 'true'] },
      docker: { argv: ['docker', 'exec', name, 'true'] },
      nsenter: { argv: ['nsenter', '-t', pid, '-a', 'true'] },
      helper: { argv: ['sh', '-c', helperCmd] },
      shOnly: { argv: ['sh', '-c', 'true'] },
      version: { argv: [CX, '--version'] },
    },
    RUNS,
  );
  const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, medianMs(v)])) as Record<string, number>;
  const cx = m['cx'] ?? 0;
  const docker = m['docker'] ?? 1;
  const raw = m['nsenter'] ?? 1;
  const helperNet = (m['helper'] ?? 0) - (m['shOnly'] ?? 0);
  const mark = (ok: boolean): string => (ok ? 'met' : '**missed**');

  const md = `## nsenter backend

${new Date().toISOString().slice(0, 10)}, ${machine()}. ${RUNS} interleaved runs per variant, medians.

| measure | time | ratio | target |
|---|---|---|---|
| \`cx exec --backend nsenter <c> -- true\` | ${fmt(cx)} | | |
| \`docker exec <c> true\` | ${fmt(docker)} | cx / docker = ${(cx / docker).toFixed(2)}x | <= 1.0x: ${mark(cx / docker <= 1.0)} |
| \`nsenter -t PID -a true\` (no parity: host env, host caps, host cgroup) | ${fmt(raw)} | cx / nsenter = ${(cx / raw).toFixed(1)}x | reported |
| the helper alone (\`cx-nsenter exec ... -- true\`, sh startup subtracted) | ${fmt(helperNet)} | helper / nsenter = ${(helperNet / raw).toFixed(2)}x | |
| \`cx --version\` (Node start-up floor of any cx command) | ${fmt(m['version'] ?? 0)} | | |

Where the time goes: the helper (pidfd checks, seccomp copy, cgroup join, setns, fork, exec) costs about
as much as raw nsenter; the rest is Node start-up and target resolution (\`cx --version\` is the floor).
`;
  console.log(md);
  recordSection('nsenter', md);
} finally {
  execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
