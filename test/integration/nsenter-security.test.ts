/**
 * The nsenter helper against a hostile container: the attacks of a container that wants a host
 * handle or a host file through cx, rerun for real. Each test here reproduced its attack against the
 * helper before its invariants were enforced (see the comment block at the top of native/cx-nsenter.c).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { after, before, describe, it } from 'node:test';
import { CX_BIN, cx, text } from '../helpers/cx.js';
import { Containers, requireEngine, TEST_IMAGE, uniqueName } from '../helpers/engine.js';
import { PtyRun } from '../helpers/pty.js';
import { suiteContainers } from '../helpers/suite.js';

const FD_RACE_SOURCE = fileURLToPath(new URL('../../../test/fixtures/fd-race.c', import.meta.url));

async function dockerCat(name: string, file: string): Promise<string | undefined> {
  const r = await execa('docker', ['exec', name, 'cat', file], { reject: false });
  return r.exitCode === 0 ? r.stdout : undefined;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** "opened <n> foreign <m> pids <k>" from the watcher's /race/stats. */
function parseStats(s: string | undefined): { opened: number; foreign: number; pids: number } {
  const m = /^opened (\d+) foreign (\d+) pids (\d+)$/m.exec(s ?? '');
  assert.ok(m, `unreadable stats: ${String(s)}`);
  return { opened: Number(m[1]), foreign: Number(m[2]), pids: Number(m[3]) };
}

