/**
 * Daemon-less discovery and the runc backend, on a dedicated engine with 100 running containers:
 * `cx ls` with the daemon ok vs frozen (SIGSTOP), the on-disk listing alone, and
 * `cx exec --backend runc` vs `docker exec`. Run: npm run build && node dist/bench/discovery.js
 */
import { execa } from 'execa';
import { listFromDisk } from '../src/discovery/docker-disk.js';
import { DedicatedEngine } from '../test/helpers/dedicated-engine.js';
import { CX, fmt, interleave, machine, median, medianMs, recordSection } from './lib.js';

const COUNT = Number(process.env['CX_BENCH_CONTAINERS'] ?? 100);
const RUNS = Number(process.env['CX_BENCH_RUNS'] ?? 15);

const engine = await DedicatedEngine.start();
try {
  process.env['DOCKER_HOST'] = `unix://${engine.socket}`;
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i++) ids.push((await engine.run({ name: `bench-${i}` })).id);
  const target = 'bench-0';

  const ok = await interleave(
    {
      'cx ls (daemon ok)': { argv: [CX, 'ls'] },
      'docker ps': { argv: ['docker', 'ps'] },
      'cx exec --backend runc': { argv: [CX, 'exec', '--backend', 'runc', target, '--', 'true'] },
      'cx exec --backend docker': { argv: [CX, 'exec', '--backend', 'docker', target, '--', 'true'] },
      'docker exec': { argv: ['docker', 'exec', target, 'true'] },
      'runc exec (bare)': { argv: ['runc', '--root', `${engine.execRoot}/runtime-runc/moby`, 'exec', ids[0] ?? '', 'true'] },
    },
    RUNS,
  );

  const diskMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = process.hrtime.bigint();
    const list = await listFromDisk({ dataRoot: engine.dataRoot, execRoot: engine.execRoot }, () => undefined);
    diskMs.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (list.filter((c) => c.state === 'running').length !== COUNT) throw new Error(`disk listing found ${list.length}, want ${COUNT}`);
  }

  engine.freeze();
  let frozen;
  try {
    frozen = await interleave(
      {
        'cx ls (daemon frozen)': { argv: [CX, 'ls'] },
        'cx exec (daemon frozen, auto)': { argv: [CX, 'exec', target, '--', 'true'] },
      },
      RUNS,
    );
    const check = await execa(CX, ['ls', '--json'], { reject: false });
    const listed = (JSON.parse(check.stdout) as unknown[]).length;
    if (listed !== COUNT) throw new Error(`frozen cx ls listed ${listed}, want ${COUNT}`);
  } finally {
    engine.thaw();
  }

  const m = (name: string, from: Record<string, Parameters<typeof medianMs>[0]>): number => medianMs(from[name] ?? []);
  const lsOk = m('cx ls (daemon ok)', ok);
  const lsFrozen = m('cx ls (daemon frozen)', frozen);
  const disk = median(diskMs);
  const runc = m('cx exec --backend runc', ok);
  const dockerExec = m('docker exec', ok);
  const rows = [
    `| \`cx ls\`, ${COUNT} running, daemon ok | ${fmt(lsOk)} | \`docker ps\` ${fmt(m('docker ps', ok))} | ${(lsOk / m('docker ps', ok)).toFixed(2)}x | |`,
    `| \`cx ls\`, ${COUNT} running, daemon frozen (SIGSTOP) | ${fmt(lsFrozen)} | | | <= 1.5 s wall: ${lsFrozen <= 1500 ? 'met' : '**missed**'} |`,
    `| on-disk listing alone (data-root + runc state + PID checks, in process) | ${fmt(disk)} | | | <= 300 ms: ${disk <= 300 ? 'met' : '**missed**'} |`,
    `| \`cx exec <c> -- true\` with the daemon frozen (auto -> runc) | ${fmt(m('cx exec (daemon frozen, auto)', frozen))} | | | |`,
    `| \`cx exec --backend runc <c> -- true\` vs \`docker exec <c> true\` | ${fmt(runc)} | ${fmt(dockerExec)} | ${(runc / dockerExec).toFixed(2)}x | |`,
    `| \`cx exec --backend docker\` (same run, for comparison) | ${fmt(m('cx exec --backend docker', ok))} | ${fmt(dockerExec)} | ${(m('cx exec --backend docker', ok) / dockerExec).toFixed(2)}x | |`,
    `| bare \`runc exec <id> true\` (floor of the runc backend) | ${fmt(m('runc exec (bare)', ok))} | | | |`,
  ];
  const md = `## daemon-less discovery and runc backend

${new Date().toISOString().slice(0, 10)}, ${machine()}. Dedicated dockerd (own data-root/exec-root), ${COUNT} running containers, ${RUNS} interleaved runs per variant, medians.

| measure | cx | reference | ratio | target |
|---|---|---|---|---|
${rows.join('\n')}`;
  recordSection('discovery', md);
  process.stdout.write(`${md}\n`);
} finally {
  await engine.stop();
}
