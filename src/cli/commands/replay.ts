import { readFile } from '../../util/fs-async.js';
import { Command } from 'commander';
import { CxError, UsageError } from '../../errors.js';
import type { Context } from '../../session/context.js';
import { parseCast } from '../../session/record.js';
import { sanitize } from '../../util/sanitize.js';
import type { Done } from './done.js';

export function replayCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('replay')
    .summary('play back a session recorded with --record')
    .description(
      'Play an asciicast v2 file (what --record writes, and asciinema too) on this terminal, at the pace it\n' +
        'was recorded or faster. The output is written as the session produced it, escape sequences included.',
    )
    .argument('<file>', 'the .cast file')
    .option('--speed <n>', 'play n times faster (0.5 is half speed)', '1')
    .option('--idle-limit <seconds>', 'cut any pause longer than this', '');
  cmd.action(async (file: string, raw: { speed: string; idleLimit: string }) => {
    const speed = Number(raw.speed);
    if (!Number.isFinite(speed) || speed <= 0)
      throw new UsageError(`invalid --speed '${sanitize(raw.speed)}': give a number above 0`, 'e.g. --speed 2');
    const idle = raw.idleLimit === '' ? Infinity : Number(raw.idleLimit);
    if (!(idle > 0)) throw new UsageError(`invalid --idle-limit '${sanitize(raw.idleLimit)}': give seconds above 0`, 'e.g. --idle-limit 2');
    done(await runReplay(ctx, file, { speed, idleLimit: idle }));
  });
  return cmd;
}

/** Write the recording's output events to stdout, each at its time (divided by speed). */
export async function runReplay(ctx: Context, file: string, opts: { speed: number; idleLimit: number }): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CxError(`cannot read ${sanitize(file)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      exitCode: 1,
      hint: 'give a file written by cx --record',
    });
  }
  let cast: ReturnType<typeof parseCast>;
  try {
    cast = parseCast(text);
  } catch (err) {
    throw new CxError(`${sanitize(file)}: ${(err as Error).message}`, {
      exitCode: 1,
      hint: 'give a file written by cx --record (asciicast v2)',
    });
  }
  const out = ctx.io.stdout;
  const started = performance.now();
  let playTime = 0;
  let last = 0;
  for (const e of cast.events) {
    if (e.kind !== 'o') continue;
    playTime += Math.min(Math.max(0, e.time - last), opts.idleLimit);
    last = e.time;
    const wait = started + (playTime * 1000) / opts.speed - performance.now();
    if (wait > 4) await new Promise((r) => setTimeout(r, wait));
    if (!out.write(e.data)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise<void>((r) => out.write('', () => r()));
  return 0;
}
