import { spawn, type ChildProcess } from 'node:child_process';
import type * as Pty from 'node-pty';
import { signalExitCode } from '../../util/signals.js';
import { BaseSession } from '../session-base.js';
import { classifyStartFailure, RUNC_START_FAILURE, StartFailureSniffer } from '../start-failure.js';
import type { DirectStdio, StreamName, TermSize } from '../types.js';
import { lastRuncError, type RuncScratch } from './process-spec.js';
import { directSlots, startFeeder } from '../direct.js';

/** runc exits 255 when it could not start the process (its errors go to the JSON log too). */
const RUNC_FAILED = 255;

/**
 * A `runc exec` child. TTY: under a node-pty terminal (runc relays its own pty inside the container
 * and follows our SIGWINCH). Pipes: stdout and stderr stay apart, stdin EOF is passed on. runc exits
 * with the process's code (128+n for a signal), or 255 when it could not start it: then its JSON log
 * says why and that becomes the same ExecStartError (126/127) the docker backend gives.
 */
export class RuncSession extends BaseSession {
  private readonly term: Pty.IPty | undefined;
  private readonly child: ChildProcess | undefined;
  /** The first bytes of the stream runc's errors would land in, until they cannot be one. */
  private readonly sniffer: StartFailureSniffer;
  private ended = false;

  constructor(
    tty: boolean,
    binary: string,
    args: string[],
    private readonly scratch: RuncScratch,
    opts: { stdin: boolean; size: TermSize | undefined; pty?: typeof Pty; direct?: DirectStdio | undefined },
  ) {
    super(tty);
    const env = { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
    this.sniffer = new StartFailureSniffer(tty ? 'stdout' : 'stderr', RUNC_START_FAILURE, 20, (d, s) => this.emitData(d, s));
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
      // Without a terminal runc gives the process its own stdio: a directly handed fd goes straight through.
      const [stdin, stdout] = directSlots(opts.direct, opts.stdin);
      const child = spawn(binary, args, { stdio: [stdin, stdout, 'pipe'], env, cwd: '/' });
      startFeeder(opts.direct, child);
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
      if (!this.ended) this.term.write(typeof data === 'string' ? data : data.toString('latin1'));
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
      if (error !== undefined) {
        this.sniffer.takeText();
        const err = classifyStartFailure(error.replace(/^exec failed: (unable to start container process: )?/, ''));
        this.emitExit({ exitCode: err.exitCode, error: err });
        return;
      }
      this.sniffer.flush();
      this.emitExit({ exitCode: code });
    })();
  }
}
