import { Argument, Command, CommanderError, Option } from 'commander';
import { UsageError } from '../errors.js';
import { bashCompletion, fishCompletion, manPage, zshCompletion } from './completion.js';
import { Context, type ContextParts } from '../session/context.js';
import type { IO } from '../session/io.js';
import { doctorCommand } from './commands/doctor.js';
import { debugCommand } from './commands/debug.js';
import { enterCommand } from './commands/enter.js';
import { envCommand } from './commands/env.js';
import { execCommand } from './commands/exec.js';
import { lsCommand } from './commands/ls.js';
import { auditCommand } from './commands/audit.js';
import { replayCommand } from './commands/replay.js';
import { runUi, uiCommand } from './commands/ui.js';
import { remoteTarget, runOnHosts } from './remote.js';
import { optionArgs, version } from './version.js';
import { codeCacheState, noteCodePath } from '../util/code-cache.js';
import type { Done } from './commands/done.js';

export type { Done };

/** The commands, by the name (or alias) that invokes them; completion and man take the whole program. */
const COMMANDS: ReadonlyArray<readonly [names: readonly string[], make: (ctx: Context, done: Done) => Command]> = [
  [['ls', 'ps'], lsCommand],
  [['exec'], execCommand],
  [['enter'], enterCommand],
  [['debug'], debugCommand],
  [['env'], envCommand],
  [['doctor'], doctorCommand],
  [['ui'], uiCommand],
  [['replay'], replayCommand],
  [['audit'], auditCommand],
];

/**
 * The program with every command, or, with `only` (the command argv invokes), with that one alone:
 * defining all eleven costs a few ms that a plain `cx exec` would pay for nothing. Help, usage errors
 * and completion, which list the others, get the whole program.
 */
export function buildProgram(ctx: Context, done: Done, only?: string): Command {
  const program = new Command('cx')
    .description(
      'Get into running containers: docker exec when the daemon answers, the runtime (runc) or the namespaces (nsenter) when it does not.',
    )
    .version(`cx ${version()}`, '-V, --version', 'print the version')
    .addOption(new Option('--debug', 'explain choices and show stack traces on errors'))
    .addOption(
      new Option('-H, --host <ssh://[user@]host[:port]>', 'run the command on another host over ssh (repeatable for ls; also CX_HOST)'),
    )
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Examples:
  cx ls                          running containers and the backends that can enter them
  cx enter web                   an interactive shell in the container named web
  cx debug web                   a shell with a toolbox (busybox, strace), even in images without one
  cx exec 3f2a -- ps aux         run a command (container by id prefix)
  cx env web                     the environment a session in web gets
  cx doctor                      what cx can use on this machine
  cx -H ssh://root@prod-3 enter web   the same, on another host (over ssh)
  cx ls -H ssh://a -H ssh://b    containers of several hosts, with a HOST column
  cx                             (on a terminal) the full-screen list; same as cx ui

Targets: a full id, a unique id prefix, or a name (with or without the leading '/').`,
    );
  const one = only === undefined ? undefined : COMMANDS.find(([names]) => names.includes(only));
  for (const [, make] of one ? [one] : COMMANDS) program.addCommand(make(ctx, done));
  if (one) return program;
  program.addCommand(completionCommand(program, ctx, done));
  program.addCommand(manCommand(program, ctx, done));
  return program;
}

/** `cx completion bash|zsh|fish`: the completion script, generated from this very program. */
function completionCommand(program: Command, ctx: Context, done: Done): Command {
  const generators = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };
  const cmd = new Command('completion')
    .summary('print a shell completion script')
    .description('Print the completion script for bash, zsh or fish (commands, options, backends and live container names).')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(Object.keys(generators)))
    .addHelpText(
      'after',
      `
Install:
  cx completion bash > /etc/bash_completion.d/cx
  cx completion zsh > "\${fpath[1]}/_cx"
  cx completion fish > ~/.config/fish/completions/cx.fish`,
    );
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action((shell: keyof typeof generators) => {
    ctx.io.stdout.write(generators[shell](program));
    done(0);
  });
  return cmd;
}

/** `cx man`: the man page (roff), for hosts that got cx as one file; `cx man | man -l -` reads it. */
function manCommand(program: Command, ctx: Context, done: Done): Command {
  const cmd = new Command('man').summary('print the man page (roff)').description('Print the cx(1) man page as roff: cx man | man -l -');
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(() => {
    ctx.io.stdout.write(manPage(program, version()));
    done(0);
  });
  return cmd;
}

/**
 * Parse argv and run the command; returns the exit code. Usage errors become UsageError. `parts`
 * replaces the real inventory, backends and daemon health (in-process tests); `engineOnly` runs it
 * against another machine's engine reached through a local socket (the ssh fallback).
 */
export async function run(argv: string[], io: IO, parts: ContextParts = {}, opts: { engineOnly?: boolean } = {}): Promise<number> {
  // -H ssh://host (or CX_HOST, DOCKER_HOST=ssh://, an ssh docker context): the command runs there.
  const remote = opts.engineOnly ? undefined : remoteTarget(argv, io.env);
  if (remote && remote.hosts.length > 0) {
    const code = await runOnHosts(remote.hosts, remote.rest, io, (a, here) => run(a, here, {}, { engineOnly: true }));
    // The code cache learns this path too (the ssh side of cx is its own code).
    noteCodePath(`remote:${remote.rest.find((a) => !a.startsWith('-')) ?? 'ui'}`);
    return code;
  }
  if (remote) argv = remote.rest;
  const ctx = new Context(io, optionArgs(argv).includes('--debug'), parts, opts.engineOnly === true);
  const cache = codeCacheState();
  if (cache) ctx.trace(`bundle ${cache}`);
  let code = 0;
  // The command named first (cx's own options are flags without values once -H is taken out).
  const first = argv.find((a) => !a.startsWith('-'));
  const program = buildProgram(ctx, (c) => (code = c), first);
  const commands = [program, ...program.commands];
  for (const c of commands) {
    c.exitOverride().configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // Errors are reported once, by main.ts, as a UsageError.
      outputError: () => undefined,
    });
  }
  if (argv.length === 0) {
    // No arguments: the TUI on a terminal; without one, usage and a hint (never a hang on a pipe).
    if (io.stdinIsTTY && io.stdoutIsTTY) {
      try {
        return await runUi(ctx);
      } finally {
        ctx.close();
      }
    }
    io.stderr.write(program.helpInformation());
    throw new UsageError('no command given, and no terminal for the TUI', 'give a command (e.g. `cx ls`), or run `cx` on a terminal');
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (first) noteCodePath(first);
    return code;
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    throw usageFromCommander(
      err,
      argv,
      program.commands.map((c) => c.name()),
    );
  } finally {
    ctx.close();
  }
}

function usageFromCommander(err: CommanderError, argv: string[], names: string[]): UsageError {
  const message = err.message.replace(/^error: /, '').split('\n')[0] ?? err.message;
  const sub = argv.find((a) => names.includes(a));
  if (err.code === 'commander.unknownOption' && sub === 'exec' && !argv.includes('--')) {
    return new UsageError(message, "put the command after '--': cx exec <target> [options] -- <cmd> [args...]");
  }
  return new UsageError(message, `see \`cx ${sub ? `${sub} ` : ''}--help\``);
}
