import { sha256Hex } from '../util/crypto.js';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inExecutable } from '../host/exe-assets.js';
import { capture, RemoteError, shQuote, sshFailure, type SshSettings } from './ssh.js';
import type { RemoteHost } from './target.js';

/**
 * cx carries itself over: the single-file executable is copied once per version to a root-owned
 * cache on the remote host (/var/lib/cx/<version>-<sha256 prefix>/cx, every directory 0700 root),
 * checked there before each use, and run there. Hashing 110 MB takes a second on a busy machine, so
 * the sha256 is computed when the file is placed or changed, and recorded beside it (`verified`:
 * inode, size, mtime, ctime and the hash); each use compares the file's current stat with that
 * record and hashes again on any difference. Any write, rename or chmod moves the ctime, and only
 * root can write in that directory at all. That way the remote machine runs cx's own
 * daemon-less discovery and its runc/nsenter backends, so a remote dockerd that hangs is no more a
 * problem than a local one.
 */

export const REMOTE_ROOT = '/var/lib/cx';

export interface LocalExecutable {
  file: string;
  sha256: string;
  size: number;
}

/**
 * The executable to carry: this very process when it is the single-file executable, else the one
 * `npm run build:exe` wrote beside the bundle (dist/cx-linux-x64). Undefined when there is none.
 */
export function localExecutable(cacheDir: string): LocalExecutable | undefined {
  let file: string | undefined;
  if (inExecutable()) file = process.execPath;
  else {
    for (let up = '../'; up.length <= 12; up += '../') {
      const candidate = fileURLToPath(new URL(`${up}cx-linux-x64`, import.meta.url));
      if (existsSync(candidate)) {
        file = candidate;
        break;
      }
    }
  }
  if (!file) return undefined;
  const st = statSync(file);
  // Hashing 110 MB costs a few hundred ms: remembered per (inode, size, mtime) in the private cache.
  const memo = path.join(cacheDir, `exe-${st.dev}-${st.ino}-${st.size}-${Math.floor(st.mtimeMs)}.sha256`);
  let sha256: string | undefined;
  try {
    const m = readFileSync(memo, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(m)) sha256 = m;
  } catch {
    // first use of this build
  }
  if (!sha256) {
    sha256 = sha256Hex(readFileSync(file));
    writeFileSync(memo, `${sha256}\n`, { mode: 0o600 });
  }
  return { file, sha256, size: st.size };
}

export function remotePath(version: string, exe: LocalExecutable): string {
  return `${REMOTE_ROOT}/${version}-${exe.sha256.slice(0, 16)}/cx`;
}

// The checks both scripts share: root, an x86-64 machine, and a cache whose every level is a real
// directory owned by root with mode 0700 (anything else is refused, never chmod'ed or used).
const PREAMBLE = `
set -u
say() { echo "cx-remote: $*"; exit 0; }
[ "$(id -u)" = 0 ] || say not-root "$(id -un 2>/dev/null || id -u)"
case "$(uname -m)" in x86_64) ;; *) say arch "$(uname -m)";; esac
private() { [ -d "$1" ] && [ ! -L "$1" ] && [ "$(stat -c '%u %a' "$1")" = "0 700" ]; }
`;

/**
 * Make sure the remote host has this cx, placing it if needed. `how` says whether it was there and
 * its record matched at once ('ready'), had to be hashed again ('rehashed') or was copied ('placed').
 */
export async function ensureRemoteCx(
  host: RemoteHost,
  s: SshSettings,
  version: string,
  exe: LocalExecutable,
): Promise<{ file: string; how: 'ready' | 'rehashed' | 'placed' }> {
  const file = remotePath(version, exe);
  const dir = path.posix.dirname(file);
  const check = `${PREAMBLE}
d=${shQuote(REMOTE_ROOT)}; l=${shQuote(dir)}; f=${shQuote(file)}
[ -e "$f" ] || say missing
private "$d" && private "$l" || say unsafe-dir
[ -f "$f" ] && [ ! -L "$f" ] && [ "$(stat -c '%u %a' "$f")" = "0 700" ] || say unsafe-file
stamp="$(stat -c '%i %s %Y %Z' "$f") ${exe.sha256}"
[ -f "$l/verified" ] && [ "$(cat "$l/verified")" = "$stamp" ] && say ok
[ "$(sha256sum "$f" | cut -d' ' -f1)" = ${exe.sha256} ] || say missing
umask 077; echo "$stamp" > "$l/verified"
say rehashed`;
  const r = await capture(host, s, check);
  if (r.code !== 0) throw sshFailure(host, r, s);
  const answer = verdict(r.stdout);
  if (answer === 'ok') return { file, how: 'ready' };
  if (answer === 'rehashed') return { file, how: 'rehashed' };
  if (answer !== 'missing') throw refusal(host, answer, file);
  await place(host, s, exe, dir, file);
  return { file, how: 'placed' };
}

