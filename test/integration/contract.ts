/**
 * The backend contract: what every backend (docker, nsenter, runc, ...) must do the same way, run
 * through bin/cx against real containers. A backend's test file calls backendContract('<name>').
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CANARY, CX_BIN, cx, text } from '../helpers/cx.js';
import { containerPid, Containers, requireEngine, type TestContainer } from '../helpers/engine.js';
import { execa } from 'execa';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * What a backend's test file may change, each for a reason of the backend's nature, stated where
 * it is used; everything else holds for every backend.
 */
export interface ContractOptions {
  /** Starts the test containers (the ssh backend needs an image with an sshd, and keys in it). */
  start?: (containers: Containers, opts: { args?: string[]; cmd?: string[] }) => Promise<TestContainer>;
  /** The environment cx itself runs with (the ssh backend: the client config with the test key). */
  env?: () => Record<string, string>;
  /**
   * The session's environment is an SSH login's (the sshd's own PATH, HOME, USER, SSH_*), not the
   * container's configured one: docker exec's environment is not what an SSH login gives.
   */
  loginEnvironment?: boolean;
  /** A login is a user, not user:group: -u uid:gid is refused in one line. */
  loginUserOnly?: boolean;
  /** The sshd looks the login up in /etc/passwd: with none usable, no login (one line, no hang). */
  needsPasswd?: boolean;
}

