import xtermHeadless from '@xterm/headless';
import xtermSerialize from '@xterm/addon-serialize';
import type { Disposable, ExitStatus, Session, TermSize } from '../backends/types.js';
import type { IO } from '../session/io.js';
import type { SessionObserver } from '../session/observer.js';
import { Emitter } from '../util/emitter.js';
import { KeySequenceMatcher } from '../util/detach-keys.js';
import { RawModeGuard } from './raw-mode.js';

// Both packages are CommonJS: Node's ESM loader gives them as one default export.
const { Terminal } = xtermHeadless;
const { SerializeAddon } = xtermSerialize;
type HeadlessTerminal = InstanceType<typeof Terminal>;

/** What is known about a live session besides its screen (the sessions view shows it). */
export interface LiveMeta {
  containerId: string;
  containerName: string;
  image: string;
  backend: string;
  why: string;
  user: string;
  command: readonly string[];
}

/** Lines of history kept per session beyond the screen (the screen itself is what gets redrawn). */
const SCROLLBACK = 1000;
const FALLBACK_SIZE: TermSize = { cols: 80, rows: 24 };

/**
 * Modes a session's program may have switched on in the real terminal (application cursor and
 * keypad, bracketed paste, mouse reporting, hidden cursor, scroll region, colours): switched off
 * when the terminal goes back to the list or to another session, whose own modes the redraw sets.
 */
export const RESET_MODES = '\x1b[?1l\x1b>\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?25h\x1b[0m\x1b[r';

/**
 * One session that outlives the screen: its output always goes into an in-process terminal
 * emulator, so whenever it is attached again its screen can be redrawn exactly (full-screen
 * programs included), and to the real terminal only while attached.
 */
export class LiveSession {
  readonly started = Date.now();
  lastOutput = Date.now();
  status: ExitStatus | undefined;
  size: TermSize;
  private readonly term: HeadlessTerminal;
  private readonly serializer = new SerializeAddon();
  private pending = 0;
  /** Where output goes besides the emulator while the session is attached. */
  private sink: ((data: Buffer) => void) | undefined;
  private readonly exitEmitter = new Emitter<[ExitStatus]>();
  readonly exited: Promise<ExitStatus>;

  constructor(
    readonly id: number,
    readonly session: Session,
    readonly meta: LiveMeta,
    size: TermSize | undefined,
    readonly observers: SessionObserver[],
  ) {
    this.size = size ?? FALLBACK_SIZE;
    this.term = new Terminal({ cols: this.size.cols, rows: this.size.rows, scrollback: SCROLLBACK, allowProposedApi: true });
    this.term.loadAddon(this.serializer);
    session.onData((data) => {
      this.lastOutput = Date.now();
      this.pending++;
      this.term.write(data, () => this.pending--);
      this.sink?.(data);
      for (const o of this.observers) o.output?.(data);
    });
    this.exited = new Promise((resolve) => {
      session.onExit((status) => {
        this.status = status;
        for (const o of this.observers) o.exit?.(status);
        this.exitEmitter.fire(status);
        resolve(status);
      });
    });
    session.resume();
  }

  get running(): boolean {
    return this.status === undefined;
  }

  onExit(listener: (status: ExitStatus) => void): Disposable {
    return this.exitEmitter.on(listener);
  }

  /** Follow this session from now on (a recording started from the TUI). */
  observe(o: SessionObserver): void {
    this.observers.push(o);
  }

  unobserve(o: SessionObserver): void {
    const i = this.observers.indexOf(o);
    if (i >= 0) this.observers.splice(i, 1);
  }

  write(data: Buffer): void {
    for (const o of this.observers) o.input?.(data);
    this.session.write(data);
  }

  resize(size: TermSize): void {
    if (size.cols === this.size.cols && size.rows === this.size.rows) return;
    this.size = size;
    this.term.resize(size.cols, size.rows);
    if (this.running) this.session.resize(size);
    for (const o of this.observers) o.resize?.(size);
  }

  /**
   * The escape sequences that redraw this session's screen on a cleared terminal of its size:
   * taken once everything received so far has been parsed, and in the same tick as the caller
   * starts passing live output on, so nothing is lost or shown twice.
   */
  async redraw(attachSink: (data: Buffer) => void): Promise<string> {
    for (;;) {
      await new Promise<void>((resolve) => this.term.write('', resolve));
      if (this.pending === 0) break;
    }
    const screen = this.serializer.serialize({ scrollback: 0 });
    this.sink = attachSink;
    return screen;
  }

  detachSink(): void {
    this.sink = undefined;
  }

  /** The visible screen as plain text lines (tests, benchmarks, the sessions view's last line). */
  text(): string[] {
    const buf = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.term.rows; y++) lines.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
    return lines;
  }

  dispose(): void {
    this.sink = undefined;
    this.term.dispose();
  }
}

/** The live sessions of one TUI: added when opened, kept while detached, dismissed when done with. */
export class LiveSessions {
  private nextId = 1;
  private readonly sessions: LiveSession[] = [];
  private readonly changes = new Emitter<[]>();

  add(session: Session, meta: LiveMeta, size: TermSize | undefined, observers: SessionObserver[] = []): LiveSession {
    const live = new LiveSession(this.nextId++, session, meta, size, observers);
    this.sessions.push(live);
    live.onExit(() => this.changes.fire());
    this.changes.fire();
    return live;
  }

  list(): readonly LiveSession[] {
    return this.sessions;
  }

