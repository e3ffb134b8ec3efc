import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { after, before, describe, it } from 'node:test';
import { cx, text as stdoutOf } from '../helpers/cx.js';
import { containerProcesses, uniqueName } from '../helpers/engine.js';
import { suiteContainer } from '../helpers/suite.js';

describe('audit log (shared engine, cx as root)', () => {
  const c = suiteContainer({ name: uniqueName('au'), args: ['-e', 'CONTAINER_SECRET=cs-value-9d1'] });
  let dir: string;

  before(async () => {
    assert.equal(process.getuid?.(), 0, "these tests run as root, as the audit log is root's");
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-audit-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes a start and an end line per session, in a private file it creates; never environment values', async () => {
    const log = path.join(dir, 'a', 'audit.jsonl');
    const env = { CX_AUDIT_LOG: log, SUDO_USER: 'alice' };
    const r = await cx(
      ['exec', '-e', 'MY_SECRET=ms-value-7f2', '-u', '1000', c.name, '--', 'sh', '-c', 'echo "$MY_SECRET $CONTAINER_SECRET"; exit 3'],
      { env },
    );
    assert.equal(r.exitCode, 3, r.stderr);
    assert.match(stdoutOf(r), /ms-value-7f2 cs-value-9d1/);
    const text = await readFile(log, 'utf8');
    for (const v of ['ms-value-7f2', 'cs-value-9d1', 'host-secret-must-not-leak'])
      assert.ok(!text.includes(v), `no environment value in the log (${v})`);
    assert.equal((await lstat(log)).mode & 0o777, 0o600);
    assert.equal((await lstat(path.dirname(log))).mode & 0o777, 0o700);
    const [start, end, ...rest] = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rest.length, 0);
    assert.ok(start && end);
    assert.equal(start['event'], 'start');
    assert.equal(end['event'], 'end');
    assert.equal(start['session'], end['session']);
    assert.equal(start['host'], os.hostname());
    assert.deepEqual(start['container'], { id: c.id, name: c.name, image: 'cx-test/busybox:1' });
    assert.equal(start['backend'], 'docker');
    assert.match(String(start['why']), /docker/);
    assert.equal(start['user'], '1000');
    assert.deepEqual(start['command'], ['sh', '-c', 'echo "$MY_SECRET $CONTAINER_SECRET"; exit 3']);
    assert.equal(start['tty'], false);
    assert.equal(start['recording'], null);
    const by = start['by'] as Record<string, unknown>;
    assert.equal(by['uid'], 0);
    assert.equal(by['sudoUser'], 'alice');
    assert.ok('loginUid' in by);
    assert.ok(!Number.isNaN(Date.parse(String(start['time']))));
    assert.equal(end['exitCode'], 3);
    assert.equal(typeof end['durationMs'], 'number');

    // cx audit: the session as one row, container-controlled text escaped; --json as written.
    await cx(['exec', c.name, '--', 'echo', 'x\x1b[31mred'], { env });
    const result = await cx(['audit'], { env });
    assert.equal(result.exitCode, 0, result.stderr);
    const table = stdoutOf(result);
    assert.match(table, /^STARTED +BY +CONTAINER +BACKEND +AS +COMMAND +EXIT +DURATION$/m);
    assert.match(table, new RegExp(`alice .* ${c.name} +docker +1000 +sh -c echo .* 3 +\\d+\\.\\ds`));
    assert.ok(table.includes('echo x\\x1b[31mred'), table);
    assert.ok(!table.includes('\x1b'), 'no raw escape reaches the terminal');
    const json = await cx(['audit', '--json'], { env });
    const sessions = JSON.parse(stdoutOf(json)) as Array<{ start: { command: string[] }; end: { exitCode: number } }>;
    assert.equal(sessions.length, 2);
    assert.deepEqual(sessions[1]?.start.command, ['echo', 'x\x1b[31mred']);
  });

  it('refuses a log path that is a symlink with one line, writes nothing through it and starts nothing', async () => {
    const logs = path.join(dir, 'sym');
    await mkdir(logs, { mode: 0o700 });
    const target = path.join(dir, 'target-file');
    await writeFile(target, 'untouched\n');
    await symlink(target, path.join(logs, 'audit.jsonl'));
    const before = await containerProcesses(c.id);
    const r = await cx(['exec', c.name, '--', 'touch', '/tmp/should-not-run'], { env: { CX_AUDIT_LOG: path.join(logs, 'audit.jsonl') } });
    assert.equal(r.exitCode, 1);
    assert.equal(
      r.stderr.split('\n')[0],
      `cx: audit log ${path.join(logs, 'audit.jsonl')}: is a symlink, refusing to write through it; no session is started without its audit record`,
    );
    assert.equal(await readFile(target, 'utf8'), 'untouched\n');
    assert.deepEqual(await containerProcesses(c.id), before);
    const ran = await execa('docker', ['exec', c.id, 'ls', '/tmp/should-not-run'], { reject: false });
    assert.notEqual(ran.exitCode, 0, 'the command did not run');
  });

  it('refuses a symlinked or group-readable log directory', async () => {
    const real = path.join(dir, 'real');
    await mkdir(real, { mode: 0o700 });
    await symlink(real, path.join(dir, 'linked'));
    const r = await cx(['exec', c.name, '--', 'true'], { env: { CX_AUDIT_LOG: path.join(dir, 'linked', 'audit.jsonl') } });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /^cx: audit log .*linked\/audit\.jsonl: .*is not a directory \(a symlink or a file is in its place\)/m);
    const open = path.join(dir, 'open');
    await mkdir(open);
    await chmod(open, 0o750);
    const g = await cx(['exec', c.name, '--', 'true'], { env: { CX_AUDIT_LOG: path.join(open, 'audit.jsonl') } });
    assert.equal(g.exitCode, 1);
    assert.match(g.stderr, /has mode 750, expected 700/);
  });

  it('CX_AUDIT_LOG=off: sessions run without a log, and cx audit says there is none', async () => {
    const r = await cx(['exec', c.name, '--', 'true'], { env: { CX_AUDIT_LOG: 'off' } });
    assert.equal(r.exitCode, 0, r.stderr);
    const a = await cx(['audit'], { env: { CX_AUDIT_LOG: 'off' } });
    assert.equal(a.exitCode, 1);
    assert.match(a.stderr, /^cx: no audit log: cx writes one only as root, or where CX_AUDIT_LOG says$/m);
  });
});