export function backendContract(backend: string, options: ContractOptions = {}): void {
  describe(`backend contract: ${backend}`, () => {
    const containers = new Containers();
    let c: TestContainer;
    const withEnv = (opts: Parameters<typeof cx>[1] = {}): Parameters<typeof cx>[1] => ({
      ...opts,
      env: { ...options.env?.(), ...opts?.env },
    });
    const run = (args: string[], opts: Parameters<typeof cx>[1] = {}) => cx(['exec', '--backend', backend, ...args], withEnv(opts));
    const start = (opts: { args?: string[]; cmd?: string[] }) => (options.start ? options.start(containers, opts) : containers.run(opts));

    before(async () => {
      await requireEngine();
      c = await start({
        args: ['-e', 'SPACES=a value with  spaces', '-e', 'EQUALS=k=v=w', '-e', 'MULTI=line1\nline2', '-e', 'CONFIGURED=yes'],
      });
    });
    after(() => containers.remove());

    it('runs a command and returns its stdout', async () => {
      const r = await run([c.name, '--', 'echo', 'hello']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(text(r), 'hello\n');
    });

    it("gives the container's environment, exactly, and nothing of cx's own", async () => {
      const r = await run([c.name, '--', 'cat', '/proc/self/environ']);
      assert.equal(r.exitCode, 0, r.stderr);
      const env = new Map(
        text(r)
          .split('\0')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
      );
      if (options.loginEnvironment) {
        assert.equal(env.get('USER'), 'root');
        assert.ok(env.get('SSH_CONNECTION'), 'an SSH login sets SSH_CONNECTION');
        assert.equal(env.get('SPACES'), undefined, 'the configured environment is not the login environment');
      } else {
        assert.equal(env.get('SPACES'), 'a value with  spaces');
        assert.equal(env.get('EQUALS'), 'k=v=w');
        assert.equal(env.get('MULTI'), 'line1\nline2');
      }
      assert.equal(env.get('HOME'), '/root');
      assert.equal(env.get('PATH'), '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
      assert.equal(env.get(CANARY), undefined, 'cx leaked its own environment into the session');
      assert.equal(env.get('TERM'), undefined, 'TERM is set only with a TTY');
    });

    it('applies -e over the configured environment, and -e NAME unsets', async () => {
      // The login environment has no CONFIGURED: -e NAME unsets one it has (USER).
      const unset = options.loginEnvironment ? 'USER' : 'CONFIGURED';
      const r = await run(['-e', 'SPACES=over ridden', '-e', 'NEW=1', '-e', unset, c.name, '--', 'cat', '/proc/self/environ']);
      const vars = text(r).split('\0');
      assert.ok(vars.includes('SPACES=over ridden'), text(r));
      assert.ok(vars.includes('NEW=1'));
      assert.ok(!vars.some((v) => v.startsWith(`${unset}=`)));
    });

    for (const code of [0, 1, 42]) {
      it(`returns the command's exit code ${code}`, async () => {
        const r = await run([c.name, '--', 'sh', '-c', `exit ${code}`]);
        assert.equal(r.exitCode, code, r.stderr);
      });
    }

    it('returns 137 when the command is killed by SIGKILL', async () => {
      const r = await run([c.name, '--', 'sh', '-c', 'kill -9 $$']);
      assert.equal(r.exitCode, 137, r.stderr);
    });

    it('returns 127 with one clear line when the command does not exist', async () => {
      const r = await run([c.name, '--', 'no-such-command']);
      assert.equal(r.exitCode, 127);
      assert.equal(text(r), '', 'the runtime error must not appear on stdout');
      assert.match(r.stderr, /^cx: no-such-command: .*not found/m);
      assert.doesNotMatch(r.stderr, /OCI runtime|container_linux/);
    });

    it('returns 126 when the command cannot be executed', async () => {
      const r = await run([c.name, '--', '/etc/passwd']);
      assert.equal(r.exitCode, 126, r.stderr);
      assert.match(r.stderr, /^cx: .*permission denied/m);
    });

    it('keeps stdout and stderr apart', async () => {
      const r = await run([c.name, '--', 'sh', '-c', 'echo to-out; echo to-err >&2']);
      assert.equal(text(r), 'to-out\n');
      assert.equal(r.stderr, 'to-err\n');
    });

    it('passes stdin EOF to the command', async () => {
      const r = await run(['-i', c.name, '--', 'wc', '-c'], { input: 'twelve bytes' });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(text(r).trim(), '12');
    });

    it('carries 10 MiB of random bytes through cat byte-exact', async () => {
      const data = randomBytes(10 * 1024 * 1024);
      const r = await run(['-i', c.name, '--', 'cat'], { input: data, timeoutMs: 120_000 });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout.length, data.length);
      assert.equal(createHash('sha256').update(r.stdout).digest('hex'), createHash('sha256').update(data).digest('hex'));
    });

    it('runs as another user with -u name, -u uid:gid', async () => {
      const byName = await run(['-u', 'app', c.name, '--', 'id']);
      assert.equal(text(byName).trim(), 'uid=1000(app) gid=1000(app) groups=50(staff),1000(app)');
      const byIds = await run(['-u', '1000:50', c.name, '--', 'id']);
      if (options.loginUserOnly) {
        assert.equal(byIds.exitCode, 2);
        assert.match(byIds.stderr, /^cx: the ssh backend logs in a user, not user:group/m);
      } else assert.match(text(byIds), /^uid=1000\(app\) gid=50\(staff\)/);
      const home = await run(['-u', 'app', c.name, '--', 'sh', '-c', 'echo $HOME']);
      assert.equal(text(home), '/home/app\n');
    });

    it('changes directory with -w', async () => {
      const r = await run(['-w', '/tmp', c.name, '--', 'pwd']);
      assert.equal(text(r), '/tmp\n');
    });

    it('explains an unknown user and a missing working directory', async () => {
      const user = await run(['-u', 'nosuchuser', c.name, '--', 'true']);
      // An sshd answers an unknown user exactly as a refused key: the login fails, ssh's own 255.
      assert.equal(user.exitCode, options.loginUserOnly ? 255 : 126, user.stderr);
      assert.match(user.stderr, /^cx: .*nosuchuser/m);
      const dir = await run(['-w', '/no/such/dir', c.name, '--', 'true']);
      assert.equal(dir.exitCode, 126, dir.stderr);
      assert.match(dir.stderr, /^cx: .*\/no\/such\/dir/m);
    });

    it('ends with 141 and stops the command when the reader of its output goes away (yes | head -1)', async () => {
      const script = `"$0" exec --backend ${backend} ${c.name} -- yes 2>/tmp/cx-epipe-$$ | head -1; echo "status=\${PIPESTATUS[0]}"; cat /tmp/cx-epipe-$$ >&2; rm -f /tmp/cx-epipe-$$`;
      const r = await execa('bash', ['-c', script, CX_BIN], { reject: false, timeout: 30_000, env: options.env?.() ?? {} });
      assert.equal(r.stdout, 'y\nstatus=141', r.stderr);
      assert.equal(r.stderr, '', 'no stack trace, no MaxListenersExceededWarning');
      await waitUntil(
        async () => !(await execa('docker', ['top', c.name, '-o', 'pid,args'])).stdout.includes(' yes'),
        'yes is still running in the container',
      );
    });

    it("-e NAME passes cx's own NAME as docker does; --unset-env NAME removes it", async () => {
      const r = await run(
        ['-e', 'FROM_CALLER', '-e', 'NOT_IN_CALLER', '--unset-env', 'CONFIGURED', c.name, '--', 'cat', '/proc/self/environ'],
        {
          env: { FROM_CALLER: 'caller value' },
        },
      );
      assert.equal(r.exitCode, 0, r.stderr);
      const vars = text(r).split('\0');
      assert.ok(vars.includes('FROM_CALLER=caller value'), text(r));
      assert.ok(!vars.some((v) => v.startsWith('NOT_IN_CALLER')), text(r));
      assert.ok(!vars.some((v) => v.startsWith('CONFIGURED=')), text(r));
    });

    it('accepts -e with a blank in the name and -u :, as docker exec does', async () => {
      // (cat, not a shell: ash drops variables whose names it could not use from its children's environment)
      const env = await run(['-e', 'A B=1', c.name, '--', 'cat', '/proc/self/environ']);
      assert.equal(env.exitCode, 0, env.stderr);
      assert.ok(text(env).split('\0').includes('A B=1'), text(env));
      const r = await run(['-u', ':', c.name, '--', 'id']);
      if (options.loginUserOnly) {
        // A login is a user name: ':' is refused in one line, as -u uid:gid is.
        assert.equal(r.exitCode, 2, r.stderr);
        return;
      }
      const d = await execa('docker', ['exec', '-u', ':', c.name, 'id']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(text(r), `${d.stdout}\n`);
    });

    it("reads --env-file in docker's format; a missing file is one line and exit 2", async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'cx-envfile-'));
      try {
        const file = path.join(dir, 'vars');
        await writeFile(file, '# a comment\n\n  SPACED=a b  \nQUOTED="q"\nPASSED\nABSENT\nEQ=x=y\n');
        const args = ['--env-file', file, c.name, '--', 'cat', '/proc/self/environ'];
        const r = await run(args, { env: { PASSED: 'from cx' } });
        assert.equal(r.exitCode, 0, r.stderr);
        const mine = text(r)
          .split('\0')
          .filter((v) => /^(SPACED|QUOTED|PASSED|ABSENT|EQ)=/.test(v))
          .sort();
        const d = await execa('docker', ['exec', ...args.slice(0, 2), c.name, 'cat', '/proc/self/environ'], { env: { PASSED: 'from cx' } });
        const theirs = d.stdout
          .split('\0')
          .filter((v) => /^(SPACED|QUOTED|PASSED|ABSENT|EQ)=/.test(v))
          .sort();
        assert.deepEqual(mine, theirs);
        assert.deepEqual(mine, ['EQ=x=y', 'PASSED=from cx', 'QUOTED="q"', 'SPACED=a b  ']);
        const missing = await run(['--env-file', path.join(dir, 'missing'), c.name, '--', 'true']);
        assert.equal(missing.exitCode, 2);
        assert.match(missing.stderr, /^cx: cannot read --env-file '.*missing': no such file\n/);
        assert.equal(missing.stderr.split('\n').filter(Boolean).length, 2, missing.stderr);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('-d starts the command and returns at once; it keeps running without cx', async () => {
      if (options.loginEnvironment) {
        const refused = await run(['-d', c.name, '--', 'true']);
        assert.equal(refused.exitCode, 2, refused.stderr);
        assert.match(refused.stderr, /^cx: the ssh backend cannot run a command detached \(-d\)/m);
        return;
      }
      const marker = `/tmp/detached-${backend}-${Date.now()}`;
      const r = await run(['-d', c.name, '--', 'sh', '-c', `echo started > ${marker}; exec sleep 31`]);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(text(r), '');
      assert.equal(r.stderr, '');
      await waitForFile(c.name, marker);
      const top = await execa('docker', ['top', c.name, '-o', 'pid,args']);
      assert.match(top.stdout, /sleep 31/, 'the detached command stopped when cx returned');
      const bad = await run(['-d', c.name, '--', 'no-such-command']);
      assert.equal(bad.exitCode, 127, bad.stderr);
      const withTty = await run(['-d', '-t', c.name, '--', 'true']);
      assert.equal(withTty.exitCode, 2);
    });

    it('--privileged gives the command every capability, as docker exec --privileged, and says so', async () => {
      if (options.loginEnvironment) {
        const refused = await run(['--privileged', c.name, '--', 'true']);
        assert.equal(refused.exitCode, 2, refused.stderr);
        assert.match(refused.stderr, /^cx: the ssh backend cannot give a login --privileged/m);
        return;
      }
      const args = [c.name, 'grep', '^Cap', '/proc/self/status'];
      const d = await execa('docker', ['exec', '--privileged', ...args], { reject: false });
      const r = await run(['--privileged', c.name, '--', 'grep', '^Cap', '/proc/self/status']);
      assert.match(r.stderr, /^cx: note: --privileged: /);
      if (backend === 'docker') {
        // The daemon decides: where it cannot grant its list (a host withholding some), both fail alike.
        assert.equal(r.exitCode === 0, d.exitCode === 0, `${r.stderr} / ${d.stderr}`);
        if (d.exitCode === 0) assert.equal(text(r), `${d.stdout}\n`);
        return;
      }
      assert.equal(r.exitCode, 0, r.stderr);
      const own = /CapBnd:\s+(\w+)/.exec(await readFile('/proc/self/status', 'utf8'))?.[1];
      for (const set of ['CapEff', 'CapPrm', 'CapBnd']) assert.match(text(r), new RegExp(`${set}:\\s+${own}\\n`), text(r));
      const plain = await run([c.name, '--', 'grep', '^CapEff', '/proc/self/status']);
      assert.doesNotMatch(text(plain), new RegExp(`${own}`), "without --privileged the container's own set");
    });

    // What docker exec gives beyond a login (its CPUs, umask, configured limits and groups, TERM
    // fallback, reading passwd itself): a login backend (ssh) gets what the container's sshd and its
    // PAM set up instead, by design; those backends are held to the rest of the contract.
    if (!options.loginEnvironment) {
      it("gets the container's CPUs whatever cx's caller was pinned to (taskset), as docker exec", async () => {
        const cmd = [c.name, 'grep', 'Cpus_allowed_list', '/proc/self/status'];
        const d = await execa('taskset', ['-c', '0', 'docker', 'exec', ...cmd]);
        const r = await execa('taskset', ['-c', '0', CX_BIN, 'exec', '--backend', backend, c.name, '--', ...cmd.slice(1)], {
          reject: false,
        });
        assert.equal(r.exitCode, 0, r.stderr);
        assert.equal(r.stdout, d.stdout);
      });

      it("gives docker's umask 0022, not the caller's", async () => {
        const d = await execa('sh', ['-c', `umask 077; exec docker exec ${c.name} sh -c umask`]);
        const r = await execa('sh', ['-c', `umask 077; exec "$0" exec --backend ${backend} ${c.name} -- sh -c umask`, CX_BIN], {
          reject: false,
        });
        assert.equal(r.exitCode, 0, r.stderr);
        assert.equal(r.stdout, d.stdout);
        assert.equal(r.stdout, '0022');
      });

      describe('configured limits, oom score, umask and added groups', () => {
        let limited: TestContainer;
        before(async () => {
          limited = await containers.run({
            args: [
              '--ulimit',
              'nofile=100:200',
              '--oom-score-adj',
              '300',
              '--group-add',
              '50',
              '--group-add',
              'nogroup',
              '--group-add',
              '4242',
            ],
            // The init changes its own limits, umask and oom score afterwards: sessions must not inherit that.
            cmd: ['sh', '-c', 'ulimit -t 1; ulimit -n 50; umask 077; echo 500 > /proc/self/oom_score_adj; touch /ready; exec sleep 100000'],
          });
          await waitForFile(limited.name, '/ready');
        });

        it("applies the container's configured ulimits, umask and oom_score_adj, not the init's current ones", async () => {
          const script = 'echo "$(ulimit -Hn) $(ulimit -t) $(umask) $(cat /proc/self/oom_score_adj)"; ulimit -Sn';
          const d = await execa('docker', ['exec', limited.name, 'sh', '-c', script]);
          const r = await run([limited.name, '--', 'sh', '-c', script]);
          assert.equal(r.exitCode, 0, r.stderr);
          const [mine = '', soft = ''] = text(r).split('\n');
          assert.equal(mine, d.stdout.split('\n')[0]);
          assert.equal(mine, '200 unlimited 0022 300');
          // The soft nofile: the configured 100 (runc 1.1 applies it racing its own Go runtime, which
          // raises it to the hard limit: docker exec itself gets 100 or 200), never the init's 50.
          assert.match(soft, /^(100|200)$/);
        });

        for (const user of ['', 'app', '1000:50', '1000:1000']) {
          it(`applies --group-add to every exec (-u '${user}'), as docker exec does`, async () => {
            const u = user ? ['-u', user] : [];
            const d = await execa('docker', ['exec', ...u, limited.name, 'id', '-G']);
            const r = await run([...u, limited.name, '--', 'id', '-G']);
            assert.equal(r.exitCode, 0, r.stderr);
            assert.equal(text(r), `${d.stdout}\n`);
            assert.match(d.stdout, /\b4242\b/);
          });
        }
      });

      it("gives a TTY session the caller's TERM only when the container has its terminfo, else a fallback", async () => {
        const ti = await containers.run({
          // Only xterm entries, one in each layout (x/ and its hex form 78/); tmux-256color in the hex layout.
          cmd: [
            'sh',
            '-c',
            'mkdir -p /usr/share/terminfo/x /lib/terminfo/78 /etc/terminfo/74; echo > /usr/share/terminfo/x/xterm; echo > /lib/terminfo/78/xterm-256color; echo > /etc/terminfo/74/tmux-256color; touch /ready; exec sleep 100000',
          ],
        });
        await waitForFile(ti.name, '/ready');
        const termIn = async (name: string, term: string): Promise<string> => {
          const r = await run(['-t', name, '--', 'sh', '-c', 'echo "$TERM"'], { env: { TERM: term } });
          assert.equal(r.exitCode, 0, r.stderr);
          return text(r).trim();
        };
        assert.equal(await termIn(ti.name, 'xterm-kitty'), 'xterm-256color');
        assert.equal(await termIn(ti.name, 'tmux-256color'), 'tmux-256color');
        assert.equal(await termIn(ti.name, 'xterm'), 'xterm');
        // No terminfo database at all (busybox): nothing to check against, the caller's TERM stays.
        assert.equal(await termIn(c.name, 'xterm-kitty'), 'xterm-kitty');
        // -e TERM=... is the user's word: never second-guessed.
        const forced = await run(['-t', '-e', 'TERM=alacritty', ti.name, '--', 'sh', '-c', 'echo "$TERM"'], { env: { TERM: 'xterm' } });
        assert.equal(text(forced).trim(), 'alacritty');
        const env = await cx(['env', '--backend', backend, '-t', '--sources', ti.name], { env: { TERM: 'xterm-kitty' } });
        assert.equal(env.exitCode, 0, env.stderr);
        assert.match(text(env), /^TERM=xterm-256color +\[tty \(fallback: the container has no terminfo for xterm-kitty\)\]$/m);
        const own = await cx(['env', '--backend', backend, '-t', '--sources', ti.name], { env: { TERM: 'tmux-256color' } });
        assert.match(text(own), /^TERM=tmux-256color +\[tty \(caller's TERM\)\]$/m);
      });

      it('a FIFO for /etc/passwd never hangs cx, and leaves nothing running in the container, even when cx is stopped', async () => {
        const fifo = await containers.run({ cmd: ['sh', '-c', 'rm /etc/passwd; mkfifo /etc/passwd; touch /ready; exec sleep 100000'] });
        // Not through docker exec: runc itself blocks on that FIFO (it reads /etc/passwd to set the user).
        const pid = await containerPid(fifo.id);
        await waitUntil(
          () =>
            access(`/proc/${pid}/root/ready`).then(
              () => true,
              () => false,
            ),
          'the container did not set up its FIFO',
        );
        const onlyInit = async (): Promise<boolean> =>
          (await execa('docker', ['top', fifo.name, '-o', 'pid,args'])).stdout.trim().split('\n').length === 2;
        const env = await cx(['env', '--backend', backend, fifo.name], { timeoutMs: 30_000 });
        assert.equal(env.exitCode, 0, env.stderr);
        assert.match(text(env), /^HOME=\/$/m);
        await waitUntil(onlyInit, 'a runtime call is still running in the container');
        // cx stopped while it waits on the FIFO: what it started goes with it.
        const child = execa(CX_BIN, ['env', '--backend', backend, fifo.name], { reject: false, timeout: 30_000 });
        await new Promise((r) => setTimeout(r, 1000));
        child.kill('SIGTERM');
        await child;
        await waitUntil(onlyInit, 'cx was stopped, but what it started still runs in the container');
      });
    }

    it('treats a looping or ENOTDIR /etc/passwd and /etc/group as absent, as docker exec does', async () => {
      const breakPasswd =
        'rm /etc/passwd /etc/group; ln -s /etc/p2 /etc/passwd; ln -s /etc/passwd /etc/p2; ln -s /etc/hostname/x /etc/group; touch /ready';
      // An sshd needs its own passwd entry to start: it starts first and the files break after.
      const cmd = options.needsPasswd
        ? `/usr/sbin/sshd -f /etc/cx-ssh/sshd_config; ${breakPasswd}; sleep 100000`
        : `${breakPasswd}; sleep 100000`;
      const broken = await start({ cmd: ['sh', '-c', cmd] });
      await waitForFile(broken.name, '/ready');
      if (options.needsPasswd) {
        const r = await run([broken.name, '--', 'true'], { timeoutMs: 30_000 });
        assert.equal(r.exitCode, 255, r.stderr);
        assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('cx: ')).length, 1, r.stderr);
        assert.match(r.stderr, /^cx: (the sshd of|cannot open an ssh session in) /m);
        return;
      }
      const env = await cx(['env', '--backend', backend, broken.name], withEnv());
      assert.equal(env.exitCode, 0, env.stderr);
      assert.match(text(env), /^HOME=\/$/m);
      const r = await run([broken.name, '--', 'sh', '-c', 'echo "$HOME"; id -u']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(text(r), '/\n0\n');
    });
  });
}

/** Wait (bounded: 10 s) until `check` holds. */
async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`after 10 s: ${what}`);
}

/** Wait until the container's own setup has created `file`. */
function waitForFile(container: string, file: string): Promise<void> {
  const exists = async (): Promise<boolean> =>
    (await execa('docker', ['exec', container, 'test', '-e', file], { reject: false })).exitCode === 0;
  return waitUntil(exists, `${container}: ${file} did not appear`);
}