describe('nsenter helper: no host file descriptor reaches the container', () => {
  let dir = '';
  let name = '';

  before(async () => {
    await requireEngine();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-fd-race-'));
    const bin = path.join(dir, 'fd-race');
    await execa('gcc', ['-static', '-O2', '-o', bin, FD_RACE_SOURCE]);
    // A long PATH (the container controls it) widens the window a careless helper leaves open.
    const longPath = [...Array.from({ length: 3000 }, (_, i) => `/no/p${String(i).padStart(4, '0')}`), '/bin'].join(':');
    name = uniqueName('cxt-fdrace');
    await execa('docker', ['create', '--name', name, '--label', 'cx-test=1', '-e', `PATH=${longPath}`, TEST_IMAGE, '/fd-race']);
    await execa('docker', ['cp', bin, `${name}:/fd-race`]);
    await execa('docker', ['start', name]);
    await waitFor('the watcher to start', async () => (await dockerCat(name, '/race/stats')) !== undefined);
  });
  after(async () => {
    if (name) await execa('docker', ['rm', '-f', name], { reject: false });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a container init polling /proc/*/fd of every new process opens no host handle in 40 exec and 3 tty sessions', async () => {
    for (let i = 0; i < 40; i++) {
      const r = await cx(['exec', '--backend', 'nsenter', name, '--', 'ls', '/'], { timeoutMs: 30_000 });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(text(r), /fd-race/);
    }
    for (let i = 0; i < 3; i++) {
      const before = parseStats(await dockerCat(name, '/race/stats')).opened;
      const session = new PtyRun(CX_BIN, ['exec', '--backend', 'nsenter', '-it', name, '--', 'sh']);
      try {
        await session.expect('#');
        // The shell waits at its prompt until the watcher has opened one of its descriptors (its
        // pty, as the container's root may once the shell runs): proof the watcher was looking.
        await waitFor('the watcher to reach the session', async () => parseStats(await dockerCat(name, '/race/stats')).opened > before);
        session.type('exit\r');
        assert.equal((await session.waitExit()).exitCode, 0);
      } finally {
        session.kill();
      }
    }
    const stats = parseStats(await dockerCat(name, '/race/stats'));
    const findings = (await dockerCat(name, '/race/findings')) ?? '';
    assert.equal(findings, '', `the container opened host handles:\n${findings.split('\n').slice(0, 20).join('\n')}`);
    assert.equal(stats.foreign, 0);
    // Each tty session waited above until the watcher reached it: the watcher was looking.
    assert.ok(stats.opened >= 3, `the watcher reached only ${stats.opened} processes`);
  });
});

describe("nsenter helper: the session's stdin without input is the container's /dev/null", () => {
  const containers = suiteContainers();

  it("not the host's node, which the container's root could reopen through /proc/<pid>/fd/0 and chmod", async () => {
    const c = await containers.run();
    const r = await cx(['exec', '--backend', 'nsenter', c.name, '--', 'stat', '-L', '-c', '%d:%i %t:%T', '/proc/self/fd/0']);
    assert.equal(r.exitCode, 0, r.stderr);
    const inside = (await execa('docker', ['exec', c.name, 'stat', '-c', '%d:%i', '/dev/null'])).stdout.trim();
    const host = (await execa('stat', ['-c', '%d:%i', '/dev/null'])).stdout.trim();
    assert.equal(text(r), `${inside} 1:3\n`);
    assert.notEqual(text(r).split(' ')[0], host);
  });
});

describe('nsenter helper: container files are read inside the container, as the container', () => {
  const containers = new Containers();
  const tag = randomBytes(6).toString('hex');
  const secret = `/tmp/cx-canary-${tag}`;
  const passwd = `/tmp/cx-canary-passwd-${tag}`;
  const hostDir = `/tmp/cx-canary-dir-${tag}`;
  const canary = `CANARY-${tag}`;
  // A process whose root is the host's: through /proc/<it>/root a --pid host container names host files.
  const hostPid = process.pid;
  let name = '';

  before(async () => {
    await requireEngine();
    await writeFile(secret, `${canary}\n`);
    await writeFile(passwd, `root:x:0:0:${canary}:/canary-home-${tag}:/bin/sh\napp:x:1000:1000::/canary-home-${tag}:/bin/sh\n`);
    await execa('mkdir', ['-p', hostDir]);
    await writeFile(path.join(hostDir, `${canary}-file`), 'x');
    const setup = [
      'mkdir -p /etc/container_environment',
      'printf fine > /etc/container_environment/GOOD',
      `ln -s /proc/${hostPid}/root${secret} /etc/container_environment/SECRET`,
      `ln -s /proc/self/root/../../proc/${hostPid}/root${secret} /etc/container_environment/SECRET2`,
      'ln -s LOOP /etc/container_environment/LOOP',
      'ln -s /etc/hostname/x /etc/container_environment/NOTDIR',
      `ln -sf /proc/${hostPid}/root${passwd} /etc/passwd`,
      `ln -s /proc/${hostPid}/root${hostDir} /hostdir`,
      `ln -sf /proc/${hostPid}/root/dev/ptmx /dev/ptmx`,
      'touch /ready',
      'exec sleep 100000',
    ].join(' && ');
    name = (await containers.run({ args: ['--pid', 'host'], cmd: ['sh', '-c', setup] })).name;
    await waitFor(
      'the container to plant its links',
      async () => (await execa('docker', ['exec', name, 'test', '-e', '/ready'], { reject: false })).exitCode === 0,
    );
  });
  after(async () => {
    await containers.remove();
    await rm(secret, { force: true });
    await rm(passwd, { force: true });
    await rm(hostDir, { recursive: true, force: true });
  });

  it('a /proc/<host pid>/root link in /etc/container_environment is absent: not in cx env, not in the session', async () => {
    const env = await cx(['env', '--backend', 'nsenter', name]);
    assert.equal(env.exitCode, 0, env.stderr);
    assert.doesNotMatch(text(env), new RegExp(canary));
    assert.match(text(env), /^GOOD=fine$/m, 'the ordinary record entry must still be applied');
    assert.doesNotMatch(text(env), /^(SECRET|SECRET2|LOOP|NOTDIR)=/m);
    const session = await cx(['exec', '--backend', 'nsenter', name, '--', 'cat', '/proc/self/environ']);
    assert.equal(session.exitCode, 0, session.stderr);
    assert.doesNotMatch(text(session), new RegExp(canary));
    assert.ok(text(session).split('\0').includes('GOOD=fine'));
  });

  it('an /etc/passwd that is such a link is absent: the host file is not read', async () => {
    const home = await cx(['exec', '--backend', 'nsenter', name, '--', 'sh', '-c', 'echo "$HOME"']);
    assert.equal(home.exitCode, 0, home.stderr);
    assert.equal(text(home), '/\n');
    const app = await cx(['exec', '--backend', 'nsenter', '-u', 'app', name, '--', 'true']);
    assert.notEqual(app.exitCode, 0, 'user app was resolved from the host file');
    assert.match(app.stderr, /^cx: no user 'app' in the container's \/etc\/passwd/m);
  });

  it("a /dev/ptmx that leads to the host's through a magic link is refused: no host pty for the session", async () => {
    const session = new PtyRun(CX_BIN, ['exec', '--backend', 'nsenter', '-t', name, '--', 'sh', '-c', 'tty; echo done']);
    try {
      const exit = await session.waitExit(30_000);
      assert.notEqual(exit.exitCode, 0, `a session started on:\n${session.screen}`);
      assert.doesNotMatch(session.screen, /done/);
      assert.match(session.screen, /cx: .*the container's \/dev\/ptmx/);
    } finally {
      session.kill();
    }
  });

  it('a working directory reached through a /proc magic link is refused, not entered on the host', async () => {
    const r = await cx(['exec', '--backend', 'nsenter', '-w', '/hostdir', name, '--', 'ls']);
    assert.doesNotMatch(text(r), new RegExp(canary));
    assert.equal(r.exitCode, 126, r.stderr);
    assert.match(r.stderr, /^cx: cannot enter working directory \/hostdir/m);
  });
});
