import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, it } from 'node:test';
import { CX_BIN } from '../helpers/cx.js';
import { suiteContainer } from '../helpers/suite.js';

const BUNDLE_DIR = fileURLToPath(new URL('../../../dist/bundle/', import.meta.url));

/** The name the loader gives a command's cache of a bundle (scripts/bundle-config.mjs: the content's hash). */
function cacheName(bundle: string, command: string): string {
  const id = createHash('sha256')
    .update(readFileSync(`${BUNDLE_DIR}${bundle}`, 'utf8'))
    .digest('hex')
    .slice(0, 16);
  return `${id}-${process.version}-${process.arch}-${command}.bin`;
}

/**
 * Run a shell script as root in a private mount namespace whose /run/cx is a fresh tmpfs (0700, as
 * cx makes it): the machine's own cache is never touched. In the script, `cx` runs bin/cx and $1 is
 * the target container.
 */
async function withFreshRunCx(script: string, target: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const r = await execa(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      `set -u\nmkdir -p -m 700 /run/cx && mount -t tmpfs -o mode=700 tmpfs /run/cx\ncx() { "${CX_BIN}" "$@"; }\n${script}`,
      'sh',
      target,
    ],
    { reject: false, timeout: 120_000, stdin: 'ignore' },
  );
  return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
}

/** The loader's --debug line: which bundle ran and what became of its code cache. */
function cacheLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('cx: debug: bundle '));
}

