import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveUser } from '../../src/backends/exec-user.js';
import { parseDaemonArgs } from '../../src/host/docker-roots.js';
import { parseRuncState } from '../../src/discovery/runtime-state.js';
import { listFromContainerd, TASK_DIR } from '../../src/discovery/containerd.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mergeSources } from '../../src/discovery/merge.js';
import { inContainerCgroup, parseStat, validatePid } from '../../src/host/proc.js';
import { containerOfCgroup } from '../../src/discovery/proc-scan.js';
import { bareContainer, type Container } from '../../src/discovery/types.js';

const ID = '0123456789abcdef'.repeat(4);

describe('/proc parsing', () => {
  it('reads state and start time after the last ")" (comm may hold spaces and parens)', () => {
    const rest = ['T', '1', ...Array.from({ length: 17 }, () => '0'), '4242', '0'].join(' ');
    const st = parseStat(7, `7 (we ird) (x) ${rest}`);
    assert.deepEqual(st, { pid: 7, comm: 'we ird) (x', state: 'T', ppid: 1, startTime: 4242 });
  });

  it('a PID that is gone, or not in the container cgroup, is refused with a reason', async () => {
    assert.deepEqual(await validatePid(undefined, ID, undefined), { ok: false, reason: 'no PID recorded' });
    const self = await validatePid(process.pid, ID, undefined);
    assert.equal(self.ok, false);
    const reused = await validatePid(process.pid, ID, 1);
    assert.match(reused.ok ? '' : reused.reason, /was reused/);
  });

  it('recognises container cgroup shapes of docker, podman and kubernetes', () => {
    assert.deepEqual(containerOfCgroup(`12:pids:/docker/${ID}\n`), { id: ID, runtime: 'docker' });
    assert.deepEqual(containerOfCgroup(`0::/system.slice/docker-${ID}.scope\n`), { id: ID, runtime: 'docker' });
    assert.deepEqual(containerOfCgroup(`1:name=systemd:/machine.slice/libpod-${ID}.scope/container\n`), { id: ID, runtime: 'podman' });
    assert.deepEqual(containerOfCgroup(`0::/kubepods.slice/kubepods-besteffort.slice/kubepods-pod1.slice/cri-containerd-${ID}.scope\n`), {
      id: ID,
      runtime: 'containerd',
    });
    assert.deepEqual(containerOfCgroup(`4:memory:/kubepods/burstable/pod4f1a-22/${ID}\n`), { id: ID, runtime: 'containerd' });
    assert.equal(containerOfCgroup('0::/user.slice/user-0.slice/session-1.scope\n'), undefined);
  });

  it("a cgroup that merely contains the id is not the container's (a user scope named after it)", () => {
    const userScope = `/user.slice/user-1000.slice/user@1000.service/app.slice/run-docker-${ID}.scope`;
    assert.equal(containerOfCgroup(`0::${userScope}\n`), undefined);
    assert.equal(containerOfCgroup(`4:pids:/cxtest/docker/${ID}\n`), undefined);
    assert.equal(inContainerCgroup(`0::${userScope}\n`, ID), false);
    assert.equal(inContainerCgroup(`4:pids:/cxtest/${ID}\n`, ID), false);
    // One hierarchy in the container's cgroup is not enough when another says otherwise.
    assert.equal(inContainerCgroup(`5:memory:/docker/${ID}\n4:pids:/cxtest/${ID}\n`, ID), false);
    assert.equal(inContainerCgroup('0::/\n', ID), false);
    assert.equal(inContainerCgroup(`5:memory:/docker/${ID}\n4:pids:/docker/${ID}\n0::/docker/${ID}\n`, ID), true);
    // --cgroup-parent: accepted when the runtime's own record says so, exactly.
    assert.equal(inContainerCgroup(`4:pids:/mine/${ID}\n`, ID), false);
    assert.equal(inContainerCgroup(`4:pids:/mine/${ID}\n`, ID, [`/sys/fs/cgroup/pids/mine/${ID}`]), true);
    assert.equal(inContainerCgroup(`4:pids:/evil/mine/${ID}\n`, ID, [`/sys/fs/cgroup/pids/mine/${ID}`]), false);
    assert.equal(inContainerCgroup(`0::/system.slice/docker-${ID}.scope\n`, ID, [`system.slice:docker:${ID}`]), true);
  });
});

describe('dockerd command lines', () => {
  it('reads -H/--host, --data-root (and old -g/--graph), --exec-root and --config-file in every spelling', () => {
    assert.deepEqual(parseDaemonArgs(['dockerd', '-H', 'unix:///s', '--data-root=/d', '--exec-root', '/e', '--config-file', '/c.json']), {
      hosts: ['unix:///s'],
      dataRoot: '/d',
      execRoot: '/e',
      configFile: '/c.json',
      usernsRemap: undefined,
    });
    assert.deepEqual(parseDaemonArgs(['dockerd', '-Hfd://', '--host=unix:///x', '-g', '/old']), {
      hosts: ['fd://', 'unix:///x'],
      dataRoot: '/old',
      execRoot: undefined,
      configFile: undefined,
      usernsRemap: undefined,
    });
  });
});

