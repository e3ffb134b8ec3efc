import { CxError } from '../errors.js';
import type { IO } from '../session/io.js';
import { sanitize } from '../util/sanitize.js';

/**
 * The one place an error becomes what the user sees: a CxError's message and hint (its stack with
 * --debug), anything else as unexpected. Returns the exit code.
 */
export function report(err: unknown, io: IO, debug: boolean): number {
  if (err instanceof CxError) {
    // Messages carry names, paths and daemon answers that others control: escaped here, once.
    io.stderr.write(`cx: ${sanitize(err.message)}\n`);
    if (err.hint) io.stderr.write(`    ${sanitize(err.hint)}\n`);
    if (debug) io.stderr.write(`${sanitize(err.stack ?? '')}\n${err.cause ? `cause: ${String(err.cause)}\n` : ''}`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`cx: unexpected error: ${sanitize(message)}\n`);
  io.stderr.write(
    debug && err instanceof Error ? `${sanitize(err.stack ?? '')}\n` : '    run again with --debug for details, and report it\n',
  );
  return 1;
}
