/**
 * `cx debug`: a toolbox session in a container that has no shell, no libc and a read-only root, and
 * in an ordinary one. The session sees the container (files, processes, environment, cgroup) plus
 * /.cx; the container sees nothing of it, before, during or after.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import path from 'node:path';
import { CX_BIN, cx, text } from '../helpers/cx.js';
import { DedicatedEngine, type EngineContainer } from '../helpers/dedicated-engine.js';
import { containerPid, Containers, requireEngine, TEST_IMAGE, type TestContainer } from '../helpers/engine.js';
import { buildSleeper, scratchImage } from '../helpers/scratch-image.js';

const DEFAULT_CAPS = '00000000a80425fb';

/** The container init's view of its mounts, with the fields that change by themselves (none) kept. */
async function mountinfo(id: string): Promise<string> {
  return readFileSync(`/proc/${await containerPid(id)}/mountinfo`, 'utf8');
}

describe('cx debug', () => {
  const containers = new Containers();
  let scratch: TestContainer;
  let plain: TestContainer;
  let toolboxDir: string;

  before(async () => {
    await requireEngine();
    const image = await scratchImage();
    scratch = await containers.run({ image, args: ['--read-only', '-e', 'SECRET_TARGET_VALUE=s3'], cmd: [] });
    plain = await containers.run({ args: ['-e', 'GREETING=hello plain'] });
    // A --toolbox directory: root's, with one static program in bin/.
    toolboxDir = mkdtempSync('/tmp/cx-debug-toolbox-');
    chmodSync(toolboxDir, 0o755);
    mkdirSync(path.join(toolboxDir, 'bin'), { mode: 0o755 });
    await buildSleeper(path.join(toolboxDir, 'bin/hello-tool'));
  });
  after(async () => {
    await containers.remove();
    rmSync(toolboxDir, { recursive: true, force: true });
  });

  it("ls / shows the target's root (a scratch image: only /sleeper) plus nothing but /.cx", async () => {
    const r = await cx(['debug', scratch.name, '--', 'ls', '-a', '/']);
    assert.equal(r.exitCode, 0, r.stderr);
    const names = text(r).split(/\s+/).filter(Boolean).sort();
    assert.deepEqual(names, ['.', '..', '.cx', '.dockerenv', 'dev', 'etc', 'proc', 'sleeper', 'sys']);
  });

  it("ps shows the target's processes: its init /sleeper is PID 1", async () => {
    const r = await cx(['debug', scratch.name, '--', 'ps', '-o', 'pid,args']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /^\s*1\s+\/sleeper$/m);
  });

  it("gets the target's environment, with the toolbox after its PATH, and cx's own never", async () => {
    const r = await cx(['debug', scratch.name, '--', 'env']);
    assert.equal(r.exitCode, 0, r.stderr);
    const env = text(r);
    assert.match(env, /^SECRET_TARGET_VALUE=s3$/m);
    assert.match(env, /^GREETING=hello-from-target$/m);
    assert.match(env, /^PATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin:\/\.cx\/bin$/m);
    assert.match(env, new RegExp(`^HOSTNAME=${scratch.id.slice(0, 12)}$`, 'm'));
    assert.doesNotMatch(env, /CX_TEST_CANARY/);
  });

  it("runs in the target's cgroup, with its capabilities, seccomp and no_new_privs by default", async () => {
    const r = await cx([
      'debug',
      scratch.name,
      '--',
      'sh',
      '-c',
      'cat /proc/self/cgroup; grep -E "^(CapEff|Seccomp|NoNewPrivs):" /proc/self/status',
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    const out = text(r);
    for (const line of out.split('\n').filter((l) => /^\d+:/.test(l)))
      assert.ok(line.includes(`/docker/${scratch.id}`) || line.endsWith(':/'), line);
    assert.match(out, new RegExp(`^CapEff:\\s+${DEFAULT_CAPS}$`, 'm'));
    assert.match(out, /^Seccomp:\s+2$/m);
    assert.equal(r.stderr, '');
  });

  it("passes the command's exit code through", async () => {
    const r = await cx(['debug', scratch.name, '--', 'sh', '-c', 'exit 7']);
    assert.equal(r.exitCode, 7, r.stderr);
  });

  it("leaves the container's mount table and files unchanged before, during and after a session", async () => {
    const before = await mountinfo(plain.id);
    const session = execa(CX_BIN, ['debug', plain.name, '--', 'sh', '-c', 'echo ready; exec sleep 60'], { reject: false, timeout: 60_000 });
    let out = '';
    session.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 20_000;
    while (!out.includes('ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(out.includes('ready'), 'the session never started');
    const during = await mountinfo(plain.id);
    const seen = await execa('docker', ['exec', plain.name, 'ls', '-a', '/']);
    session.kill('SIGTERM');
    await session;
    assert.equal(during, before);
    assert.doesNotMatch(seen.stdout, /\.cx/);
    assert.equal(await mountinfo(plain.id), before);
    const diff = await execa('docker', ['diff', plain.name]);
    assert.equal(diff.stdout.trim(), '', 'docker diff shows changes');
  });

  it('the session holds no descriptor but 0-2 (the toolbox handle is gone before the command runs)', async () => {
    const r = await cx(['debug', scratch.name, '--', 'sh', '-c', 'ls /proc/$$/fd; grep -c " /.cx " /proc/$$/mountinfo']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), '0\n1\n2\n1\n');
  });

  it("writes go to the container's own files; / itself and the toolbox are read-only", async () => {
    const r = await cx([
      'debug',
      plain.name,
      '--',
      'sh',
      '-c',
      'echo written-by-debug > /tmp/from-debug; touch /new-top 2>&1; touch /.cx/x 2>&1; true',
    ]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /new-top: Read-only file system/);
    assert.match(text(r), /\/\.cx\/x: Read-only file system/);
    const seen = await execa('docker', ['exec', plain.name, 'cat', '/tmp/from-debug']);
    assert.equal(seen.stdout, 'written-by-debug');
    await execa('docker', ['exec', plain.name, 'rm', '/tmp/from-debug']);
  });

  it('--toolbox DIR: its programs are on PATH', async () => {
    const r = await cx(['debug', '--toolbox', toolboxDir, scratch.name, '--', 'hello-tool', 'hello']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), 'hello from a static toolbox program\n');
  });

  it('--toolbox DIR without a shell: cx debug without a command says so in one line', async () => {
    const r = await cx(['debug', '--toolbox', toolboxDir, scratch.name], { env: {} });
    assert.equal(r.exitCode, 2, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('cx: '));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /^cx: the toolbox \(directory .*\) has no shell/);
  });

  it('cx doctor says what the default toolbox would be', async () => {
    const r = await cx(['doctor']);
    assert.match(
      text(r),
      /^ok\s+debug toolbox\s+\/(usr\/)?bin\/busybox \(static busybox, its applets on PATH at \/\.cx\/bin\) \+ \/usr\/bin\/strace/m,
    );
  });

  it("--image REF: a local image's root filesystem is the toolbox", async () => {
    const r = await cx(['debug', '--image', TEST_IMAGE, scratch.name, '--', 'sh', '-c', 'ls /.cx/bin/busybox; which wget']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), '/.cx/bin/busybox\n/.cx/bin/wget\n');
  });

  it('--image with an unknown image: one clear line', async () => {
    const r = await cx(['debug', '--image', 'cx-test/no-such-image:0', scratch.name, '--', 'true']);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^cx: no local image cx-test\/no-such-image:0/m);
  });

  it("--privileged keeps host root's capabilities and says so in one stderr line", async () => {
    const own = /^CapEff:\s+(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    const r = await cx(['debug', '--privileged', scratch.name, '--', 'sh', '-c', 'grep -E "^(CapEff|Seccomp):" /proc/self/status']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), new RegExp(`^CapEff:\\s+${own}$`, 'm'));
    assert.match(text(r), /^Seccomp:\s+0$/m);
    assert.deepEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^cx: note: --privileged: .*host root's capabilities/);
  });

  it('strace from the default toolbox traces a program (with --privileged)', async () => {
    const r = await cx(['debug', '--privileged', scratch.name, '--', 'strace', '-e', 'trace=exit_group', 'true']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /exit_group\(0\)/);
  });

  it('without root: one line naming what is missing and suggesting cx enter', async () => {
    const r = await execa(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', 'HOME=/tmp', CX_BIN, 'debug', scratch.name, '--', 'true'],
      {
        reject: false,
        timeout: 30_000,
        env: {},
      },
    );
    assert.notEqual(r.exitCode, 0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('cx: '));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /^cx: cx debug needs root: cx runs as uid 65534, without CAP_SYS_ADMIN/);
    assert.match(r.stderr, /cx enter/);
  });
});

