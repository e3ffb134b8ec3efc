import { processIO } from '../session/io.js';
import { report } from './report.js';
import { optionArgs } from './version.js';

/**
 * The entry point: the only process.exit, and errors go through report() only here. A lone
 * `--version` never gets here (the loader, src/cli/loader.ts, answers it); commander and the
 * commands load on demand.
 */
async function main(argv: string[]): Promise<number> {
  const io = processIO();
  const debug = optionArgs(argv).includes('--debug');
  try {
    const { run } = await import('./program.js');
    return await run(argv, io);
  } catch (err) {
    return report(err, io, debug);
  }
}

// No top-level await: the single-file executable bundles this as CommonJS, which has none.
void main(process.argv.slice(2)).then((code) => {
  // Let stdout/stderr drain before leaving (they are async on pipes).
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
});
