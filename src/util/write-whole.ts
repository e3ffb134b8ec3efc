import { closeSync, constants, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Write `file` whole: into a temporary file beside it (made anew with `mode`, never through a
 * symlink), then renamed over it, so a reader sees the old file or the new one, never half of either.
 * For directories only this user can write (the temporary name is predictable). What the write
 * threw is thrown, after the temporary file is removed.
 */
export function writeWhole(file: string, parts: ReadonlyArray<string | Uint8Array>, mode: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  rmSync(tmp, { force: true }); // left by a crashed run that had this pid
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    try {
      for (const part of parts) {
        const bytes = typeof part === 'string' ? Buffer.from(part) : part;
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
