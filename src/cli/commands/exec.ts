import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { Context } from '../../session/context.js';
import type { Done } from './done.js';
import { execRequest } from '../../session/request.js';
import { runAttached } from './attached.js';
import { addLiveOptions, parseLiveFlags, type LiveFlags } from './live-options.js';
import { addSessionOptions, parseSessionFlags, type SessionFlags } from './session-options.js';

export interface ExecOptions extends SessionFlags {
  target: string;
  cmd: string[];
  interactive: boolean;
  /** true = -t, false = -T, undefined = a TTY when stdin and stdout are terminals. */
  tty: boolean | undefined;
  /** --detach-keys, --record (with a TTY only). */
  live?: LiveFlags;
  /** -d: start the command and return at once. */
  detach: boolean;
}

export function execCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('exec')
    .summary('run a command in a container')
    .description(
      'Run a command in a running container, like docker exec. A TTY is allocated when stdin and stdout are\n' +
        'terminals (-t/-T force it on/off); stdin is attached with -i, or whenever the session has a TTY\n' +
        "and stdin is a terminal. The exit code is the command's: 126 when it cannot be executed, 127\n" +
        'when it is not found, 128+n when killed by signal n.',
    )
    .argument('<target>', 'container name, id or unique id prefix')
    .argument('[cmd...]', 'the command and its arguments, after --')
    .usage('<target> [options] -- <cmd> [args...]')
    .option('-i, --interactive', 'keep stdin open and send it to the command', false)
    .option('-t, --tty', 'allocate a TTY even when not on a terminal')
    .option('-T, --no-tty', 'never allocate a TTY')
    .option('-d, --detach', 'start the command and return at once; it keeps running (no TTY, no stdin)', false)
    .option('--privileged', 'give the command every capability (this process only; said on stderr)', false);
  addLiveOptions(addSessionOptions(cmd)).addHelpText(
    'after',
    `
Examples:
  cx exec web -- ps aux
  cx exec -i web -- sh -c 'cat > /tmp/x' < x
  cx exec -u app -w /tmp -e DEBUG=1 web -- env
  cx exec --env-file ./vars -e TOKEN web -- env   (TOKEN: your own value)
  cx exec -d web -- sh -c 'sleep 60; touch /tmp/done'`,
  );
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(async (target: string, rest: string[], raw: Record<string, unknown>) => {
    const opts: ExecOptions = {
      ...parseSessionFlags(raw, ctx.io.env),
      privileged: raw['privileged'] === true,
      target,
      cmd: rest,
      interactive: raw['interactive'] === true,
      tty: raw['tty'] as boolean | undefined,
      live: parseLiveFlags(raw),
      detach: raw['detach'] === true,
    };
    done(await runExec(opts, ctx));
  });
  return cmd;
}

export async function runExec(opts: ExecOptions, ctx: Context): Promise<number> {
  if (opts.cmd.length === 0 || opts.cmd[0] === '') {
    throw new UsageError('no command given', "put it after '--': cx exec <target> -- <cmd> [args...]");
  }
  const io = ctx.io;
  if (opts.detach && (opts.tty === true || opts.interactive)) {
    throw new UsageError('-d cannot be used with -t or -i: a detached command has no terminal and no input', 'drop -t/-i, or drop -d');
  }
  const tty = opts.detach ? false : (opts.tty ?? (io.stdinIsTTY && io.stdoutIsTTY));
  const stdin = !opts.detach && (opts.interactive || (tty && io.stdinIsTTY));
  if (!tty && (opts.live?.detachKeys !== undefined || opts.live?.record !== undefined)) {
    throw new UsageError('--detach-keys and --record need a TTY', 'add -t (cx exec -t <target> -- cmd)');
  }
  return runAttached(
    ctx,
    opts.target,
    opts,
    () => execRequest(opts, { cmd: opts.cmd, tty, stdin, callerEnv: io.env, size: io.size(), detach: opts.detach }),
    opts.live,
    opts.privileged ? 'cx: note: --privileged: the command runs with every capability (as with docker exec --privileged)' : undefined,
  );
}
