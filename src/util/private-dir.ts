import { lstatSync, mkdirSync } from 'node:fs';

/**
 * Make sure `dir` is a directory only the current user can touch: create it 0700 if it is missing,
 * then check that it is a real directory (not a symlink), owned by this user, with no group/other
 * bits. Anything else is refused with an Error naming the path: a directory someone else made (or a
 * symlink planted in its place) is never chmod'ed, chown'ed or used, because root would then write or
 * run files another user controls. The parent must already exist.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const problem = privateDirProblem(dir, process.getuid?.() ?? -1);
  if (problem) {
    const fix = problem.endsWith('expected 700') ? 'remove it (or chmod 700 it if you made it) and run again' : 'remove it and run again';
    throw new Error(`${problem}: ${fix}`);
  }
}

/**
 * Why `dir` is not a directory only `uid` can touch (a real directory, not a symlink, owned by `uid`,
 * no group/other bits), or undefined when it is. Never changes anything.
 */
export function privateDirProblem(dir: string, uid: number): string | undefined {
  let st;
  try {
    st = lstatSync(dir);
  } catch (err) {
    return `${dir} cannot be checked (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  if (st.isSymbolicLink() || !st.isDirectory()) return `${dir} is not a directory (a symlink or a file is in its place)`;
  if (st.uid !== uid) return `${dir} is owned by uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o077) !== 0) return `${dir} has mode ${(st.mode & 0o777).toString(8)}, expected 700`;
  return undefined;
}
