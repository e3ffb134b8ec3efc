/**
 * `cx debug`'s targets, in one run (interleaved, medians), all in the same container:
 *   cx debug <c> -- true   vs cx exec --backend nsenter <c> -- true   (target: <= +30 ms for the toolbox)
 *   cx debug <c> -- true   vs a cdebug-style sidecar: docker run --rm --pid container:<c>
 *                             --network container:<c> <toolbox image> true   (what users have today)
 * Run: npm run build && node dist/bench/debug.js  (needs the engine: bash scripts/test-env.sh)
 */
import { execFileSync } from 'node:child_process';
import { CX, fmt, interleave, machine, medianMs, recordSection } from './lib.js';

const RUNS = Math.max(10, Number(process.env['BENCH_RUNS'] ?? 15));
const IMAGE = 'cx-test/busybox:1';
const name = `cx-bench-debug-${process.pid}`;

try {
  execFileSync('docker', ['run', '-d', '--name', name, IMAGE, 'sleep', '100000'], { encoding: 'utf8' });
  // The default toolbox is built on first use: build it before measuring.
  execFileSync(CX, ['debug', name, '--', 'true']);
  const r = await interleave(
    {
      debug: { argv: [CX, 'debug', name, '--', 'true'] },
      exec: { argv: [CX, 'exec', '--backend', 'nsenter', name, '--', 'true'] },
      sidecar: { argv: ['docker', 'run', '--rm', '--pid', `container:${name}`, '--network', `container:${name}`, IMAGE, 'true'] },
    },
    RUNS,
  );
  const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, medianMs(v)])) as Record<string, number>;
  const debug = m['debug'] ?? 0;
  const exec = m['exec'] ?? 0;
  const sidecar = m['sidecar'] ?? 1;
  const mark = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const md = `## cx debug (issue 12)

${new Date().toISOString().slice(0, 10)}, ${machine()}. ${RUNS} interleaved runs per variant, medians; one container (${IMAGE}).

| measure | time | difference | target |
|---|---|---|---|
| \`cx debug <c> -- true\` (default toolbox: busybox + strace) | ${fmt(debug)} | | |
| \`cx exec --backend nsenter <c> -- true\` | ${fmt(exec)} | debug - exec = ${(debug - exec).toFixed(1)} ms | <= +30 ms: ${mark(debug - exec <= 30)} |
| sidecar: \`docker run --rm --pid container:<c> --network container:<c> ${IMAGE} true\` | ${fmt(sidecar)} | debug / sidecar = ${(debug / sidecar).toFixed(2)}x | reported |

What the toolbox costs: the private mount namespace (unshare, a tmpfs over the copy of \`/\`, one
bind per top-level entry of the container's root, the toolbox's detached mount) and the toolbox
cache check. The sidecar pays for a whole container start in the daemon (and needs it).
`;
  console.log(md);
  recordSection('debug', md);
} finally {
  execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
}
