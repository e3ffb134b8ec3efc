import { Command, Option } from 'commander';
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

/** Loads the TUI (Ink, React) only now: one-liners never pay for it. */
export async function runUi(ctx: Context): Promise<number> {
  const { runTui } = await import('../../tui/run.js');
  return runTui(ctx);
}
