import type { LiveMode } from '../data/live.js';
import type { EnterChoice } from '../data/sources.js';
import type { SortKey } from './containers.js';
import { clean } from './text.js';

/** The engine trouble behind a reason string, in the words an on-call engineer wants to read. */
export function engineTrouble(reason: string): string {
  if (/did not answer|not responding|timed out/i.test(reason)) return 'dockerd is not responding';
  if (/refuses connections|not running|ECONNREFUSED/i.test(reason)) return 'dockerd is not running';
  if (/no Docker engine socket|ENOENT/i.test(reason)) return 'no Docker engine socket';
  if (/permission denied/i.test(reason)) return 'no permission on the Docker socket';
  return `the engine is unavailable (${clean(reason)})`;
}

/**
 * The banner under the title: empty while engine events flow; otherwise what is wrong, where the list
 * comes from, and how cx would enter the selected container.
 */
export function bannerText(live: LiveMode, listError: string | undefined, enterVia: string | undefined): string | undefined {
  const via = enterVia && enterVia !== '-' ? `; entering via ${enterVia}` : '';
  if (live.kind === 'polling') {
    const from = listError ? `cannot list (${clean(listError)})` : 'listing from disk';
    return `${engineTrouble(live.reason)}: ${from}, refreshing every ${Math.round(live.everyMs / 1000)} s${via}`;
  }
  if (listError) return `cannot list containers: ${clean(listError)}`;
  return undefined;
}

export function liveText(live: LiveMode): string {
  switch (live.kind) {
    case 'connecting':
      return 'connecting';
    case 'events':
      return 'live';
    case 'polling':
      return `every ${Math.round(live.everyMs / 1000)} s`;
  }
}

export interface HeaderInput {
  total: number;
  shown: number;
  all: boolean;
  filter: string;
  sort: SortKey;
  choice: EnterChoice;
  live: LiveMode;
}

export function headerText(h: HeaderInput): string {
  const what = h.all ? 'containers' : 'running';
  const count = h.filter !== '' ? `${h.shown} of ${h.total} ${what} match "${clean(h.filter)}"` : `${h.shown} ${what}`;
  const user = h.choice.user === '' ? "container's user" : clean(h.choice.user);
  return `cx  ${count} · sort ${h.sort} · backend ${h.choice.backend} · as ${user} · ${liveText(h.live)}`;
}

/** "web: exit status 0" after a session, or why it could not start. */
export function sessionStatusText(name: string, status: { exitCode: number; error?: string }): string {
  return status.error ? `${clean(name)}: ${clean(status.error)}` : `${clean(name)}: shell exited with status ${status.exitCode}`;
}
