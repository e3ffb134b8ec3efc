import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { cx, lsRows, text } from '../helpers/cx.js';
import { DedicatedEngine, type EngineContainer } from '../helpers/dedicated-engine.js';
import { Containers, requireEngine, type TestContainer } from '../helpers/engine.js';
import { freePort, Sshd } from '../helpers/sshd.js';

/**
 * cx -H ssh://root@127.0.0.1:PORT against a throwaway sshd on loopback standing in for a remote
 * host: cx carries its executable to /var/lib/cx there and runs the command with it. The "remote"
 * is this machine, so the shared engine's containers are the remote host's.
 */
const CACHE = '/var/lib/cx';

describe('remote hosts over ssh (-H)', () => {
  let sshd: Sshd;
  let second: Sshd;
  const containers = new Containers();
  let c: TestContainer;
  let cacheExisted = false;
  const remote = (args: string[], opts: { input?: Buffer | string; env?: Record<string, string> } = {}) =>
    cx(['-H', sshd.url, ...args], { ...opts, env: { ...sshd.env, ...opts.env } });

  before(async () => {
    await requireEngine();
    cacheExisted = existsSync(CACHE);
    [sshd, second] = await Promise.all([Sshd.start(), Sshd.start()]);
    c = await containers.run({ args: ['-e', 'REMOTE_MARK=from-the-container'] });
  });
  after(async () => {
    await containers.remove();
    await Promise.all([sshd?.stop(), second?.stop()]);
    if (!cacheExisted) await rm(CACHE, { recursive: true, force: true });
  });

  it('places cx in a root-owned 0700 cache on the remote, verified by sha256, and lists its containers with a HOST column', async () => {
    const r = await remote(['ls']);
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = text(r).split('\n');
    assert.match(lines[0] ?? '', /^HOST\s+ID\s+NAME/);
    assert.ok(
      lines.some((l) => l.startsWith(`${sshd.url} `) && l.includes(c.name)),
      text(r),
    );
    const st = await execa('sh', ['-c', `stat -c '%u %a' ${CACHE} ${CACHE}/*/ ${CACHE}/*/cx`]);
    assert.deepEqual([...new Set(st.stdout.split('\n'))], ['0 700']);
    const j = await remote(['ls', '--json']);
    const rows = lsRows(j);
    const row = rows.find((x) => x.name === c.name);
    assert.equal(row?.host, sshd.url);
    assert.ok(row?.backends.includes('docker'));
  });

  it('exec passes the exit code, stdout and stderr apart, and stdin to EOF', async () => {
    const r = await remote(['exec', c.name, '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(r.exitCode, 7);
    assert.equal(text(r), 'out\n');
    assert.equal(r.stderr, 'err\n');
    // 255 is ssh's own failure code too: a command's 255 must still come through as the command's.
    assert.equal((await remote(['exec', c.name, '--', 'sh', '-c', 'exit 255'])).exitCode, 255);
    const wc = await remote(['exec', '-i', c.name, '--', 'wc', '-c'], { input: 'four' });
    assert.equal(wc.exitCode, 0, wc.stderr);
    assert.equal(text(wc).trim(), '4');
  });

  it('with the remote dockerd answering, exec runs here through its Engine API, forwarded by the ssh connection', async () => {
    const r = await remote(['exec', '--debug', c.name, '--', 'sh', '-c', 'echo $REMOTE_MARK; exit 4']);
    assert.equal(r.exitCode, 4, r.stderr);
    assert.equal(text(r), 'from-the-container\n');
    assert.match(r.stderr, /dockerd there runs '.*': run here through its Engine API \(\/var\/run\/docker\.sock, forwarded by ssh\)/);
    // The local end: a socket only this user can use, in the private control directory.
    const ctl = path.join(sshd.runtimeDir, 'cx-ssh');
    const socks = (await readdir(ctl)).filter((n) => /^engine-.*\.sock$/.test(n));
    assert.equal(socks.length, 1, socks.join(' '));
    const st = await lstat(path.join(ctl, socks[0]!));
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    // The connection ends and leaves the socket file behind: the next master binds it again.
    await sshd.closeMasters();
    const again = await remote(['exec', '--debug', c.name, '--', 'true']);
    assert.equal(again.exitCode, 0, again.stderr);
    assert.match(again.stderr, /run here through its Engine API/);
    // What it cannot serve the same way stays with the carried cx: another backend, a file, -e NAME.
    const carried = await remote(['exec', '--debug', '--backend', 'runc', c.name, '--', 'sh', '-c', 'echo $REMOTE_MARK']);
    assert.equal(carried.exitCode, 0, carried.stderr);
    assert.equal(text(carried), 'from-the-container\n');
    assert.doesNotMatch(carried.stderr, /Engine API/);
  });

  it('a server that refuses to forward sockets: the carried cx runs the exec', async () => {
    await Sshd.using({ options: ['AllowStreamLocalForwarding no'] }, async (hardened) => {
      const r = await cx(['-H', hardened.url, 'exec', '--debug', c.name, '--', 'sh', '-c', 'echo $REMOTE_MARK'], { env: hardened.env });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(text(r), 'from-the-container\n');
      assert.match(r.stderr, /dockerd there did not say it runs .*: the remote cx decides/);
    });
  });

  it('carries 1 MiB of random bytes through cat byte for byte', async () => {
    const data = randomBytes(1 << 20);
    const r = await remote(['exec', '-i', c.name, '--', 'cat'], { input: data });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(createHash('sha256').update(r.stdout).digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  it('env shows the container environment on the remote, never cx’s own', async () => {
    const r = await remote(['env', c.name]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /^REMOTE_MARK=from-the-container$/m);
    assert.doesNotMatch(text(r), /CX_TEST_CANARY|CX_SSH_CONFIG/);
  });

  it('doctor runs on the remote and reports its backends', async () => {
    const r = await remote(['doctor', c.name]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /backend runc/);
  });

  it('a target the remote does not have is its ordinary one-line error', async () => {
    const r = await remote(['exec', 'no-such-container-here', '--', 'true']);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /^cx: no container named or with id 'no-such-container-here'/);
  });

  it('CX_HOST selects the host like -H', async () => {
    const r = await cx(['ls'], { env: { ...sshd.env, CX_HOST: sshd.url } });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(
      text(r)
        .split('\n')
        .some((l) => l.startsWith(`${sshd.url} `) && l.includes(c.name)),
      text(r),
    );
  });

  it('ls over several hosts: every host’s rows, and a host that does not answer is one line of its own', async () => {
    const dead = `ssh://root@127.0.0.1:${await freePort()}`;
    // Both servers trust the same client key; one client config serves both (same key, same known_hosts).
    await writeFile(second.clientConfig, await readFile(sshd.clientConfig));
    await writeFile(second.path('authorized_keys'), await readFile(sshd.path('user_key.pub')), { mode: 0o600 });
    const r = await cx(['ls', '--json', '-H', sshd.url, '-H', second.url, '-H', dead], { env: { ...sshd.env, CX_SSH_TIMEOUT_MS: '4000' } });
    assert.equal(r.exitCode, 1, r.stderr);
    const rows = lsRows(r);
    const hosts = new Set(rows.filter((x) => x.name === c.name).map((x) => x.host));
    assert.deepEqual([...hosts].sort(), [sshd.url, second.url].sort());
    const errs = r.stderr.split('\n').filter((l) => l.startsWith('cx: '));
    assert.equal(errs.length, 1, r.stderr);
    assert.match(errs[0] ?? '', new RegExp(`^cx: ${dead.replace(/[.]/g, '\\.')}: host unreachable \\(ssh: .*Connection refused`));
  });

  it('the hosts file lists its hosts with cx ls --all-hosts', async () => {
    const config = await mkdtemp('/tmp/cx-hosts-');
    try {
      await mkdir(path.join(config, 'cx'));
      await writeFile(path.join(config, 'cx', 'hosts'), `# fleet\n${sshd.url}\n`);
      const r = await cx(['ls', '--all-hosts'], { env: { ...sshd.env, XDG_CONFIG_HOME: config } });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.ok(
        text(r)
          .split('\n')
          .some((l) => l.startsWith(sshd.url) && l.includes(c.name)),
        text(r),
      );
    } finally {
      await rm(config, { recursive: true, force: true });
    }
  });

  describe('errors: one line, exit 255, no hang; and the fallback', () => {
    /** A run with its own control dir, so no connection made by an earlier test is reused. */
    const fresh = async (url: string, config: string, args: string[], opts: { input?: Buffer; via?: string[] } = {}) => {
      const run = await mkdtemp('/tmp/cx-ctl-');
      try {
        return await cx(['-H', url, ...args], {
          env: { CX_SSH_CONFIG: config, XDG_RUNTIME_DIR: run, CX_SSH_TIMEOUT_MS: '4000' },
          timeoutMs: 30_000,
          ...opts,
        });
      } finally {
        await execa('sh', ['-c', `for s in ${run}/cx-ssh/*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit x; done; true`], {
          reject: false,
        });
        await rm(run, { recursive: true, force: true });
      }
    };
    const oneLine = (stderr: string): string[] => stderr.split('\n').filter((l) => l.startsWith('cx: '));
    /** Only cx's error line and its indented hint: nothing of ssh's own, no warning. */
    const onlyTheError = (stderr: string): void => {
      const [line, ...rest] = stderr.split('\n').filter(Boolean);
      assert.match(line ?? '', /^cx: /, stderr);
      assert.ok(
        rest.every((l) => /^ {4}\S/.test(l)),
        stderr,
      );
      assert.ok(rest.length <= 1, stderr);
    };
    /**
     * /var/lib/cx as a directory cx must not trust (0755), for the length of `fn`; the machine's own
     * cache is put back after.
     */
    const withUntrustedCache = async (fn: () => Promise<void>): Promise<void> => {
      const saved = `${CACHE}.saved-by-test`;
      if (existsSync(CACHE)) await execa('mv', [CACHE, saved]);
      try {
        await mkdir(CACHE, { mode: 0o755 });
        await execa('chmod', ['755', CACHE]);
        await fn();
      } finally {
        await rm(CACHE, { recursive: true, force: true });
        if (existsSync(saved)) await execa('mv', [saved, CACHE]);
      }
    };

    it('a port nothing listens on: host unreachable', async () => {
      const r = await fresh(`ssh://root@127.0.0.1:${await freePort()}`, sshd.clientConfig, ['ls']);
      assert.equal(r.exitCode, 255);
      assert.equal(oneLine(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /^cx: ssh:\/\/root@127\.0\.0\.1:\d+: host unreachable \(ssh: .*Connection refused\)$/m);
    });

    it('a key the host does not accept: authentication failed', async () => {
      const config = sshd.path('other_config');
      await writeFile(config, (await readFile(sshd.clientConfig, 'utf8')).replace(sshd.path('user_key'), sshd.path('other_key')));
      const r = await fresh(sshd.url, config, ['exec', c.name, '--', 'true']);
      assert.equal(r.exitCode, 255);
      assert.equal(oneLine(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /^cx: ssh:\/\/root@127\.0\.0\.1:\d+: authentication failed \(ssh: .*Permission denied \(publickey\)/m);
    });

    it('a host key that changed: host key verification failed', async () => {
      const known = sshd.path('changed_known_hosts');
      const other = (await readFile(sshd.path('other_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
      await writeFile(known, `[127.0.0.1]:${sshd.port} ${other}\n`);
      const config = sshd.path('changed_config');
      await writeFile(config, (await readFile(sshd.clientConfig, 'utf8')).replace(sshd.knownHosts, known));
      const r = await fresh(sshd.url, config, ['ls']);
      assert.equal(r.exitCode, 255);
      assert.equal(oneLine(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /^cx: ssh:\/\/root@127\.0\.0\.1:\d+: host key verification failed \(ssh: /m);
    });

    it('a remote cache cx cannot trust is not used: one warning line, then the remote Engine API over dial-stdio (an sshd that forwards no socket)', async () => {
      await Sshd.using({ options: ['AllowStreamLocalForwarding no'] }, usesTheRemoteEngine);
    });

    it('a remote cache cx cannot trust and no docker CLI there: the remote Engine API through its socket forwarded by ssh', async () => {
      await Sshd.using({ hide: ['docker'] }, usesTheRemoteEngine);
    });

    /** With the remote cache untrusted: ls and exec -i through the remote Engine API, one warning each. */
    const usesTheRemoteEngine = async (server: Sshd): Promise<void> => {
      await withUntrustedCache(async () => {
        const ls = await fresh(server.url, server.clientConfig, ['ls', '--json']);
        assert.equal(ls.exitCode, 0, ls.stderr);
        const warnings = ls.stderr.split('\n').filter(Boolean);
        assert.equal(warnings.length, 1, ls.stderr);
        assert.match(warnings[0] ?? '', /is not a root-owned 0700 directory: not using it; using the remote Engine API over ssh instead/);
        const row = lsRows(ls).find((x) => x.name === c.name);
        assert.deepEqual(row?.backends, ['docker'], 'only the docker backend reaches a remote engine');
        const data = randomBytes(256 * 1024);
        const cat = await fresh(server.url, server.clientConfig, ['exec', '-i', c.name, '--', 'sh', '-c', 'cat; exit 5'], { input: data });
        assert.equal(cat.exitCode, 5, cat.stderr);
        assert.ok(cat.stdout.equals(data), 'bytes through the relay');
        assert.equal(cat.stderr.split('\n').filter((l) => l.startsWith('cx: warning: ')).length, 1, cat.stderr);
        // Nothing was placed in, or run from, the directory cx refused.
        assert.deepEqual((await execa('ls', ['-A', CACHE])).stdout, '');
      });
    };

    it('a name that does not resolve: unknown host, for ls and exec (run in an empty network namespace: no DNS query leaves)', async () => {
      // With no interface up, the resolver fails at once; nothing can reach a name server.
      const via = ['unshare', '--net', '--'];
      for (const args of [['ls'], ['exec', c.name, '--', 'true']]) {
        const r = await fresh('ssh://cx-nonexistent.invalid', sshd.clientConfig, args, { via });
        assert.equal(r.exitCode, 255, r.stderr);
        onlyTheError(r.stderr);
        assert.match(
          r.stderr,
          /^cx: ssh:\/\/cx-nonexistent\.invalid: unknown host \(ssh: Could not resolve hostname cx-nonexistent\.invalid: [^;]+\)$/m,
        );
      }
    });

    it('a remote where cx cannot be placed, whose sshd forwards no socket and with no docker CLI: one line, for ls and exec', async () => {
      const bare = await Sshd.start({ hide: ['docker'], options: ['AllowStreamLocalForwarding no'] });
      try {
        // The premise: that login finds the usual programs, but no docker.
        const login = ['-F', bare.clientConfig, '-o', 'BatchMode=yes', '-p', String(bare.port), 'root@127.0.0.1'];
        const probe = await execa('ssh', [...login, 'command -v stat sh; command -v docker || echo no-docker'], { reject: false });
        assert.deepEqual(
          probe.stdout.split('\n').map((l) => path.basename(l)),
          ['stat', 'sh', 'no-docker'],
          probe.stdout + probe.stderr,
        );
        await withUntrustedCache(async () => {
          for (const args of [['ls'], ['exec', c.name, '--', 'true']]) {
            const r = await fresh(bare.url, bare.clientConfig, args);
            assert.equal(r.exitCode, 255, r.stderr);
            onlyTheError(r.stderr);
            assert.match(
              r.stderr,
              // (with why cx could not run its own copy there: the cache directory it refused)
              /^cx: ssh:\/\/root@127\.0\.0\.1:\d+: its Engine API socket could not be forwarded, the remote host has no docker CLI, and cx could not be placed there either \(.*is not a root-owned 0700 directory: not using it\)$/m,
            );
          }
          // Nothing was placed in, or run from, the directory cx refused.
          assert.deepEqual((await execa('ls', ['-A', CACHE])).stdout, '');
        });
      } finally {
        await bare.stop();
      }
    });

    it('a bad -H value is a usage error', async () => {
      const r = await cx(['-H', 'prod-3', 'ls']);
      assert.equal(r.exitCode, 2);
      assert.match(r.stderr, /^cx: -H prod-3: not an ssh:\/\/\[user@\]host\[:port\] address$/m);
    });
  });

  describe('with the remote host’s dockerd frozen', () => {
    let engine: DedicatedEngine;
    let web: EngineContainer;
    before(async () => {
      engine = await DedicatedEngine.start();
      web = await engine.run({ args: ['-e', 'FROZEN_MARK=still-here'] });
      // While it answers, the remote cx learns where that engine keeps its state.
      await engine.freezeAfterLs(() => remote(['ls'], { env: { CX_REMOTE_DOCKER_HOST: `unix://${engine.socket}` } }));
    });
    after(async () => {
      await engine?.stop();
    });

    it('ls and exec still work there, through runc', async () => {
      const env = { CX_REMOTE_DOCKER_HOST: `unix://${engine.socket}` };
      const ls = await remote(['ls', '--json'], { env });
      assert.equal(ls.exitCode, 0, ls.stderr);
      const row = lsRows(ls).find((x) => x.name === web.name);
      assert.ok(row, text(ls));
      assert.notEqual(row.source, 'docker-api');
      assert.match(ls.stderr, /frozen/);
      const r = await remote(['exec', '--debug', web.name, '--', 'sh', '-c', 'echo $FROZEN_MARK'], { env });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(text(r), 'still-here\n');
      // Its forwarded Engine API did not answer in time: the carried cx decided (runc).
      assert.match(r.stderr, /dockerd there did not say it runs .*: the remote cx decides/);
    });
  });
});
