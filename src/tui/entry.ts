import type { RemoteHost } from '../remote/target.js';
import type { Context } from '../session/context.js';
import type { IO } from '../session/io.js';
import type { TuiOptions } from './run.js';

/**
 * The TUI's one entry for the CLI (`cx`, `cx ui`). Loads the TUI (Ink, React) only now, so the
 * one-liners never pay for it; the first listing starts before Ink loads, so the two overlap
 * (loading Ink is the slowest part of the first paint). Returns the exit code.
 */
export async function startTui(ctx: Context, opts: TuiOptions = {}): Promise<number> {
  const { engineSources, prefetchFirstListing } = await import('./data/engine-sources.js');
  const sources = prefetchFirstListing(engineSources(ctx));
  const { runTui } = await import('./run.js');
  return runTui(ctx, sources, opts);
}

/** `cx -H a -H b` with no command: the host picker (each host's own TUI opens over ssh). */
export async function startHostPicker(io: IO, hosts: readonly RemoteHost[], version: string): Promise<number> {
  const { runHostPicker } = await import('./hosts.js');
  return runHostPicker(io, hosts, version);
}
