import os from 'node:os';
import { CxError, ExecStartError, NotRunningError, PermissionError } from '../../errors.js';
import { sanitize } from '../../util/sanitize.js';

/** One "E <kind> <errno> <text>" line from the helper's status pipe. */
export interface HelperFailure {
  kind: string;
  errno: number;
  text: string;
}

export function parseFailure(status: string): HelperFailure | undefined {
  const m = /^E (\S+) (\d+) (.*)$/m.exec(status);
  return m ? { kind: m[1] ?? '', errno: Number(m[2]), text: m[3] ?? '' } : undefined;
}

const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([name, n]) => [n, name]));
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOEXEC: 'exec format error',
  ENOTDIR: 'not a directory',
  ESRCH: 'no such process',
  EISDIR: 'is a directory',
};

function errnoText(n: number): string {
  const name = ERRNO_NAMES.get(n) ?? '';
  return ERRNO_TEXT[name] ?? (name !== '' ? name : `errno ${n}`);
}

/** The helper's failure as the one-line CxError a user sees (same wording as the docker backend's). */
export function failureToError(f: HelperFailure, ctx: { container: string; cmd: string }): CxError {
  const text = sanitize(f.text);
  const why = f.errno ? `: ${errnoText(f.errno)}` : '';
  switch (f.kind) {
    case 'notfound':
      return ctx.cmd.includes('/')
        ? new ExecStartError(`${sanitize(ctx.cmd)}: no such file in the container`, {
            exitCode: 127,
            hint: 'check the path of the program',
          })
        : new ExecStartError(`${sanitize(ctx.cmd)}: command not found in the container's PATH`, {
            exitCode: 127,
            hint: 'check the name, or give the full path of the program',
          });
    case 'noexec':
      return new ExecStartError(`${sanitize(ctx.cmd)}${why || ': cannot be executed'}`, {
        exitCode: 126,
        hint:
          f.errno === os.constants.errno.EACCES
            ? 'check the file mode, or run as another user with -u'
            : 'is it a program for this machine?',
      });
    case 'chdir':
      return new ExecStartError(
        f.errno === os.constants.errno.ENOENT
          ? `working directory ${text} does not exist in the container`
          : `cannot enter working directory ${text}${why}`,
        { exitCode: 126, hint: 'pick an existing directory with -w' },
      );
    case 'user':
      return new ExecStartError(`${text}${why}`, { exitCode: 126, hint: 'use a numeric uid[:gid] or a name that exists in the container' });
    case 'paused':
      return new ExecStartError(`container ${ctx.container} is paused: cannot exec in a paused container`, {
        exitCode: 126,
        hint: `unpause it first: docker unpause ${ctx.container}`,
      });
    case 'debug':
      return new CxError(`cx debug: ${text}${why}`, { exitCode: 125, hint: 'cx enter works without a toolbox; see `cx doctor`' });
    case 'perm':
      return new PermissionError(`the nsenter backend ${text}`, { hint: 'run cx as root, or use --backend docker' });
    case 'gone':
    case 'reused':
      return new NotRunningError(`container ${ctx.container}: ${text}; not entering it`, {
        hint: 'it stopped or restarted; run the command again (see `cx ls`)',
      });
    default:
      return new CxError(`nsenter backend (${sanitize(f.kind)}): ${text}${why}`, {
        exitCode: 125,
        hint: 'see `cx doctor`; --backend docker enters through the daemon instead',
      });
  }
}
