/**
 * The commands run in-process (cli/cli's runF seam): the real argument parsing, session core and
 * error reporting, over a test IO and the in-memory backend of the TUI tests. The same commands
 * against the real engine are in test/integration/cli.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSessionFlags } from '../../src/cli/commands/session-options.js';
import { run } from '../../src/cli/program.js';
import { report } from '../../src/cli/report.js';
import type { Container } from '../../src/discovery/types.js';
import type { DaemonHealth } from '../../src/engine/health.js';
import { UsageError } from '../../src/errors.js';
import { testIO } from '../../src/session/io.js';
import { container, MemoryBackend, memoryInventory } from './tui-fixtures.js';

const HEALTHY: DaemonHealth = {
  state: 'ok',
  socketPath: '/nonexistent/docker.sock',
  pid: undefined,
  roots: undefined,
  evidence: ['test'],
  elapsedMs: 0,
};

function world(): { containers: Container[]; backend: MemoryBackend } {
  const backend = new MemoryBackend('docker', (cmd) =>
    cmd.join(' ') === 'sh -c exit 3' ? { output: '', exitCode: 3 } : { output: `ran: ${cmd.join(' ')}\n`, exitCode: 0 },
  );
  return {
    backend,
    containers: [
      container({ name: 'web', startedAt: '2026-01-01T00:00:00Z' }),
      container({ name: 'old-job', state: 'exited', exitCode: 3, pid: undefined, finishedAt: '2026-01-02T00:00:00Z' }),
    ],
  };
}

/** `cx <argv>` in-process: the exit code and what it wrote, errors reported as main.ts reports them. */
async function cx(
  argv: string[],
  opts: { tty?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; out: string; err: string; backend: MemoryBackend }> {
  const w = world();
  const t = testIO({ tty: opts.tty ?? false, env: opts.env ?? {} });
  let code: number;
  try {
    code = await run(argv, t.io, { inventory: memoryInventory(w.containers), backends: [w.backend], health: HEALTHY });
  } catch (err) {
    code = report(err, t.io, false);
  }
  return { code, out: t.stdout(), err: t.stderr(), backend: w.backend };
}

describe('cx commands in-process (test IO, in-memory backend)', () => {
  it('exec runs the command through the session core and passes its exit code on', async () => {
    const r = await cx(['exec', 'web', '--', 'echo', 'hi']);
    assert.equal(r.code, 0);
    assert.equal(r.out, 'ran: echo hi\n');
    assert.deepEqual(r.backend.opened, [
      {
        container: 'web',
        request: {
          cmd: ['echo', 'hi'],
          tty: false,
          stdin: false,
          user: '',
          workdir: '',
          env: [],
          size: undefined,
          privileged: false,
          detach: false,
        },
      },
    ]);
    const failed = await cx(['exec', 'web', '--', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3);
  });

  it("exec -t on a terminal asks for a TTY of its size with the caller's TERM before -e", async () => {
    const r = await cx(['exec', '-t', '-e', 'A=1', '-u', 'app', '-w', '/tmp', 'web', '--', 'top'], { tty: true, env: { TERM: 'vt220' } });
    assert.equal(r.code, 0);
    assert.deepEqual(r.backend.opened[0]?.request, {
      cmd: ['top'],
      tty: true,
      stdin: true,
      user: 'app',
      workdir: '/tmp',
      // The caller's TERM (the container has no terminfo database to check it against); -e applies after it.
      term: { value: 'vt220', why: "caller's TERM; the container has no terminfo database to check it" },
      env: ['A=1'],
      size: { cols: 80, rows: 24 },
      privileged: false,
      detach: false,
    });
  });

  it("enter opens the login shell from the container's passwd, as the TUI does", async () => {
    const r = await cx(['enter', 'web'], { tty: true, env: { TERM: 'xterm' } });
    assert.equal(r.code, 0);
    assert.deepEqual(r.backend.opened[0]?.request, {
      cmd: ['/bin/ash'],
      tty: true,
      stdin: true,
      user: '',
      workdir: '',
      term: { value: 'xterm', why: "caller's TERM; the container has no terminfo database to check it" },
      env: [],
      size: { cols: 80, rows: 24 },
      privileged: false,
      detach: false,
      login: true,
    });
  });

  it('env prints the session environment, and TERM only with --tty', async () => {
    const r = await cx(['env', 'web']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^APP_MODE=test$/m);
    assert.match(r.out, /^HOME=\/root$/m);
    assert.doesNotMatch(r.out, /^TERM=/m);
    const tty = await cx(['env', '--tty', 'web']);
    assert.match(tty.out, /^TERM=xterm$/m);
  });

  it('ls lists running containers with the backends that can enter them; --all adds stopped ones', async () => {
    const r = await cx(['ls']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^ID\s+NAME\s+IMAGE\s+STATE\s+PID\s+BACKENDS$/m);
    assert.match(r.out, /\sweb\s+cx-test\/busybox:1\s+running \S+\s+4242\s+docker$/m);
    assert.doesNotMatch(r.out, /old-job/);
    const all = await cx(['ls', '--all']);
    assert.match(all.out, /\sold-job\s+cx-test\/busybox:1\s+exited \(3\) \S+ ago\s+-\s+-$/m);
  });

  it('usage errors: one line and a hint on stderr, exit 2, nothing started', async () => {
    const cases: Array<[string[], RegExp, { tty?: boolean }?]> = [
      [['exec', 'web'], /^cx: no command given\n {4}put it after '--'/],
      [['exec', 'web', '--', ''], /^cx: no command given\n/],
      [['enter', 'web'], /^cx: cx enter needs a terminal on stdin and stdout\n/],
      [['enter', '--shell', 'sh', 'web'], /^cx: invalid --shell 'sh': give an absolute path\n/, { tty: true }],
      [
        ['exec', '--backend', 'lxc', 'web', '--', 'true'],
        /^cx: unknown backend 'lxc'\n {4}choose one of: auto, docker, runc, nsenter, ssh\n/,
      ],
      [['ui'], /^cx: the cx TUI needs a terminal on stdin and stdout\n/],
      [['frobnicate'], /^cx: unknown command 'frobnicate'\n/],
      [['ls', '--bogus'], /^cx: unknown option '--bogus'\n {4}see `cx ls --help`\n/],
      [[], /cx: no command given, and no terminal for the TUI\n/],
    ];
    for (const [argv, message, opts] of cases) {
      const r = await cx(argv, opts);
      assert.equal(r.code, 2, `cx ${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, message, `cx ${argv.join(' ')}`);
      assert.deepEqual(r.backend.opened, [], `cx ${argv.join(' ')} started nothing`);
    }
  });

  it('a target that is not there, or not running: exit 1 and why', async () => {
    const missing = await cx(['exec', 'wbe', '--', 'true']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^cx: no container named or with id 'wbe'; did you mean 'web'\?\n/);
    const stopped = await cx(['exec', 'old-job', '--', 'true']);
    assert.equal(stopped.code, 1);
    assert.match(
      stopped.err,
      /^cx: container old-job is not running \(exited with code 3 \S+ ago\)\n {4}start it first: docker start old-job\n/,
    );
    assert.deepEqual(stopped.backend.opened, []);
  });
});

describe('session option validation (every command that starts a process)', () => {
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ user: 'a:b:c' }, "invalid --user 'a:b:c'"],
    [{ user: 'a\nb' }, "invalid --user 'a\\nb'"],
    [{ workdir: 'tmp' }, "invalid --workdir 'tmp': it must be an absolute path"],
    [{ env: ['=x'] }, "invalid --env '=x'"],
    [{ env: ['A=\0'] }, "invalid --env 'A=\\x00'"],
    [{ backend: 'lxc' }, "unknown backend 'lxc'"],
  ];
  for (const [raw, message] of bad) {
    it(`rejects ${JSON.stringify(raw)}`, () => {
      assert.throws(
        () => parseSessionFlags(raw),
        (err: unknown) => err instanceof UsageError && err.exitCode === 2 && err.message === message,
      );
    });
  }

  const good: Array<[Record<string, unknown>, ReturnType<typeof parseSessionFlags>]> = [
    [{}, { user: '', workdir: '', env: [], backend: 'auto' }],
    [
      { user: 'app:staff', workdir: '/tmp', env: ['A=1', 'B'], backend: 'nsenter' },
      { user: 'app:staff', workdir: '/tmp', env: ['A=1', 'B'], backend: 'nsenter' },
    ],
    [
      { user: '1000:50', env: ['A=x=y'] },
      { user: '1000:50', workdir: '', env: ['A=x=y'], backend: 'auto' },
    ],
    // What docker exec takes too: any user spec it could look up (a missing name fails at start,
    // 126), ':0' and ':' (root), a variable name with a blank.
    [
      { user: 'a b', env: ['A B=1'] },
      { user: 'a b', workdir: '', env: ['A B=1'], backend: 'auto' },
    ],
    [{ user: ':0' }, { user: ':0', workdir: '', env: [], backend: 'auto' }],
  ];
  for (const [raw, parsed] of good) {
    it(`accepts ${JSON.stringify(raw)}`, () => assert.deepEqual(parseSessionFlags(raw), parsed));
  }
});
