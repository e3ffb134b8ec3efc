import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readTarget } from '../../src/backends/nsenter/target.js';
import { locateDockerRoots } from '../../src/host/docker-roots.js';
import { validatePid } from '../../src/host/proc.js';
import { containerOfCgroup } from '../../src/discovery/proc-scan.js';
import { bareContainer } from '../../src/discovery/types.js';
import { procProcesses } from '../../src/tui/data/processes.js';
import { trustedDaemonPid, trustedDir } from '../../src/host/trust.js';
import { CX_BIN, cx, lsRows, text } from '../helpers/cx.js';
import { DedicatedEngine, type EngineContainer } from '../helpers/dedicated-engine.js';
import { Containers, requireEngine } from '../helpers/engine.js';

const ATTACKER = 'cxtrustatk';
const ROOTS_CACHE = '/run/cx/engines.json';

/** An unprivileged account for the attacker (created here when missing, removed after). */
async function attackerAccount(): Promise<{ uid: number; gid: number; created: boolean }> {
  let created = false;
  if ((await execa('id', ['-u', ATTACKER], { reject: false })).exitCode !== 0) {
    await execa('useradd', ['-M', '-N', '-s', '/bin/sh', ATTACKER]);
    created = true;
  }
  const uid = Number((await execa('id', ['-u', ATTACKER])).stdout);
  const gid = Number((await execa('id', ['-g', ATTACKER])).stdout);
  return { uid, gid, created };
}

/** userdel refuses while a process of the account lives: wait (bounded) for the test's own to be reaped. */
async function removeAccount(uid: number): Promise<void> {
  const alive = (): boolean =>
    readdirSync('/proc').some((p) => {
      try {
        return /^\d+$/.test(p) && new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(readFileSync(`/proc/${p}/status`, 'utf8'));
      } catch {
        return false;
      }
    });
  await until("the attacker's processes to end", () => !alive(), 15_000).catch(() => undefined);
  const r = await execa('userdel', [ATTACKER], { reject: false });
  assert.equal(r.exitCode, 0, `userdel ${ATTACKER}: ${r.stderr}`);
}

function statField22(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]);
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface CacheEntry {
  dataRoot: string;
  execRoot: string;
  daemon?: { pid: number; start: number; how: string };
}

function cacheEntry(socket: string): CacheEntry | undefined {
  try {
    const all = JSON.parse(readFileSync(ROOTS_CACHE, 'utf8')) as Record<string, CacheEntry>;
    return all[socket];
  } catch {
    return undefined;
  }
}

/**
 * An unprivileged user runs a script named dockerd that claims a dedicated engine's socket and
 * points at state it fabricated (a container record, runc state and a bundle naming the user's own
 * process, in a cgroup whose path merely contains the fake id). Root's cx must believe none of it,
 * whether the real daemon is healthy or dead.
 */
