import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { ensurePrivateDir } from './private-dir.js';

/**
 * Where cx keeps files it made for itself (the executable's helper and addon, the code cache): root's
 * is /run/cx (root-owned tmpfs, gone at reboot) and the environment is not consulted, so a sudo'ed cx
 * never writes into, or runs from, a directory the calling user chose. Other users get
 * $XDG_RUNTIME_DIR/cx (or ~/.cache/cx), their own. Callers check it with ensurePrivateDir.
 */
export function cacheRoot(): string {
  if (process.getuid?.() === 0) return '/run/cx';
  const runtime = process.env['XDG_RUNTIME_DIR'];
  if (runtime && path.isAbsolute(runtime)) return path.join(runtime, 'cx');
  return path.join(homedir(), '.cache', 'cx');
}

/**
 * The cache root, made if missing and checked (ensurePrivateDir: this user's alone, or an Error
 * saying why not). A non-root user's ~/.cache may not exist yet on a fresh account: it is made too,
 * in the user's own home.
 */
export function ensureCacheRoot(): string {
  const root = cacheRoot();
  if (process.getuid?.() !== 0) mkdirSync(path.dirname(root), { recursive: true, mode: 0o700 });
  ensurePrivateDir(root);
  return root;
}
