import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { execa } from 'execa';

/**
 * host/cgroup-join.ts: before a helper or runc joins a container's cgroups, root's cx writes its own
 * PID to the cgroup it is already in, so the kernel's grace period for the join passes in the
 * background. That write must move nothing, and without root it must not even be tried.
 */
const MODULE = fileURLToPath(new URL('../../src/host/cgroup-join.js', import.meta.url));
const PROBE = `
import { readFileSync } from 'node:fs';
import { warmCgroupJoin, cgroupMounts } from ${JSON.stringify(MODULE)};
const before = readFileSync('/proc/self/cgroup', 'utf8');
warmCgroupJoin();
warmCgroupJoin();
await new Promise((r) => setTimeout(r, 200));
const mounts = cgroupMounts();
process.stdout.write(JSON.stringify({ before, after: readFileSync('/proc/self/cgroup', 'utf8'), v1: mounts.v1.size, v2: mounts.v2 ?? null }));
`;

describe('warming the cgroup join', () => {
  it("as root: cx's own cgroups are the same afterwards, and the cgroup mounts are found", async () => {
    const r = await execa('node', ['--input-type=module', '-e', PROBE], { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = JSON.parse(r.stdout) as { before: string; after: string; v1: number; v2: string | null };
    assert.equal(out.after, out.before);
    assert.ok(out.v1 > 0 || out.v2 !== null, `no cgroup mount found: ${r.stdout}`);
  });

  it('as another user: nothing is tried and nothing is said', async () => {
    const r = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', '--input-type=module', '-e', PROBE], {
      reject: false,
      cwd: '/',
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = JSON.parse(r.stdout) as { before: string; after: string };
    assert.equal(out.after, out.before);
  });
});
