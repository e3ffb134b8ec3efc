import { Command, Option } from 'commander';
import type { EnvAlternative } from '../../backends/exec-env.js';
import type { EnvEntry } from '../../backends/types.js';
import { apiUseFor, sessionEnvironment } from '../../session/open.js';
import { execRequest } from '../../session/request.js';
import { escapeValue } from '../../util/sanitize.js';
import type { Context } from '../../session/context.js';
import type { Done } from './done.js';
import { addSessionOptions, parseSessionFlags, type SessionFlags } from './session-options.js';

export interface EnvOptions extends SessionFlags {
  target: string;
  json: boolean;
  sources: boolean;
  tty: boolean;
}

export function envCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('env')
    .summary('show the environment a session in a container gets')
    .description(
      'Show the environment a process started by cx exec / cx enter gets (what docker exec would give):\n' +
        "Docker's default PATH, HOSTNAME, the container's configured env, HOME of the user from the\n" +
        "container's /etc/passwd, then -e overrides. Nothing comes from cx's own environment.\n" +
        'Values are printed with control characters escaped (\\n, \\t, \\x1b, \\\\); --json has them exact.',
    )
    .argument('<target>', 'container name, id or unique id prefix')
    .option('--json', 'print [{"name","value","source"}] as JSON', false)
    .option('--sources', 'show which layer set each variable, and mark those whose sources disagree', false)
    .option('-t, --tty', 'as a TTY session would get it (adds TERM)', false);
  addSessionOptions(cmd).addHelpText(
    'after',
    `
Examples:
  cx env web
  cx env web --sources
  cx env -u app web --json`,
  );
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(async (target: string, raw: Record<string, unknown>) => {
    const opts: EnvOptions = {
      ...parseSessionFlags(raw, ctx.io.env),
      target,
      json: raw['json'] === true,
      sources: raw['sources'] === true,
      tty: raw['tty'] === true,
    };
    done(await runEnv(opts, ctx));
  });
  return cmd;
}

export async function runEnv(opts: EnvOptions, ctx: Context): Promise<number> {
  const container = await ctx.inventory().resolve(opts.target, apiUseFor(opts.backend));
  // With -t, the TERM a session from this terminal would get (yours, if the container has its terminfo).
  const request = execRequest(opts, { cmd: [], tty: opts.tty, stdin: false, callerEnv: ctx.io.env });
  const env = await sessionEnvironment(ctx.registry(), container, {
    backend: opts.backend,
    request,
    sources: opts.sources,
    trace: (l) => ctx.trace(l),
  });
  ctx.io.stdout.write(formatEnv(env.entries, opts, env.differing));
  return 0;
}

export function formatEnv(
  entries: readonly EnvEntry[],
  opts: { json: boolean; sources: boolean },
  differing: ReadonlyMap<string, EnvAlternative[]> = new Map(),
): string {
  if (opts.json) {
    const rows = opts.sources ? entries.map((e) => (differing.has(e.name) ? { ...e, differs: differing.get(e.name) } : e)) : entries;
    return `${JSON.stringify(rows, null, 2)}\n`;
  }
  const lines = entries.map((e) => `${escapeValue(e.name)}=${escapeValue(e.value)}`);
  if (!opts.sources) return lines.map((l) => `${l}\n`).join('');
  const width = Math.min(60, Math.max(...lines.map((l) => l.length)));
  return lines
    .map((l, i) => {
      const e = entries[i];
      const alts = e ? differing.get(e.name) : undefined;
      const mark = alts ? `  DIFFERS: ${alts.map((a) => `${a.source}=${escapeValue(a.value)}`).join(', ')}` : '';
      const source = e?.note ? `${e.source} (${escapeValue(e.note)})` : (e?.source ?? '');
      return `${l.padEnd(width)}  [${source}]${mark}\n`;
    })
    .join('');
}
