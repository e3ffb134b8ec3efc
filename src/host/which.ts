import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/**
 * The first executable `name` on cx's own PATH (the caller's, never a container's). Synchronous:
 * backends ask it where a synchronous answer is needed (canEnter), and once per run.
 */
export function which(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir || '.', name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}
