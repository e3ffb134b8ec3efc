import type { ExitStatus, TermSize } from '../backends/types.js';

/** Something that follows a session as it runs (a recording, the audit log). Every hook is optional. */
export interface SessionObserver {
  output?(data: Buffer): void;
  /** Keystrokes sent to the session (only a recording asked to keep input listens). */
  input?(data: Buffer): void;
  resize?(size: TermSize): void;
  exit?(status: ExitStatus): void;
}
