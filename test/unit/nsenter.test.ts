import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { compareSources, composeExecEnv } from '../../src/backends/exec-env.js';
import { capMask } from '../../src/backends/nsenter/caps.js';
import { failureToError, parseFailure } from '../../src/backends/nsenter/helper-errors.js';
import { findHelper } from '../../src/backends/nsenter/helper-path.js';
import { parseQuery, queryIdentityArgs } from '../../src/backends/nsenter/helper.js';
import type { Target } from '../../src/backends/nsenter/target.js';
import { capsFromStatus, parseStartTime } from '../../src/backends/nsenter/target.js';
import { parseStatus } from '../../src/backends/nsenter/caps.js';
import { resolveUser } from '../../src/backends/exec-user.js';
import { formatEnv } from '../../src/cli/commands/env.js';

const PASSWD =
  'root:x:0:0:root:/root:/bin/ash\napp:x:1000:1000:app user:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nnogroup:x:65534:\n';

describe('resolveUser (docker exec -u semantics, checked against docker exec on this engine)', () => {
  const cases: Array<[string, { uid: number; gid: number; groups: number[]; home: string }]> = [
    ['', { uid: 0, gid: 0, groups: [0], home: '/root' }],
    ['app', { uid: 1000, gid: 1000, groups: [1000, 50], home: '/home/app' }],
    ['1000', { uid: 1000, gid: 1000, groups: [1000, 50], home: '/home/app' }],
    ['1000:50', { uid: 1000, gid: 50, groups: [50], home: '/home/app' }],
    ['app:staff', { uid: 1000, gid: 50, groups: [50], home: '/home/app' }],
    ['4242', { uid: 4242, gid: 0, groups: [0], home: '/' }],
    ['4242:777', { uid: 4242, gid: 777, groups: [777], home: '/' }],
  ];
  for (const [spec, want] of cases) {
    it(`'${spec}'`, () => assert.deepEqual(resolveUser(spec, PASSWD, GROUP), want));
  }
  it('refuses unknown names, with the name in the message', () => {
    assert.throws(() => resolveUser('ghost', PASSWD, GROUP), /no user 'ghost'/);
    assert.throws(() => resolveUser('app:ghosts', PASSWD, GROUP), /no group 'ghosts'/);
  });
  it('without a passwd file only numeric ids work', () => {
    assert.deepEqual(resolveUser('', undefined, undefined), { uid: 0, gid: 0, groups: [0], home: '/' });
    assert.throws(() => resolveUser('app', undefined, undefined), /no user 'app'/);
  });
});

