import type crypto from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/**
 * node:crypto, loaded on first use rather than with the modules that import this one: its load costs
 * ~2 ms of start-up that a plain exec, which hashes nothing, would otherwise pay on every run.
 */
function cryptoModule(): typeof crypto {
  return process.getBuiltinModule('node:crypto');
}

/** A fresh SHA-256 hash to update and digest. */
export function sha256(): crypto.Hash {
  return cryptoModule().createHash('sha256');
}

/** The SHA-256 of `data`, in hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return sha256().update(data).digest('hex');
}

/**
 * `n` random bytes, in hex (session ids, scratch names): read from /dev/urandom, which is what
 * node:crypto would use, without loading it (every audited session asks for one before it starts).
 */
export function randomHex(n: number): string {
  const buf = Buffer.alloc(n);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, buf, 0, n, null) === n) return buf.toString('hex');
    } finally {
      closeSync(fd);
    }
  } catch {
    // No /dev/urandom (a bare chroot): the module's generator below.
  }
  return cryptoModule().randomBytes(n).toString('hex');
}
