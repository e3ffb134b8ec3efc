/**
 * The remote-host targets, on loopback "hosts" (throwaway sshd servers on 127.0.0.1; the remote is this
 * machine), both sides reusing one ssh connection per host (ControlMaster), as cx always does:
 *   cx -H ssh://127.0.0.1 exec <c> -- true  vs  ssh 127.0.0.1 docker exec <c> true     (target <= 1.2x)
 *   cx ls -H a -H b -H c                    vs  cx ls -H <slowest single host>          (target <= 1.3x)
 * Run: npm run build && node scripts/build-exe.mjs && node dist/bench/remote.js
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Sshd } from '../test/helpers/sshd.js';
import { CX, fmt, interleave, machine, medianMs, recordSection, ROOT } from './lib.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const NOTE = `
Where the time goes (2026-12-05): the reference is one ssh session through the shared connection
(~100 ms here: sshd forks the login's shell for every command) plus the Go docker CLI's exec (~50 ms).
Since 2026-12-05 18:00 UTC, \`exec\` and \`enter\` with backend auto or docker, when the remote dockerd
answers for the target and runs it, run here through that dockerd's socket forwarded by the ssh
connection (docs/remote.md, "The short way"): one Node start here (~60 ms), one inspect through the
forward (a few ms), then dockerd's exec (~95 ms); no process starts on the remote. The carried row is
the way every other command takes (and exec with a silent remote dockerd, a container only the
remote's disk knows, or another backend): Node here, the login's shell there, and the carried cx's own
Node start and exec, about (60 + 100 + 95) / 160 = 1.6x; the only way below it is not running cx on
one side, which the short way does when it can. The copy (once per version) and the full sha256
(once per change of the file) are outside the timed runs; before the hash record, hashing on every
use cost ~1.3 s.

The three-host listing: cx starts the three ssh sessions within a few ms of each other (strace), and
no host waits for another. What it cannot share is the hosts' own work, and here the three "hosts"
are this machine's 2 cores. Every ssh command runs root's login shell, and root's ~/.bashrc on this
machine runs \`pyenv init\` (about 120 processes, ~180 ms of CPU per login, measured with /proc/stat
around \`ssh h true\`): three logins at once take 2.5x one, as the last row shows, before any cx
runs. So the listing is below the floor of these "hosts"; the 1.3x target needs hosts that do not
share 2 cores (each listing's login and cx then run on their own machine). The floor rows: the
three single-host listings started at once (three cx starts here where the three-host listing has
one), and three bare logins at once against one.
`;
const name = `cx-bench-remote-${process.pid}`;
const hosts: Sshd[] = [];

// Without the executable cx would fall back to the Engine API relay and this would time that instead.
if (!existsSync(`${ROOT}dist/cx-linux-x64`)) throw new Error('dist/cx-linux-x64 is missing: run node scripts/build-exe.mjs first');

try {
  for (let i = 0; i < 3; i++) hosts.push(await Sshd.start());
  const [a, b, c] = hosts as [Sshd, Sshd, Sshd];
  // One client config and key for all three, as one user's ~/.ssh would be.
  for (const h of [b, c]) await writeFile(h.path('authorized_keys'), await readFile(a.path('user_key.pub')), { mode: 0o600 });
  Object.assign(process.env, a.env);
  execFileSync('docker', ['run', '-d', '--name', name, 'cx-test/busybox:1', 'sleep', '100000'], { stdio: 'ignore' });
  // Place cx on the "remote" once (the copy is per version, not per run) and open the connections.
  for (const h of hosts) execFileSync(CX, ['-H', h.url, 'ls', '-q'], { stdio: 'ignore' });

  const ctl = path.join(a.runtimeDir, 'bench-ssh');
  execFileSync('mkdir', ['-p', '-m', '700', ctl]);
  const sshTo = (h: Sshd): string[] => [
    'ssh',
    '-F',
    a.clientConfig,
    '-o',
    'ControlMaster=auto',
    '-o',
    `ControlPath=${ctl}/%C`,
    '-o',
    'ControlPersist=60',
    '-p',
    String(h.port),
    'root@127.0.0.1',
  ];
  const ssh = sshTo(a);
  for (const h of hosts) execFileSync(sshTo(h)[0]!, [...sshTo(h).slice(1), 'true'], { stdio: 'ignore' });
  const q = (argv: string[]): string => argv.map((w) => `'${w}'`).join(' ');
  const exec = await interleave(
    {
      cx: { argv: [CX, '-H', a.url, 'exec', name, '--', 'true'] },
      // The same exec, run by the carried cx (what an option the short way leaves alone gets).
      carried: { argv: [CX, '-H', a.url, 'exec', '--env-file', '/dev/null', name, '--', 'true'] },
      ssh: { argv: [...ssh, 'docker', 'exec', name, 'true'] },
    },
    RUNS,
  );
  const ls = await interleave(
    {
      all: { argv: [CX, 'ls', '-H', a.url, '-H', b.url, '-H', c.url] },
      a: { argv: [CX, 'ls', '-H', a.url] },
      b: { argv: [CX, 'ls', '-H', b.url] },
      c: { argv: [CX, 'ls', '-H', c.url] },
      // The floor on this machine: the three single-host listings started at once, each its own cx
      // (three local starts, where cx ls -H a -H b -H c has one), on the same 2 cores as the "hosts".
      atOnce: { argv: ['sh', '-c', `"$0" ls -H ${a.url} & "$0" ls -H ${b.url} & "$0" ls -H ${c.url} & wait`, CX] },
      // What any command costs on these "hosts": one login (sshd runs root's login shell, and its rc
      // files, for every command), alone and three at once.
      login: { argv: [...ssh, 'true'] },
      logins: { argv: ['sh', '-c', `${q([...sshTo(a), 'true'])} & ${q([...sshTo(b), 'true'])} & ${q([...sshTo(c), 'true'])} & wait`] },
    },
    RUNS,
  );
  for (const h of hosts) {
    execFileSync('ssh', ['-o', `ControlPath=${ctl}/%C`, '-p', String(h.port), '-O', 'exit', 'root@127.0.0.1'], { stdio: 'ignore' });
  }

  const e = { cx: medianMs(exec['cx'] ?? []), carried: medianMs(exec['carried'] ?? []), ssh: medianMs(exec['ssh'] ?? []) };
  const singles = ['a', 'b', 'c'].map((k) => medianMs(ls[k] ?? []));
  const slowest = Math.max(...singles);
  const all = medianMs(ls['all'] ?? []);
  const atOnce = medianMs(ls['atOnce'] ?? []);
  const login = medianMs(ls['login'] ?? []);
  const logins = medianMs(ls['logins'] ?? []);
  const mark = (ok: boolean): string => (ok ? 'met' : '**missed**');
  const md = `## remote hosts over ssh (issue 11)

${new Date().toISOString().slice(0, 10)}, ${machine()}. ${RUNS} interleaved runs per variant, medians. The "hosts" are
throwaway sshd servers on 127.0.0.1 (the remote is this machine); both sides reuse one ssh connection per
host (ControlMaster, opened before timing). cx's exec takes the short way (the remote dockerd answers);
everything else runs in the carried single-file executable.

| measure | cx | reference | result | target |
|---|---|---|---|---|
| \`cx -H ssh://127.0.0.1 exec <c> -- true\` vs \`ssh 127.0.0.1 docker exec <c> true\` | ${fmt(e.cx)} | ${fmt(e.ssh)} | ${(e.cx / e.ssh).toFixed(2)}x | <= 1.2x: ${mark(e.cx / e.ssh <= 1.2)} |
| the same exec by the carried cx (\`--env-file /dev/null\` keeps it off the short way) | ${fmt(e.carried)} | ${fmt(e.ssh)} | ${(e.carried / e.ssh).toFixed(2)}x | |
| \`cx ls -H a -H b -H c\` vs the slowest single host (${singles.map(fmt).join(', ')}) | ${fmt(all)} | ${fmt(slowest)} | ${(all / slowest).toFixed(2)}x | <= 1.3x: ${mark(all / slowest <= 1.3)} |
| floor here: the three single-host \`cx ls\` started at once (three cx processes; the "hosts" share these 2 cores) | ${fmt(atOnce)} | ${fmt(slowest)} | ${(atOnce / slowest).toFixed(2)}x | |
| the hosts' own floor: three bare logins at once (\`ssh h true\` to a, b, c) vs one | ${fmt(logins)} | ${fmt(login)} | ${(logins / login).toFixed(2)}x | |
${NOTE}`;
  console.log(md);
  recordSection('remote', md);
} finally {
  execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  for (const h of hosts) await h.stop();
}
