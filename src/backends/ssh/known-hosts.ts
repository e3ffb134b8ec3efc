import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { BackendUnavailableError } from '../../errors.js';
import { ensurePrivateDir } from '../../util/private-dir.js';

/**
 * cx's own known_hosts, one file per container id: the first connection to a container's sshd trusts
 * and records its host key, every later one must present the same key (ssh's accept-new), and a
 * container that is recreated under the same name is another id, so another file. Root's directory
 * (the ssh backend needs root to reach into the network namespace) is /var/lib/cx/known_hosts, every
 * level root-owned 0700.
 */
export const KNOWN_HOSTS_DIR = '/var/lib/cx/known_hosts';

export function knownHostsFile(containerId: string): string {
  if (!/^[0-9a-f]{12,128}$/.test(containerId))
    throw new BackendUnavailableError('the ssh backend needs the container id (hex) to keep its host key');
  try {
    mkdirSync(path.dirname(KNOWN_HOSTS_DIR), { recursive: true, mode: 0o700 });
    ensurePrivateDir(path.dirname(KNOWN_HOSTS_DIR));
    ensurePrivateDir(KNOWN_HOSTS_DIR);
  } catch (err) {
    throw new BackendUnavailableError(`cannot keep container host keys: ${(err as Error).message}`);
  }
  return path.join(KNOWN_HOSTS_DIR, containerId);
}