/** A frozen dockerd (a dedicated one): cx debug needs neither the daemon nor its API. */
describe('cx debug with the daemon frozen (SIGSTOP on a dedicated dockerd)', () => {
  let engine: DedicatedEngine;
  let web: EngineContainer;

  before(async () => {
    await requireEngine();
    engine = await DedicatedEngine.start();
    web = await engine.run({ args: ['-e', 'GREETING=hello frozen'] });
    await engine.freezeAfterLs();
  });
  after(async () => {
    await engine?.stop();
  });

  it('runs the toolbox in the container, with its processes and environment', async () => {
    const r = await cx(['debug', web.name, '--', 'sh', '-c', 'ps -o pid,args; echo "$GREETING"; ls -d /.cx/bin/strace'], {
      env: engine.env,
      timeoutMs: 30_000,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /^\s*1\s+sleep 100000$/m);
    assert.match(text(r), /^hello frozen\n\/\.cx\/bin\/strace\n$/m);
  });

  it("--image reads the image from the engine's on-disk layers", async () => {
    const r = await cx(['debug', '--image', TEST_IMAGE, web.name, '--', '/.cx/bin/busybox', 'true'], {
      env: engine.env,
      timeoutMs: 30_000,
    });
    assert.equal(r.exitCode, 0, r.stderr);
  });
});

/** A container with a user namespace (a dedicated dockerd with --userns-remap): root inside is not root outside. */
describe('cx debug in a container with a user namespace (dedicated dockerd --userns-remap)', () => {
  let engine: DedicatedEngine;
  let web: EngineContainer;

  before(async () => {
    await requireEngine();
    engine = await DedicatedEngine.start({ usernsRemap: true });
    web = await engine.run({ args: ['-e', 'GREETING=hello userns'] });
  });
  after(async () => {
    await engine?.stop();
  });

  it("gets the toolbox, the target's processes and environment; the container's mounts are unchanged", async () => {
    const uidMap = readFileSync(`/proc/${web.pid}/uid_map`, 'utf8').trim().split(/\s+/);
    assert.notEqual(uidMap[1], '0', `the container has no user namespace: ${uidMap.join(' ')}`);
    const before = readFileSync(`/proc/${web.pid}/mountinfo`, 'utf8');
    const r = await cx(
      ['debug', web.name, '--', 'sh', '-c', 'ps -o pid,args; echo "$GREETING"; id -u; ls /.cx/bin/busybox; cat /proc/self/uid_map'],
      {
        env: engine.env,
        timeoutMs: 30_000,
      },
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /^\s*1\s+sleep 100000$/m);
    assert.match(text(r), /^hello userns\n0\n\/\.cx\/bin\/busybox\n/m);
    assert.match(text(r), new RegExp(`^\\s*0\\s+${uidMap[1]}\\s+`, 'm'));
    assert.equal(readFileSync(`/proc/${web.pid}/mountinfo`, 'utf8'), before);
    const diff = await engine.docker(['diff', web.name]);
    assert.equal(String(diff.stdout).trim(), '');
  });
});
