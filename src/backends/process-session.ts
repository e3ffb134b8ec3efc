import type { ChildProcess } from 'node:child_process';
import type * as Pty from 'node-pty';
import { signalExitCode } from '../util/signals.js';
import { BaseSession } from './session-base.js';
import { StartFailureSniffer } from './start-failure.js';
import type { StreamName, TermSize } from './types.js';

/**
 * A session that is a local process cx runs (runc exec, ssh): under a node-pty terminal with a TTY,
 * else a child with pipes (stdout and stderr apart, stdin's EOF passed on). Its first bytes go
 * through a start-failure sniffer, so the program's own failure (runc's, ssh's) becomes one error
 * line; a subclass says how it starts the process and what its exit code means.
 */
export abstract class ProcessSession extends BaseSession {
  private term: Pty.IPty | undefined;
  private child: ChildProcess | undefined;
  protected ended = false;
  /** The first bytes of the stream the program's own errors would land in, until they cannot be one. */
  protected readonly sniffer: StartFailureSniffer;

  constructor(tty: boolean, failurePrefixes: readonly string[], window: number) {
    super(tty);
    this.sniffer = new StartFailureSniffer(tty ? 'stdout' : 'stderr', failurePrefixes, window, (d, s) => this.emitData(d, s));
  }

  /** Drive a terminal: its output is the session's stdout, its exit the session's. */
  protected attachPty(term: Pty.IPty): void {
    this.term = term;
    term.pause();
    term.onData((d) => this.deliver(Buffer.isBuffer(d) ? d : Buffer.from(d), 'stdout'));
    term.onExit((e) => this.finish(e.signal ? signalExitCode(e.signal) : e.exitCode));
  }

  /** Drive a child with pipes (a stream handed to the process directly is simply absent here). */
  protected attachChild(child: ChildProcess): void {
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

  /** The process ended with `code`: report it (or the failure the sniffer held back). */
  protected abstract finish(code: number): void;

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
    // runc in the foreground forwards the signals it gets to the container process; ssh ends its
    // session, and the sshd hangs up the remote command.
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
}