  get(id: number): LiveSession | undefined {
    return this.sessions.find((s) => s.id === id);
  }

  get runningCount(): number {
    return this.sessions.filter((s) => s.running).length;
  }

  /** The session after (or before) `from` in the list, wrapping around; undefined when it is alone. */
  neighbour(from: LiveSession, step: 1 | -1): LiveSession | undefined {
    const i = this.sessions.indexOf(from);
    if (this.sessions.length < 2) return undefined;
    return this.sessions[(i + step + this.sessions.length) % this.sessions.length];
  }

  remove(live: LiveSession): void {
    const i = this.sessions.indexOf(live);
    if (i < 0) return;
    this.sessions.splice(i, 1);
    live.dispose();
    this.changes.fire();
  }

  onChange(listener: () => void): Disposable {
    return this.changes.on(listener);
  }

  /**
   * End every running session as a closing terminal would: a hangup, then after `graceMs` a
   * kill for whatever is still there, and wait (bounded) for each to be gone.
   */
  async hangUpAll(graceMs = 2000): Promise<void> {
    const running = this.sessions.filter((s) => s.running);
    for (const s of running) s.session.kill('SIGHUP');
    const timers: NodeJS.Timeout[] = [];
    await Promise.all(
      running.map(
        (s) =>
          new Promise<void>((resolve) => {
            const killAt = setTimeout(() => s.session.kill('SIGKILL'), graceMs);
            const giveUp = setTimeout(resolve, graceMs * 2);
            timers.push(killAt, giveUp);
            void s.exited.then(() => resolve());
          }),
      ),
    );
    for (const t of timers) clearTimeout(t);
    for (const s of [...this.sessions]) this.remove(s);
  }
}

export type LiveAction = 'detach' | 'next' | 'previous';
export type LiveOutcome = { kind: LiveAction } | { kind: 'exited'; status: ExitStatus } | { kind: 'closed' };

export interface LiveKeys {
  detach: Buffer;
  next: Buffer;
  previous: Buffer;
}

/**
 * Drive a live session from the terminal until it exits or one of `keys` is typed: raw mode, the
 * screen redrawn from the emulator (at the terminal's size, which the session takes on), stdin to
 * the session with the key sequences taken out, live resize. The session keeps running after a
 * detach. An exited session only shows its last screen and a line with its status, until a key.
 */
export async function attachLive(live: LiveSession, io: IO, keys: LiveKeys, signal?: AbortSignal): Promise<LiveOutcome> {
  const raw = io.stdinIsTTY ? new RawModeGuard(io.stdin) : undefined;
  const cleanups: Array<() => void> = [];
  try {
    raw?.enter();
    // Follow resizes before reading the size: a resize that lands while the screen is redrawn (the
    // window changed just before this session was switched to) is applied, not lost between two
    // sessions' subscriptions.
    const resizeSub = io.onResize((s) => {
      if (live.running) live.resize(s);
    });
    cleanups.push(() => resizeSub.dispose());
    const size = io.size();
    if (size && live.running) live.resize(size);

    let waitingForDrain = false;
    const sink = (data: Buffer): void => {
      if (!io.stdout.write(data) && !waitingForDrain) {
        waitingForDrain = true;
        live.session.pause();
        io.stdout.once('drain', () => {
          waitingForDrain = false;
          live.session.resume();
        });
      }
    };
    const screen = await live.redraw(live.running ? sink : () => undefined);
    cleanups.push(() => {
      live.detachSink();
      if (waitingForDrain) live.session.resume();
    });
    io.stdout.write(`\x1b[?1049l${RESET_MODES}\x1b[H\x1b[2J\x1b[3J${screen}`);

    let finish: (o: LiveOutcome) => void = () => undefined;
    const done = new Promise<LiveOutcome>((resolve) => (finish = resolve));
    // cx itself is ending (a signal): let go of the terminal; the caller hangs the sessions up.
    const onAbort = (): void => finish({ kind: 'detach' });
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal?.removeEventListener('abort', onAbort));

    if (!live.running) {
      const status = live.status ?? { exitCode: 0 };
      const rows = io.size()?.rows ?? live.size.rows;
      const banner = ` cx: ${live.meta.containerName} exited with status ${status.exitCode}; any key returns to the list `;
      io.stdout.write(`\x1b7\x1b[${rows};1H\x1b[0m\x1b[7m${banner}\x1b[0m\x1b8`);
      const onKey = (): void => finish({ kind: 'closed' });
      io.stdin.once('data', onKey);
      io.stdin.resume();
      cleanups.push(() => {
        io.stdin.off('data', onKey);
        io.stdin.pause();
      });
      return await done;
    }

    const exitSub = live.onExit((status) => finish({ kind: 'exited', status }));
    cleanups.push(() => exitSub.dispose());

    const matcher = new KeySequenceMatcher<LiveAction>([
      ['detach', keys.detach],
      ['next', keys.next],
      ['previous', keys.previous],
    ]);
    const onData = (chunk: Buffer | string): void => {
      const m = matcher.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (m.forward.length > 0) live.write(m.forward);
      if (m.action) finish({ kind: m.action });
    };
    io.stdin.on('data', onData);
    io.stdin.resume();
    cleanups.push(() => {
      io.stdin.off('data', onData);
      io.stdin.pause();
    });

    const outcome = await done;
    if (outcome.kind !== 'exited') io.stdout.write(RESET_MODES);
    return outcome;
  } finally {
    for (const c of cleanups.reverse()) c();
    raw?.restore();
  }
}