describe('merging sources', () => {
  const base = (source: Container['source'], extra: Partial<Container> = {}): Container =>
    bareContainer(ID, source, { name: source, pid: 10, ...extra });

  it('one record per id: the API wins, provenance lists every source, the runtime reference is kept', () => {
    const oci = { binary: 'runc' as const, root: '/r', bundle: '/b', pidStart: 1 };
    const [m, ...rest] = mergeSources([[base('containerd', { oci })], [base('docker-api')], [base('proc')]]);
    assert.equal(rest.length, 0);
    assert.equal(m?.name, 'docker-api');
    assert.deepEqual(m?.sources, ['docker-api', 'containerd', 'proc']);
    assert.deepEqual(m?.oci, oci);
  });
});

describe('exec user resolution (docker semantics)', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/ash\napp:x:1000:1000::/home/app:/bin/sh\n';
  const group = 'root:x:0:\napp:x:1000:\nstaff:x:50:app\n';
  it('names: primary gid first, then the groups the user is a member of', () => {
    assert.deepEqual(resolveUser('app', passwd, group), { uid: 1000, gid: 1000, groups: [1000, 50], home: '/home/app' });
  });
  it('an explicit group replaces the primary gid and adds no membership groups', () => {
    assert.deepEqual(resolveUser('app:staff', passwd, group), { uid: 1000, gid: 50, groups: [50], home: '/home/app' });
    assert.deepEqual(resolveUser('4321:99', passwd, group), { uid: 4321, gid: 99, groups: [99], home: '/' });
  });
  it('an unknown name is one clear error', () => {
    assert.throws(() => resolveUser('nosuch', passwd, group), /no user 'nosuch' in the container's \/etc\/passwd/);
  });
});

describe('runc state.json', () => {
  const id = 'ab'.repeat(32);
  const fast = `{"id":"${id}","init_process_pid":4242,"init_process_start":590732,"created":"2026-11-23T11:05:57.6Z","config":{"labels":["bundle=/run/b/${id}","x=y"]},"cgroup_paths":{"pids":"/sys/fs/cgroup/pids/docker/${id}"}}`;
  it('picks the top-level fields runc writes first, and the bundle label', () => {
    assert.deepEqual(parseRuncState(fast), {
      pid: 4242,
      pidStart: 590732,
      bundle: `/run/b/${id}`,
      created: '2026-11-23T11:05:57.6Z',
      cgroupPaths: [`/sys/fs/cgroup/pids/docker/${id}`],
    });
  });
  it('takes the bundle from config.labels only, never from a value elsewhere in the file', () => {
    const decoy = `{"id":"${id}","init_process_pid":5,"init_process_start":6,"created":"c","config":{"mounts":[{"destination":"bundle=/evil"}],"hostname":"\\"labels\\":[\\"bundle=/evil2\\"]","labels":["io.x=bundle=/evil3","bundle=/run/b"]},"cgroup_paths":{}}`;
    assert.equal(parseRuncState(decoy).bundle, '/run/b');
    assert.equal(
      parseRuncState(Buffer.from(decoy)).bundle,
      (JSON.parse(decoy) as { config: { labels: string[] } }).config.labels[1]?.slice(7),
    );
  });
  it('falls back to a full parse when the layout differs, and a malformed file still throws', () => {
    const reordered = JSON.stringify({ created: 'c', init_process_pid: 7, init_process_start: '9', config: { labels: ['bundle=/b'] } });
    assert.deepEqual(parseRuncState(reordered), { pid: 7, pidStart: 9, bundle: '/b', created: 'c', cgroupPaths: [] });
    assert.throws(() => parseRuncState(fast.slice(0, -20)), SyntaxError);
  });
});

describe('containerd task configs', () => {
  it("a task's command and config are read from its config.json when used; a cut-short file is skipped with a warning", async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'cx-tasks-'));
    try {
      const id = (c: string): string => c.repeat(64);
      const task = (n: string, text: string): void => {
        const dir = path.join(root, TASK_DIR, 'default', id(n));
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'config.json'), text);
      };
      const cfg = {
        process: { args: ['sh', '-c', 'sleep 1'], env: ['A=1'], cwd: '/srv', user: { uid: 7, gid: 8 }, terminal: false },
        hostname: 'h',
        linux: { cgroupsPath: '/x/"quoted"' },
      };
      task('a', JSON.stringify(cfg));
      task('b', JSON.stringify(cfg).slice(0, 40));
      const warnings: string[] = [];
      const list = await listFromContainerd(root, (w) => warnings.push(w));
      assert.deepEqual(
        list.map((c) => c.id),
        [id('a')],
      );
      assert.match(warnings.join('\n'), /skipping containerd task default\/bbbbbbbbbbbb: malformed config\.json/);
      const c = list[0] as Container;
      assert.equal(c.command, 'sh -c sleep 1');
      assert.deepEqual(c.config, { user: '7:8', env: ['A=1'], workingDir: '/srv', hostname: 'h', tty: false });
      const copy = { ...c };
      assert.equal(copy.command, 'sh -c sleep 1');
      c.command = 'replaced';
      assert.equal(c.command, 'replaced');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
