import { ExecStartError } from '../../errors.js';
import { sanitize } from '../../util/sanitize.js';

/**
 * How the daemon's start failures begin (they arrive inside the output stream): the runtime's own
 * errors, and the user/group lookup the daemon does before calling the runtime.
 */
export const START_FAILURE_PREFIXES = ['OCI runtime', 'unable to find user', 'unable to find group'];

/** 'yes' when the text is a start failure, 'no' when it cannot be one, 'maybe' when too short to tell. */
export function looksLikeStartFailure(head: string): 'yes' | 'no' | 'maybe' {
  let maybe = false;
  for (const p of START_FAILURE_PREFIXES) {
    if (head.startsWith(p)) return 'yes';
    if (p.startsWith(head)) maybe = true;
  }
  return maybe ? 'maybe' : 'no';
}

interface KnownFailure {
  pattern: RegExp;
  exitCode: number;
  message: (m: RegExpMatchArray) => string;
  hint: string;
}

/** Known runtime start failures, mapped to the exit codes a shell would use and a human line. */
const KNOWN: KnownFailure[] = [
  {
    pattern: /chdir to cwd \("([^"]*)"\)[^:]*: no such file or directory/,
    exitCode: 126,
    message: (m) => `working directory ${m[1]} does not exist in the container`,
    hint: 'pick an existing directory with -w',
  },
  {
    pattern: /unable to find (?:user|group) ([^:]+): no matching entries/,
    exitCode: 126,
    message: (m) => `no user or group '${m[1]}' in the container's /etc/passwd or /etc/group`,
    hint: 'use a numeric uid[:gid] or a name that exists in the container',
  },
  {
    pattern: /exec: "([^"]*)": executable file not found in \$PATH/,
    exitCode: 127,
    message: (m) => `${m[1]}: command not found in the container's PATH`,
    hint: 'check the name, or give the full path of the program',
  },
  {
    pattern: /exec: "([^"]*)": stat [^:]*: no such file or directory/,
    exitCode: 127,
    message: (m) => `${m[1]}: no such file in the container`,
    hint: 'check the path of the program',
  },
  {
    pattern: /exec: "([^"]*)": permission denied/,
    exitCode: 126,
    message: (m) => `${m[1]}: permission denied (not executable by this user)`,
    hint: 'check the file mode, or run as another user with -u',
  },
];

/** Turn the runtime's message into a one-line error with the conventional exit code. */
export function classifyStartFailure(raw: string): ExecStartError {
  const text = raw.trim();
  for (const k of KNOWN) {
    const m = text.match(k.pattern);
    if (m) return new ExecStartError(sanitize(k.message(m)), { exitCode: k.exitCode, hint: k.hint });
  }
  return new ExecStartError(`the command could not be started: ${sanitize(text)}`, { exitCode: 126 });
}
