/**
 * The nsenter backend against real containers: the session must be indistinguishable from a
 * `docker exec` one (namespaces, environment, identity, confinement), and hostile or stale targets
 * must be refused. Every comparison runs the same command through docker exec in the same container.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readlink, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { after, before, describe, it } from 'node:test';
import { CANARY, CX_BIN, cx, text } from '../helpers/cx.js';
import { containerPid, containerProcesses, Containers, requireEngine } from '../helpers/engine.js';
import { execRequest } from '../helpers/request.js';
import { suiteContainer, suiteContainers } from '../helpers/suite.js';
import { pidsUsage } from '../../src/host/pids.js';

const nsenter = (args: string[], opts: Parameters<typeof cx>[1] = {}) => cx(['exec', '--backend', 'nsenter', ...args], opts);

async function dockerExec(args: string[]): Promise<string> {
  const r = await execa('docker', ['exec', ...args], { reject: false, stripFinalNewline: false });
  assert.equal(r.exitCode, 0, `docker exec ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function environ(raw: string): string[] {
  return raw.split('\0').filter(Boolean).sort();
}

/** What must match docker exec: identity, capabilities, no_new_privs, seccomp, cgroup, fds, limits. */
const CONFINEMENT =
  "grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status; " +
  'cat /proc/self/cgroup; ls /proc/self/fd; cat /proc/self/limits; umask; cat /proc/self/oom_score_adj';

describe('nsenter backend: parity with docker exec', () => {
  const c = suiteContainer({
    args: ['-e', 'SPACES=a value with  spaces', '-e', 'EQUALS=k=v=w', '-e', 'MULTI=line1\nline2', '-w', '/tmp'],
  });

  it("is in every one of the container init's namespaces", async () => {
    const pid = await containerPid(c.id);
    const names = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts'];
    const r = await nsenter([c.name, '--', 'sh', '-c', `for n in ${names.join(' ')}; do readlink /proc/self/ns/$n; done`]);
    assert.equal(r.exitCode, 0, r.stderr);
    const inside = text(r).trim().split('\n');
    const init = await Promise.all(names.map((n) => readlink(`/proc/${pid}/ns/${n}`)));
    assert.deepEqual(inside, init);
    const host = await Promise.all(['mnt', 'net', 'pid'].map((n) => readlink(`/proc/self/ns/${n}`)));
    assert.notDeepEqual(inside.slice(2, 5), host, 'still in the host namespaces');
  });

  for (const user of ['', 'app']) {
    it(`gives exactly docker exec's environment${user ? ` for -u ${user}` : ''}, and nothing of cx's`, async () => {
      const u = user ? ['-u', user] : [];
      const mine = await nsenter([...u, '-e', 'EXTRA=x y', c.name, '--', 'cat', '/proc/self/environ']);
      assert.equal(mine.exitCode, 0, mine.stderr);
      const theirs = await dockerExec([...u, '-e', 'EXTRA=x y', c.name, 'cat', '/proc/self/environ']);
      assert.deepEqual(environ(text(mine)), environ(theirs));
      assert.ok(!text(mine).includes(CANARY));
      assert.ok(environ(text(mine)).includes('MULTI=line1\nline2'));
    });
  }

  for (const user of ['app', '1000:50', 'root', 'app:staff', '4242', 'nobody']) {
    it(`id for -u ${user} equals docker exec's`, async () => {
      const mine = await nsenter(['-u', user, c.name, '--', 'sh', '-c', 'id; echo "home=$HOME"; grep Groups /proc/self/status']);
      assert.equal(mine.exitCode, 0, mine.stderr);
      assert.equal(text(mine), await dockerExec(['-u', user, c.name, 'sh', '-c', 'id; echo "home=$HOME"; grep Groups /proc/self/status']));
    });
  }

  it("starts in the container's working directory; -w overrides it", async () => {
    assert.equal(text(await nsenter([c.name, '--', 'pwd'])), '/tmp\n');
    assert.equal(text(await nsenter(['-w', '/etc', c.name, '--', 'pwd'])), '/etc\n');
  });

  it('an unknown user, found after the helper has started, leaves nothing behind: no helper, no process in the container', async () => {
    // The helper starts while cx reads the container's passwd (its user comes later on fd 3): when
    // cx then refuses, the helper and its never-started child must go, and only cx's line is shown.
    const r = await nsenter(['-u', 'nosuchuser', c.name, '--', 'sleep', '77']);
    assert.equal(r.exitCode, 126, r.stderr);
    assert.deepEqual(r.stderr.trim().split('\n')[0], "cx: no user 'nosuchuser' in the container's /etc/passwd");
    assert.doesNotMatch(r.stderr, /control pipe|helper/);
    const helpers = await execa('pgrep', ['-f', 'cx-nsenter exec'], { reject: false });
    assert.equal(helpers.stdout, '', 'a helper was left running');
    assert.deepEqual(await containerProcesses(c.id), ['sleep 100000']);
  });

  it('can write to its own stdout by path as a non-root user (stdio owned like runc does)', async () => {
    const r = await nsenter(['-u', 'app', c.name, '--', 'sh', '-c', 'echo via-path > /proc/self/fd/1']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), 'via-path\n');
  });
});

