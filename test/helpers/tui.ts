import type { PtyRun } from './pty.js';

/** In the cx TUI's container list: filter by `name` (/, the name, Enter) and wait until the filter is accepted. */
export async function filterTo(p: PtyRun, name: string): Promise<void> {
  const from = p.mark();
  p.type('/');
  p.type(name);
  p.type('\r');
  await p.expect(`filter: ${name}`, { from });
}
