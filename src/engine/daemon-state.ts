import type { DaemonTrouble } from '../errors.js';

export type { DaemonTrouble };

/** The daemon's state as cx tells them apart: ok (/_ping answers), or one of the troubles. */
export type DaemonState = 'ok' | DaemonTrouble;

/** Each trouble in the words an on-call engineer wants to read (the TUI's banner, cx's warnings). */
export const TROUBLE_TEXT: Readonly<Record<DaemonTrouble, string>> = {
  frozen: 'dockerd is not responding',
  dead: 'dockerd is not running',
  absent: 'no Docker engine socket',
  denied: 'no permission on the Docker socket',
};

/** The trouble a failed connect to the socket shows, from its errno code. */
export function troubleOfConnect(code: string | undefined): DaemonTrouble | undefined {
  switch (code) {
    case 'ENOENT':
      return 'absent';
    case 'ECONNREFUSED':
      return 'dead';
    case 'EACCES':
    case 'EPERM':
      return 'denied';
    default:
      return undefined;
  }
}
