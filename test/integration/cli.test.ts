import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CANARY, CX_BIN, cx, text } from '../helpers/cx.js';
import { Containers, requireEngine, type TestContainer } from '../helpers/engine.js';

/** One clear line and a hint: the shape of every user-facing error. */
function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.ok(lines.length <= 2, `expected a message and a hint, got:\n${stderr}`);
  assert.match(lines[0] ?? '', /^cx: /);
  assert.match(stderr, pattern);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace without --debug');
}

describe('cx ls / env / doctor and target resolution against the real engine', () => {
  const containers = new Containers();
  let web: TestContainer;
  let stopped: TestContainer;

  before(async () => {
    await requireEngine();
    web = await containers.run({ args: ['-e', 'MULTI=one\ntwo', '-e', 'ESC=\x1b[31mred', '--label', 'team=ops'] });
    stopped = await containers.run({ cmd: ['sh', '-c', 'exit 3'] });
    await execa('docker', ['wait', stopped.id]);
  });
  after(() => containers.remove());

  it('cx ls shows running containers as an aligned table', async () => {
    const r = await cx(['ls']);
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = text(r).trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+NAME\s+IMAGE\s+STATE\s+PID\s+BACKENDS$/);
    const row = lines.find((l) => l.includes(web.name));
    assert.ok(row, text(r));
    assert.match(
      row,
      new RegExp(`^${web.id.slice(0, 12)}\\s+${web.name}\\s+cx-test/busybox:1\\s+running \\d+[smhd]\\s+\\d+\\s+docker,runc,nsenter$`),
    );
    assert.equal(lines[0]?.indexOf('NAME'), row.indexOf(web.name), 'columns are aligned');
    assert.ok(!text(r).includes(stopped.name), 'stopped containers only with --all');
  });

  it('cx ls --all adds stopped containers with their exit code', async () => {
    const r = await cx(['ls', '--all']);
    const row = text(r)
      .split('\n')
      .find((l) => l.includes(stopped.name));
    assert.match(row ?? '', /exited \(3\) \d+[smhd] ago\s+-\s+-$/);
  });

  it('cx ls --json has the documented fields', async () => {
    const r = await cx(['ls', '--json', '--all']);
    const list = JSON.parse(text(r)) as Array<Record<string, unknown>>;
    const rec = list.find((x) => x['name'] === web.name);
    assert.ok(rec);
    assert.deepEqual(Object.keys(rec).sort(), [
      'backends',
      'command',
      'createdAt',
      'exitCode',
      'finishedAt',
      'id',
      'image',
      'k8s',
      'labels',
      'name',
      'pid',
      'runtime',
      'shortId',
      'source',
      'sources',
      'stale',
      'startedAt',
      'state',
      'stuck',
    ]);
    assert.equal(rec['id'], web.id);
    assert.equal(rec['state'], 'running');
    assert.equal(typeof rec['pid'], 'number');
    assert.deepEqual(rec['labels'], { 'cx-test': '1', team: 'ops' });
    assert.deepEqual(rec['backends'], ['docker', 'runc', 'nsenter']);
    assert.equal(rec['source'], 'docker-api');
    assert.equal(rec['stale'], null);
    const s = list.find((x) => x['name'] === stopped.name);
    assert.equal(s?.['exitCode'], 3);
    assert.equal(s?.['pid'], null);
  });

  it('cx ls asks dockerd for the running containers only and reads no stopped one’s record', async () => {
    const trace = path.join(await mkdtemp(path.join(os.tmpdir(), 'cx-ls-trace-')), 'openat');
    try {
      const opened = async (args: string[]): Promise<string> => {
        const r = await cx([...args, '--debug'], { via: ['strace', '-f', '-qq', '-e', 'trace=openat', '-o', trace] });
        assert.equal(r.exitCode, 0, r.stderr);
        assert.match(r.stderr, new RegExp(`^cx: debug: api GET \\S*/containers/json\\?all=${args.includes('--all') ? 1 : 0}$`, 'm'));
        return readFile(trace, 'utf8');
      };
      const running = await opened(['ls']);
      assert.match(running, new RegExp(`/containers/${web.id}/config\\.v2\\.json`));
      assert.doesNotMatch(running, new RegExp(`/containers/${stopped.id}/`));
      assert.match(await opened(['ls', '--all']), new RegExp(`/containers/${stopped.id}/config\\.v2\\.json`));
    } finally {
      await rm(path.dirname(trace), { recursive: true, force: true });
    }
  });

  it('cx ls --json says what docker inspect says, without an inspect per container', async () => {
    const r = await cx(['ls', '--json', '--all', '--debug']);
    assert.equal(r.exitCode, 0, r.stderr);
    // One list call; what it lacks comes from the data-root's records, not from inspects.
    assert.match(r.stderr, /^cx: debug: api GET \S*\/containers\/json\?all=1$/m);
    assert.doesNotMatch(r.stderr, /^cx: debug: api GET \S*\/containers\/[^/]+\/json/m, r.stderr);
    const list = JSON.parse(text(r)) as Array<Record<string, unknown>>;
    for (const c of [web, stopped]) {
      const rec = list.find((x) => x['id'] === c.id);
      assert.ok(rec, text(r));
      const i = JSON.parse((await execa('docker', ['inspect', c.id])).stdout)[0] as {
        Name: string;
        Created: string;
        Path: string;
        Args: string[];
        State: { Status: string; Pid: number; ExitCode: number; StartedAt: string; FinishedAt: string };
        Config: { Image: string; Labels: Record<string, string> };
      };
      const running = i.State.Status === 'running';
      assert.deepEqual(
        {
          name: rec['name'],
          image: rec['image'],
          command: rec['command'],
          state: rec['state'],
          createdAt: rec['createdAt'],
          startedAt: rec['startedAt'],
        },
        {
          name: i.Name.slice(1),
          image: i.Config.Image,
          command: [i.Path, ...i.Args].join(' '),
          state: i.State.Status,
          createdAt: i.Created,
          startedAt: i.State.StartedAt,
        },
      );
      assert.equal(rec['finishedAt'], running ? null : i.State.FinishedAt);
      assert.equal(rec['pid'], running ? i.State.Pid : null);
      assert.equal(rec['exitCode'], running ? null : i.State.ExitCode);
      assert.deepEqual(rec['labels'], i.Config.Labels);
      assert.equal(rec['source'], 'docker-api');
    }
  });

  it('cx env prints the session environment with control characters escaped', async () => {
    const r = await cx(['env', web.name]);
    assert.equal(r.exitCode, 0, r.stderr);
    const out = text(r);
    assert.match(out, /^PATH=\/usr\/local\/sbin:/m);
    assert.match(out, new RegExp(`^HOSTNAME=${web.id.slice(0, 12)}$`, 'm'));
    assert.match(out, /^MULTI=one\\ntwo$/m);
    assert.match(out, /^ESC=\\x1b\[31mred$/m);
    assert.ok(!out.includes('\x1b'), 'no raw escape reaches the terminal');
    assert.match(out, /^HOME=\/root$/m);
    assert.ok(!out.includes(CANARY));
    assert.ok(!/^TERM=/m.test(out), 'TERM only with --tty');
  });

  it('cx env --json keeps exact values and says where each came from', async () => {
    const r = await cx(['env', web.name, '--json', '-u', 'app', '-e', 'EXTRA=x']);
    const entries = JSON.parse(text(r)) as Array<{ name: string; value: string; source: string }>;
    const get = (n: string) => entries.find((e) => e.name === n);
    assert.equal(get('MULTI')?.value, 'one\ntwo');
    assert.equal(get('MULTI')?.source, 'container-config');
    assert.equal(get('HOME')?.value, '/home/app');
    assert.equal(get('EXTRA')?.source, 'exec-option');
    assert.equal(get('PATH')?.source, 'default');
  });

  it('cx env --sources shows the layer of each variable', async () => {
    const r = await cx(['env', web.name, '--sources', '--tty'], { env: { TERM: 'vt100' } });
    assert.match(text(r), /^TERM=vt100\s+\[tty \(caller's TERM; the container has no terminfo database to check it\)\]$/m);
    assert.match(text(r), /^HOME=\/root\s+\[passwd\]$/m);
  });

  it('cx doctor reports the engine and the docker backend', async () => {
    const r = await cx(['doctor']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /^ok\s+engine\s+\/var\/run\/docker\.sock .*API 1\.\d+/m);
    assert.match(text(r), /^ok\s+backend docker\s+/m);
  });

  it('resolves a target by full id, id prefix, name and /name', async () => {
    for (const t of [web.id, web.id.slice(0, 7), web.name, `/${web.name}`]) {
      const r = await cx(['exec', t, '--', 'hostname']);
      assert.equal(text(r), `${web.id.slice(0, 12)}\n`, `target ${t}: ${r.stderr}`);
    }
  });

  it('an ambiguous id prefix lists the candidates', async () => {
    // Start containers until two share a first hex digit (pigeonhole: at most 17).
    const extra = new Containers();
    try {
      const seen = new Map<string, string>();
      for (const id of (await execa('docker', ['ps', '-aq', '--no-trunc'])).stdout.split('\n')) seen.set(id[0] ?? '', id);
      let prefix: string | undefined;
      while (prefix === undefined) {
        const c = await extra.run({ cmd: ['true'] });
        const first = c.id[0] ?? '';
        if (seen.has(first)) prefix = first;
        seen.set(first, c.id);
      }
      const r = await cx(['exec', prefix, '--', 'true']);
      assert.equal(r.exitCode, 1);
      assertOneLineError(r.stderr, new RegExp(`'${prefix}' matches \\d+ containers: [0-9a-f]{12} \\(.+\\), `));
    } finally {
      await extra.remove();
    }
  });

  it('an unknown target suggests the closest names', async () => {
    const typo = web.name.slice(0, -1);
    const r = await cx(['exec', typo, '--', 'true']);
    assert.equal(r.exitCode, 1);
    assertOneLineError(r.stderr, new RegExp(`no container named or with id '${typo}'; did you mean '${web.name}'`));
  });

  it('a stopped target says so and since when', async () => {
    const r = await cx(['exec', stopped.name, '--', 'true']);
    assert.equal(r.exitCode, 1);
    assertOneLineError(r.stderr, new RegExp(`container ${stopped.name} is not running \\(exited with code 3 \\d+[smhd] ago\\)`));
  });

  it('a paused target says so, with the way out', async () => {
    const paused = await containers.run();
    await execa('docker', ['pause', paused.id]);
    try {
      const r = await cx(['exec', paused.name, '--', 'true']);
      assert.equal(r.exitCode, 1);
      assertOneLineError(r.stderr, new RegExp(`container ${paused.name} is paused[\\s\\S]*docker unpause ${paused.name}`));
    } finally {
      await execa('docker', ['unpause', paused.id]);
    }
  });

  const badInputs: Array<[string, string[], RegExp, number]> = [
    ['no command', ['exec', 'x', '--'], /no command given/, 2],
    ['command without --', ['exec', 'x', 'ls', '-la'], /unknown option '-la'[\s\S]*put the command after '--'/, 2],
    ['bad --user', ['exec', '-u', 'a:b:c', 'x', '--', 'true'], /invalid --user 'a:b:c'/, 2],
    ['relative --workdir', ['exec', '-w', 'tmp', 'x', '--', 'true'], /invalid --workdir 'tmp': it must be an absolute path/, 2],
    ['bad --env', ['exec', '-e', '=x', 'x', '--', 'true'], /invalid --env '=x'/, 2],
    ['unknown backend', ['exec', '--backend', 'bogus', 'x', '--', 'true'], /unknown backend 'bogus'/, 2],
    ['unknown command', ['bogus'], /unknown command 'bogus'/, 2],
    ['unknown option', ['ls', '--bogus'], /unknown option '--bogus'/, 2],
    ['missing target', ['enter'], /missing required argument 'target'/, 2],
    ['enter without a terminal', ['enter', 'x'], /cx enter needs a terminal/, 2],
    ['empty target', ['exec', '', '--', 'true'], /the target is empty/, 2],
  ];
  for (const [what, args, pattern, code] of badInputs) {
    it(`bad input: ${what}`, async () => {
      const r = await cx(args);
      assert.equal(r.exitCode, code, r.stderr);
      assertOneLineError(r.stderr, pattern);
      assert.equal(text(r), '');
    });
  }

  it('-t forces a TTY without a terminal; -T keeps it off', async () => {
    const forced = await cx(['exec', '-t', web.name, '--', 'sh', '-c', 'tty; echo "term=$TERM"'], { env: { TERM: 'vt220' } });
    assert.equal(forced.exitCode, 0, forced.stderr);
    assert.match(text(forced), /^\/dev\/pts\/\d+\r\nterm=vt220\r\n$/);
    const off = await cx(['exec', '-T', web.name, '--', 'sh', '-c', 'tty']);
    assert.equal(text(off), 'not a tty\n');
  });

  it('a signal to cx reaches the command (non-TTY) and cx exits 128+n', async () => {
    const child = execa(
      CX_BIN,
      ['exec', web.name, '--', 'sh', '-c', 'trap "echo got-term; exit 143" TERM; echo ready; while :; do sleep 0.1; done'],
      {
        reject: false,
        stdin: 'ignore',
        forceKillAfterDelay: false,
      },
    );
    await new Promise<void>((resolve) => child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    child.kill('SIGTERM');
    const r = await child;
    assert.equal(r.exitCode, 143);
    assert.match(String(r.stdout), /got-term/);
  });

  it('--debug explains the backend and shell choice', async () => {
    const r = await cx(['exec', '--debug', web.name, '--', 'true']);
    assert.match(r.stderr, /^cx: debug: backend auto: docker \(dockerd manages it\)$/m);
  });

  it('--help is complete for every command', async () => {
    const root = text(await cx(['--help']));
    for (const c of ['ls', 'exec', 'enter', 'env', 'doctor']) assert.match(root, new RegExp(`^  ${c}\\b`, 'm'));
    const exec = text(await cx(['exec', '--help']));
    for (const o of ['-i, --interactive', '-t, --tty', '-T, --no-tty', '-u, --user', '-w, --workdir', '-e, --env', '--backend']) {
      assert.ok(exec.includes(o), `exec --help lacks ${o}`);
    }
    assert.match(text(await cx(['--version'])), /^cx \d+\.\d+\.\d+\n$/);
  });
});
