import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { RuncBackend } from '../../src/backends/runc/backend.js';
import type { Session } from '../../src/backends/types.js';
import { listFromContainerd, TASK_DIR } from '../../src/discovery/containerd.js';
import { Inventory } from '../../src/discovery/inventory.js';
import { DockerClient } from '../../src/engine/docker-client.js';
import { cx, text } from '../helpers/cx.js';
import { Containers, containerPid, requireEngine, TEST_IMAGE, uniqueName } from '../helpers/engine.js';
import { execRequest } from '../helpers/request.js';

function collect(s: Session): Promise<{ out: string; code: number }> {
  let out = '';
  s.onData((d) => (out += d.toString()));
  return new Promise((resolve) => {
    s.onExit((e) => resolve({ out: out + (e.error ? `ERR:${e.error.message}` : ''), code: e.exitCode }));
    s.resume();
  });
}

/**
 * containerd's k8s.io namespace, as FIXTURES: this machine runs no kubelet/CRI. The tree is the exact
 * on-disk shape containerd 1.6 + the CRI plugin write (a sandbox bundle, a container bundle with the
 * io.kubernetes.cri.* annotations, init.pid, options.json, and runc state under <root>/k8s.io),
 * built around a real running container of the shared engine so that PID validation and runc exec
 * are real. Nothing here claims a real Kubernetes run.
 */
describe('containerd k8s.io task bundles (fixture tree around a real container)', () => {
  const containers = new Containers();
  let dir: string;
  let id: string;
  let pid: number;
  const sandboxId = 'e'.repeat(64);
  const goneId = 'f'.repeat(64);

  before(async () => {
    await requireEngine();
    const c = await containers.run({ args: ['-e', 'POD_ENV=from-bundle'] });
    id = (await execa('docker', ['inspect', '--format', '{{.Id}}', c.id])).stdout.trim();
    pid = await containerPid(id);
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-k8s-'));
    const tasks = path.join(dir, 'state', TASK_DIR, 'k8s.io');
    const runcRoot = path.join(dir, 'runc');
    const real = JSON.parse(
      await readFile(path.join('/run/docker/containerd/daemon', TASK_DIR, 'moby', id, 'config.json'), 'utf8'),
    ) as Record<string, unknown>;
    const cri = (type: string, extra: Record<string, string> = {}) => ({
      'io.kubernetes.cri.container-type': type,
      'io.kubernetes.cri.sandbox-name': 'web-7d9f',
      'io.kubernetes.cri.sandbox-namespace': 'shop',
      'io.kubernetes.cri.sandbox-id': sandboxId,
      ...extra,
    });
    const bundle = async (bid: string, annotations: Record<string, string>, initPid: number) => {
      await mkdir(path.join(tasks, bid), { recursive: true });
      await writeFile(path.join(tasks, bid, 'config.json'), JSON.stringify({ ...real, annotations }));
      await writeFile(path.join(tasks, bid, 'init.pid'), String(initPid));
      await writeFile(path.join(tasks, bid, 'options.json'), JSON.stringify({ binary_name: 'runc', root: runcRoot }));
    };
    await bundle(sandboxId, cri('sandbox'), pid);
    await bundle(
      id,
      cri('container', { 'io.kubernetes.cri.container-name': 'nginx', 'io.kubernetes.cri.image-name': 'docker.io/library/nginx:1.25' }),
      pid,
    );
    await bundle(goneId, cri('container', { 'io.kubernetes.cri.container-name': 'gone' }), 999_999);
    // runc's state for the real container, copied under the k8s.io root (the container IS real).
    await mkdir(path.join(runcRoot, 'k8s.io', id), { recursive: true });
    await copyFile(path.join('/run/docker/runtime-runc/moby', id, 'state.json'), path.join(runcRoot, 'k8s.io', id, 'state.json'));
  });
  after(async () => {
    await containers.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the container with pod/namespace/container names, skips the sandbox, marks the dead one', async () => {
    const list = await listFromContainerd(path.join(dir, 'state'), () => undefined);
    assert.ok(!list.some((c) => c.id === sandboxId), 'sandboxes are skipped');
    const c = list.find((x) => x.id === id);
    assert.ok(c);
    assert.equal(c.name, 'shop/web-7d9f/nginx');
    assert.deepEqual(c.k8s, { namespace: 'shop', pod: 'web-7d9f', container: 'nginx' });
    assert.equal(c.runtime, 'containerd');
    assert.equal(c.image, 'docker.io/library/nginx:1.25');
    assert.equal(c.state, 'running');
    assert.equal(c.pid, pid);
    assert.equal(c.oci?.root, path.join(dir, 'runc', 'k8s.io'));
    const gone = list.find((x) => x.id === goneId);
    assert.equal(gone?.state, 'exited');
    assert.equal(gone?.pid, undefined);
  });

  it('resolves by pod path and enters it with runc under the k8s.io root', async () => {
    const docker = new DockerClient({ socketPath: '/var/run/docker.sock', origin: 'default' });
    const inv = new Inventory({
      docker,
      // No Docker engine in this picture (its API would name the real container by its docker name).
      health: async () => ({
        state: 'absent',
        socketPath: path.join(dir, 'none.sock'),
        pid: undefined,
        evidence: [],
        elapsedMs: 0,
        roots: { dataRoot: path.join(dir, 'none'), execRoot: path.join(dir, 'none'), pid: undefined, how: 'test' },
      }),
      warn: () => undefined,
      containerdStates: [path.join(dir, 'state')],
      podman: {
        graphRoot: path.join(dir, 'none'),
        runRoot: path.join(dir, 'none'),
        runcRoot: path.join(dir, 'none'),
        crunRoot: path.join(dir, 'none'),
      },
    });
    try {
      const c = await inv.resolve('shop/web-7d9f/nginx');
      assert.equal(c.id, id);
      const backend = new RuncBackend();
      assert.deepEqual(backend.canEnter(c), { ok: true, reason: `runc state in ${path.join(dir, 'runc', 'k8s.io')}` });
      const s = await backend.open(c, execRequest(['sh', '-c', 'echo $POD_ENV; cat /proc/self/cgroup | grep -c ' + id]));
      const r = await collect(s);
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /^from-bundle\n[1-9]\d*\n$/);
    } finally {
      docker.close();
    }
  });
});

