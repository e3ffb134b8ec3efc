import { Writable } from 'node:stream';
import { Context } from '../../cli/context.js';
import type { IO } from '../../cli/io.js';
import { inspectSummary } from './inspect.js';
import { engineLiveFeed } from './live.js';
import { containerProcesses } from './processes.js';
import type { TuiSources } from './sources.js';

/**
 * A Context for one listing or one session: the inventory and the daemon's health are learned once
 * per Context, and the TUI lives for hours. Its stderr goes to `warnings` (a line written to the
 * real stderr would tear the screen).
 */
export function freshContext(ctx: Context, warnings?: string[]): Context {
  if (!warnings) return new Context(ctx.io, false);
  const collect = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      warnings.push(...String(chunk).split('\n').filter((l) => l.trim() !== ''));
      done();
    },
  });
  const io: IO = Object.create(ctx.io, { stderr: { value: collect } }) as IO;
  return new Context(io, false);
}

/** The TUI's sources for a real run: cx's inventory, registry and Engine API. */
export function engineSources(ctx: Context): TuiSources {
  const registry = ctx.registry();
  return {
    async list() {
      const warnings: string[] = [];
      const snap = freshContext(ctx, warnings);
      try {
        return { containers: await snap.inventory().list({ all: true }), warnings };
      } finally {
        snap.close();
      }
    },
    registry,
    backendNames: registry.all().map((b) => b.name),
    inspect: (c) => inspectSummary(ctx.docker(), c),
    processes: (c) => containerProcesses(ctx.docker(), c),
    live: engineLiveFeed(ctx.docker()),
    env: ctx.io.env,
  };
}
