import { spawn, type ChildProcess } from 'node:child_process';
import type * as Pty from 'node-pty';
import type { CxError } from '../../errors.js';
import { signalExitCode } from '../../util/signals.js';
import { BaseSession } from '../session-base.js';
import { classifyStartFailure, RUNC_START_FAILURE, StartFailureSniffer } from '../start-failure.js';
import type { DirectStdio, StreamName, TermSize } from '../types.js';
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
export class RuncSession extends BaseSession {
  private term: Pty.IPty | undefined;
  private child: ChildProcess | undefined;
  /** The first bytes of the stream runc's errors would land in, until they cannot be one. */
  private readonly sniffer: StartFailureSniffer;
  private ended = false;

  constructor(
    tty: boolean,
    binary: string,
    args: string[],
    private readonly scratch: RuncScratch,
    opts: RuncSpawnOptions,
    private readonly diagnose: (err: CxError) => Promise<CxError> = (err) => Promise.resolve(err),
  ) {
    super(tty);
    this.sniffer = new StartFailureSniffer(tty ? 'stdout' : 'stderr', RUNC_START_FAILURE, 20, (d, s) => this.emitData(d, s));
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
      this.term = opts.pty.spawn(binary, args, {
        name: 'xterm',
        cols: opts.size?.cols ?? 80,
        rows: opts.size?.rows ?? 24,
        cwd: '/',
        env,
        encoding: null,
      } as Pty.IPtyForkOptions);
      this.term.pause();
      this.term.onData((d) => this.deliver(Buffer.isBuffer(d) ? d : Buffer.from(d), 'stdout'));
      this.term.onExit((e) => this.finish(e.signal ? signalExitCode(e.signal) : e.exitCode));
    } else {
      // Detached, the process would inherit runc's stdout and stderr: cx would wait for them to close.
      // Otherwise runc gives the process its own stdio: a directly handed fd goes straight through.
      const [stdin, stdout] = opts.detach ? (['ignore', 'ignore'] as const) : directSlots(opts.direct, opts.stdin);
      const child = spawn(binary, args, { stdio: [stdin, stdout, opts.detach ? 'ignore' : 'pipe'], env, cwd: '/' });
      if (!opts.detach) startFeeder(opts.direct, child);
      this.child = child;
      child.stdout?.pause();
      child.stderr?.pause();
      child.stdout?.on('data', (d: Buffer) => this.deliver(d, 'stdout'));
      child.stderr?.on('data', (d: Buffer) => this.deliver(d, 'stderr'));
      child.stdin?.on('error', () => undefined);
      child.stdin?.on('drain', () => this.emitDrain());
      child.on('error', () => this.finish(127));
      child.on('close', (code, signal) => this.finish(code ?? (signal ? signalExitCode(signal) : 128)));
    }
  }

  write(data: Buffer | string, written?: () => void): boolean {
    if (this.term) {
      // Bytes as they are: a string would go through an encoding, and 'é' typed arrived as c3 83 c2 a9.
      if (!this.ended) this.term.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      if (written) setImmediate(written);
      return true;
    }
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) {
      written?.();
      return true;
    }
    return stdin.write(data, () => written?.());
  }

  end(): void {
    // A TTY's input is never closed: that would end its output too (as with docker).
    if (!this.tty) this.child?.stdin?.end();
  }

  resize(size: TermSize): void {
    if (this.term && !this.ended) this.term.resize(size.cols, size.rows);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    // runc in the foreground forwards the signals it gets to the container process.
    try {
      if (this.term) this.term.kill(signal);
      else this.child?.kill(signal);
    } catch {
      // already gone
    }
  }

  pause(): void {
    this.term?.pause();
    this.child?.stdout?.pause();
    this.child?.stderr?.pause();
  }

  resume(): void {
    this.term?.resume();
    this.child?.stdout?.resume();
    this.child?.stderr?.resume();
  }

  private deliver(chunk: Buffer, stream: StreamName): void {
    if (!this.sniffer.take(chunk, stream)) this.emitData(chunk, stream);
  }

  private finish(code: number): void {
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
