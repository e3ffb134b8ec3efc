import { homedir } from 'node:os';
import path from 'node:path';

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
