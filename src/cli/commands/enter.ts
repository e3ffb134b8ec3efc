import { Command, Option } from 'commander';
import { chooseShell } from '../../backends/shell.js';
import type { Backend, ExecRequest } from '../../backends/types.js';
import type { Container } from '../../discovery/types.js';
import { UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { Done } from '../program.js';
import { addSessionOptions, callerTerm, parseSessionFlags, type SessionFlags } from './session-options.js';
import { runSession } from './run-session.js';

export interface EnterOptions extends SessionFlags {
  target: string;
  /** Overrides the shell cx would pick. */
  shell: string;
}

export function enterCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('enter')
    .summary('open an interactive shell in a container')
    .description(
      "Open an interactive shell in a running container, on a real terminal: the user's login shell from\n" +
        "the container's /etc/passwd when it exists there, else bash, else ash, else sh. The shell's exit\n" +
        'code becomes cx\'s.',
    )
    .argument('<target>', 'container name, id or unique id prefix')
    .addOption(new Option('-s, --shell <path>', 'the shell to run instead of the automatic choice').default(''));
  addSessionOptions(cmd).addHelpText(
    'after',
    `
Examples:
  cx enter web
  cx enter -u app -w /tmp web
  cx enter --shell /bin/sh 3f2a`,
  );
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(async (target: string, raw: Record<string, unknown>) => {
    done(await runEnter({ ...parseSessionFlags(raw), target, shell: String(raw['shell'] ?? '') }, ctx));
  });
  return cmd;
}

export async function runEnter(opts: EnterOptions, ctx: Context): Promise<number> {
  const io = ctx.io;
  if (!io.stdinIsTTY || !io.stdoutIsTTY) {
    throw new UsageError('cx enter needs a terminal on stdin and stdout', "for pipes and scripts use: cx exec -i <target> -- sh");
  }
  if (opts.shell !== '' && !opts.shell.startsWith('/')) {
    throw new UsageError(`invalid --shell '${opts.shell}': give an absolute path`, 'e.g. --shell /bin/sh');
  }
  return runSession(ctx, opts.target, opts, (container, backend) => enterRequest(ctx, container, backend, opts));
}

/**
 * The request `cx enter` runs: the chosen shell on a TTY of the terminal's size, with the caller's
 * TERM. Shared with the TUI, which enters containers the same way.
 */
export async function enterRequest(
  ctx: Pick<Context, 'io' | 'trace'>,
  container: Container,
  backend: Backend,
  opts: Pick<EnterOptions, 'shell' | 'user' | 'workdir' | 'env'>,
): Promise<ExecRequest> {
  let shell = opts.shell;
  if (shell === '') {
    const choice = await chooseShell(backend.files(container), opts.user || container.config.user);
    ctx.trace(`shell ${choice.path}: ${choice.reason}`);
    shell = choice.path;
  }
  return {
    cmd: [shell],
    tty: true,
    stdin: true,
    user: opts.user,
    workdir: opts.workdir,
    env: [...callerTerm(ctx.io.env), ...opts.env],
    size: ctx.io.size(),
  };
}