describe('nsenter backend: confinement parity with docker exec', () => {
  const containers = suiteContainers();

  const cases: Array<{ what: string; args: string[]; expect?: RegExp }> = [
    { what: 'a default container', args: [], expect: /CapBnd:\s+00000000a80425fb/ },
    {
      what: '--cap-drop ALL --cap-add NET_ADMIN',
      args: ['--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN'],
      expect: /CapBnd:\s+0000000000001000/,
    },
    { what: '--security-opt no-new-privileges', args: ['--security-opt', 'no-new-privileges'], expect: /NoNewPrivs:\s+1/ },
    { what: '--pids-limit 50', args: ['--pids-limit', '50'], expect: /pids:\/docker\/[0-9a-f]{64}/ },
  ];
  for (const k of cases) {
    it(`matches docker exec on ${k.what} (root and -u app)`, async () => {
      const c = await containers.run({ args: k.args });
      for (const u of [[], ['-u', 'app']]) {
        const mine = await nsenter([...u, c.name, '--', 'sh', '-c', CONFINEMENT]);
        assert.equal(mine.exitCode, 0, mine.stderr);
        const theirs = await dockerExec([...u, c.name, 'sh', '-c', CONFINEMENT]);
        assert.equal(text(mine), theirs);
        assert.match(text(mine), /Seccomp:\s+2/);
        assert.match(text(mine), new RegExp(`/docker/${c.id}`));
        if (k.expect) assert.match(text(mine), k.expect);
      }
    });
  }

  it('the pids limit applies to the session (it is in the container cgroup), as with docker exec', async () => {
    // --init: tini reaps what a run leaves behind, so each run starts from the same count. Headroom
    // above the init's 2 processes: the session itself always starts, and its forks are what count.
    const c = await containers.run({ args: ['--init', '--pids-limit', '12'] });
    const pid = await containerPid(c.id);
    const baseline = (await pidsUsage(pid))?.current ?? 0;
    // Fork until the limit refuses, print how many started; on the way out take the children along.
    const script = "trap 'kill 0' EXIT; i=0; while [ $i -lt 40 ]; do sleep 100 & i=$((i+1)); echo $i; done";
    const started = (out: string): number => Number(out.trim().split('\n').pop() ?? NaN);
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 100 && ((await pidsUsage(pid))?.current ?? 0) > baseline; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal((await pidsUsage(pid))?.current, baseline, 'the previous run left processes behind');
    };
    const mine = await nsenter([c.name, '--', 'sh', '-c', script]);
    assert.match(mine.stderr, /can't fork|Resource temporarily unavailable/i);
    await settle();
    const theirs = await execa('docker', ['exec', c.name, 'sh', '-c', script], { reject: false });
    assert.match(theirs.stderr, /can't fork|Resource temporarily unavailable/i);
    await settle();
    assert.equal(started(text(mine)), started(theirs.stdout), `${text(mine)} / ${theirs.stdout}`);
    assert.ok(started(text(mine)) < 40);
    const free = await nsenter([c.name, '--', 'true']);
    assert.equal(free.exitCode, 0, free.stderr);
  });

  it('enters a container at its pids limit anyway, and says so in one line', async () => {
    // tini + sh + 2 sleeps: 4 of 4.
    const c = await containers.run({ args: ['--init', '--pids-limit', '4'], cmd: ['sh', '-c', 'sleep 100000 & sleep 100000 & wait'] });
    const pid = await containerPid(c.id);
    for (let i = 0; i < 100 && (await pidsUsage(pid))?.current !== 4; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await pidsUsage(pid), { current: 4, max: 4 });
    const r = await nsenter([c.name, '--', 'echo', 'inside']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), 'inside\n');
    // (Only cx's notes: a discovery warning about someone else's container may share stderr.)
    const notes = r.stderr.split('\n').filter((l) => l.startsWith('cx: note:'));
    assert.equal(notes.length, 1, r.stderr);
    assert.match(notes[0] ?? '', /^cx: note: .* is at its pids limit \(4 of 4 processes\): entered anyway/);
  });

  it('a privileged container keeps full host root, and says so on stderr', async () => {
    // Full --privileged cannot start on this machine (dockerd's own bounding set lacks a cap, runc
    // refuses); every cap it has, without seccomp, is the same thing for cx.
    const c = await containers.run({ args: ['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--security-opt', 'seccomp=unconfined'] });
    const r = await nsenter([c.name, '--', 'grep', '-E', '^(CapBnd|Seccomp):', '/proc/self/status']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), await dockerExec([c.name, 'grep', '-E', '^(CapBnd|Seccomp):', '/proc/self/status']));
    assert.match(r.stderr, /^cx: note: .*privileged container.*full root on the host/m);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});

describe('nsenter backend: environment records', () => {
  const containers = suiteContainers();

  it("applies baseimage-docker's /etc/container_environment, and --sources marks what differs", async () => {
    const setup =
      'mkdir -p /etc/container_environment && printf "from the record" > /etc/container_environment/RECORDED && ' +
      'printf "record-value" > /etc/container_environment/SHARED && printf x > "/etc/container_environment/bad name" && exec sleep 100000';
    const c = await containers.run({ args: ['-e', 'SHARED=config-value', '-e', 'PLAIN=same'], cmd: ['sh', '-c', setup] });
    await waitFor(
      async () =>
        (await execa('docker', ['exec', c.name, 'test', '-f', '/etc/container_environment/SHARED'], { reject: false })).exitCode === 0,
    );
    const r = await nsenter([c.name, '--', 'cat', '/proc/self/environ']);
    const env = environ(text(r));
    assert.ok(env.includes('RECORDED=from the record'), env.join(' | '));
    assert.ok(env.includes('SHARED=record-value'));
    assert.ok(env.includes('PLAIN=same'));
    assert.ok(!env.some((e) => e.startsWith('bad name')));

    const s = await cx(['env', '--backend', 'nsenter', '--sources', c.name]);
    assert.equal(s.exitCode, 0, s.stderr);
    const line = (name: string): string =>
      text(s)
        .split('\n')
        .find((l) => l.startsWith(`${name}=`)) ?? '';
    assert.match(
      line('SHARED'),
      /\[container-environment\]\s+DIFFERS: .*container-config=config-value.*container-environment=record-value/,
    );
    assert.match(line('RECORDED'), /\[container-environment\]$/);
    assert.doesNotMatch(line('PLAIN'), /DIFFERS/);
    assert.match(line('HOME'), /\[passwd\]/);
  });
});

describe('nsenter backend: hostile containers and stale targets', () => {
  const containers = new Containers();
  const marker = `/tmp/cx-host-only-${randomBytes(4).toString('hex')}`;
  before(async () => {
    await requireEngine();
    await writeFile(marker, 'root:x:0:0:HOSTMARK:/host-marker-home:/bin/sh\napp:x:1000:1000::/host-marker-home:/bin/sh\n');
  });
  after(async () => {
    await containers.remove();
    await rm(marker, { force: true });
  });

  it('never reads a host file through an absolute /etc/passwd symlink', async () => {
    const c = await containers.run({ cmd: ['sh', '-c', `ln -sf ${marker} /etc/passwd && exec sleep 100000`] });
    await waitFor(async () => (await execa('docker', ['exec', c.name, 'test', '-L', '/etc/passwd'], { reject: false })).exitCode === 0);
    const home = await nsenter([c.name, '--', 'sh', '-c', 'echo "$HOME"']);
    assert.equal(home.exitCode, 0, home.stderr);
    assert.equal(text(home), '/\n', 'HOME came from the host file');
    const env = await cx(['env', '--backend', 'nsenter', c.name]);
    assert.doesNotMatch(text(env), /host-marker/);
    const app = await nsenter(['-u', 'app', c.name, '--', 'true']);
    assert.equal(app.exitCode, 126, 'user app was resolved from the host file');
    assert.match(app.stderr, /^cx: no user 'app' in the container's \/etc\/passwd/m);
  });

  it("resolves the symlink inside the container: /etc/passwd -> /etc/shadow is the container's shadow", async () => {
    const setup =
      'printf "root:x:0:0:in-container:/container-home:/bin/sh\\n" > /etc/shadow && ln -sf /etc/shadow /etc/passwd && exec sleep 100000';
    const c = await containers.run({ cmd: ['sh', '-c', setup] });
    await waitFor(async () => (await execa('docker', ['exec', c.name, 'test', '-L', '/etc/passwd'], { reject: false })).exitCode === 0);
    const r = await nsenter([c.name, '--', 'sh', '-c', 'echo "$HOME"']);
    assert.equal(text(r), '/container-home\n');
  });

  it('refuses a container whose process is gone, with one clear line', async () => {
    const c = await containers.run();
    const { NsenterBackend } = await import('../../src/backends/nsenter/backend.js');
    const record = await containerRecord(c.id);
    await execa('docker', ['stop', '-t', '0', c.id]);
    await assert.rejects(new NsenterBackend().open(record, execRequest(['true'])), (e: Error) => {
      assert.equal(e.name, 'NotRunningError');
      assert.match(e.message, /gone|exited|not in the container's cgroup/);
      return true;
    });
  });

  it('refuses a PID whose start time is not the recorded one (reused PID), in cx and in the helper', async () => {
    const c = await containers.run();
    const { NsenterBackend } = await import('../../src/backends/nsenter/backend.js');
    const record = await containerRecord(c.id);
    const stale = { ...record, oci: { binary: 'runc' as const, root: '/nonexistent', bundle: undefined, pidStart: 1 } };
    await assert.rejects(new NsenterBackend().open(stale, execRequest(['true'])), /another process/);
    // The helper checks again through its pidfd, whatever cx told it.
    const { findHelper } = await import('../../src/backends/nsenter/helper-path.js');
    const helper = findHelper();
    assert.ok(helper, 'helper not built');
    const identity = ['--uid', '0', '--gid', '0', '--cap-bnd', '0', '--cap-eff', '0', '--cap-prm', '0'];
    const spec = Buffer.from('r:/etc/hostname\0');
    const paths = Buffer.concat([Buffer.from(`${spec.length}\n`), spec]); // the helper's fd 3
    const r = await execa(helper, ['query', '--pid', String(record.pid), '--start', '1', '--id', c.id, ...identity], {
      reject: false,
      stdio: ['ignore', 'pipe', 'pipe', paths, 'pipe'],
    });
    assert.equal(r.exitCode, 125);
    assert.equal(r.stdout, '');
    // A process that is not in the container (this test runner) is refused too.
    const own = await execa(helper, ['query', '--pid', String(process.pid), '--start', ownStart(), '--id', c.id, ...identity], {
      reject: false,
      stdio: ['ignore', 'pipe', 'pipe', paths],
    });
    assert.equal(own.exitCode, 125);
    assert.match(own.stderr, /not in the container's cgroup/);
  });

  it('a caller without CAP_SYS_ADMIN gets one line naming what is missing and suggesting docker', async () => {
    const c = await containers.run();
    const docker = (await execa('getent', ['group', 'docker'])).stdout.split(':')[2] ?? '';
    // In the docker group (so the target can be resolved), but not root.
    const r = await execa(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        `--groups=${docker}`,
        'env',
        'HOME=/tmp',
        'bin/cx',
        'exec',
        '--backend',
        'nsenter',
        c.name,
        '--',
        'true',
      ],
      {
        reject: false,
        env: { [CANARY]: 'x' },
      },
    );
    assert.equal(r.exitCode, 1, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('cx: ') && !l.startsWith('cx: warning'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /CAP_SYS_ADMIN.*--backend docker/);
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached');
}

/** This process's real start time: only the cgroup check can refuse it. */
function ownStart(): string {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '0';
}

/** A Container record built from docker inspect (what discovery would give). */
async function containerRecord(id: string) {
  const raw = JSON.parse((await execa('docker', ['inspect', id])).stdout) as Array<{
    Id: string;
    Name: string;
    State: { Pid: number };
    Config: { User: string; Env: string[]; WorkingDir: string; Hostname: string; Tty: boolean };
  }>;
  const i = raw[0];
  assert.ok(i);
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: '',
    command: '',
    state: 'running' as const,
    createdAt: undefined,
    startedAt: undefined,
    finishedAt: undefined,
    exitCode: undefined,
    pid: i.State.Pid,
    runtime: 'docker' as const,
    source: 'docker-api' as const,
    labels: {},
    config: { user: i.Config.User, env: i.Config.Env, workingDir: i.Config.WorkingDir, hostname: i.Config.Hostname, tty: i.Config.Tty },
  };
}

describe('nsenter backend: the session helper reads the files the session is planned with', () => {
  const containers = suiteContainers();

  it('one helper process per exec: a child of it reads passwd and group (no query helper is started)', async () => {
    // No seccomp filter to copy: the helper needs no ptrace of the init, so strace can follow it.
    const c = await containers.run({ args: ['--security-opt', 'seccomp=unconfined'] });
    const r = await execa(
      'strace',
      [
        '-f',
        '-qq',
        '-e',
        'trace=execve',
        '-e',
        'signal=none',
        CX_BIN,
        'exec',
        '--backend',
        'nsenter',
        '-u',
        'app',
        c.name,
        '--',
        'id',
        '-un',
      ],
      {
        reject: false,
      },
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'app');
    const helpers = r.stderr.split('\n').filter((l) => /execve\("[^"]*cx-nsenter", .*= 0$/.test(l));
    assert.equal(helpers.length, 1, helpers.join('\n'));
    assert.match(helpers[0]!, /"exec", .*"--query-first"/);
  });

  it('the helper answers its --query-first paths on fd 5, as the container root, then runs the command', async () => {
    const c = await containers.run();
    const { findHelper } = await import('../../src/backends/nsenter/helper-path.js');
    const helper = findHelper();
    assert.ok(helper, 'helper not built');
    const pid = await containerPid(c.id);
    const start = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ')[19] ?? '';
    const list = (items: string[]): Buffer => {
      const blob = Buffer.from(items.map((i) => `${i}\0`).join(''));
      return Buffer.concat([Buffer.from(`${blob.length}\n`), blob]);
    };
    // The paths on the command line; fd 3: the user and the environment (what cx sends once it has read fd 5).
    const paths = ['r:/etc/hostname', 's:/etc', 'r:/no/such'].flatMap((p) => ['--query-path', p]);
    const control = Buffer.concat([list(['0', '0', '0']), list(['PATH=/bin'])]);
    // The init's own capability sets (what docker gave the container).
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const cap = (k: string): string => new RegExp(`^Cap${k}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0';
    const caps = ['--cap-bnd', cap('Bnd'), '--cap-eff', cap('Eff'), '--cap-prm', cap('Prm'), '--cap-inh', '0', '--cap-amb', '0'];
    const query = ['--query-cap-bnd', cap('Bnd'), '--query-cap-eff', cap('Eff'), '--query-cap-prm', cap('Prm')];
    const argv = (q: string[]): string[] => [
      'exec',
      '--pid',
      String(pid),
      '--start',
      start,
      '--id',
      c.id,
      '--user-on-fd3',
      '--query-first',
      ...q,
      '--cwd',
      '/',
      ...caps,
      '--',
      'echo',
      'ran',
    ];
    const r = await execa(helper, argv([...query, ...paths]), {
      reject: false,
      stdio: ['ignore', 'pipe', 'pipe', control, 'pipe', 'pipe'],
      env: {},
    });
    assert.equal(r.exitCode, 0, `${r.stderr}${String(r.stdio[4])}`);
    assert.equal(r.stdout, 'ran');
    const hostname = (await execa('docker', ['exec', c.name, 'cat', '/etc/hostname'])).stdout;
    const answers = String(r.stdio[5]);
    assert.equal(answers, `F ${hostname.length + 1}\n${hostname}\nS d\nN`); // (execa strips the last newline)
    // Without its query capabilities, or without a path, the flag is refused.
    for (const q of [paths, query]) {
      const bad: { exitCode?: number; stdio: unknown[] } = await execa(helper, argv(q), {
        reject: false,
        stdio: ['ignore', 'pipe', 'pipe', control, 'pipe', 'pipe'],
        env: {},
      });
      assert.equal(bad.exitCode, 125);
      assert.match(String(bad.stdio[4]), /^E usage 0 --query-first needs --user-on-fd3, the three --query-cap-\* masks and a --query-path/);
    }
  });
});