/**
 * Real podman containers. Debian's podman 4.3 fails here by default: crun refuses hybrid cgroups,
 * and raising RLIMIT_NOFILE/NPROC to the host maximum is not permitted in this VM. `--runtime runc`
 * with lowered --ulimit values works, so these are real runs.
 */
describe('podman containers (real, podman 4.3 with --runtime runc)', () => {
  const name = uniqueName('cxp');
  let id = '';

  before(async () => {
    const v = await execa('podman', ['--version'], { reject: false });
    if (v.exitCode !== 0) throw new Error('podman is not installed: apt-get install podman (these tests need a real one)');
    const img = await execa('podman', ['image', 'exists', `localhost/${TEST_IMAGE}`], { reject: false });
    if (img.exitCode !== 0) await execa('bash', ['-c', `docker save ${TEST_IMAGE} | podman load`]);
    const r = await execa('podman', [
      'run',
      '-d',
      '--name',
      name,
      '--runtime',
      'runc',
      '--network',
      'none',
      '--ulimit',
      'nofile=1024:1024',
      '--ulimit',
      'nproc=1000:1000',
      '-e',
      'PODMAN_ENV=yes',
      `localhost/${TEST_IMAGE}`,
      'sleep',
      '100000',
    ]);
    id = r.stdout.trim();
  });
  after(async () => {
    if (id) await execa('podman', ['rm', '-f', '-t', '0', id], { reject: false });
  });

  it('cx ls shows it with its name, PID and podman provenance', async () => {
    const pid = Number((await execa('podman', ['inspect', '--format', '{{.State.Pid}}', id])).stdout.trim());
    const r = await cx(['ls', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const row = (JSON.parse(text(r)) as Array<Record<string, unknown>>).find((x) => x['id'] === id);
    assert.ok(row, text(r));
    assert.equal(row['name'], name);
    assert.equal(row['pid'], pid);
    assert.equal(row['runtime'], 'podman');
    assert.equal(row['source'], 'podman');
    assert.equal(row['image'], `localhost/${TEST_IMAGE}`);
    assert.equal((row['backends'] as string[])[0], 'runc');
  });

  it('cx exec enters it through runc with its environment', async () => {
    const r = await cx(['exec', name, '--', 'sh', '-c', 'echo $PODMAN_ENV; grep -c libpod-' + id + ' /proc/self/cgroup']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /^yes\n[1-9]\d*\n$/);
  });
});
