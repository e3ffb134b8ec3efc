import { ExecStartError, type CxError } from '../errors.js';
import { pidsFullText, pidsUsage } from '../host/pids.js';
import { sanitize } from '../util/sanitize.js';

/**
 * How the daemon's start failures begin (they arrive inside the output stream): the runtime's own
 * errors, and the user/group lookup the daemon does before calling the runtime.
 */
export const DOCKER_START_FAILURE = ['OCI runtime', 'unable to find user', 'unable to find group'];
/** How runc's own start failures begin on its stderr (or the pty, with a TTY). */
export const RUNC_START_FAILURE = ['exec failed', 'runc exec failed', 'time="', 'runtime/cgo: ', 'fatal error: ', 'panic: ', 'runtime: '];

/** 'yes' when the text is a start failure, 'no' when it cannot be one, 'maybe' when too short to tell. */
export function looksLikeStartFailure(head: string, prefixes: readonly string[] = DOCKER_START_FAILURE): 'yes' | 'no' | 'maybe' {
  let maybe = false;
  for (const p of prefixes) {
    if (head.startsWith(p)) return 'yes';
    if (p.startsWith(head)) maybe = true;
  }
  return maybe ? 'maybe' : 'no';
}

/**
 * The first bytes of the stream a runtime writes its start failures to, held until they cannot be
 * one (then released in order) or the exit says they were (then taken as the failure's text). The
 * process's own output is never lost or reordered: only that stream's head waits, and briefly.
 */
export class StartFailureSniffer {
  private head: Buffer | undefined = Buffer.alloc(0);
  private verdict: 'yes' | 'no' | 'maybe' = 'maybe';

  constructor(
    readonly stream: 'stdout' | 'stderr',
    private readonly prefixes: readonly string[],
    /** How many bytes decide: the longest prefix fits. */
    private readonly window: number,
    private readonly release: (held: Buffer, stream: 'stdout' | 'stderr') => void,
  ) {}

  /** Takes the chunk when it belongs to the held head (false: deliver it as usual). */
  take(chunk: Buffer, stream: 'stdout' | 'stderr'): boolean {
    if (this.head === undefined || stream !== this.stream) return false;
    this.head = Buffer.concat([this.head, chunk]);
    this.verdict = looksLikeStartFailure(this.head.subarray(0, this.window).toString('latin1'), this.prefixes);
    if (this.verdict === 'no') this.flush();
    return true;
  }

  /** The head began like a start failure. */
  get suspicious(): boolean {
    return this.head !== undefined && this.verdict === 'yes';
  }

  /** Deliver what is held (the stream ended, or the process started after all). */
  flush(): void {
    const held = this.head;
    this.head = undefined;
    if (held && held.length > 0) this.release(held, this.stream);
  }

  /** Drop what is held and return it as text: the exit showed it was the start failure. */
  takeText(): string {
    const text = this.head?.toString('utf8') ?? '';
    this.head = undefined;
    return text;
  }
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
  // A runtime that crashed (runc's Go runtime when it cannot make a thread: a full pids cgroup) dumps
  // ~90 lines of goroutines: its first line says what happened, the rest is for runc's developers.
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more lines from the runtime)` : '';
  return new ExecStartError(`the command could not be started: ${sanitize(lines[0] ?? text)}${more}`, { exitCode: 126 });
}

/**
 * A start failure in a container whose pids cgroup is full is that, whatever the runtime made of it
 * ("read init-p: connection reset by peer", a Go crash): say so, and name the way in that still works.
 */
export async function diagnoseStartFailure(err: CxError, container: { name: string; pid: number | undefined }): Promise<CxError> {
  if (container.pid === undefined) return err;
  const use = await pidsUsage(container.pid).catch(() => undefined);
  if (!use || use.current < use.max) return err;
  return new ExecStartError(`cannot start a process: ${pidsFullText(sanitize(container.name), use)}`, {
    exitCode: err.exitCode,
    hint: '`--backend nsenter` can still enter it (joining a cgroup is not limited by pids.max); or raise it: docker update --pids-limit N',
    cause: err,
  });
}
