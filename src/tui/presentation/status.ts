import type { LiveMode } from '../data/live.js';
import type { EngineState, EnterChoice } from '../data/sources.js';
import type { SortKey } from './containers.js';
import { clean } from './text.js';
import { TROUBLE_TEXT, type DaemonTrouble } from '../../engine/daemon-state.js';

/**
 * The engine's trouble in the words an on-call engineer wants to read: from the typed state the
 * failure carried; the failure's own text only when it showed nothing about the daemon.
 */
export function engineTrouble(daemon: DaemonTrouble | undefined, reason = ''): string {
  return daemon ? TROUBLE_TEXT[daemon] : `the engine is unavailable (${clean(reason)})`;
}

/**
 * The banner under the title: empty while the daemon is healthy; otherwise what is wrong (from its
 * health when the listing learned it, else from why the event stream failed), where the list comes
 * from, how often it refreshes, and how cx would enter the selected container.
 */
export function bannerText(
  live: LiveMode,
  listError: string | undefined,
  enterVia: string | undefined,
  engine?: EngineState,
): string | undefined {
  const via = enterVia && enterVia !== '-' ? `; entering via ${enterVia}` : '';
  const every = live.kind === 'polling' ? `, refreshing every ${Math.round(live.everyMs / 1000)} s` : '';
  const from = listError ? `cannot list (${clean(listError)})` : 'listing from disk';
  if (engine && engine.state !== 'ok') return `${TROUBLE_TEXT[engine.state]}: ${from}${every}${via}`;
  if (live.kind === 'polling' && !engine) return `${engineTrouble(live.daemon, live.reason)}: ${from}${every}${via}`;
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
  /** New sessions are being recorded. */
  recording?: boolean;
}

export function headerText(h: HeaderInput): string {
  const what = h.all ? 'containers' : 'running';
  const count = h.filter !== '' ? `${h.shown} of ${h.total} ${what} match "${clean(h.filter)}"` : `${h.shown} ${what}`;
  const user = h.choice.user === '' ? "container's user" : clean(h.choice.user);
  const rec = h.recording ? ' · ● rec' : '';
  return `cx  ${count} · sort ${h.sort} · backend ${h.choice.backend} · as ${user} · ${liveText(h.live)}${rec}`;
}
