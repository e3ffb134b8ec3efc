import { CxError } from '../errors.js';
import { sanitize } from '../util/sanitize.js';
import { findUser, parsePasswd } from '../host/passwd.js';
import type { ContainerFiles } from './types.js';

/** Shells tried, in order, when the user has no usable login shell. */
export const FALLBACK_SHELLS = ['/bin/bash', '/bin/ash', '/bin/sh'];
const NOT_A_SHELL = /(nologin|\/false|\/true|^$)/;

export interface ShellChoice {
  path: string;
  reason: string;
}

/**
 * The shell `cx enter` starts: the user's login shell from the container's own /etc/passwd when it
 * exists there, else bash, else ash, else sh. Files are read through the backend, inside the
 * container, so a hostile passwd symlink cannot point cx at host files.
 */
export async function chooseShell(files: ContainerFiles, userSpec: string): Promise<ShellChoice> {
  const passwd = await files.readFile('/etc/passwd');
  const entry = passwd ? findUser(parsePasswd(passwd.toString('utf8')), userSpec) : undefined;
  if (entry && !NOT_A_SHELL.test(entry.shell) && entry.shell.startsWith('/') && (await files.exists(entry.shell))) {
    return { path: entry.shell, reason: `login shell of ${entry.name} in the container's /etc/passwd` };
  }
  for (const shell of FALLBACK_SHELLS) {
    if (await files.exists(shell)) {
      return {
        path: shell,
        reason: entry
          ? `${sanitize(entry.shell || 'no login shell')} is not usable; first found of bash, ash, sh`
          : 'first found of bash, ash, sh',
      };
    }
  }
  throw new CxError('no shell in this container (none of the login shell, /bin/bash, /bin/ash, /bin/sh exists)', {
    exitCode: 127,
    hint: 'run a program that exists there: cx exec <target> -- /path/to/program',
  });
}
