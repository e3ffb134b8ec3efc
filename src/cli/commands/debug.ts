import { Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import type { Context } from '../../session/context.js';
import { assertDebugPrivilege, debugRequest, resolveToolbox } from '../../session/debug.js';
import { sanitize } from '../../util/sanitize.js';
import { runAttached } from './attached.js';
import type { Done } from './done.js';
import { parseSessionFlags, type SessionFlags } from './session-options.js';

export interface DebugOptions extends SessionFlags {
  target: string;
  cmd: string[];
  interactive: boolean;
  /** A directory of static programs to use as the toolbox. */
  toolbox: string;
  /** A local image whose root filesystem is the toolbox. */
  image: string;
  privileged: boolean;
}

export function debugCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('debug')
    .summary('a shell with a toolbox in any container, shell or not, daemon or not')
    .description(
      'Open a shell in a running container with a toolbox of static tools (busybox: sh, ls, ps, top, vi,\n' +
        'netstat, ip, nslookup, wget...; strace) on PATH, also when the image has no shell at all. The\n' +
        "session sees the container's files as /, its processes, network, hostname and IPC, in its cgroup\n" +
        "and with its environment, like cx enter. The toolbox is mounted read-only at /.cx in the session's\n" +
        "own copy of the container's mount namespace: the container's files and mounts are not changed\n" +
        'and its processes never see it. Needs root (it uses the nsenter helper, so no daemon).',
    )
    .argument('<target>', 'container name, id or unique id prefix')
    .argument('[cmd...]', 'a command to run instead of the shell, after --')
    .usage('<target> [options] [-- <cmd> [args...]]')
    .option('-i, --interactive', 'keep stdin open for a command (a shell on a terminal always has it)', false)
    .addOption(new Option('--toolbox <dir>', 'use this directory of static programs as the toolbox').default(''))
    .addOption(new Option('--image <ref>', "use a local image's root filesystem as the toolbox").default(''))
    .option('--privileged', "keep host root's capabilities (for strace, tcpdump): no seccomp, no no_new_privs", false)
    .addOption(new Option('-u, --user <user[:group]>', 'run as this user (name or uid, optional group)').default(''))
    .addOption(new Option('-w, --workdir <dir>', 'working directory inside the container (absolute)').default(''))
    .addOption(
      new Option('-e, --env <K=V>', 'set an environment variable; K alone unsets it (repeatable)')
        .argParser((v: string, p: string[]) => [...p, v])
        .default([]),
    )
    .addHelpText(
      'after',
      `
Examples:
  cx debug web
  cx debug web -- ps
  cx debug --privileged web -- strace -p 1
  cx debug --image busybox:latest web`,
    );
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(async (target: string, rest: string[], raw: Record<string, unknown>) => {
    const opts: DebugOptions = {
      ...parseSessionFlags({ ...raw, backend: 'nsenter' }),
      target,
      cmd: rest,
      interactive: raw['interactive'] === true,
      toolbox: String(raw['toolbox'] ?? ''),
      image: String(raw['image'] ?? ''),
      privileged: raw['privileged'] === true,
    };
    done(await runDebug(opts, ctx));
  });
  return cmd;
}

export async function runDebug(opts: DebugOptions, ctx: Context): Promise<number> {
  const io = ctx.io;
  const shell = opts.cmd.length === 0;
  if (!shell && opts.cmd[0] === '') throw new UsageError('empty command', "put it after '--': cx debug <target> -- <cmd> [args...]");
  assertDebugPrivilege(opts.target);
  const toolbox = await resolveToolbox(opts, ctx.docker().endpoint.socketPath);
  ctx.trace(`toolbox: ${sanitize(toolbox.description)}; PATH += ${toolbox.path.join(':')}`);
  const tty = shell || (io.stdinIsTTY && io.stdoutIsTTY);
  const stdin = shell || opts.interactive || (tty && io.stdinIsTTY);
  const shape = { cmd: opts.cmd, tty, stdin, callerEnv: io.env, size: io.size() };
  // A toolbox without a shell fails here, before the terminal or the target matter.
  debugRequest(opts, toolbox, opts.privileged, shape);
  if (shell && (!io.stdinIsTTY || !io.stdoutIsTTY)) {
    throw new UsageError('cx debug needs a terminal for its shell', 'for pipes and scripts give a command: cx debug <target> -- ps');
  }
  return runAttached(ctx, opts.target, opts, () => debugRequest(opts, toolbox, opts.privileged, { ...shape, size: io.size() }));
}
