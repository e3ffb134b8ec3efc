import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { CxError } from '../../errors.js';
import { signalExitCode } from '../../util/signals.js';
import { BaseSession } from '../session-base.js';
import type { TermSize } from '../types.js';
import { failureToError, parseFailure } from './helper-errors.js';

/**
 * A process started by cx-nsenter. Plain pipes in both modes: without a TTY the command inherits
 * them directly (stdout and stderr apart, stdin EOF passes through, no copy in between); with a TTY
 * the helper relays between these pipes and a pty it opened INSIDE the container, so no host pty is
 * involved at all (no second line discipline, Ctrl-C/Ctrl-Z reach the container's foreground job as
 * bytes). Resizes travel on the control pipe (fd 3); start failures come back on fd 4.
 */
export class NsenterSession extends BaseSession {
  private status = '';
  private readonly closed: Promise<void>;
  private started = false;
  private ended = false;

  constructor(
    private readonly child: ChildProcess,
    tty: boolean,
    private readonly ctx: { container: string; cmd: string; notice: string | undefined; detach?: boolean },
  ) {
    super(tty);
    // Every pipe of the helper's read to its end, the status pipe included.
    this.closed = new Promise((resolve) => child.once('close', () => resolve()));
    // stdout may be handed to the command directly (no pipe here, nothing to copy).
    child.stdout?.pause();
    child.stderr?.pause();
    (child.stdio[4] as Readable | undefined)?.on('data', (d: Buffer) => {
      this.status += d.toString('utf8');
      // Detached: the helper says "S" once the command runs, and stays on only to reap it.
      if (ctx.detach && /^S$/m.test(this.status)) this.detached();
    });
    child.stdin?.on('drain', () => this.emitDrain());
    // EPIPE when the command exits without reading all its input: normal, like a closed pipe.
    child.stdin?.on('error', () => undefined);
    this.control?.on('error', () => undefined);
    child.on('close', (code, signal) => this.finish(code, signal));
    child.on('error', (e) => this.finish(null, null, e));
  }

  private get control(): Writable | undefined {
    return this.child.stdio[3] as Writable | undefined;
  }

  write(data: Buffer | string, written?: () => void): boolean {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) {
      written?.();
      return true;
    }
    return stdin.write(data, () => written?.());
  }

  end(): void {
    // With a TTY the helper keeps the pty's input open whatever happens to its own stdin.
    this.child.stdin?.end();
  }

  resize(size: TermSize): void {
    if (this.tty && this.control?.writable) this.control.write(`R ${size.rows} ${size.cols}\n`);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    // The helper forwards it to the command (it must not die first: it holds the exit status).
    if (!this.ended) this.child.kill(signal);
  }

  pause(): void {
    this.child.stdout?.pause();
    this.child.stderr?.pause();
  }

  resume(): void {
    if (!this.started) {
      this.started = true;
      if (this.ctx.notice) this.emitData(Buffer.from(`${this.ctx.notice}${this.tty ? '\r\n' : '\n'}`), 'stderr');
      this.child.stdout?.on('data', (d: Buffer) => this.emitData(d, 'stdout'));
      this.child.stderr?.on('data', (d: Buffer) => this.emitData(d, 'stderr'));
    }
    this.child.stdout?.resume();
    this.child.stderr?.resume();
  }

  /**
   * The session will not be used after all (cx's own checks failed once the helper had started, or
   * the files it plans with could not be read): the control pipe closes before the user and
   * environment were sent, so the helper gives up and its child, never started, goes with it.
   * Resolves once the helper has exited and its status pipe is read (killed if it has not within
   * 2 s), with the helper's own start failure if it reported one (the real reason when the plan's
   * files were not answered: the target went away, say), else undefined. Nothing is reported.
   */
  async abandon(): Promise<CxError | undefined> {
    if (this.ended) return undefined;
    this.ended = true;
    const child = this.child;
    this.control?.destroy();
    for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await this.closed;
    clearTimeout(timer);
    const failure = parseFailure(this.status);
    return failure ? failureToError(failure, this.ctx) : undefined;
  }

  private detached(): void {
    if (this.ended) return;
    this.ended = true;
    this.control?.destroy();
    (this.child.stdio[4] as Readable | undefined)?.destroy();
    this.child.stdin?.destroy();
    this.child.unref();
    this.emitExit({ exitCode: 0 });
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.control?.destroy();
    const failure = parseFailure(this.status);
    if (failure) {
      const error = failureToError(failure, this.ctx);
      this.emitExit({ exitCode: error.exitCode, error });
    } else if (spawnError) {
      this.emitExit({ exitCode: 126, error: new CxError(`cannot run the nsenter helper: ${spawnError.message}`, { exitCode: 126 }) });
    } else {
      this.emitExit({ exitCode: code ?? (signal ? signalExitCode(signal) : 1) });
    }
  }
}
