import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { withToolboxPath } from '../../src/backends/nsenter/backend.js';
import { parseDaemonArgs, remappedDataRoot } from '../../src/host/docker-roots.js';
import { elfInterpreter } from '../../src/host/toolbox.js';

describe('cx debug: pure parts', () => {
  it("the toolbox goes after the container's PATH, or after Docker's default PATH when it has none", () => {
    const env = [
      { name: 'PATH', value: '/app/bin:/bin', source: 'container-config' as const },
      { name: 'A', value: '1', source: 'container-config' as const },
    ];
    assert.deepEqual(withToolboxPath(env, ['/.cx/bin']), [
      { name: 'PATH', value: '/app/bin:/bin:/.cx/bin', source: 'container-config' },
      { name: 'A', value: '1', source: 'container-config' },
    ]);
    assert.deepEqual(withToolboxPath([], ['/.cx/bin', '/.cx']), [
      { name: 'PATH', value: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/.cx/bin:/.cx', source: 'default' },
    ]);
  });

  it('dockerd --userns-remap moves the data-root to <data-root>/<first subuid>.<first subgid>', () => {
    const etc = mkdtempSync('/tmp/cx-unit-etc-');
    try {
      writeFileSync(path.join(etc, 'subuid'), 'alice:200000:65536\ndockremap:100000:65536\n');
      writeFileSync(path.join(etc, 'subgid'), 'dockremap:300000:65536\n');
      assert.equal(parseDaemonArgs(['dockerd', '--userns-remap=default', '--data-root', '/d']).usernsRemap, 'default');
      assert.equal(parseDaemonArgs(['dockerd', '--userns-remap', 'alice']).usernsRemap, 'alice');
      assert.equal(remappedDataRoot('/d', 'default', etc), '/d/100000.300000');
      assert.equal(remappedDataRoot('/d', 'alice:dockremap', etc), '/d/200000.300000');
      assert.equal(remappedDataRoot('/d', 'nobody', etc), '/d');
      assert.equal(remappedDataRoot('/d', undefined, etc), '/d');
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
  });

  it('tells static from dynamic ELF programs (a dynamic busybox cannot run in a scratch image)', () => {
    assert.equal(elfInterpreter(process.execPath)?.startsWith('/lib'), true);
    assert.equal(elfInterpreter('/bin/busybox'), undefined);
    assert.equal(elfInterpreter('/etc/passwd'), null);
  });
});
