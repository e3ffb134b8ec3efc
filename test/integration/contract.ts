/**
 * The backend contract: what every backend (docker, nsenter, runc, ...) must do the same way, run
 * through bin/cx against real containers. A backend's test file calls backendContract('<name>').
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CANARY, CX_BIN, cx, text } from '../helpers/cx.js';
import { Containers, requireEngine, type TestContainer } from '../helpers/engine.js';
import { execa } from 'execa';

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
    const withEnv = (opts: Parameters<typeof cx>[1] = {}): Parameters<typeof cx>[1] => ({ ...opts, env: { ...options.env?.(), ...opts?.env } });
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
      await waitUntil(async () => !(await execa('docker', ['top', c.name, '-o', 'pid,args'])).stdout.includes(' yes'), 'yes is still running in the container');
    });

    it('treats a looping or ENOTDIR /etc/passwd and /etc/group as absent, as docker exec does', async () => {
      const breakPasswd = 'rm /etc/passwd /etc/group; ln -s /etc/p2 /etc/passwd; ln -s /etc/passwd /etc/p2; ln -s /etc/hostname/x /etc/group; touch /ready';
      // An sshd needs its own passwd entry to start: it starts first and the files break after.
      const cmd = options.needsPasswd ? `/usr/sbin/sshd -f /etc/cx-ssh/sshd_config; ${breakPasswd}; sleep 100000` : `${breakPasswd}; sleep 100000`;
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
  const exists = async (): Promise<boolean> => (await execa('docker', ['exec', container, 'test', '-e', file], { reject: false })).exitCode === 0;
  return waitUntil(exists, `${container}: ${file} did not appear`);
}
