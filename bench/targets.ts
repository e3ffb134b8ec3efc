/**
 * The whole "faster than docker exec" targets table in ONE run, for both shapes of cx (the npm
 * package's bin/cx and the single-file executable dist/cx-linux-x64), side by side with docker and
 * with the floors (Node start-up, bare runc exec, raw nsenter), all interleaved run by run so the
 * machine's noise hits every variant alike. A dedicated dockerd (own data-root, exec-root, socket)
 * with 100 running containers; the exec targets enter one of them.
 * Run: npm run build:exe && node dist/bench/targets.js  (CX_BENCH_RUNS, CX_BENCH_CONTAINERS)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PLAN_FILES } from '../src/backends/nsenter/environment.js';
import { DedicatedEngine } from '../test/helpers/dedicated-engine.js';
import { CX, ROOT, fmt, interleave, machine, medianMs, recordSection, type Sample } from './lib.js';

const RUNS = Number(process.env['CX_BENCH_RUNS'] ?? 15);
const COUNT = Number(process.env['CX_BENCH_CONTAINERS'] ?? 100);
const EXE = path.join(ROOT, 'dist', 'cx-linux-x64');
const NOCERTS = ['env', '-u', 'NODE_EXTRA_CA_CERTS'];
const FLOOR = (name: string): string => path.join(ROOT, 'bench', `floor-${name}.cjs`);
const HELPER = path.join(ROOT, 'native', 'build', 'cx-nsenter');

/**
 * The helper and the arguments cx's nsenter backend gives it for `exec c -- true` (the container's
 * init, its start time, its capability sets, seccomp and no_new_privs, as cx reads them), for the
 * floor client bench/floor-nsenter.cjs.
 */
function helperArgs(pid: string, id: string): string[] {
  const { pin, bnd, eff, prm, field } = initFacts(pid, id);
  return [
    HELPER,
    'exec',
    ...pin,
    ...['--user-on-fd3', '--query-first'],
    ...['--query-cap-bnd', bnd, '--query-cap-eff', eff, '--query-cap-prm', prm],
    ...PLAN_FILES.flatMap((p) => ['--query-path', p]),
    ...['--cwd', '/', '--cap-bnd', bnd, '--cap-eff', eff, '--cap-prm', prm, '--cap-inh', '0', '--cap-amb', '0'],
    ...(field('NoNewPrivs') === '1' ? ['--nnp'] : []),
    ...(field('Seccomp') === '2' ? ['--seccomp'] : []),
    ...['--oom', '0', '--', 'true'],
  ];
}

/** What each floor client does (bench/floor-*.cjs): only what its path needs, no code of cx. */
const FLOOR_WHAT = {
  nsenter: "the nsenter path's floor: cx's helper with cx's arguments, the join warmed, the answers read, the environment sent",
  docker:
    "the docker path's floor: /_ping with the inspect, exec create, start (the hijacked stream to its end), exec inspect, over a plain unix socket, the join warmed",
  runc: "the runc path's floor: passwd/group through cx's helper query, the bundle's process spec, `runc exec --process`, the join warmed",
  ls: "a floor of `cx ls`: the container list over a plain unix socket and each container's config.v2.json (the PID), printed (no BACKENDS column)",
  'ls+column':
    "the same with cx's BACKENDS column and health check: the /_ping sent with the list and, per container, the checks the column makes (the task's options.json, runc's state.json, the owners of its directories, net/sockstat and sockstat6)",
} as const;

/** The init's pin (PID, start time, container id) and capability sets, as cx reads them. */
function initFacts(pid: string, id: string): { pin: string[]; bnd: string; eff: string; prm: string; field: (k: string) => string } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k: string): string => new RegExp(`^${k}:\\s*(\\S+)$`, 'm').exec(status)?.[1] ?? '0';
  const cap = (k: string): string => BigInt(`0x${field(k)}`).toString(16);
  return { pin: ['--pid', pid, '--start', start, '--id', id], bnd: cap('CapBnd'), eff: cap('CapEff'), prm: cap('CapPrm'), field };
}

/** bench/floor-runc.cjs's arguments: the bundle, runc's root, the id, the command, then cx's passwd/group query (as the container's root). */
function runcFloorArgs(pid: string, id: string, root: string, cmd: string[] = ['true']): string[] {
  const bundle = (JSON.parse(execFileSync('runc', ['--root', root, 'state', id], { encoding: 'utf8' })) as { bundle: string }).bundle;
  const { pin, bnd, eff, prm } = initFacts(pid, id);
  return [
    bundle,
    root,
    id,
    JSON.stringify(cmd),
    '--',
    HELPER,
    'query',
    ...pin,
    '--uid',
    '0',
    '--gid',
    '0',
    '--cap-bnd',
    bnd,
    '--cap-eff',
    eff,
    '--cap-prm',
    prm,
  ];
}

