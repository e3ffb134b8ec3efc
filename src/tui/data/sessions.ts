import type { Disposable } from '../../util/emitter.js';

/** One live session as the list and the sessions view show it (texts still raw: clean() them). */
export interface SessionRow {
  id: number;
  containerId: string;
  containerName: string;
  backend: string;
  user: string;
  command: string;
  started: number;
  lastOutput: number;
  running: boolean;
  exitCode: number | undefined;
}

/** The live sessions the app shows, read afresh whenever they change. */
export interface SessionsSource {
  rows(): SessionRow[];
  onChange(listener: () => void): Disposable;
  /** Forget an exited session (its last screen is gone with it). */
  dismiss?(id: number): void;
}
