import type { ExecRequest } from '../../src/backends/types.js';

/**
 * A session request that names only its command: no TTY, no stdin, the container's own user,
 * working directory and environment. `over` sets anything else.
 */
export function execRequest(cmd: string[], over: Partial<ExecRequest> = {}): ExecRequest {
  return { cmd, tty: false, stdin: false, user: '', workdir: '', env: [], size: undefined, ...over };
}
