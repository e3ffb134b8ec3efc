import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { Context } from '../../session/context.js';
import type { Done } from './done.js';
import { enterRequest } from '../../session/request.js';
import { runAttached } from './attached.js';
import { addLiveOptions, parseLiveFlags, type LiveFlags } from './live-options.js';
import { addSessionOptions, parseSessionFlags, type SessionFlags } from './session-options.js';

export interface EnterOptions extends SessionFlags {
  target: string;
  /** Overrides the shell cx would pick. */
  shell: string;
  /** --detach-keys, --record. */
  live?: LiveFlags;
}

export function enterCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('enter')
    .summary('open an interactive shell in a container')
    .description(
      "Open an interactive shell in a running container, on a real terminal: the user's login shell from\n" +
        "the container's /etc/passwd when it exists there, else bash, else ash, else sh. The shell's exit\n" +
        "code becomes cx's.",
    )
    .argument('<target>', 'container name, id or unique id prefix')
    .addOption(new Option('-s, --shell <path>', 'the shell to run instead of the automatic choice').default(''));
  addLiveOptions(addSessionOptions(cmd)).addHelpText(
    'after',
    `
Examples:
  cx enter web
  cx enter -u app -w /tmp web
  cx enter --shell /bin/sh 3f2a`,
  );
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(async (target: string, raw: Record<string, unknown>) => {
    done(
      await runEnter({ ...parseSessionFlags(raw, ctx.io.env), target, shell: String(raw['shell'] ?? ''), live: parseLiveFlags(raw) }, ctx),
    );
  });
  return cmd;
}

export async function runEnter(opts: EnterOptions, ctx: Context): Promise<number> {
  const io = ctx.io;
  if (!io.stdinIsTTY || !io.stdoutIsTTY) {
    throw new UsageError('cx enter needs a terminal on stdin and stdout', 'for pipes and scripts use: cx exec -i <target> -- sh');
  }
  if (opts.shell !== '' && !opts.shell.startsWith('/')) {
    throw new UsageError(`invalid --shell '${opts.shell}': give an absolute path`, 'e.g. --shell /bin/sh');
  }
  return runAttached(
    ctx,
    opts.target,
    opts,
    (container, backend) => enterRequest(backend, container, opts, { env: io.env, size: () => io.size(), trace: (l) => ctx.trace(l) }),
    opts.live,
  );
}
