import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { after, before, describe, it } from 'node:test';
import { PtyRun } from '../helpers/pty.js';
import { suiteContainer } from '../helpers/suite.js';

const EXE = fileURLToPath(new URL('../../../dist/cx-linux-x64', import.meta.url));
/** The shared engine's binary, as its process runs it. */
const DOCKERD = realpathSync(execFileSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' }).trim());

/**
 * The single-file executable on "a fresh host": a root filesystem holding only cx and the shared
 * libraries a Debian 12 base system has (what ldd says the executable and the files it carries need:
 * glibc, libstdc++, libgcc), no node, npm, compiler, python or even a shell. cx runs in it with chroot,
 * as root, in a private mount namespace (unshare -m: the mounts vanish with it) holding what every
 * host has: /proc, /sys and /dev from the kernel, a fresh tmpfs /run, and what every Docker host has
 * of its engine: the dockerd binary (cx trusts a daemon only when its binary is root's), the socket,
 * the data-root and the exec-root (where the runtime state cx reads without the daemon lives). A
 * chroot rather than a container: it keeps the host's PID namespace, so the nsenter backend (the
 * helper cx carries, placed in /run/cx) is exercised too, as on a real host.
 */
function makeRootfs(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'cx-exe-root-'));
  for (const dir of ['proc', 'sys', 'dev', 'run', 'tmp', 'var/lib/docker', 'etc', 'usr/local/bin'])
    mkdirSync(path.join(root, dir), { recursive: true });
  chmodSync(path.join(root, 'tmp'), 0o1777);
  symlinkSync('../run', path.join(root, 'var/run'));
  mkdirSync(path.join(root, path.dirname(DOCKERD)), { recursive: true });
  writeFileSync(path.join(root, DOCKERD), '');
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  copyFileSync(EXE, path.join(root, 'usr/local/bin/cx'));
  chmodSync(path.join(root, 'usr/local/bin/cx'), 0o755);
  const libs = new Set<string>();
  const natives = [EXE, 'native/build/cx-nsenter', 'node_modules/node-pty/build/Release/pty.node'];
  for (const file of natives) {
    for (const m of execFileSync('ldd', [file], { encoding: 'utf8' }).matchAll(/(\/\S+\.so[.\d]*)/g)) libs.add(m[1]!);
  }
  for (const lib of libs) {
    const dest = path.join(root, lib);
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(lib, dest); // follows the symlink: the real library under the name the loader asks for
  }
  return root;
}

/**
 * Run `cx args` inside the root filesystem (see makeRootfs), with the shell snippets `first` before and
 * `then` after it in the same mounts ($r is the root; `$cx` runs cx again).
 */
function inRoot(root: string, args: string[], { first = '', then = '' } = {}): [string, string[]] {
  const script = [
    'set -e',
    'r=$1; shift',
    'mount --rbind /proc "$r/proc"',
    'mount --rbind /sys "$r/sys"',
    'mount --rbind /dev "$r/dev"',
    'mount -t tmpfs -o mode=755 tmpfs "$r/run"',
    'mkdir "$r/run/docker" && touch "$r/run/docker.sock"',
    'mount --bind /run/docker "$r/run/docker"',
    'mount --bind /var/run/docker.sock "$r/run/docker.sock"',
    'mount --bind /var/lib/docker "$r/var/lib/docker"',
    `mount --bind ${DOCKERD} "$r${DOCKERD}"`,
    'cx() { env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root TERM=xterm-256color "$(command -v chroot)" "$r" /usr/local/bin/cx "$@"; }',
    first,
    then ? 'cx "$@" || echo "cx exit $?"' : 'cx "$@"; exit $?',
    then,
  ].join('\n');
  return ['unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', root, ...args]];
}

