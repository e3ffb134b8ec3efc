import { CxError } from '../errors.js';
import { sanitize } from '../util/sanitize.js';
import { processIO, type IO } from '../session/io.js';
import { optionArgs, version } from './version.js';

/**
 * The entry point: the only place that prints errors and the only process.exit. `--version` is
 * answered before anything else is loaded; commander and the commands load on demand.
 */
async function main(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`cx ${version()}\n`);
    return 0;
  }
  const io = processIO();
  const debug = optionArgs(argv).includes('--debug');
  try {
    const { run } = await import('./program.js');
    return await run(argv, io);
  } catch (err) {
    return report(err, io, debug);
  }
}

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
  io.stderr.write(debug && err instanceof Error ? `${sanitize(err.stack ?? '')}\n` : '    run again with --debug for details, and report it\n');
  return 1;
}

// No top-level await: the single-file executable bundles this as CommonJS, which has none.
void main(process.argv.slice(2)).then((code) => {
  // Let stdout/stderr drain before leaving (they are async on pipes).
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
