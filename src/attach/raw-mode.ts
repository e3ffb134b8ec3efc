import type { TermInput } from '../cli/io.js';

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