describe('dist/cx-linux-x64 on a host with nothing but the base system', () => {
  const target = suiteContainer();
  let root = '';

  before(() => {
    assert.ok(existsSync(EXE), `${EXE} is missing: run npm run build:exe`);
    root = makeRootfs();
  });
  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const run = (args: string[]) => {
    const [file, argv] = inRoot(root, args);
    return execa(file, argv, { reject: false, timeout: 60_000, stdin: 'ignore' });
  };

  it('has no node, npm, compiler, python or shell to lean on', () => {
    const everything = execFileSync('find', [root, '-xdev', '-type', 'f'], { encoding: 'utf8' });
    for (const tool of ['node', 'npm', 'gcc', 'cc', 'python3', 'sh', 'bash', 'busybox']) {
      assert.doesNotMatch(everything, new RegExp(`/${tool}$`, 'm'), tool);
    }
    assert.deepEqual(readdirSync(path.join(root, 'usr/local/bin')), ['cx']);
  });

  it('cx --version', async () => {
    const r = await run(['--version']);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^cx \d+\.\d+\.\d+$/);
    assert.equal(r.exitCode, 0);
  });

  it('cx ls lists the container from the real engine', async () => {
    const r = await run(['ls']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`\\b${target.name}\\b`));
  });

  for (const backend of ['docker', 'nsenter']) {
    it(`cx exec --backend ${backend} runs a command in it`, async () => {
      const r = await run(['exec', '--backend', backend, target.name, '--', 'sh', '-c', 'echo in-$((6*7))']);
      assert.equal(r.stdout, 'in-42', r.stderr);
      assert.equal(r.exitCode, 0);
    });
  }

  it('carries a statically linked nsenter helper: no dynamic loader, any glibc', () => {
    // (native/build.sh links it statically where the C library's static archive is there, as here.)
    // The executable's build takes native/build/cx-nsenter as it is (scripts/build-exe.mjs).
    const elf = readFileSync('native/build/cx-nsenter');
    const [phoff, size, count] = [Number(elf.readBigUInt64LE(0x20)), elf.readUInt16LE(0x36), elf.readUInt16LE(0x38)];
    const types = Array.from({ length: count }, (_, i) => elf.readUInt32LE(phoff + i * size));
    assert.ok(types.length > 0 && !types.includes(3), 'the helper has a PT_INTERP program header: it is dynamically linked');
  });

  it('puts the files it carries in a root-only cache under /run/cx', async () => {
    // What cx left in the fresh /run, looked at before the mount namespace goes.
    const [file, argv] = inRoot(root, ['exec', '--backend', 'nsenter', target.name, '--', 'true'], {
      then: 'stat -c "%a %u %n" "$r"/run/cx "$r"/run/cx/*/ "$r"/run/cx/*/*',
    });
    const r = await execa(file, argv, { reject: false, timeout: 60_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(root, ''));
    assert.match(lines[0]!, /^700 0 \/run\/cx$/);
    assert.match(lines[1]!, /^700 0 \/run\/cx\/\d+\.\d+\.\d+-[0-9a-f]{16}\/$/);
    assert.ok(
      lines.some((l) => /^700 0 \/run\/cx\/[^/]+\/\/?cx-nsenter$/.test(l)),
      lines.join('\n'),
    );
  });

  it('starts from the code cache it carries, then from its own in the private cache', async () => {
    const [file, argv] = inRoot(root, ['--debug', 'exec', '--backend', 'nsenter', target.name, '--', 'true'], {
      then: 'cx --debug exec --backend nsenter "$5" -- true 2>&1 | grep "code cache"; stat -c "%a %u" "$r"/run/cx/code "$r"/run/cx/code/*.bin',
    });
    const r = await execa(file, argv, { reject: false, timeout: 60_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /^cx: debug: bundle cx-cli\.cjs, code cache: the one built in \(until \/run\/cx\/code\/\S+\.bin is written\)$/m);
    const lines = r.stdout.trim().split('\n');
    assert.match(
      lines[0]!,
      /^cx: debug: bundle cx-cli\.cjs, code cache: \/run\/cx\/code\/[0-9a-f]{16}-v\d+\.\d+\.\d+-x64-exec\.bin \(exec, session:nsenter:pipe\)$/,
    );
    assert.deepEqual(lines.slice(1), ['700 0', '600 0']);
  });

  it('replaces a cached file that no longer matches what it carries', async () => {
    const [file, argv] = inRoot(root, ['exec', '--backend', 'nsenter', target.name, '--', 'echo', 'again'], {
      first: 'cx exec --backend nsenter "$4" -- true; f=$(echo "$r"/run/cx/*/cx-nsenter); printf "#!/bin/sh\\necho tampered\\n" > "$f"',
      then: 'sha256sum < "$f"',
    });
    const r = await execa(file, argv, { reject: false, timeout: 60_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    const [out, sum] = r.stdout.trim().split('\n');
    assert.equal(out, 'again');
    const carried = execFileSync('sha256sum', ['native/build/cx-nsenter'], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(sum?.split(' ')[0], carried);
  });

  it('refuses a /run/cx another user made, in one line, and leaves it alone', async () => {
    const [file, argv] = inRoot(root, ['exec', '--backend', 'nsenter', target.name, '--', 'true'], {
      first: 'mkdir -m 0777 "$r/run/cx" && chown 65534:65534 "$r/run/cx"',
      then: 'stat -c "%a %u" "$r/run/cx"; ls -A "$r/run/cx" | wc -l',
    });
    const r = await execa(file, argv, { reject: false, timeout: 60_000 });
    assert.match(
      r.stderr,
      /^cx: cannot use the cache for cx's embedded files: \/run\/cx is owned by uid 65534, not 0: remove it and run again$/m,
    );
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /^cx exit [1-9]\d*$/);
    assert.deepEqual(lines.slice(1), ['777 65534', '0']);
  });

  it('cx enter gives a shell on a real pty (node-pty from the cache, runc-free backends)', async () => {
    for (const backend of ['docker', 'nsenter']) {
      const [file, argv] = inRoot(root, ['enter', '--backend', backend, target.name]);
      const p = new PtyRun(file, argv);
      try {
        await p.expect(/# $/m);
        p.type('echo "tty=$(tty) $((40+2))"\r');
        await p.expect(/tty=\/dev\/pts\/\d+ 42/);
        p.type('exit 5\r');
        assert.equal((await p.waitExit()).exitCode, 5, `${backend}: ${p.screen}`);
      } finally {
        p.kill();
      }
    }
  });

  it('cx alone opens the TUI (Ink, yoga-layout made synchronous), lists the container, q quits', async () => {
    const [file, argv] = inRoot(root, []);
    const p = new PtyRun(file, argv, { cols: 120, rows: 30 });
    try {
      await p.expect(new RegExp(`${target.name}\\s+[0-9a-f]{12}`));
      p.type('q');
      assert.equal((await p.waitExit()).exitCode, 0, p.screen);
    } finally {
      p.kill();
    }
  });
});
