import fs from 'node:fs';
import type { Session } from '../backends/types.js';

const CHUNK = 256 * 1024;

/**
 * Copy a non-terminal stdin (file or pipe) to the session by reading fd 0 directly into two reused
 * 256 KiB buffers: read, write, wait until written, read again. Compared with process.stdin's 64 KiB
 * stream this halves the CPU per byte and keeps memory flat (no garbage buffer per chunk), which is what
 * `cx exec -i <c> -- cat < big-file` needs to keep up with docker exec.
 * Returns a stop function. Falls back to `fallback()` if fd 0 turns out non-blocking (EAGAIN).
 */
export function pumpStdin(session: Session, fallback: () => () => void): () => void {
  const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
  let which = 0;
  let stopped = false;
  let stopFallback: (() => void) | undefined;
  const next = (): void => {
    if (stopped) return;
    const buf = buffers[which] as Buffer;
    which ^= 1;
    fs.read(0, buf, 0, CHUNK, null, (err, n) => {
      if (stopped) return;
      if (err && (err.code === 'EAGAIN' || err.code === 'EWOULDBLOCK')) {
        stopFallback = fallback();
        return;
      }
      if (err || n === 0) {
        session.end();
        return;
      }
      session.write(buf.subarray(0, n), next);
    });
  };
  next();
  return () => {
    stopped = true;
    stopFallback?.();
  };
}
