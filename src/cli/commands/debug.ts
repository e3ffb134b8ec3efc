import { Command, Option } from 'commander';
import { missingPrivilege } from '../../backends/nsenter/caps.js';
import type { DebugSpec, ExecRequest } from '../../backends/types.js';
import { CxError, PermissionError, UsageError } from '../../errors.js';
import { locateDockerRoots } from '../../host/docker-roots.js';
import { defaultToolbox, directoryToolbox, imageToolbox, ToolboxError, type Toolbox } from '../../host/toolbox.js';
import type { Context } from '../../session/context.js';
import { execRequest } from '../../session/request.js';
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
      "Open a shell in a running container with a toolbox of static tools (busybox: sh, ls, ps, top, vi,\n" +
        "netstat, ip, nslookup, wget...; strace) on PATH, also when the image has no shell at all. The\n" +
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
    .addOption(new Option('-e, --env <K=V>', 'set an environment variable; K alone unsets it (repeatable)').argParser((v: string, p: string[]) => [...p, v]).default([]))
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

/** Which toolbox the options name: --toolbox, --image, or the default built from the host's busybox. */
async function chooseToolbox(opts: DebugOptions, ctx: Context): Promise<Toolbox> {
  try {
    if (opts.toolbox !== '') return directoryToolbox(opts.toolbox);
    if (opts.image !== '') {
      const roots = await locateDockerRoots(ctx.docker().endpoint.socketPath);
      if (!roots) throw new ToolboxError('cannot find where the engine keeps its images', 'see `cx doctor` (state dirs)');
      return imageToolbox(opts.image, roots.dataRoot);
    }
    return defaultToolbox();
  } catch (err) {
    if (err instanceof ToolboxError) throw new UsageError(sanitize(err.message), err.hint);
    throw err;
  }
}

export async function runDebug(opts: DebugOptions, ctx: Context): Promise<number> {
  if (opts.toolbox !== '' && opts.image !== '') throw new UsageError('--toolbox and --image exclude each other', 'give one toolbox source');
  const io = ctx.io;
  const shell = opts.cmd.length === 0;
  if (shell && (!io.stdinIsTTY || !io.stdoutIsTTY)) {
    throw new UsageError('cx debug needs a terminal for its shell', 'for pipes and scripts give a command: cx debug <target> -- ps');
  }
  if (!shell && opts.cmd[0] === '') throw new UsageError('empty command', "put it after '--': cx debug <target> -- <cmd> [args...]");
  const missing = missingPrivilege();
  if (missing) {
    throw new PermissionError(`cx debug needs root: ${missing}`, {
      hint: `it mounts a toolbox in a private view of the container; without root, try: cx enter ${sanitize(opts.target)}`,
    });
  }
  const toolbox = await chooseToolbox(opts, ctx);
  ctx.trace(`toolbox: ${sanitize(toolbox.description)}; PATH += ${toolbox.path.join(':')}`);
  if (shell && toolbox.shell === undefined) throw new CxError(`the toolbox (${sanitize(toolbox.description)}) has no shell`, { exitCode: 2, hint: 'give a command after --, or another --toolbox/--image' });
  const debug: DebugSpec = { toolbox: toolbox.layers, path: toolbox.path, privileged: opts.privileged };
  const tty = shell || (io.stdinIsTTY && io.stdoutIsTTY);
  const stdin = shell || opts.interactive || (tty && io.stdinIsTTY);
  const cmd = shell ? [toolbox.shell as string] : opts.cmd;
  const env = shell && !opts.env.some((e) => e.startsWith('PS1=')) ? ['PS1=cx-debug:\\w\\$ ', ...opts.env] : opts.env;
  return runAttached(ctx, opts.target, opts, (): ExecRequest => ({
    ...execRequest({ ...opts, env }, { cmd, tty, stdin, callerEnv: io.env, size: io.size() }),
    debug,
  }));
}
