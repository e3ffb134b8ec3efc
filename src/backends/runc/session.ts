import { spawn } from '../../util/child.js';
import type * as Pty from 'node-pty';
import type { CxError } from '../../errors.js';
import { ProcessSession } from '../process-session.js';
import { classifyStartFailure, RUNC_START_FAILURE } from '../start-failure.js';
import type { DirectStdio, TermSize } from '../types.js';
import { DEFAULT_UMASK, lastRuncError, type RuncScratch } from './process-spec.js';
import { directSlots, startFeeder } from '../direct.js';

/** How runc is started: stdin attached, the first size, -d, the session's umask, node-pty (TTY only), cx's own fds. */
export interface RuncSpawnOptions {
  stdin: boolean;
  size: TermSize | undefined;
  detach?: boolean;
  umask?: number;
  pty?: typeof Pty;
  direct?: DirectStdio | undefined;
}

/** runc exits 255 when it could not start the process (its errors go to the JSON log too). */
const RUNC_FAILED = 255;

/**
 * A `runc exec` child. TTY: under a node-pty terminal (runc relays its own pty inside the container
 * and follows our SIGWINCH). Pipes: stdout and stderr stay apart, stdin EOF is passed on. runc exits
 * with the process's code (128+n for a signal), or 255 when it could not start it: then its JSON log
 * says why and that becomes the same ExecStartError (126/127) the docker backend gives.
 */
export class RuncSession extends ProcessSession {
  constructor(
    tty: boolean,
    binary: string,
    args: string[],
    private readonly scratch: RuncScratch,
    opts: RuncSpawnOptions,
    private readonly diagnose: (err: CxError) => Promise<CxError> = (err) => Promise.resolve(err),
  ) {
    super(tty, RUNC_START_FAILURE, 20);
    const env = { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
    // runc 1.1 ignores the spec's umask for an exec and passes on its own: start it with the session's,
    // never cx's caller's. (spawn forks before it returns, so cx's own umask is back at once.)
    const callerUmask = process.umask(opts.umask ?? DEFAULT_UMASK);
    try {
      this.spawn(tty, binary, args, env, opts);
    } finally {
      process.umask(callerUmask);
    }
  }

  private spawn(tty: boolean, binary: string, args: string[], env: Record<string, string>, opts: RuncSpawnOptions): void {
    if (tty) {
      if (!opts.pty) throw new Error('a TTY session needs node-pty');
      const term = opts.pty.spawn(binary, args, {
        name: 'xterm',
        cols: opts.size?.cols ?? 80,
        rows: opts.size?.rows ?? 24,
        cwd: '/',
        env,
        encoding: null,
      } as Pty.IPtyForkOptions);
      this.attachPty(term);
    } else {
      // Detached, the process would inherit runc's stdout and stderr: cx would wait for them to close.
      // Otherwise runc gives the process its own stdio: a directly handed fd goes straight through.
      const [stdin, stdout] = opts.detach ? (['ignore', 'ignore'] as const) : directSlots(opts.direct, opts.stdin);
      const child = spawn(binary, args, { stdio: [stdin, stdout, opts.detach ? 'ignore' : 'pipe'], env, cwd: '/' });
      if (!opts.detach) startFeeder(opts.direct, child);
      this.attachChild(child);
    }
  }

  protected finish(code: number): void {
    if (this.ended) return;
    this.ended = true;
    void (async () => {
      const error = code === RUNC_FAILED ? await lastRuncError(this.scratch.logFile) : undefined;
      await this.scratch.cleanup().catch(() => undefined);
      // runc's own words (its log, or what it printed before the process ran), as one line.
      const said = error ?? (code !== 0 && this.sniffer.suspicious ? this.sniffer.takeText() : undefined);
      if (said !== undefined) {
        this.sniffer.takeText();
        const err = await this.diagnose(classifyStartFailure(said.replace(/^exec failed: (unable to start container process: )?/, '')));
        this.emitExit({ exitCode: err.exitCode, error: err });
        return;
      }
      this.sniffer.flush();
      this.emitExit({ exitCode: code });
    })();
  }
}