/**
 * The command line that runs the remote cx in ONE round trip once it is known to be there: the same
 * checks as ensureRemoteCx's fast path (root; every level root-owned 0700; the file's stat equal to
 * the record made when it was hashed), then exec. When any check fails it prints nothing and exits
 * 255, and the caller runs the full check to learn why (see runRemote).
 */
export function guardedCommand(file: string, sha256: string, command: string): string {
  const dir = path.posix.dirname(file);
  const want = ['0 700', '0 700', '0 700'].join('\n');
  return (
    [
      `f=${shQuote(file)}; l=${shQuote(dir)}`,
      `[ "$(id -u)" = 0 ] && [ ! -L ${shQuote(REMOTE_ROOT)} ] && [ ! -L "$l" ] && [ ! -L "$f" ] && [ -f "$f" ]`,
      `[ "$(stat -c '%u %a' ${shQuote(REMOTE_ROOT)} "$l" "$f" 2>/dev/null)" = "$(printf '${want}')" ]`,
      `[ "$(cat "$l/verified" 2>/dev/null)" = "$(stat -c '%i %s %Y %Z' "$f") ${sha256}" ]`,
      command,
    ].join(' && ') + '; exit 255'
  );
}

async function place(host: RemoteHost, s: SshSettings, exe: LocalExecutable, dir: string, file: string): Promise<void> {
  const script = `${PREAMBLE}
umask 077
d=${shQuote(REMOTE_ROOT)}; l=${shQuote(dir)}; f=${shQuote(file)}
[ -e "$d" ] || mkdir -m 700 "$d" || say cannot-write "$d"
private "$d" || say unsafe-dir
[ -e "$l" ] || mkdir -m 700 "$l" || say cannot-write "$l"
private "$l" || say unsafe-dir
t="$l/.cx.$$"
rm -f "$t"
cat > "$t" || { rm -f "$t"; say cannot-write "$l"; }
chmod 700 "$t"
[ "$(sha256sum "$t" | cut -d' ' -f1)" = ${exe.sha256} ] || { rm -f "$t"; say corrupt; }
"$t" --version >/dev/null 2>&1 || { rm -f "$t"; say noexec "$l"; }
mv -f "$t" "$f" || say cannot-write "$l"
echo "$(stat -c '%i %s %Y %Z' "$f") ${exe.sha256}" > "$l/verified"
say ok`;
  // The copy gets its own, larger deadline: 110 MB over a slow link takes a while.
  const r = await capture(host, s, script, { input: createReadStream(exe.file), timeoutMs: Math.max(120_000, s.timeoutMs) });
  if (r.code !== 0) throw sshFailure(host, r, s);
  const answer = verdict(r.stdout);
  if (answer !== 'ok') throw refusal(host, answer, file);
}

function verdict(stdout: Buffer): string {
  const line = stdout
    .toString('utf8')
    .split('\n')
    .find((l) => l.startsWith('cx-remote: '));
  return line ? line.slice('cx-remote: '.length).trim() : 'no-answer';
}

function refusal(host: RemoteHost, answer: string, file: string): RemoteError {
  const [what, ...rest] = answer.split(' ');
  const detail = rest.join(' ');
  switch (what) {
    case 'not-root':
      return new RemoteError(
        host,
        'not-root',
        `the remote login is ${detail || 'not root'}, not root: cx needs root there to enter containers`,
        'log in as root (ssh://root@host) or allow it with a key',
      );
    case 'arch':
      return new RemoteError(
        host,
        'no-cx',
        `the remote machine is ${detail}: cx only carries an x86-64 executable`,
        'install cx on that host by hand',
      );
    case 'unsafe-dir':
    case 'unsafe-file':
      return new RemoteError(
        host,
        'no-cx',
        `${path.posix.dirname(file)} (or ${REMOTE_ROOT}) on the remote is not a root-owned 0700 directory: not using it`,
        `inspect it, remove it (rm -rf ${REMOTE_ROOT}) and run again`,
      );
    case 'noexec':
      return new RemoteError(
        host,
        'no-cx',
        `cx cannot run from ${detail || REMOTE_ROOT} on the remote (noexec mount?)`,
        `make ${REMOTE_ROOT} executable there`,
      );
    case 'cannot-write':
      return new RemoteError(
        host,
        'no-cx',
        `cannot write ${detail || REMOTE_ROOT} on the remote`,
        'free some space or make /var/lib writable there',
      );
    case 'corrupt':
      return new RemoteError(host, 'no-cx', 'the copy of cx arrived damaged (sha256 differs)', 'run again');
    default:
      return new RemoteError(
        host,
        'remote',
        `unexpected answer from the remote shell: ${answer}`,
        'check the remote login shell prints nothing on its own',
      );
  }
}
