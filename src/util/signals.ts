import { constants } from 'node:os';

/** The signals cx catches and passes on to what it runs (a session, the TUI's shell). */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];

/** The signal's number on this system (SIGHUP 1, SIGINT 2, SIGTERM 15, ...); 0 for an unknown name. */
export function signalNumber(signal: NodeJS.Signals | string): number {
  return (constants.signals as Record<string, number | undefined>)[signal] ?? 0;
}

/** A shell's exit code for a process killed by `signal`: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals | string | number): number {
  return 128 + (typeof signal === 'number' ? signal : signalNumber(signal));
}
