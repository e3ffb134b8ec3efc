import { writeSync } from 'node:fs';
import type { TermInput } from '../session/io.js';

const ENTER_ALT = '\x1b[?1049h\x1b[H\x1b[2J';
const LEAVE_ALT = '\x1b[?1049l';
const SHOW_CURSOR = '\x1b[?25h';

/**
 * The TUI's hold on the terminal: the alternate screen while the list shows, and the guarantee that
 * the terminal comes back (normal screen, cursor shown, raw mode off) on every way out, including a
 * crash: 'exit' handlers run even then, and they must write synchronously.
 */
export class Screen {
  private active = false;
  private readonly onExit = (): void => this.restoreSync();

  constructor(
    private readonly stdin: TermInput,
    private readonly stdout: NodeJS.WritableStream,
    /** The fd behind stdout, for the synchronous write at process exit. */
    private readonly stdoutFd: number | undefined,
  ) {}

  enter(): void {
    if (this.active) return;
    this.active = true;
    process.on('exit', this.onExit);
    this.stdout.write(ENTER_ALT);
  }

  /** Back to the normal screen (before a session, and when the TUI ends). */
  leave(): void {
    if (!this.active) return;
    this.active = false;
    process.off('exit', this.onExit);
    this.stdout.write(LEAVE_ALT + SHOW_CURSOR);
  }

  /** Clear everything (after a resize, so no half-wrapped old frame is left behind). */
  clear(): void {
    if (this.active) this.stdout.write('\x1b[H\x1b[2J');
  }

  private restoreSync(): void {
    if (!this.active) return;
    this.active = false;
    try {
      this.stdin.setRawMode?.(false);
    } catch {
      // the terminal is gone
    }
    try {
      if (this.stdoutFd !== undefined) writeSync(this.stdoutFd, LEAVE_ALT + SHOW_CURSOR);
    } catch {
      // the terminal is gone
    }
  }
}

/**
 * After Ink lets go of stdin it leaves a utf8 decoder on it (Ink calls setEncoding): a session must
 * get the raw bytes, so drop the decoder. Node has no public way back to Buffers; this is the state
 * setEncoding() sets.
 */
export function resetStdinEncoding(stdin: TermInput): void {
  const state = (stdin as unknown as { _readableState?: { decoder: unknown; encoding: unknown } })._readableState;
  if (state) {
    state.decoder = null;
    state.encoding = null;
  }
}

/**
 * Throw away input that arrived while nobody was reading: keys typed as a shell exited, or a
 * terminal's answers to queries the session's programs sent. Waits `ms` for stragglers, and leaves
 * stdin paused and settled for the next reader.
 */
export async function drainStdin(stdin: TermInput, ms: number): Promise<void> {
  const discard = (): void => undefined;
  stdin.on('data', discard);
  stdin.resume();
  await new Promise((r) => setTimeout(r, ms));
  stdin.off('data', discard);
  stdin.pause();
  // process.stdin stops its tty handle one tick after pause(), clearing `reading` only then. A
  // 'readable' listener added before that (Ink's, on the next render) sees `reading` still set,
  // schedules no read, and the app never gets a key: let that tick pass first.
  await new Promise((r) => setImmediate(r));
}
