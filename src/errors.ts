/**
 * Every failure cx reports to a user is a CxError: one line of message, one line of hint, an exit
 * code. main.ts is the only place that prints them (and the only process.exit).
 */
export class CxError extends Error {
  readonly exitCode: number;
  readonly hint: string | undefined;
  /** Set when the failure shows the Docker daemon's state: what the TUI's banner reads, never the text. */
  readonly daemon: DaemonTrouble | undefined;

  constructor(message: string, opts: { exitCode?: number; hint?: string; cause?: unknown; daemon?: DaemonTrouble } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode ?? 1;
    this.hint = opts.hint;
    this.daemon = opts.daemon;
  }
}

/**
 * What can be wrong with the Docker daemon behind the socket. frozen: the socket accepts but nothing
 * answers (a SIGSTOPped or hung daemon). dead: the socket file is there but refuses (the daemon
 * died). absent: no socket file. denied: cx may not use the socket (not root, not in the docker group).
 */
export type DaemonTrouble = 'frozen' | 'dead' | 'absent' | 'denied';

/** The command line itself is wrong (exit 2, like commander and most CLIs). */
export class UsageError extends CxError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, ...(hint === undefined ? {} : { hint }) });
  }
}

export class NotFoundError extends CxError {}
export class AmbiguousTargetError extends CxError {}
export class NotRunningError extends CxError {}
export class BackendUnavailableError extends CxError {}
export class PermissionError extends CxError {}

/** The engine did not answer in time, refused, or answered with an error. */
export class EngineError extends CxError {
  readonly statusCode: number | undefined;
  constructor(message: string, opts: { statusCode?: number; hint?: string; cause?: unknown; daemon?: DaemonTrouble } = {}) {
    super(message, opts);
    this.statusCode = opts.statusCode;
  }
}

/** The command could not be started inside the container (126 = cannot execute, 127 = not found). */
export class ExecStartError extends CxError {}
