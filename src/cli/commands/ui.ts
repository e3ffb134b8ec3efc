import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { Done } from '../program.js';

export function uiCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('ui')
    .summary('the full-screen container list (what `cx` alone opens)')
    .description(
      'A full-screen list of every container cx can see: filter with /, open a shell with Enter (as\n' +
        '`cx enter`), run a one-off command with x, see the session environment (e), an inspect summary\n' +
        '(i) and the processes (p). ? lists every key. Needs a terminal on stdin and stdout.',
    );
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(async () => {
    done(await runUi(ctx));
  });
  return cmd;
}

/**
 * Loads the TUI (Ink, React) only now: one-liners never pay for it. The first listing starts before
 * Ink loads, so the two overlap (loading Ink is the slowest part of the first paint).
 */
export async function runUi(ctx: Context): Promise<number> {
  if (!ctx.io.stdinIsTTY || !ctx.io.stdoutIsTTY) {
    throw new UsageError('the cx TUI needs a terminal on stdin and stdout', 'for scripts use `cx ls` and `cx exec`; `cx --help` lists the commands');
  }
  const { engineSources, prefetchFirstListing } = await import('../../tui/data/engine-sources.js');
  const sources = prefetchFirstListing(engineSources(ctx));
  const { runTui } = await import('../../tui/run.js');
  return runTui(ctx, sources);
}