if (!existsSync(EXE)) throw new Error(`${EXE} is missing: npm run build:exe first`);
const node24 = (JSON.parse(readFileSync(path.join(ROOT, 'dist', 'exe', 'build-info.json'), 'utf8')) as { node: string }).node;
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(', ');
const loadBefore = load();

const engine = await DedicatedEngine.start();
const dir = mkdtempSync(path.join(os.tmpdir(), 'cx-targets-'));
try {
  process.env['DOCKER_HOST'] = `unix://${engine.socket}`;
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i++) ids.push((await engine.run({ name: `bench-${i}` })).id);
  const c = 'bench-0';
  const pid = execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', c], { encoding: 'utf8' }).trim();
  const blob = path.join(dir, 'blob');
  execFileSync('sh', ['-c', `head -c ${256 * 1024 * 1024} /dev/urandom > ${blob}`]);

  // The executable as a host has it: a copy (as scp or cp makes one), not the build's own output
  // file. The kernel keeps a freshly built file's pages in large folios and maps them whole, which
  // counts ~20 MiB more in RSS (`--version`: 63 MiB for the build's file, 43 MiB for a copy of it,
  // the same after dropping the page cache); the time is the same either way.
  const exe = path.join(dir, 'cx-linux-x64');
  copyFileSync(EXE, exe);
  chmodSync(exe, 0o755);
  const shapes = { npm: CX, exe } as const;
  const execVariants: Record<string, { argv: string[]; rss?: boolean }> = {
    'docker exec': { argv: ['docker', 'exec', c, 'true'] },
    'nsenter -a (raw, no parity)': { argv: ['nsenter', '-t', pid, '-a', 'true'] },
    'runc exec (bare)': { argv: ['runc', '--root', `${engine.execRoot}/runtime-runc/moby`, 'exec', ids[0] ?? '', 'true'] },
    'node -e 0 (node 20)': { argv: [...NOCERTS, 'node', '-e', '0'] },
    'node -e 0 (node 24)': { argv: [...NOCERTS, node24, '-e', '0'] },
    'docker ps': { argv: ['docker', 'ps'] },
  };
  // The floors of the three exec paths, and of the listing, for a Node program doing only what each
  // needs (bench/floor-*.cjs).
  const runcRoot = `${engine.execRoot}/runtime-runc/moby`;
  const floorArgs = {
    nsenter: helperArgs(pid, ids[0] ?? ''),
    docker: [engine.socket, c],
    runc: runcFloorArgs(pid, ids[0] ?? '', runcRoot),
    ls: [engine.socket, engine.dataRoot],
  };
  for (const [backend, args] of Object.entries(floorArgs)) {
    execVariants[`${backend} floor (node 20)`] = { argv: [...NOCERTS, 'node', FLOOR(backend), ...args] };
    execVariants[`${backend} floor (node 24)`] = { argv: [...NOCERTS, node24, FLOOR(backend), ...args] };
  }
  // The listing's floor that also does what its BACKENDS column and health check need.
  for (const [v, node] of [
    ['20', 'node'],
    ['24', node24],
  ] as const) {
    execVariants[`ls+column floor (node ${v})`] = { argv: [...NOCERTS, node, FLOOR('ls'), ...floorArgs.ls, '--backends', engine.execRoot] };
  }
  for (const [shape, bin] of Object.entries(shapes)) {
    execVariants[`${shape} nsenter`] = { argv: [bin, 'exec', '--backend', 'nsenter', c, '--', 'true'] };
    execVariants[`${shape} auto`] = { argv: [bin, 'exec', c, '--', 'true'] };
    execVariants[`${shape} runc`] = { argv: [bin, 'exec', '--backend', 'runc', c, '--', 'true'] };
    execVariants[`${shape} --version`] = { argv: [bin, '--version'] };
    execVariants[`${shape} ls`] = { argv: [bin, 'ls'] };
  }
  const fast = await interleave(execVariants, RUNS, 3);

  const bulkCmd = ['sh', '-c', 'cat >/dev/null'];
  const bulkVariants: Record<string, { argv: string[]; stdinFile: string; rss?: boolean }> = {
    'docker exec -i': { argv: ['docker', 'exec', '-i', c, ...bulkCmd], stdinFile: blob },
  };
  for (const [shape, bin] of Object.entries(shapes)) {
    for (const backend of ['nsenter', 'runc', 'docker']) {
      bulkVariants[`${shape} ${backend} -i`] = { argv: [bin, 'exec', '-i', '--backend', backend, c, '--', ...bulkCmd], stdinFile: blob };
    }
  }
  // The floors of the two bulk paths cx misses (bench/floor-runc.cjs and floor-docker.cjs with stdin).
  for (const [v, node] of [
    ['20', 'node'],
    ['24', node24],
  ] as const) {
    bulkVariants[`runc -i floor (node ${v})`] = {
      argv: [...NOCERTS, node, FLOOR('runc'), ...runcFloorArgs(pid, ids[0] ?? '', runcRoot, bulkCmd)],
      stdinFile: blob,
    };
    bulkVariants[`docker -i floor (node ${v})`] = {
      argv: [...NOCERTS, node, FLOOR('docker'), engine.socket, c, '-i', ...bulkCmd],
      stdinFile: blob,
    };
  }
  const bulk = await interleave(bulkVariants, RUNS, 1);
  const loadAfter = load();
  // Peak RSS apart (GNU time around the command would add its own start-up to the timed rounds).
  const withRss = <T extends { argv: string[] }>(vs: Record<string, T>): Record<string, T & { rss: true }> =>
    Object.fromEntries(
      Object.entries(vs)
        .filter(([n]) => n.startsWith('npm ') || n.startsWith('exe '))
        .map(([n, v]) => [n, { ...v, rss: true as const }]),
    );
  const rssRuns = {
    ...(await interleave(withRss(Object.fromEntries(Object.entries(execVariants).filter(([n]) => !/--version| ls$/.test(n)))), 3, 0)),
    ...(await interleave(withRss(bulkVariants), 2, 0)),
  };

  const m = (from: Record<string, Sample[]>, name: string): number => medianMs(from[name] ?? []);
  /** The peak over the named variants' runs, in MiB, and the variant it came from. */
  const rss = (names: string[]): { mib: number; from: string } =>
    names
      .flatMap((n) => (rssRuns[n] ?? []).map((s) => ({ mib: (s.maxRssKiB ?? 0) / 1024, from: n })))
      .reduce((a, b) => (b.mib > a.mib ? b : a), { mib: 0, from: '' });
  const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;
  const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const docker = m(fast, 'docker exec');
  const dockerBulk = m(bulk, 'docker exec -i');
  const rows: string[] = [];
  for (const shape of Object.keys(shapes)) {
    const nodeFloor = m(fast, shape === 'npm' ? 'node -e 0 (node 20)' : 'node -e 0 (node 24)');
    const peak = rss([
      `${shape} nsenter`,
      `${shape} auto`,
      `${shape} runc`,
      ...['nsenter', 'runc', 'docker'].map((b) => `${shape} ${b} -i`),
    ]);
    // The same path's floor in this shape's Node (bench/floor-<backend>.cjs), and cx's time above it.
    const floorOf = (floor: string, base = docker, from = fast): string => {
      const f = m(from, `${floor} floor (node ${shape === 'npm' ? '20' : '24'})`);
      const mine = m(from, `${shape} ${floor === 'docker' ? 'auto' : floor === 'ls+column' ? 'ls' : floor}`);
      return `${fmt(f)} = ${(f / base).toFixed(2)}x (cx +${(mine - f).toFixed(1)} ms)`;
    };
    const ratio = (v: number, ref: number, max: number): string =>
      `${fmt(v)} | ${(v / ref).toFixed(2)}x | <= ${max}x: ${verdict(v / ref <= max)}`;
    rows.push(
      `| ${shape} | \`cx exec --backend nsenter c -- true\` vs \`docker exec\` ${fmt(docker)} | ${ratio(m(fast, `${shape} nsenter`), docker, 0.7)} | ${floorOf('nsenter')} |`,
      `| ${shape} | \`cx exec c -- true\` (auto -> docker) | ${ratio(m(fast, `${shape} auto`), docker, 1.25)} | ${floorOf('docker')} |`,
      `| ${shape} | \`cx exec --backend runc c -- true\` | ${ratio(m(fast, `${shape} runc`), docker, 1.2)} | ${floorOf('runc')} |`,
      `| ${shape} | \`cx --version\` vs its Node's \`node -e 0\` ${fmt(nodeFloor)} | ${fmt(m(fast, `${shape} --version`))} | ${signed(m(fast, `${shape} --version`) - nodeFloor)} ms | <= +10 ms: ${verdict(m(fast, `${shape} --version`) - nodeFloor <= 10)} |`,
      `| ${shape} | \`cx ls\`, ${COUNT} running, vs \`docker ps\` ${fmt(m(fast, 'docker ps'))} | ${ratio(m(fast, `${shape} ls`), m(fast, 'docker ps'), 2)} | ${floorOf('ls+column', m(fast, 'docker ps'))} with the column; ${floorOf('ls', m(fast, 'docker ps'))} without |`,
      `| ${shape} | 256 MiB \`exec -i --backend nsenter\` vs \`docker exec -i\` ${fmt(dockerBulk)} | ${ratio(m(bulk, `${shape} nsenter -i`), dockerBulk, 0.5)} |`,
      `| ${shape} | 256 MiB \`exec -i --backend runc\` | ${ratio(m(bulk, `${shape} runc -i`), dockerBulk, 0.5)} | ${floorOf('runc -i', dockerBulk, bulk)} |`,
      `| ${shape} | 256 MiB \`exec -i --backend docker\` | ${ratio(m(bulk, `${shape} docker -i`), dockerBulk, 1.1)} | ${floorOf('docker -i', dockerBulk, bulk)} |`,
      `| ${shape} | peak RSS of \`cx exec\` (every exec run above; the highest: ${peak.from.replace(`${shape} `, '')}) | ${peak.mib.toFixed(1)} MiB | | <= 60 MiB: ${verdict(peak.mib <= 60)} |`,
    );
  }
  const floors = [
    `| \`node -e 0\`, Node 20 (npm install's Node), no NODE_EXTRA_CA_CERTS | ${fmt(m(fast, 'node -e 0 (node 20)'))} | ${(m(fast, 'node -e 0 (node 20)') / docker).toFixed(2)}x |`,
    `| \`node -e 0\`, Node 24 (the executable's Node) | ${fmt(m(fast, 'node -e 0 (node 24)'))} | ${(m(fast, 'node -e 0 (node 24)') / docker).toFixed(2)}x |`,
    `| \`nsenter -t PID -a true\` (raw, no parity) | ${fmt(m(fast, 'nsenter -a (raw, no parity)'))} | ${(m(fast, 'nsenter -a (raw, no parity)') / docker).toFixed(2)}x |`,
    `| bare \`runc exec <id> true\` | ${fmt(m(fast, 'runc exec (bare)'))} | ${(m(fast, 'runc exec (bare)') / docker).toFixed(2)}x |`,
    ...(['nsenter', 'docker', 'runc', 'ls', 'ls+column'] as const).flatMap((b) =>
      (['20', '24'] as const).map(
        (v) =>
          `| ${FLOOR_WHAT[b]}, Node ${v} (bench/floor-${b.replace('+column', '')}.cjs${b === 'ls+column' ? ' --backends' : ''}) | ${fmt(m(fast, `${b} floor (node ${v})`))} | ${(m(fast, `${b} floor (node ${v})`) / docker).toFixed(2)}x${b.startsWith('ls') ? ` (${(m(fast, `${b} floor (node ${v})`) / m(fast, 'docker ps')).toFixed(2)}x \`docker ps\`)` : ''} |`,
      ),
    ),
    ...(['runc', 'docker'] as const).flatMap((b) =>
      (['20', '24'] as const).map(
        (v) =>
          `| ${FLOOR_WHAT[b].replace('floor:', 'floor with 256 MiB on stdin:')}, Node ${v} (bench/floor-${b}.cjs) | ${fmt(m(bulk, `${b} -i floor (node ${v})`))} | ${(m(bulk, `${b} -i floor (node ${v})`) / dockerBulk).toFixed(2)}x \`docker exec -i\` |`,
      ),
    ),
    `| \`docker ps\` (${COUNT} running) | ${fmt(m(fast, 'docker ps'))} | |`,
  ];
  const md = `## faster than docker exec: the targets table (bench/targets.ts)

${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine()}. Dedicated dockerd with ${COUNT} running
containers; ${RUNS} interleaved runs per variant (all variants of a table in every round), medians.
npm = \`bin/cx\` (Node ${process.version}, launcher drops NODE_EXTRA_CA_CERTS); exe = \`dist/cx-linux-x64\`
(${path.basename(node24)} ${execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim()}), ${(statSync(EXE).size / 2 ** 20).toFixed(1)} MiB (the docker CLI is ~40 MB).
Load average (1, 5, 15 min) ${loadBefore} before, ${loadAfter} after: ${Number(loadBefore.split(',')[0]) > 1.5 ? 'the machine was shared with other work, so absolute times are noisy; compare the ratios, measured in the same rounds' : 'a quiet machine'}.

| shape | measure | cx | ratio | target | the path's floor in the same Node (below) |
|---|---|---|---|---|---|
${rows.join('\n')}

Floors measured in the same rounds (ratio to \`docker exec\` ${fmt(docker)}):

| floor | median | / docker exec |
|---|---|---|
${floors.join('\n')}`;
  recordSection('targets', md);
  process.stdout.write(`${md}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await engine.stop();
}
