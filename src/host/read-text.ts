import { readFileSync } from 'node:fs';

/**
 * Read a small state file (config.json, state.json, /proc/PID/stat...) as text. A listing reads about
 * six of them per container; one synchronous read costs a fraction of fs/promises' open, fstat, read
 * and close trips through the thread pool, which dominated `cx ls` with 100 containers. Async in
 * shape (errors become rejections) so callers keep their .catch() handling.
 */
export function readText(file: string): Promise<string> {
  try {
    return Promise.resolve(readFileSync(file, 'utf8'));
  } catch (err) {
    return Promise.reject(err as Error);
  }
}