describe('a fake dockerd run by an unprivileged user', () => {
  let engine: DedicatedEngine;
  let acct: { uid: number; gid: number; created: boolean };
  let atk: string;
  let holder: ResultPromise | undefined;
  let victim: ResultPromise | undefined;
  let cgroupDir: string | undefined;
  let fakeId: string;
  const fakeName = `cxatk-evil-${process.pid}`;
  let web: EngineContainer;
  let proof: string;

  const asAttacker = (cmd: string[], input?: boolean): ResultPromise =>
    execa('setpriv', [`--reuid=${acct.uid}`, `--regid=${acct.gid}`, '--clear-groups', ...cmd], {
      reject: false,
      stdin: input ? 'pipe' : 'ignore',
      stdout: 'ignore',
      stderr: 'ignore',
    });

  before(async () => {
    await requireEngine();
    acct = await attackerAccount();
    atk = await mkdtemp('/tmp/cxatk-');
    await chown(atk, acct.uid, acct.gid);
    await chmod(atk, 0o755);
    proof = path.join(atk, 'ran-as-root');
    // The fake daemon: a script is enough, its comm is its file name. It waits for the socket to
    // claim, then becomes "dockerd -H unix://<socket> --data-root ... --exec-root ..." in place
    // (same PID: started before the real daemon, so its PID is the lower one).
    const script = path.join(atk, 'dockerd');
    // It blocks reading the (still open) pipe: no child processes outlive it.
    await writeFile(script, '#!/bin/sh\nread forever\n', { mode: 0o755 });
    await chown(script, acct.uid, acct.gid);
    holder = asAttacker(
      ['sh', '-c', 'read sock; exec "$0" -H "unix://$sock" --data-root "$1/data" --exec-root "$1/exec"', script, atk],
      true,
    );
    engine = await DedicatedEngine.start();
    web = await engine.run();
    holder.stdin?.write(`${engine.socket}\n`);
    await until(
      'the fake dockerd',
      () => holder?.pid !== undefined && readFileSync(`/proc/${holder.pid}/comm`, 'utf8').trim() === 'dockerd',
    );

    // The user's own process, in a cgroup whose path contains the fake id (what a user's
    // `systemd-run --user --scope --unit=...` gives), posing as the container's init.
    fakeId = 'ee'.repeat(32);
    victim = asAttacker(['sleep', '100000']);
    await until('the attacker process', () => victim?.pid !== undefined && existsSync(`/proc/${victim.pid}/stat`));
    const vpid = victim.pid as number;
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const base = v2 ? '/sys/fs/cgroup' : '/sys/fs/cgroup/pids';
    cgroupDir = path.join(base, `cxatk-${process.pid}`, `run-docker-${fakeId}.scope`);
    await mkdir(cgroupDir, { recursive: true });
    await execa('chown', ['-R', `${acct.uid}:${acct.gid}`, path.dirname(cgroupDir)]);
    await writeFile(path.join(cgroupDir, 'cgroup.procs'), `${vpid}\n`);
    assert.match(readFileSync(`/proc/${vpid}/cgroup`, 'utf8'), new RegExp(fakeId));

    // Fabricated state: a container record, runc state (a copy of a real one, renamed) and a bundle.
    const data = path.join(atk, 'data', 'containers', fakeId);
    const runcRoot = path.join(atk, 'exec', 'runtime-runc', 'moby', fakeId);
    const bundle = path.join(atk, 'bundle');
    await mkdir(data, { recursive: true });
    await mkdir(runcRoot, { recursive: true });
    await mkdir(bundle, { recursive: true });
    const start = statField22(vpid);
    await writeFile(
      path.join(data, 'config.v2.json'),
      JSON.stringify({
        ID: fakeId,
        Name: `/${fakeName}`,
        Created: new Date().toISOString(),
        Path: 'sh',
        Args: [],
        Config: { Image: 'evil', User: '', Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Labels: {} },
        State: { Running: true, Pid: vpid, StartedAt: new Date().toISOString() },
      }),
    );
    const realState = await readFile(path.join(engine.execRoot, 'runtime-runc', 'moby', web.id, 'state.json'), 'utf8');
    const realBundle = await readFile(
      path.join(engine.execRoot, 'containerd', 'daemon', 'io.containerd.runtime.v2.task', 'moby', web.id, 'config.json'),
      'utf8',
    );
    // The copy is made to name the user's process: its namespaces, its start time, its cgroup.
    const renamed = realState.split(web.id).join(fakeId).split(`/proc/${web.pid}/`).join(`/proc/${vpid}/`);
    const state = JSON.parse(renamed) as Record<string, unknown> & { config: { labels: string[] } };
    state['init_process_pid'] = vpid;
    state['init_process_start'] = start;
    state['cgroup_paths'] = v2 ? { '': cgroupDir } : { pids: cgroupDir };
    state.config.labels = state.config.labels.map((l) => (l.startsWith('bundle=') ? `bundle=${bundle}` : l));
    await writeFile(path.join(runcRoot, 'state.json'), JSON.stringify(state));
    const cfg = JSON.parse(realBundle) as { process: Record<string, unknown>; linux: Record<string, unknown> };
    cfg.process['capabilities'] = undefined;
    await writeFile(path.join(bundle, 'config.json'), JSON.stringify(cfg));
    await execa('chown', ['-R', `${acct.uid}:${acct.gid}`, atk]);
  });

  after(async () => {
    for (const p of [holder, victim]) {
      if (p?.pid) {
        try {
          process.kill(p.pid, 'SIGCONT');
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await p?.catch(() => undefined);
    }
    await engine?.stop();
    if (cgroupDir) {
      await rmdir(cgroupDir).catch(() => undefined);
      await rmdir(path.dirname(cgroupDir)).catch(() => undefined);
    }
    if (atk) await rm(atk, { recursive: true, force: true });
    if (acct?.created) await removeAccount(acct.uid);
  });

  it('with the real daemon healthy, the fake (lower PID) is not taken as the daemon, nor cached', async () => {
    assert.ok((holder?.pid ?? 0) < engine.pid, 'the fake dockerd was started first');
    const r = await cx(['doctor'], { env: engine.env, timeoutMs: 30_000 });
    assert.match(
      text(r),
      new RegExp(
        `^ok\\s+state dirs\\s+data-root ${engine.dataRoot}, exec-root ${engine.execRoot} \\(from dockerd ${engine.pid}'s command line\\)`,
        'm',
      ),
      text(r),
    );
    const entry = cacheEntry(engine.socket);
    assert.deepEqual({ dataRoot: entry?.dataRoot, execRoot: entry?.execRoot }, { dataRoot: engine.dataRoot, execRoot: engine.execRoot });
    assert.equal(entry?.daemon?.pid, engine.pid, 'the daemon remembered is the real one');
  });

  it('with the real daemon healthy, SIGSTOPping the fake does not make cx call the engine frozen', async () => {
    process.kill(holder?.pid as number, 'SIGSTOP');
    try {
      const r = await cx(['doctor'], { env: engine.env, timeoutMs: 30_000 });
      assert.match(text(r), new RegExp(`^ok\\s+daemon\\s+ok: .*dockerd process ${engine.pid} state S`, 'm'), text(r));
      const ls = await cx(['ls', '--json'], { env: engine.env, timeoutMs: 30_000 });
      assert.equal(ls.exitCode, 0, ls.stderr);
      assert.doesNotMatch(ls.stderr, /frozen/);
    } finally {
      process.kill(holder?.pid as number, 'SIGCONT');
    }
  });

  it("a process in a cgroup whose path merely contains the id is not the container's init", async () => {
    const vpid = victim?.pid as number;
    const check = await validatePid(vpid, fakeId, statField22(vpid));
    assert.equal(check.ok, false);
    assert.equal(containerOfCgroup(readFileSync(`/proc/${vpid}/cgroup`, 'utf8')), undefined);
    const c = bareContainer(fakeId, 'proc', { pid: vpid, runtime: 'docker' });
    await assert.rejects(readTarget(c), /not in the container's cgroup/);
    assert.deepEqual(await procProcesses(fakeId), [], 'the TUI lists it as a process of the container');
  });

  describe('with the real daemon dead', () => {
    before(async () => {
      await engine.crash();
    });

    it('cx ls lists the real engine from its remembered state, none of the fabricated containers', async () => {
      const r = await cx(['ls', '--all', '--json'], { env: engine.env, timeoutMs: 30_000 });
      const rows = r.exitCode === 0 ? lsRows(r) : [];
      assert.ok(!rows.some((x) => x.id === fakeId || x.name === fakeName), text(r));
      assert.ok(
        rows.some((x) => x.id === web.id),
        `${text(r)}\n${r.stderr}`,
      );
    });

    it("engines.json keeps the real daemon's dirs, never the attacker's", async () => {
      await cx(['ls', '--all', '--json'], { env: engine.env, timeoutMs: 30_000 });
      const entry = cacheEntry(engine.socket);
      assert.deepEqual({ dataRoot: entry?.dataRoot, execRoot: entry?.execRoot }, { dataRoot: engine.dataRoot, execRoot: engine.execRoot });
      assert.notEqual(entry?.daemon?.pid, holder?.pid, "the attacker's process is never the remembered daemon");
      const st = await execa('stat', ['-c', '%u %a %F', ROOTS_CACHE]);
      assert.equal(st.stdout, '0 600 regular file');
    });

    for (const backend of ['runc', 'nsenter', undefined]) {
      it(`cx exec ${backend ? `--backend ${backend} ` : ''}on the fabricated container refuses, and nothing runs as root`, async () => {
        const args = ['exec', ...(backend ? ['--backend', backend] : []), fakeName, '--', 'sh', '-c', `id -u > ${proof}; id -u`];
        const r = await cx(args, { env: engine.env, timeoutMs: 30_000 });
        assert.notEqual(r.exitCode, 0, text(r));
        assert.doesNotMatch(text(r), /^0$/m);
        assert.equal(existsSync(proof), false, 'a command ran on the fabricated container');
        const lines = r.stderr.trim().split('\n');
        assert.match(lines[0] ?? '', /^cx: /, r.stderr);
      });
    }
  });
});

/** The cache and directory rules, on files an unprivileged user controls. */
describe('state dirs and the roots cache an unprivileged user controls', () => {
  let acct: { uid: number; gid: number; created: boolean };
  let dir: string;
  const sock = '/nonexistent/cx-trust-test.sock';

  before(async () => {
    acct = await attackerAccount();
    dir = await mkdtemp('/tmp/cxtrust-');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    if (acct?.created) await removeAccount(acct.uid);
  });

  async function rootDirs(name: string): Promise<{ data: string; exec: string }> {
    const data = path.join(dir, name, 'data');
    const exec = path.join(dir, name, 'exec');
    await mkdir(data, { recursive: true, mode: 0o700 });
    await mkdir(exec, { recursive: true, mode: 0o700 });
    return { data, exec };
  }

  async function cacheIn(name: string, entry: { data: string; exec: string }, mode = 0o600): Promise<string> {
    const cdir = path.join(dir, name);
    await mkdir(cdir, { recursive: true, mode: 0o700 });
    await chmod(cdir, 0o700);
    const file = path.join(cdir, 'engines.json');
    await writeFile(file, JSON.stringify({ [sock]: { dataRoot: entry.data, execRoot: entry.exec } }), { mode });
    await chmod(file, mode);
    return file;
  }

  it('a well-formed root cache with root-owned dirs is used', async () => {
    const roots = await rootDirs('good');
    const file = await cacheIn('good-cache', roots);
    const r = await locateDockerRoots(sock, { cacheFile: file });
    assert.equal(r?.dataRoot, roots.data);
  });

  it('a remembered daemon is believed only while that very process runs (same PID, same start time, named dockerd)', async () => {
    const roots = await rootDirs('seen');
    const bin = path.join(dir, 'seen-bin');
    await mkdir(bin, { recursive: true });
    await execa('cp', ['/bin/sleep', path.join(bin, 'dockerd')]);
    const fake = execa(path.join(bin, 'dockerd'), ['60'], { reject: false });
    const other = execa('sleep', ['60'], { reject: false });
    try {
      await until('the processes to start', () => existsSync(`/proc/${fake.pid}/stat`) && existsSync(`/proc/${other.pid}/stat`));
      const remembered = async (daemon: { pid: number; start: number }, opts: { fresh?: boolean } = {}): Promise<string | undefined> => {
        const cdir = path.join(dir, `seen-cache-${daemon.pid}-${daemon.start}-${opts.fresh === true}`);
        await mkdir(cdir, { recursive: true, mode: 0o700 });
        const file = path.join(cdir, 'engines.json');
        const entry = { dataRoot: roots.data, execRoot: roots.exec, daemon: { ...daemon, how: 'checked before' } };
        await writeFile(file, JSON.stringify({ [sock]: entry }), { mode: 0o600 });
        return (await locateDockerRoots(sock, { cacheFile: file, ...opts }))?.how;
      };
      const pid = fake.pid as number;
      // The shortcut (the record is root's own: whoever could forge it is root already).
      assert.equal(await remembered({ pid, start: statField22(pid) }), 'checked before');
      // Another start time (a reused PID), another process, or cx doctor: the full lookup (here: the last-seen roots).
      assert.notEqual(await remembered({ pid, start: statField22(pid) + 1 }), 'checked before');
      assert.notEqual(await remembered({ pid: other.pid as number, start: statField22(other.pid as number) }), 'checked before');
      assert.notEqual(await remembered({ pid, start: statField22(pid) }, { fresh: true }), 'checked before');
    } finally {
      fake.kill('SIGKILL');
      other.kill('SIGKILL');
      await Promise.all([fake, other]);
    }
  });

  it('a remembered data-root the user owns is not used', async () => {
    const roots = await rootDirs('userowned');
    await chown(roots.data, acct.uid, acct.gid);
    const notes: string[] = [];
    const r = await locateDockerRoots(sock, { cacheFile: await cacheIn('userowned-cache', roots), note: (l) => notes.push(l) });
    assert.equal(r, undefined);
    assert.match(notes.join('\n'), /owned by uid/);
  });

  it('a cache file that is a symlink, group/other readable, or user-owned is not believed', async () => {
    const roots = await rootDirs('cachefile');
    const real = await cacheIn('cache-real', roots);
    const linkDir = path.join(dir, 'cache-link');
    await mkdir(linkDir, { mode: 0o700 });
    await symlink(real, path.join(linkDir, 'engines.json'));
    assert.equal(await locateDockerRoots(sock, { cacheFile: path.join(linkDir, 'engines.json') }), undefined);
    assert.equal(await locateDockerRoots(sock, { cacheFile: await cacheIn('cache-0644', roots, 0o644) }), undefined);
    const owned = await cacheIn('cache-owned', roots);
    await chown(owned, acct.uid, acct.gid);
    assert.equal(await locateDockerRoots(sock, { cacheFile: owned }), undefined);
  });

  it('a cache directory the user made (or left open) is refused, and not chmodded', async () => {
    const roots = await rootDirs('cachedir');
    const file = await cacheIn('cache-userdir', roots);
    await chown(path.dirname(file), acct.uid, acct.gid);
    assert.equal(await locateDockerRoots(sock, { cacheFile: file }), undefined);
    const open = await cacheIn('cache-opendir', roots);
    await chmod(path.dirname(open), 0o755);
    assert.equal(await locateDockerRoots(sock, { cacheFile: open }), undefined);
    assert.equal((await execa('stat', ['-c', '%a', path.dirname(open)])).stdout, '755');
  });

  it('trustedDir: user-owned, group/other-writable and symlinked-to-user dirs fail; /tmp-style sticky parents pass', async () => {
    const { data } = await rootDirs('dirs');
    assert.deepEqual(trustedDir(data), { ok: true });
    const userDir = path.join(dir, 'dirs', 'user');
    await mkdir(userDir);
    await chown(userDir, acct.uid, acct.gid);
    assert.equal(trustedDir(userDir).ok, false);
    const inner = path.join(userDir, 'root-owned-inside');
    await mkdir(inner, { mode: 0o700 });
    assert.equal(trustedDir(inner).ok, false, 'a root-owned dir under a user-owned one can be swapped');
    const open = path.join(dir, 'dirs', 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    assert.equal(trustedDir(open).ok, false);
    const link = path.join(dir, 'dirs', 'link');
    await symlink(userDir, link);
    assert.equal(trustedDir(link).ok, false);
  });

  it('trustedDaemonPid: a root process that does not hold the socket, or a user process, fails', async () => {
    const self = trustedDaemonPid(process.pid, '/var/run/docker.sock');
    assert.equal(self.ok, false);
    const shared = await execa('pgrep', ['-x', 'dockerd']);
    const pids = shared.stdout.split('\n').map(Number);
    assert.ok(
      pids.some((p) => trustedDaemonPid(p, '/var/run/docker.sock').ok),
      "the shared engine's dockerd is trusted",
    );
  });
});

/**
 * runc reads the session's process spec (the container's environment, secrets included) from a
 * file: that file must never be visible on disk, during the session or after cx ends, however it
 * ends. cx gets a private TMPDIR here so other runs on the machine cannot blur the check.
 */
describe('runc scratch files', () => {
  const containers = new Containers();
  let c: { id: string; name: string };
  let tmp: string;
  const secret = `scratch-secret-${process.pid}-${Date.now()}`;

  before(async () => {
    await requireEngine();
    c = await containers.run({ args: ['--network', 'none', '-e', `SCRATCH_SECRET=${secret}`] });
    tmp = await mkdtemp('/tmp/cxscratch-');
  });
  after(async () => {
    await containers.remove();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** Files under TMPDIR, and any file cx has open by a name, that hold the secret. */
  function visibleSecrets(cxPid: number | undefined): string[] {
    const found: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else found.push(p);
      }
    };
    walk(tmp);
    if (cxPid !== undefined) {
      for (const fd of readdirSync(`/proc/${cxPid}/fd`)) {
        try {
          const target = readlinkSync(`/proc/${cxPid}/fd/${fd}`);
          if (
            target.startsWith('/') &&
            !target.endsWith(' (deleted)') &&
            statSync(target).isFile() &&
            readFileSync(target, 'utf8').includes(secret)
          )
            found.push(target);
        } catch {
          // closed meanwhile
        }
      }
    }
    return found;
  }

  for (const ending of ['normal exit', 'SIGTERM', 'SIGKILL'] as const) {
    it(`nothing holding the session's environment is on disk during the session or after ${ending}`, async () => {
      const script = ending === 'normal exit' ? 'echo started; read x' : 'echo started; exec sleep 1000';
      const run = execa(CX_BIN, ['exec', '-i', '--backend', 'runc', c.name, '--', 'sh', '-c', script], {
        reject: false,
        env: { TMPDIR: tmp },
        stdin: 'pipe',
        timeout: 60_000,
      });
      let out = '';
      run.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      await until('the session to start', () => out.includes('started') || run.exitCode !== null);
      assert.match(out, /started/);
      assert.deepEqual(visibleSecrets(run.pid), [], 'during the session');
      if (ending === 'normal exit') run.stdin?.end('\n');
      else process.kill(run.pid as number, ending);
      await run;
      assert.deepEqual(visibleSecrets(undefined), [], `after ${ending}`);
    });
  }
});
