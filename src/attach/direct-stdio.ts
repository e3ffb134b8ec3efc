import { fstatSync, statSync } from 'node:fs';
import type { DirectStdio } from '../backends/types.js';
import { HOST_CAT } from '../backends/direct.js';
import { trustedFile } from '../host/trust.js';
import type { IO } from '../session/io.js';

/**
 * Without a TTY, a daemon-less backend (nsenter, runc) can give the process cx's own stdin and
 * stdout instead of pipes cx copies through in JavaScript. Only what cannot lead the container
 * anywhere on the host is handed over as is: a pipe (reopening it through /proc/self/fd gives the
 * same pipe) and /dev/null. A regular file is never handed over (the container could reopen the
 * host file through /proc/self/fd/0 with its own root's rights): the host's cat feeds it into the
 * process's pipe instead, still without a copy through cx. Anything else (a socket, a terminal,
 * another device) keeps the copy through cx. undefined when nothing can be handed over.
 */
export function directStdio(io: IO, stdin: boolean): DirectStdio | undefined {
  const stdio: DirectStdio = {};
  if (stdin && io.stdinFd === 0 && !io.stdinIsTTY) {
    const kind = fdKind(0);
    if (kind === 'pipe') stdio.stdin = 0;
    else if (kind === 'file' && trustedFile(HOST_CAT).ok) stdio.feedStdin = 0;
  }
  if (io.stdoutFd === 1 && !io.stdoutIsTTY && (fdKind(1) === 'pipe' || isDevNull(1))) stdio.stdout = 1;
  return Object.keys(stdio).length > 0 ? stdio : undefined;
}

function fdKind(fd: number): 'pipe' | 'file' | 'other' {
  try {
    const st = fstatSync(fd);
    return st.isFIFO() ? 'pipe' : st.isFile() ? 'file' : 'other';
  } catch {
    return 'other';
  }
}

function isDevNull(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isCharacterDevice() && st.rdev === statSync('/dev/null').rdev;
  } catch {
    return false;
  }
}
