/**
 * Issue 2's targets for the docker backend, side by side with docker exec in one run:
 *   cx exec <c> -- true            vs docker exec <c> true        (target <= 1.5x)
 *   cx --version                   vs node -e 0                   (target <= +40 ms)
 *   256 MiB through cx exec -i cat vs docker exec -i cat          (target <= 1.1x)
 *   peak RSS of cx exec during the 256 MiB run                     (target <= 80 MiB)
 * Run: npm run build && node dist/bench/docker-exec.js  (needs the engine: bash scripts/test-env.sh)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CX, fmt, interleave, machine, median, medianMs, recordSection } from './lib.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const name = `cx-bench-${process.pid}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'cx-bench-'));
const blob = path.join(dir, 'blob');

try {
  execFileSync('docker', ['run', '-d', '--name', name, 'cx-test/busybox:1', 'sleep', '100000'], { stdio: 'ignore' });
  execFileSync('sh', ['-c', `head -c ${256 * 1024 * 1024} /dev/urandom > ${blob}`]);

  const start = await interleave(
    { cx: { argv: [CX, 'exec', name, '--', 'true'] }, docker: { argv: ['docker', 'exec', name, 'true'] } },
    RUNS,
  );
  const version = await interleave({ cx: { argv: [CX, '--version'] }, node: { argv: ['node', '-e', '0'] } }, RUNS);
  const bulk = await interleave(
    {
      cx: { argv: [CX, 'exec', '-i', name, '--', 'sh', '-c', 'cat >/dev/null'], stdinFile: blob, rss: true },
      docker: { argv: ['docker', 'exec', '-i', name, 'sh', '-c', 'cat >/dev/null'], stdinFile: blob },
    },
    Math.max(10, Math.floor(RUNS / 1.5)),
    1,
  );

  const s = { cx: medianMs(start['cx'] ?? []), docker: medianMs(start['docker'] ?? []) };
  const v = { cx: medianMs(version['cx'] ?? []), node: medianMs(version['node'] ?? []) };
  const b = { cx: medianMs(bulk['cx'] ?? []), docker: medianMs(bulk['docker'] ?? []) };
  const rssMiB = Math.max(...(bulk['cx'] ?? []).map((x) => x.maxRssKiB ?? 0)) / 1024;
  const rssMedMiB = median((bulk['cx'] ?? []).map((x) => x.maxRssKiB ?? 0)) / 1024;
  const mark = (ok: boolean): string => (ok ? 'met' : '**missed**');

  const md = `## docker backend

${new Date().toISOString().slice(0, 10)}, ${machine()}. ${RUNS} interleaved runs per variant (bulk: ${(bulk['cx'] ?? []).length}), medians.

| measure | cx | reference | result | target |
|---|---|---|---|---|
| \`cx exec <c> -- true\` vs \`docker exec <c> true\` | ${fmt(s.cx)} | ${fmt(s.docker)} | ${(s.cx / s.docker).toFixed(2)}x | <= 1.5x: ${mark(s.cx / s.docker <= 1.5)} |
| \`cx --version\` vs \`node -e 0\` | ${fmt(v.cx)} | ${fmt(v.node)} | +${(v.cx - v.node).toFixed(1)} ms | <= +40 ms: ${mark(v.cx - v.node <= 40)} |
| 256 MiB through \`exec -i <c> -- sh -c 'cat >/dev/null'\` | ${fmt(b.cx)} | ${fmt(b.docker)} | ${(b.cx / b.docker).toFixed(2)}x | <= 1.1x: ${mark(b.cx / b.docker <= 1.1)} |
| peak RSS of \`cx exec\` (256 MiB run) | max ${rssMiB.toFixed(1)} MiB, median ${rssMedMiB.toFixed(1)} MiB | | | <= 80 MiB: ${mark(rssMiB <= 80)} |
`;
  console.log(md);
  recordSection('docker-exec', md);
} finally {
  execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
