import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { remoteCommand } from '../../src/backends/ssh/backend.js';
import type { ExecRequest } from '../../src/backends/types.js';
import { UsageError } from '../../src/errors.js';
import { directTarget } from '../../src/cli/remote.js';
import { remoteEngineSocket } from '../../src/remote/forward.js';
import { forwardedEnv } from '../../src/remote/run.js';
import { shQuote } from '../../src/remote/ssh.js';
import { parseHost, selectHosts, takeHostArgs } from '../../src/remote/target.js';
import { execRequest } from '../helpers/request.js';

describe('remote host selection', () => {
  it('parses ssh://[user@]host[:port] and refuses anything else in one line', () => {
    assert.deepEqual(parseHost('ssh://root@prod-3:2222'), { label: 'ssh://root@prod-3:2222', host: 'prod-3', user: 'root', port: 2222 });
    assert.deepEqual(parseHost('ssh://[::1]'), { label: 'ssh://[::1]', host: '::1' });
    for (const bad of ['prod-3', 'ssh://-oProxyCommand=x', 'ssh://a b', 'tcp://h:2375', 'ssh://h:0', 'ssh://h:70000', "ssh://h';id"]) {
      assert.throws(() => parseHost(bad), UsageError, bad);
    }
  });

  it('takes -H/--host from the options, never from the command after --', () => {
    assert.deepEqual(takeHostArgs(['-H', 'ssh://a', 'ls', '--host=ssh://b', '-Hssh://c']), {
      hosts: ['ssh://a', 'ssh://b', 'ssh://c'],
      rest: ['ls'],
    });
    assert.deepEqual(takeHostArgs(['exec', 'web', '--', 'grep', '-H', 'x']), { hosts: [], rest: ['exec', 'web', '--', 'grep', '-H', 'x'] });
    assert.throws(() => takeHostArgs(['ls', '-H']), UsageError);
  });

  it('reads CX_HOST, then DOCKER_HOST=ssh://, then an ssh docker context; a unix DOCKER_HOST is local', async () => {
    const home = await mkdtemp('/tmp/cx-unit-');
    try {
      assert.deepEqual(
        selectHosts([], { CX_HOST: 'ssh://a, ssh://b:22', HOME: home }).map((h) => h.label),
        ['ssh://a', 'ssh://b:22'],
      );
      assert.deepEqual(
        selectHosts([], { DOCKER_HOST: 'ssh://u@d', HOME: home }).map((h) => h.label),
        ['ssh://u@d'],
      );
      assert.deepEqual(selectHosts([], { DOCKER_HOST: 'unix:///run/docker.sock', HOME: home }), []);
      assert.deepEqual(selectHosts([], { HOME: home }), []);
      const meta = path.join(home, '.docker', 'contexts', 'meta', createHash('sha256').update('fleet').digest('hex'));
      await mkdir(meta, { recursive: true });
      await writeFile(path.join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'fleet' }));
      await writeFile(
        path.join(meta, 'meta.json'),
        JSON.stringify({ Name: 'fleet', Endpoints: { docker: { Host: 'ssh://root@ctx-host' } } }),
      );
      assert.deepEqual(
        selectHosts([], { HOME: home }).map((h) => h.label),
        ['ssh://root@ctx-host'],
      );
      assert.deepEqual(
        selectHosts(['ssh://x'], { HOME: home, CX_HOST: 'ssh://y' }).map((h) => h.label),
        ['ssh://x'],
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('forwards cx settings only, never the local environment or the local side’s own settings', () => {
    const env = {
      PATH: '/x',
      HOME: '/root',
      SSH_AUTH_SOCK: '/s',
      DOCKER_HOST: 'unix:///local',
      CX_HOST: 'ssh://a',
      CX_SSH_CONFIG: '/c',
      CX_API_TIMEOUT_MS: '500',
      CX_REMOTE_DOCKER_HOST: 'unix:///r',
    };
    assert.deepEqual(forwardedEnv(env), ['CX_API_TIMEOUT_MS=500', 'DOCKER_HOST=unix:///r']);
  });

  it('quotes words for the remote shell', () => {
    assert.equal(shQuote('web'), 'web');
    assert.equal(shQuote("it's; rm -rf /"), `'it'\\''s; rm -rf /'`);
    assert.equal(shQuote(''), "''");
  });
});

describe('remote exec/enter through the forwarded Engine API: which lines may', () => {
  it('takes exec and enter lines whose options mean the same here and on the remote, with backend auto or docker', () => {
    const yes: Array<[string[], string]> = [
      [['exec', 'web', '--', 'true'], 'web'],
      [['exec', '-it', 'web', '--', 'sh'], 'web'],
      [['exec', '-i', '-u', 'app', '-w', '/tmp', '-e', 'A=1', '--env=B=2', 'web', '--', 'env'], 'web'],
      [['exec', '--backend', 'docker', '3f2a', '--', 'ps'], '3f2a'],
      [['exec', '--backend=auto', '-d', 'web', '--', 'sleep', '9'], 'web'],
      [['enter', 'web'], 'web'],
      [['enter', '-s', '/bin/sh', '--user', 'app', 'web', '--debug'], 'web'],
    ];
    for (const [argv, target] of yes) assert.equal(directTarget(argv), target, argv.join(' '));
  });

  it('leaves everything else to the carried cx: other backends, files, values from the environment, unknown options', () => {
    const no: string[][] = [
      ['ls'],
      ['env', 'web'],
      ['doctor', 'web'],
      ['exec', '--backend', 'runc', 'web', '--', 'true'],
      ['exec', '--backend=nsenter', 'web', '--', 'true'],
      ['exec', '--env-file', 'vars', 'web', '--', 'env'],
      ['exec', '-e', 'TOKEN', 'web', '--', 'env'],
      ['exec', '--record', 'x.cast', '-t', 'web', '--', 'sh'],
      ['exec', '--ssh-user', 'app', 'web', '--', 'true'],
      ['exec', '--help'],
      ['exec', 'web', 'true'],
      ['exec', 'web', 'other', '--', 'true'],
      ['exec', '-u'],
      ['exec', '-ix', 'web', '--', 'true'],
      ['enter', 'web', '--', 'sh'],
      ['enter', '--backend', 'ssh', 'web'],
      ['enter'],
      ['--debug', 'exec', 'web', '--', 'true'],
    ];
    for (const argv of no) assert.equal(directTarget(argv), undefined, argv.join(' '));
  });

  it('forwards only a unix socket path ssh -L can carry', () => {
    assert.equal(remoteEngineSocket({}), '/var/run/docker.sock');
    assert.equal(remoteEngineSocket({ CX_REMOTE_DOCKER_HOST: 'unix:///run/d2/docker.sock' }), '/run/d2/docker.sock');
    for (const v of ['tcp://h:2375', 'unix://relative.sock', 'unix:///a:b.sock', 'unix:///a b.sock']) {
      assert.equal(remoteEngineSocket({ CX_REMOTE_DOCKER_HOST: v }), undefined, v);
    }
  });
});

describe('ssh backend: the command line its sshd runs', () => {
  const req = (over: Partial<ExecRequest>): ExecRequest => execRequest(['sh'], { tty: true, stdin: true, ...over });

  it('is no command at all for the automatic login shell, so the sshd starts the login', () => {
    assert.equal(remoteCommand(req({ login: true, env: ['TERM=xterm'] })), undefined);
  });

  it('applies -w and -e, quotes every word, and runs the command as a child (128+n on a signal)', () => {
    const line = remoteCommand(req({ cmd: ['echo', "it's", '$HOME'], workdir: '/tmp/a b', env: ['A=1 2', 'B'], tty: false }))!;
    assert.match(line, /^cd '\/tmp\/a b' 2>\/dev\/null \|\| \{ echo "cx-ssh: chdir/);
    assert.match(line, /\nenv -u B 'A=1 2' echo 'it'\\''s' '\$HOME'; exit \$\?$/);
    assert.match(line, /\nc=echo\n/);
  });
});
