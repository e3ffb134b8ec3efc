import { spawnSync } from '../util/child.js';
import type { TermInput } from '../session/io.js';

/**
 * Puts the terminal in raw mode and guarantees it comes back: on restore(), on process exit, and on
 * the signals that would otherwise leave a raw terminal behind. Idempotent.
 */
export class RawModeGuard {
  private active = false;
  private readonly onExit = (): void => this.restore();

  constructor(private readonly input: TermInput) {}

  enter(): void {
    if (this.active || !this.input.isTTY || !this.input.setRawMode) return;
    this.input.setRawMode(true);
    this.active = true;
    disableOutputProcessing(this.input);
    process.once('exit', this.onExit);
  }

  restore(): void {
    if (!this.active) return;
    this.active = false;
    process.off('exit', this.onExit);
    try {
      this.input.setRawMode?.(false);
    } catch {
      // The terminal is gone (hangup): nothing left to restore.
    }
  }
}

/**
 * libuv's raw mode keeps ONLCR, so the session's own "\r\n" reaches the screen as "\r\r\n" and a bare
 * "\n" (cursor down, as full-screen programs use it) turns into CR LF and breaks their drawing. The
 * docker CLI clears OPOST (cfmakeraw); Node cannot, so stty does it. setRawMode(false) restores the
 * termios libuv saved before raw mode, OPOST included.
 */
function disableOutputProcessing(input: TermInput): void {
  if ((input as { fd?: number }).fd !== 0) return;
  spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
}
