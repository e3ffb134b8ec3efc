import { Registry } from '../../backends/registry.js';
import { Context } from '../../session/context.js';
import { Inventory } from '../../discovery/inventory.js';
import { checkDaemon, type DaemonHealth } from '../../engine/health.js';
import { inspectSummary } from './inspect.js';
import { engineLiveFeed } from './live.js';
import { containerProcesses } from './processes.js';
import type { TuiSources } from './sources.js';

/** A Context for one session: `cx enter`'s path, with the daemon's health learned afresh. */
export function freshContext(ctx: Context): Context {
  return new Context(ctx.io, false);
}

/**
 * The TUI's sources for a real run. cx's Context learns the daemon's health and the inventory once
 * per run; the TUI lives for hours, so each listing checks the health again and scans with a new
 * Inventory, and the registry's docker-needs-a-live-daemon rule follows the latest health.
 * Warnings are collected for the screen (a line on stderr would tear it).
 */
export function engineSources(ctx: Context): TuiSources {
  const docker = ctx.docker();
  let health: DaemonHealth | undefined;
  let warnings: string[] = [];
  const warn = (line: string): void => {
    if (!warnings.includes(line)) warnings.push(line);
  };
  const registry = new Registry({ docker, health: () => health, warn });
  return {
    async list() {
      warnings = [];
      const h = await checkDaemon(docker.endpoint.socketPath);
      health = h;
      const inventory = new Inventory({ docker, health: async () => h, warn });
      const containers = await inventory.list({ all: true });
      return { containers, warnings, engine: { state: h.state, detail: h.evidence.join('; ') } };
    },
    registry,
    backendNames: registry.all().map((b) => b.name),
    inspect: (c) => inspectSummary(health?.state === 'ok' ? docker : undefined, c),
    processes: (c) => containerProcesses(health?.state === 'ok' ? docker : undefined, c),
    live: engineLiveFeed(docker),
    env: ctx.io.env,
  };
}

/** Start the first listing now; the app's first list() call gets its result instead of a new one. */
export function prefetchFirstListing(sources: TuiSources): TuiSources {
  let first: ReturnType<TuiSources['list']> | undefined = sources.list();
  // Not awaited until the app mounts: keep an early failure from being an unhandled rejection.
  first.catch(() => undefined);
  return {
    ...sources,
    list: () => {
      const pending = first;
      first = undefined;
      return pending ?? sources.list();
    },
  };
}