describe('the code cache (src/cli/loader.ts)', () => {
  const target = suiteContainer();

  it("a run writes its command's cache, the next run of the same path reads it and writes nothing, another command writes its own", async () => {
    const name = cacheName('cx-cli.cjs', 'exec');
    const lsName = cacheName('cx-cli.cjs', 'ls');
    const r = await withFreshRunCx(
      `stat -c '%a %u %n' /run/cx/code 2>/dev/null || echo no-code-dir
cx --debug exec --backend nsenter "$1" -- true
stat -c '%a %u %i %n' /run/cx/code /run/cx/code/*
cx --debug exec --backend nsenter "$1" -- true
stat -c '%i %n' /run/cx/code/*
cx --debug ls >/dev/null
stat -c '%i %n' /run/cx/code/*
for f in /run/cx/code/*.bin; do head -c 200 "$f" | sed -n 2p; done`,
      target.id,
    );
    assert.equal(r.exitCode, 0, r.stderr);
    const out = r.stdout.split('\n');
    assert.equal(out[0], 'no-code-dir');
    assert.match(out[1]!, /^700 0 \d+ \/run\/cx\/code$/);
    assert.match(out[2]!, new RegExp(`^600 0 (\\d+) /run/cx/code/${name}$`));
    const inode = out[2]!.split(' ')[2];
    assert.equal(out[3], `${inode} /run/cx/code/${name}`, 'the second run of the same path rewrote the cache');
    // ls has a cache of its own; exec's is left as it was.
    const after = out.slice(4, 6);
    assert.ok(after.includes(`${inode} /run/cx/code/${name}`), `exec's cache changed: ${r.stdout}`);
    assert.ok(
      after.some((l) => l.endsWith(` /run/cx/code/${lsName}`)),
      `ls wrote no cache of its own: ${r.stdout}`,
    );
    const paths = out.slice(6, 8).map((l) => (JSON.parse(l) as { paths: string[] }).paths.join(' '));
    assert.deepEqual(paths.sort(), ['exec session:nsenter:pipe', 'ls']);
    const lines = cacheLines(r.stderr);
    assert.equal(lines.length, 3, r.stderr);
    assert.match(lines[0]!, /^cx: debug: bundle cx-cli\.cjs, code cache: none yet /);
    assert.match(lines[1]!, /code cache: \/run\/cx\/code\/\S+-exec\.bin \(exec, session:nsenter:pipe\)$/);
    assert.match(lines[2]!, /^cx: debug: bundle cx-cli\.cjs, code cache: none yet \(\S+-ls\.bin\)$/);
  });

  it('a run that fails writes none', async () => {
    const r = await withFreshRunCx(
      `cx exec --backend nsenter cx-no-such-container -- true; echo "exit $?"; ls -A /run/cx/code 2>/dev/null | wc -l`,
      target.id,
    );
    assert.deepEqual(r.stdout.split('\n'), ['exit 1', '0']);
  });

  it('a damaged cache is not used (its checksum), the command runs as usual, and the cache is rewritten', async () => {
    const r = await withFreshRunCx(
      `cx exec --backend nsenter "$1" -- true
f=$(echo /run/cx/code/*.bin); size=$(stat -c %s "$f")
# flip bytes all through the compiled code (after the header line)
i=4000; while [ $i -lt $((size - 100)) ]; do printf '\\252' | dd of="$f" bs=1 seek=$i conv=notrunc 2>/dev/null; i=$((i + 997)); done
cx --debug exec --backend nsenter "$1" -- echo still-works; echo "exit $?"
cx --debug exec --backend nsenter "$1" -- true`,
      target.id,
    );
    assert.deepEqual(r.stdout.split('\n'), ['still-works', 'exit 0'], r.stderr);
    const lines = cacheLines(r.stderr);
    assert.match(lines[0]!, /code cache: \/run\/cx\/code\/\S+ not used \(damaged \(checksum\)\): compiled without it$/);
    assert.match(lines[1]!, /code cache: \/run\/cx\/code\/\S+ \(exec, session:nsenter:pipe\)$/);
  });

  it("is read only when it is the user's alone: a group/other-readable file, a symlink, a directory someone else owns are passed over and left as they are", async () => {
    const r = await withFreshRunCx(
      `cx exec --backend nsenter "$1" -- true
f=$(echo /run/cx/code/*.bin)
chmod 644 "$f"
cx --debug exec --backend nsenter "$1" -- true 2>&1 | grep 'code cache'
stat -c '%a' "$f"
mv "$f" /run/cx/elsewhere.bin && ln -s /run/cx/elsewhere.bin "$f"
cx --debug exec --backend nsenter "$1" -- true 2>&1 | grep 'code cache'
[ -L "$f" ] && echo symlink || echo replaced
rm -f "$f" && mv /run/cx/elsewhere.bin "$f" && chmod 600 "$f"
chown -R 65534:65534 /run/cx/code
cx --debug exec --backend nsenter "$1" -- echo ran; echo "exit $?"
stat -c '%U %a' /run/cx/code "$f"`,
      target.id,
    );
    const out = r.stdout.split('\n');
    assert.match(out[0]!, /not used \(not a file of uid 0 only it can read\)/, 'a 0644 cache was read');
    assert.equal(out[1], '600', 'the run did not write its own cache in place of the 0644 one');
    assert.match(out[2]!, /not used \(a symlink\)/, 'a symlinked cache was read');
    assert.equal(out[3], 'replaced', 'the symlink was written through rather than replaced');
    assert.deepEqual(out.slice(4), ['ran', 'exit 0', 'nobody 700', 'nobody 600'], r.stderr);
    assert.match(
      cacheLines(r.stderr)[0]!,
      /not used \(\/run\/cx\/code is owned by uid 65534, not 0\)/,
      'a cache in a directory another user owns was read',
    );
  });

  it("another user's is theirs: under $XDG_RUNTIME_DIR (else ~/.cache), made 0700 and 0600, never root's", async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'cx-cache-home-'));
    try {
      chownSync(home, 65534, 65534);
      const asNobody = (env: string[]) =>
        execa(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            'env',
            '-i',
            `PATH=${process.env['PATH']}`,
            ...env,
            CX_BIN,
            'completion',
            'bash',
          ],
          {
            reject: false,
            stdin: 'ignore',
          },
        );
      const r = await asNobody([`HOME=${home}`]);
      assert.equal(r.exitCode, 0, r.stderr);
      const name = cacheName('cx-cli.cjs', 'completion');
      const st = (p: string) => statSync(p);
      assert.equal(st(path.join(home, '.cache', 'cx')).mode & 0o777, 0o700);
      assert.equal(st(path.join(home, '.cache', 'cx', 'code')).mode & 0o777, 0o700);
      const cache = st(path.join(home, '.cache', 'cx', 'code', name));
      assert.deepEqual([cache.uid, cache.mode & 0o777], [65534, 0o600]);
      // XDG_RUNTIME_DIR, when set, is where it goes instead.
      const runtime = path.join(home, 'run');
      mkdirSync(runtime, { mode: 0o700 });
      chownSync(runtime, 65534, 65534);
      assert.equal((await asNobody([`HOME=${home}`, `XDG_RUNTIME_DIR=${runtime}`])).exitCode, 0);
      assert.equal(st(path.join(runtime, 'cx', 'code', name)).uid, 65534);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
