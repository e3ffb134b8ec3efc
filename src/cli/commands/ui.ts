import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { parseDetachKeys } from '../../util/detach-keys.js';
import type { Context } from '../../session/context.js';
import type { Done } from './done.js';

export function uiCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('ui')
    .summary('the full-screen container list (what `cx` alone opens)')
    .description(
      'A full-screen list of every container cx can see: filter with /, open a shell with Enter (as\n' +
        '`cx enter`), run a one-off command with x, see the session environment (e), an inspect summary\n' +
        '(i) and the processes (p). ? lists every key. Needs a terminal on stdin and stdout.',
    );
  cmd.option('--detach-keys <keys>', 'keys that leave a session running and return to the list (docker syntax)', 'ctrl-p,ctrl-q');
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(async (opts: { detachKeys: string }) => {
    done(await runUi(ctx, { detachKeys: opts.detachKeys }));
  });
  return cmd;
}

/** The TUI needs a terminal; its module graph (Ink, React) loads only past this check. */
export async function runUi(ctx: Context, opts: { detachKeys?: string } = {}): Promise<number> {
  if (opts.detachKeys !== undefined) checkDetachKeys(opts.detachKeys);
  if (!ctx.io.stdinIsTTY || !ctx.io.stdoutIsTTY) {
    throw new UsageError(
      'the cx TUI needs a terminal on stdin and stdout',
      'for scripts use `cx ls` and `cx exec`; `cx --help` lists the commands',
    );
  }
  const { startTui } = await import('../../tui/entry.js');
  return startTui(ctx, opts);
}

/** Bad detach keys are a usage error, said before anything else happens. */
export function checkDetachKeys(spec: string): void {
  try {
    parseDetachKeys(spec);
  } catch (err) {
    throw new UsageError(`--detach-keys: ${(err as Error).message}`, 'e.g. --detach-keys ctrl-p,ctrl-q or --detach-keys ctrl-x,x');
  }
}
