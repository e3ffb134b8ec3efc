import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listFromDisk } from '../../src/discovery/docker-disk.js';
import { Containers, requireEngine, type TestContainer } from '../helpers/engine.js';
import { containerPid } from '../helpers/engine.js';
import { execa } from 'execa';

/**
 * Docker's on-disk state, damaged: a copy of the shared engine's real config.v2.json files in a temp
 * data-root (the real exec-root's runc state stays the truth about processes), plus a malformed
 * file, a junk directory name, an unreadable file and a container whose runtime state is missing.
 */
describe('docker data-root reader: one bad entry never hides the rest', () => {
  const containers = new Containers();
  let dir: string;
  let a: TestContainer;
  let b: TestContainer;
  const warnings: string[] = [];
  const fakeId = (c: string) => c.repeat(64);

  before(async () => {
    await requireEngine();
    a = await containers.run({ args: ['-e', 'FROM_DISK=yes'] });
    b = await containers.run();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-disk-'));
    const root = path.join(dir, 'containers');
    for (const c of [a, b]) {
      const id = (await execa('docker', ['inspect', '--format', '{{.Id}}', c.id])).stdout.trim();
      c.id = id;
      await mkdir(path.join(root, id), { recursive: true });
      for (const f of ['config.v2.json', 'hostconfig.json'])
        await copyFile(path.join('/var/lib/docker/containers', id, f), path.join(root, id, f));
    }
    // Malformed JSON under a valid id.
    await mkdir(path.join(root, fakeId('a')));
    await writeFile(path.join(root, fakeId('a'), 'config.v2.json'), '{"ID": "aaaa", "State": {');
    // A directory whose name is not an id (and would be a path trick if used).
    await mkdir(path.join(root, '..junk\x1b[31m'));
    // Unreadable: a directory where the file should be.
    await mkdir(path.join(root, fakeId('b'), 'config.v2.json'), { recursive: true });
    await chmod(path.join(root, fakeId('b')), 0o700);
    // Says running, but the runtime has no state for it (exited while the daemon was away).
    const ghost = fakeId('c');
    await mkdir(path.join(root, ghost));
    await writeFile(
      path.join(root, ghost, 'config.v2.json'),
      JSON.stringify({
        ID: ghost,
        Name: '/ghost',
        State: { Running: true, Pid: process.pid, StartedAt: '2026-01-01T00:00:00Z' },
        Config: { Image: 'x' },
      }),
    );
  });
  after(async () => {
    await containers.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the good containers with names, env and validated PIDs, and warns once per bad entry', async () => {
    const list = await listFromDisk({ dataRoot: dir, execRoot: '/var/run/docker' }, (l) => warnings.push(l));
    const byName = new Map(list.map((c) => [c.name, c]));
    for (const c of [a, b]) {
      const got = byName.get(c.name);
      assert.ok(got, `${c.name} missing from ${[...byName.keys()].join(', ')}`);
      assert.equal(got.state, 'running');
      assert.equal(got.pid, await containerPid(c.id));
      assert.equal(got.source, 'docker-disk');
      assert.equal(got.oci?.root, '/var/run/docker/runtime-runc/moby');
    }
    assert.ok(byName.get(a.name)?.config.env.includes('FROM_DISK=yes'));
    assert.equal(warnings.filter((w) => w.includes('aaaaaaaaaaaa') && /malformed config\.v2\.json/.test(w)).length, 1, warnings.join('\n'));
    assert.equal(warnings.filter((w) => w.includes('bbbbbbbbbbbb') && /unreadable/.test(w)).length, 1, warnings.join('\n'));
    assert.equal(warnings.filter((w) => /not a container id/.test(w)).length, 1, warnings.join('\n'));
    assert.ok(!list.some((c) => c.id === fakeId('a') || c.id === fakeId('b')));
  });

  it('reports a "running" container without runtime state as exited and stale, without a PID', async () => {
    const list = await listFromDisk({ dataRoot: dir, execRoot: '/var/run/docker' }, () => undefined);
    const ghost = list.find((c) => c.name === 'ghost');
    assert.ok(ghost);
    assert.equal(ghost.state, 'exited');
    assert.equal(ghost.pid, undefined, 'never hand out a PID the runtime does not vouch for');
    assert.match(ghost.stale ?? '', /runtime has no state/);
  });

  it('a missing containers directory is one warning and an empty list', async () => {
    const w: string[] = [];
    const list = await listFromDisk({ dataRoot: path.join(dir, 'nope'), execRoot: '/var/run/docker' }, (l) => w.push(l));
    assert.deepEqual(list, []);
    assert.equal(w.length, 1);
    assert.match(w[0] ?? '', /cannot read .*nope\/containers: ENOENT/);
  });
});