describe('helper protocol', () => {
  it('parses query answers, binary-safe', () => {
    const bytes = Buffer.from([0, 10, 255, 70, 32]);
    const buf = Buffer.concat([Buffer.from(`F ${bytes.length}\n`), bytes, Buffer.from('N\nD 6\na\0bcd\0S f\nO\nB\n')]);
    const r = parseQuery(buf, 6);
    assert.deepEqual(r[0], { kind: 'file', data: bytes });
    assert.deepEqual(r.slice(1), [
      { kind: 'missing' },
      { kind: 'dir', names: ['a', 'bcd'] },
      { kind: 'stat', type: 'f' },
      { kind: 'other' },
      { kind: 'too-big' },
    ]);
    assert.throws(() => parseQuery(Buffer.from('N\n'), 2), /incompletely/);
  });
  it('turns status lines into the same one-line errors as the docker backend', () => {
    const f = parseFailure('E notfound 2 nosuch\n');
    assert.ok(f);
    const e = failureToError(f, { container: 'web', cmd: 'nosuch' });
    assert.equal(e.exitCode, 127);
    assert.match(e.message, /nosuch: command not found/);
    const perm = failureToError(
      { kind: 'noexec', errno: os.constants.errno.EACCES, text: '/etc/passwd' },
      { container: 'web', cmd: '/etc/passwd' },
    );
    assert.equal(perm.exitCode, 126);
    assert.match(perm.message, /permission denied/);
    const gone = failureToError(
      { kind: 'reused', errno: 0, text: "process 5 is not the container's init any more" },
      { container: 'web', cmd: 'sh' },
    );
    assert.equal(gone.name, 'NotRunningError');
    assert.match(failureToError({ kind: 'x', errno: 0, text: 'evil\x1b[2J' }, { container: 'c', cmd: 'sh' }).message, /evil\\x1b\[2J/);
  });
  it('reads the start time after the last parenthesis (a process name may contain ") ")', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'S';
    fields[19] = '123456';
    assert.equal(parseStartTime(`42 (evil) 1 2 3) ${fields.join(' ')}`), 123456);
    fields[0] = 'Z';
    assert.equal(parseStartTime(`42 (x) ${fields.join(' ')}`), undefined);
  });
  it('maps OCI capability names to bits', () => {
    assert.equal(capMask(['CAP_NET_ADMIN']), 0x1000n);
    assert.equal(capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_NOT_A_CAP']), 0x21n);
  });
});

describe('environment sources', () => {
  it('layers the container environment record after the configured env and before -e', () => {
    const env = composeExecEnv({
      hostname: 'h',
      containerEnv: ['A=config', 'B=config'],
      containerEnvSource: 'bundle',
      extraLayers: [{ source: 'container-environment', entries: ['B=record', 'C=record'] }],
      tty: false,
      overrides: ['C=option'],
      home: '/root',
    });
    assert.deepEqual(
      env.map((e) => `${e.name}=${e.value}:${e.source}`),
      [
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:default',
        'HOSTNAME=h:hostname',
        'A=config:bundle',
        'B=record:container-environment',
        'C=option:exec-option',
        'HOME=/root:passwd',
      ],
    );
  });
  it('marks only variables whose sources disagree', () => {
    const d = compareSources([
      { source: 'container-config', entries: ['SAME=1', 'DIFF=a', 'ONLY=x'] },
      { source: 'proc-environ', entries: ['SAME=1', 'DIFF=b'] },
    ]);
    assert.deepEqual([...d.keys()], ['DIFF']);
    const out = formatEnv(
      [
        { name: 'DIFF', value: 'a', source: 'container-config' },
        { name: 'SAME', value: '1', source: 'container-config' },
      ],
      { json: false, sources: true },
      d,
    );
    assert.match(out, /^DIFF=a\s+\[container-config\]\s+DIFFERS: container-config=a, proc-environ=b$/m);
    assert.match(out, /^SAME=1\s+\[container-config\]$/m);
  });
});

describe('findHelper', () => {
  it('finds native/build/cx-nsenter from any depth of the package, and nothing when it is not built', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'cx-helper-'));
    try {
      await writeFile(path.join(root, 'package.json'), '{}');
      const from = path.join(root, 'dist', 'src', 'backends', 'nsenter', 'helper-path.js');
      assert.equal(findHelper(from), undefined);
      await mkdir(path.join(root, 'native', 'build'), { recursive: true });
      await writeFile(path.join(root, 'native', 'build', 'cx-nsenter'), '');
      await chmod(path.join(root, 'native', 'build', 'cx-nsenter'), 0o755);
      assert.equal(findHelper(from), path.join(root, 'native', 'build', 'cx-nsenter'));
      assert.equal(findHelper(path.join(root, 'dist', 'bundle', 'cx.js')), path.join(root, 'native', 'build', 'cx-nsenter'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('cx-nsenter argument validation (the built helper; checked before any privilege is needed)', () => {
  const ID = 'a'.repeat(64);
  const pin = ['--pid', '1', '--start', '1', '--id', ID];
  const identity = ['--uid', '0', '--gid', '0', '--cap-bnd', 'ff', '--cap-eff', 'f', '--cap-prm', 'ff'];
  const caps5 = ['--cap-bnd', 'ff', '--cap-eff', 'f', '--cap-prm', 'ff', '--cap-inh', '0', '--cap-amb', '0'];
  const queryCaps = ['--query-cap-bnd', 'ff', '--query-cap-eff', 'f', '--query-cap-prm', 'ff'];
  // What cx writes on the helper's fd 3 for query: "<len>\n" and NUL-terminated paths.
  const paths = (...specs: string[]): Buffer => {
    const list = Buffer.from(specs.map((p) => `${p}\0`).join(''));
    return Buffer.concat([Buffer.from(`${list.length}\n`), list]);
  };
  const cases: Array<[string, string[], Buffer, RegExp]> = [
    [
      'query without an identity',
      ['query', ...pin],
      paths('r:/etc/passwd'),
      /query needs --uid, --gid, --cap-bnd, --cap-eff and --cap-prm/,
    ],
    ['query without capability masks', ['query', ...pin, '--uid', '0', '--gid', '0'], paths('r:/etc/passwd'), /query needs/],
    [
      'query with effective outside permitted',
      ['query', ...pin, '--uid', '0', '--gid', '0', '--cap-bnd', 'ff', '--cap-eff', '100', '--cap-prm', 'ff'],
      paths('r:/x'),
      /inconsistent capability masks/,
    ],
    ['query with an exec-only option', ['query', ...pin, ...identity, '--cwd', '/'], paths('r:/x'), /option not valid for query/],
    ['query with --tty', ['query', ...pin, ...identity, '--tty'], paths('r:/x'), /option not valid for query/],
    [
      'query with paths as arguments',
      ['query', ...pin, ...identity, '--', 'r:/etc/passwd'],
      paths('r:/x'),
      /query takes its paths on fd 3/,
    ],
    ['query with a relative path', ['query', ...pin, ...identity], paths('r:/etc/passwd', 'r:etc/passwd'), /invalid query path/],
    ['query with an unknown kind', ['query', ...pin, ...identity], paths('w:/etc/passwd'), /invalid query path/],
    ['query with no paths', ['query', ...pin, ...identity], paths(), /no paths to query/],
    ['query with a path list cut short', ['query', ...pin, ...identity], Buffer.from('100\nr:/x\0'), /short path list/],
    [
      'query with more than 65536 paths',
      ['query', ...pin, ...identity],
      paths(...Array.from({ length: 65537 }, () => 's:/x')),
      /too many paths/,
    ],
    ['a non-numeric uid', ['query', ...pin, ...identity, '--uid', 'root'], paths('r:/x'), /invalid --uid/],
    [
      'exec without capability masks',
      ['exec', ...pin, '--uid', '0', '--gid', '0', '--cwd', '/', '--', 'sh'],
      Buffer.alloc(0),
      /exec needs --cwd and all five --cap-\* masks/,
    ],
    [
      'exec with the user both on argv and on fd 3',
      ['exec', ...pin, '--uid', '0', '--gid', '0', '--user-on-fd3', '--cwd', '/', ...caps5, '--', 'sh'],
      Buffer.alloc(0),
      /exec needs --uid and --gid, or --user-on-fd3 and neither/,
    ],
    [
      'exec without a user at all',
      ['exec', ...pin, '--cwd', '/', ...caps5, '--', 'sh'],
      Buffer.alloc(0),
      /exec needs --uid and --gid, or --user-on-fd3 and neither/,
    ],
    ['query with --user-on-fd3', ['query', ...pin, ...identity, '--user-on-fd3'], paths('r:/x'), /option not valid for query/],
    ['query with --query-path', ['query', ...pin, ...identity, '--query-path', 'r:/x'], paths('r:/x'), /option not valid for query/],
    [
      'exec --query-path without --query-first',
      ['exec', ...pin, '--user-on-fd3', '--cwd', '/', ...caps5, '--query-path', 'r:/etc/passwd', '--', 'sh'],
      Buffer.alloc(0),
      /--query-first needs .* and a --query-path \(and only it takes them\)/,
    ],
    [
      'exec --query-first with a relative --query-path',
      ['exec', ...pin, '--user-on-fd3', '--query-first', ...queryCaps, '--query-path', 'r:etc/passwd', '--cwd', '/', ...caps5, '--', 'sh'],
      Buffer.alloc(0),
      /invalid query path/,
    ],
    [
      'exec --query-first with more than 8 paths',
      [
        'exec',
        ...pin,
        '--user-on-fd3',
        '--query-first',
        ...queryCaps,
        ...Array.from({ length: 9 }, () => ['--query-path', 's:/x']).flat(),
        '--cwd',
        '/',
        ...caps5,
        '--',
        'sh',
      ],
      Buffer.alloc(0),
      /too many --query-path \(at most 8\)/,
    ],
  ];
  for (const [what, args, fd3, want] of cases) {
    it(`refuses ${what}`, async () => {
      const helper = findHelper();
      assert.ok(helper, 'helper not built');
      const r = await execa(helper, args, { reject: false, env: {}, stdio: ['ignore', 'pipe', 'pipe', fd3] });
      assert.equal(r.exitCode, 125);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }
  it("cx asks for files as the container's root with its capability sets, never more", () => {
    const caps = { bounding: 0xa80425fbn, effective: 0xffffffffn, permitted: 0xa80425fbn, inheritable: 0n, ambient: 0n };
    const t = { id: ID, pid: 1, startTime: 1, caps, noNewPrivs: false, seccomp: 2, privileged: false, bundle: undefined } satisfies Target;
    assert.deepEqual(queryIdentityArgs(t), [
      '--uid',
      '0',
      '--gid',
      '0',
      '--cap-bnd',
      'a80425fb',
      '--cap-eff',
      'a80425fb',
      '--cap-prm',
      'a80425fb',
    ]);
  });
});

describe('capabilities without a bundle', () => {
  it('a non-root init gives the session its own (empty) sets, never its full bounding set', () => {
    const st = parseStatus(
      'Uid:\t1000\t1000\t1000\t1000\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n',
    );
    const caps = capsFromStatus(st);
    assert.equal(caps.effective, 0n);
    assert.equal(caps.permitted, 0n);
    assert.equal(caps.ambient, 0n);
  });
  it('a root init keeps what it holds', () => {
    const st = parseStatus(
      'Uid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\n',
    );
    const caps = capsFromStatus(st);
    assert.equal(caps.effective, 0xa80425fbn);
    assert.equal(caps.bounding, 0xa80425fbn);
  });
});
