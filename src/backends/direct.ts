import { spawn } from '../util/child.js';
import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { trustedFile } from '../host/trust.js';
import type { DirectStdio } from './types.js';

/** The host's cat: copies a regular file into the process's stdin pipe with plain read/write. */
export const HOST_CAT = '/bin/cat';

/** stdio[0] and stdio[1] of a daemon-less backend's child, with what is handed over directly. */
export function directSlots(direct: DirectStdio | undefined, stdin: boolean): ['pipe' | 'ignore' | number, 'pipe' | number] {
  const feeding = direct?.feedStdin !== undefined;
  return [direct?.stdin ?? (stdin || feeding ? 'pipe' : 'ignore'), direct?.stdout ?? 'pipe'];
}

/**
 * With feedStdin, start the host's cat writing that file into the child's stdin pipe, and drop cx's
 * own end of the pipe so the child sees EOF when cat is done. cat goes when the child does (a
 * command that stops reading gives it EPIPE; the kill covers the rest).
 */
export function startFeeder(direct: DirectStdio | undefined, child: ChildProcess): void {
  const fd = direct?.feedStdin;
  const pipe = child.stdin as Writable | null;
  if (fd === undefined || !pipe || !trustedFile(HOST_CAT).ok) return;
  const feeder = spawn(HOST_CAT, [], { stdio: [fd, pipe, 'ignore'], env: {} });
  feeder.on('error', () => undefined);
  pipe.destroy();
  child.on('close', () => {
    if (feeder.exitCode === null && feeder.signalCode === null) feeder.kill('SIGKILL');
  });
}
