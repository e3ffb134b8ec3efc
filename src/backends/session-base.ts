import { Emitter } from '../util/emitter.js';
import type { Disposable, ExitStatus, Session, StreamName, TermSize } from './types.js';

/**
 * The event plumbing every backend's session shares (node-pty's Terminal to its UnixTerminal): the
 * data, drain and exit events, and the rule that the exit fires once, after the last data. A backend
 * subclass moves bytes and says when the process ended; it never touches the listeners itself.
 */
export abstract class BaseSession implements Session {
  private readonly dataEvent = new Emitter<[Buffer, StreamName]>();
  private readonly drainEvent = new Emitter<[]>();
  private readonly exitEvent = new Emitter<[ExitStatus]>();
  private exited: ExitStatus | undefined;

  constructor(readonly tty: boolean) {}

  abstract write(data: Buffer | string, written?: () => void): boolean;
  abstract end(): void;
  abstract resize(size: TermSize): void;
  abstract kill(signal?: NodeJS.Signals): void;
  abstract pause(): void;
  abstract resume(): void;

  onData(listener: (data: Buffer, stream: StreamName) => void): Disposable {
    return this.dataEvent.on(listener);
  }

  onDrain(listener: () => void): Disposable {
    return this.drainEvent.on(listener);
  }

  /** A listener added after the exit still gets it (a backend may finish while its caller awaits). */
  onExit(listener: (status: ExitStatus) => void): Disposable {
    const past = this.exited;
    if (!past) return this.exitEvent.on(listener);
    let live = true;
    queueMicrotask(() => live && listener(past));
    return { dispose: () => (live = false) };
  }

  /** Output from the process, in order. */
  protected emitData(data: Buffer, stream: StreamName): void {
    this.dataEvent.fire(data, stream);
  }

  /** The process's input can take more. */
  protected emitDrain(): void {
    this.drainEvent.fire();
  }

  /** The process ended; only the first call counts. */
  protected emitExit(status: ExitStatus): void {
    if (this.exited) return;
    this.exited = status;
    this.exitEvent.fire(status);
  }
}

/**
 * A detached command (docker exec -d) once it has started: nothing to relay, and it "ends" with 0 as
 * soon as it is resumed, while the process itself keeps running in the container.
 */
export class StartedSession extends BaseSession {
  constructor() {
    super(false);
  }

  write(_data: Buffer | string, written?: () => void): boolean {
    written?.();
    return true;
  }

  end(): void {}

  resize(): void {}

  kill(): void {}

  pause(): void {}

  resume(): void {
    setImmediate(() => this.emitExit({ exitCode: 0 }));
  }
}
