import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { privateDirProblem } from '../util/private-dir.js';
import { writeWhole } from '../util/write-whole.js';
import { trustedDir } from './trust.js';

/**
 * Small JSON memos root's cx keeps in /run/cx (tmpfs: gone at reboot, like what they describe): the
 * roots of each engine seen (engines.json) and the ids of names resolved without the daemon
 * (names.json). Only root's cx reads or writes them, and only when root alone can have written
 * them: a root-owned directory of mode 0700 in a trusted parent, a root-owned regular file of mode
 * 0600, never through a symlink. Anything else was made by someone else and is ignored, never
 * chmod'ed. A memo only saves work: whatever is read from one is checked again before it is used.
 */

/** Why cx did not believe something (shown under --debug). */
export type Note = (line: string) => void;

function memoDirOk(dir: string, note: Note): boolean {
  const problem = privateDirProblem(dir, 0);
  if (problem) {
    note(`not using ${dir}: it must be a root-owned directory of mode 0700 (${problem})`);
    return false;
  }
  const parent = trustedDir(path.dirname(dir));
  if (!parent.ok) note(`not using ${dir}: ${parent.reason}`);
  return parent.ok;
}

/** The memo's object, or {} when it is missing, unreadable, not JSON or not trusted. */
export function readRootMemo<T extends object>(file: string, note: Note): Partial<T> {
  if (process.getuid?.() !== 0 || !memoDirOk(path.dirname(file), note)) return {};
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') note(`not using ${file}: ${(err as NodeJS.ErrnoException).code}`);
    return {};
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== 0 || (st.mode & 0o077) !== 0) {
      note(`not using ${file}: it must be a root-owned file of mode 0600`);
      return {};
    }
    const parsed = JSON.parse(readFileSync(fd, 'utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Partial<T>) : {};
  } catch {
    return {};
  } finally {
    closeSync(fd);
  }
}

/**
 * `memo` with `key` set to `value` as its most recent entry (last), keeping at most `keep` entries:
 * the oldest go. Every memo is bounded: one read on every command must stay small however many
 * engines (sockets) or data-roots a machine has seen (a test suite starts hundreds).
 */
export function withLatest<T>(memo: Partial<Record<string, T>>, key: string, value: T, keep: number): Record<string, T> {
  const others = Object.entries(memo).filter((e): e is [string, T] => e[0] !== key && e[1] !== undefined);
  return Object.fromEntries([...others.slice(-(keep - 1)), [key, value]]);
}

/**
 * Write a memo whole (tmp + rename, 0600, never through a symlink), root's cx only. Best effort: a
 * memo that cannot be written only means the work is done again next time.
 */
export function writeRootMemo(file: string, value: object, note: Note): void {
  if (process.getuid?.() !== 0) return;
  const dir = path.dirname(file);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return;
  }
  if (!memoDirOk(dir, note)) return;
  try {
    writeWhole(file, [JSON.stringify(value)], 0o600);
  } catch {
    // best effort (see above)
  }
}
