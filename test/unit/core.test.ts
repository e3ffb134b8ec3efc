import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameDemuxer } from '../../src/backends/docker/demux.js';
import { firstTarFile } from '../../src/backends/docker/files.js';
import { classifyStartFailure, looksLikeStartFailure } from '../../src/backends/start-failure.js';
import { composeExecEnv, DEFAULT_PATH } from '../../src/backends/exec-env.js';
import { findUser, parsePasswd } from '../../src/host/passwd.js';
import { stateText } from '../../src/cli/commands/ls.js';
import { renderTable } from '../../src/cli/format/table.js';
import { assertRunning, distance, resolveTarget } from '../../src/discovery/resolve.js';
import { bareContainer, type Container } from '../../src/discovery/types.js';
import { compareApiVersions } from '../../src/engine/docker-client.js';
import { endpointFromEnv } from '../../src/engine/endpoint.js';
import { AmbiguousTargetError, NotFoundError, NotRunningError, UsageError } from '../../src/errors.js';
import { escapeValue, sanitize } from '../../src/util/sanitize.js';

function frame(stream: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

function container(over: Partial<Container>): Container {
  return bareContainer('a'.repeat(64), 'docker-api', {
    name: 'web',
    image: 'img',
    pid: 1,
    config: { user: '', env: [], workingDir: '', hostname: 'h', tty: false },
    ...over,
  });
}

describe('FrameDemuxer', () => {
  it('splits frames across arbitrary chunk boundaries', () => {
    const got: Array<[string, string]> = [];
    const d = new FrameDemuxer((data, s) => got.push([s, data.toString()]));
    const all = Buffer.concat([frame(1, 'out1'), frame(2, 'err'), frame(1, ''), frame(1, 'out2')]);
    for (let i = 0; i < all.length; i += 3) d.push(all.subarray(i, i + 3));
    assert.deepEqual(got, [
      ['stdout', 'out1'],
      ['stderr', 'err'],
      ['stdout', 'out2'],
    ]);
    assert.equal(d.leftover, 0);
  });
});

describe('start failures', () => {
  it('recognises them by prefix, even from a few bytes', () => {
    assert.equal(looksLikeStartFailure('OCI runtime exec failed'), 'yes');
    assert.equal(looksLikeStartFailure('unable to find user x'), 'yes');
    assert.equal(looksLikeStartFailure('OC'), 'maybe');
    assert.equal(looksLikeStartFailure('hello'), 'no');
  });
  it('maps runtime messages to 127 / 126 and a human line', () => {
    const nf = classifyStartFailure(
      'OCI runtime exec failed: exec failed: container_linux.go:380: starting container process caused: exec: "nope": executable file not found in $PATH: unknown\r\n',
    );
    assert.equal(nf.exitCode, 127);
    assert.equal(nf.message, "nope: command not found in the container's PATH");
    const crash = classifyStartFailure(
      'runtime/cgo: pthread_create failed: Resource temporarily unavailable\nSIGABRT: abort\nPC=0x7f m=3 sigcode=18446744073709551610\n\ngoroutine 0 [idle]:\n',
    );
    assert.equal(
      crash.message,
      'the command could not be started: runtime/cgo: pthread_create failed: Resource temporarily unavailable (and 3 more lines from the runtime)',
    );
    const perm = classifyStartFailure('OCI runtime exec failed: exec failed: ...: exec: "/etc/passwd": permission denied: unknown');
    assert.equal(perm.exitCode, 126);
    const cwd = classifyStartFailure(
      'OCI runtime exec failed: ... chdir to cwd ("/nope") set in config.json failed: no such file or directory: unknown',
    );
    assert.equal(cwd.message, 'working directory /nope does not exist in the container');
    const odd = classifyStartFailure('OCI runtime exec failed: \x1b[2Jweird');
    assert.equal(odd.exitCode, 126);
    assert.ok(!odd.message.includes('\x1b'));
  });
});

describe('composeExecEnv (docker exec semantics)', () => {
  it('layers default PATH, HOSTNAME, TERM, config env, -e, then HOME from passwd', () => {
    const env = composeExecEnv({
      hostname: 'h1',
      containerEnv: ['A=1', 'PATH=/x', 'B=2'],
      tty: true,
      overrides: ['A=9', 'B'],
      home: '/root',
    });
    assert.deepEqual(
      env.map((e) => `${e.name}=${e.value}:${e.source}`),
      ['PATH=/x:container-config', 'HOSTNAME=h1:hostname', 'TERM=xterm:tty', 'A=9:exec-option', 'HOME=/root:passwd'],
    );
  });
  it('keeps the default PATH and HOME / when nothing sets them', () => {
    const env = composeExecEnv({ hostname: 'h', containerEnv: [], tty: false, overrides: [], home: undefined });
    assert.equal(env.find((e) => e.name === 'PATH')?.value, DEFAULT_PATH);
    assert.equal(env.find((e) => e.name === 'HOME')?.value, '/');
    assert.equal(
      env.find((e) => e.name === 'TERM'),
      undefined,
    );
  });
});

describe('passwd', () => {
  const entries = parsePasswd('root:x:0:0:root:/root:/bin/ash\n# c\nbroken\napp:x:1000:1000::/home/app:/bin/sh\n');
  it('finds users by name, uid, and root for an empty spec', () => {
    assert.equal(findUser(entries, 'app')?.home, '/home/app');
    assert.equal(findUser(entries, '1000:50')?.name, 'app');
    assert.equal(findUser(entries, '')?.shell, '/bin/ash');
    assert.equal(findUser(entries, 'ghost'), undefined);
  });
});

describe('firstTarFile', () => {
  it('skips pax headers and returns the first regular file', () => {
    const header = (name: string, size: number, type: string): Buffer => {
      const h = Buffer.alloc(512);
      h.write(name, 0);
      h.write(size.toString(8).padStart(11, '0'), 124);
      h.write(type, 156);
      return h;
    };
    const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
    const pax = Buffer.from('30 mtime=1700000000.123456789\n');
    const tar = Buffer.concat([
      header('PaxHeader', pax.length, 'x'),
      pad(pax),
      header('passwd', 5, '0'),
      pad(Buffer.from('hello')),
      Buffer.alloc(1024),
    ]);
    assert.equal(firstTarFile(tar)?.toString(), 'hello');
    assert.equal(firstTarFile(Buffer.alloc(1024)), undefined);
  });
});

describe('resolveTarget', () => {
  const a = container({ id: `abc${'1'.repeat(61)}`, name: 'web' });
  const b = container({ id: `abd${'2'.repeat(61)}`, name: 'db' });
  const c = container({ id: `fff${'3'.repeat(61)}`, name: 'abc' });
  it('prefers full id, then exact name, then a unique prefix', () => {
    assert.equal(resolveTarget(a.id, [a, b, c]), a);
    assert.equal(resolveTarget('abc', [a, b, c]), c, 'a name beats an id prefix, as in docker');
    assert.equal(resolveTarget('/web', [a, b, c]), a);
    assert.equal(resolveTarget('abd', [a, b, c]), b);
  });
  it('says which containers an ambiguous prefix matches', () => {
    assert.throws(
      () => resolveTarget('ab', [a, b]),
      (e: Error) => e instanceof AmbiguousTargetError && /abc111111111 \(web\), abd222222222 \(db\)/.test(e.message),
    );
  });
  it('suggests close names and sanitizes what it echoes', () => {
    assert.throws(
      () => resolveTarget('wbe', [a, b]),
      (e: Error) => e instanceof NotFoundError && /did you mean 'web'/.test(e.message),
    );
    assert.throws(
      () => resolveTarget('x\x1b[2J', [a]),
      (e: Error) => !e.message.includes('\x1b'),
    );
    assert.throws(() => resolveTarget('  ', [a]), UsageError);
  });
  it('distance is Levenshtein', () => {
    assert.equal(distance('kitten', 'sitting'), 3);
  });
});

describe('assertRunning', () => {
  it('says what state a stopped container is in and since when', () => {
    const now = Date.parse('2026-01-01T01:00:00Z');
    const stopped = container({ state: 'exited', exitCode: 3, finishedAt: '2026-01-01T00:55:00Z' });
    assert.throws(
      () => assertRunning(stopped, now),
      (e: Error) => e instanceof NotRunningError && e.message === 'container web is not running (exited with code 3 5m ago)',
    );
    assert.throws(() => assertRunning(container({ state: 'paused' })), /is paused/);
    assert.doesNotThrow(() => assertRunning(container({})));
  });
});

describe('presentation', () => {
  it('sanitize turns control characters into visible escapes', () => {
    assert.equal(sanitize('a\x1b[31mb\nc\u009b'), 'a\\x1b[31mb\\nc\\x9b');
    assert.equal(escapeValue('a\\n'), 'a\\\\n');
  });
  it('sanitize escapes bidi overrides and line separators, which reorder or break what is shown', () => {
    assert.equal(sanitize('evil\u202etxt.sh'), 'evil\\u202etxt.sh');
    assert.equal(sanitize('a\u2028b\u2029c\u2066d\u200fe\u061cf'), 'a\\u2028b\\u2029c\\u2066d\\u200fe\\u061cf');
    assert.equal(sanitize('caf\u00e9 \u4e2d'), 'caf\u00e9 \u4e2d');
  });
  it('renderTable aligns columns and sanitizes cells', () => {
    assert.equal(
      renderTable(
        ['A', 'B'],
        [
          ['x\x1b', 'y'],
          ['long', 'z'],
        ],
      ),
      'A      B\nx\\x1b  y\nlong   z\n',
    );
  });
  it('stateText shows uptime or exit code and age', () => {
    const now = Date.parse('2026-01-01T02:00:00Z');
    assert.equal(stateText({ state: 'running', startedAt: '2026-01-01T00:00:00Z', finishedAt: null, exitCode: null }, now), 'running 2h');
    assert.equal(
      stateText({ state: 'exited', startedAt: null, finishedAt: '2026-01-01T01:59:30Z', exitCode: 0 }, now),
      'exited (0) 30s ago',
    );
  });
});

describe('engine endpoint and versions', () => {
  it('reads DOCKER_HOST unix sockets and refuses the rest', () => {
    assert.equal(endpointFromEnv({}).socketPath, '/var/run/docker.sock');
    assert.equal(endpointFromEnv({ DOCKER_HOST: 'unix:///tmp/d.sock' }).socketPath, '/tmp/d.sock');
    assert.throws(() => endpointFromEnv({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }), UsageError);
  });
  it('compares API versions numerically', () => {
    assert.ok(compareApiVersions('1.41', '1.9') > 0);
    assert.equal(compareApiVersions('1.41', '1.41'), 0);
  });
});
