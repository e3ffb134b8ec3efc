import type { Disposable } from '../../backends/types.js';
import type { DockerClient } from '../../engine/docker-client.js';
import { streamEvents, type EngineEvent, type EventStream } from '../../engine/events.js';
import type { CxError } from '../../errors.js';
import type { DaemonTrouble } from '../../engine/daemon-state.js';

/** How the list learns about changes: engine events, or a periodic refresh when the daemon does not answer. */
export type LiveMode =
  | { kind: 'connecting' }
  | { kind: 'events' }
  /** daemon: what the failure showed about the daemon, when it showed something (the banner's words). */
  | { kind: 'polling'; reason: string; daemon?: DaemonTrouble; everyMs: number };

/** Something that says when the container list may have changed. */
export interface LiveFeed {
  start(onChange: (why: string) => void, onMode: (mode: LiveMode) => void): Disposable;
}

/** Container actions that change what the list shows (exec_* and health checks do not). */
const LIST_ACTIONS = new Set([
  'create',
  'start',
  'restart',
  'die',
  'stop',
  'destroy',
  'pause',
  'unpause',
  'rename',
  'update',
  'oom',
  'kill',
]);

export function changesList(e: EngineEvent): boolean {
  return e.type === 'container' && LIST_ACTIONS.has(e.action.split(':')[0] ?? '');
}

export interface EngineFeedOptions {
  /** Refresh period while the daemon does not answer. */
  pollMs?: number;
  /** How often to try the event stream again while polling. */
  retryMs?: number;
  /** How often to check that a quiet event stream still has a live daemon behind it. */
  heartbeatMs?: number;
  /** Events closer together than this cause one refresh. */
  debounceMs?: number;
  /** The shortest time between two event-driven refreshes. */
  minGapMs?: number;
}

/**
 * Engine events when the daemon answers; otherwise a refresh every pollMs (cheap for the on-disk
 * sources) while retrying the stream. A stream that is open but silent cannot tell a quiet engine
 * from a frozen one, so a short /_ping heartbeat watches it.
 */
export function engineLiveFeed(client: DockerClient, opts: EngineFeedOptions = {}): LiveFeed {
  const pollMs = opts.pollMs ?? 3000;
  const retryMs = opts.retryMs ?? 10_000;
  const heartbeatMs = opts.heartbeatMs ?? 10_000;
  const debounceMs = opts.debounceMs ?? 150;
  const minGapMs = opts.minGapMs ?? 2000;
  return {
    start(onChange, onMode) {
      let disposed = false;
      let stream: EventStream | undefined;
      let timers: NodeJS.Timeout[] = [];
      let debounce: NodeJS.Timeout | undefined;
      let lastChange = 0;
      const clearTimers = (): void => {
        for (const t of timers) clearInterval(t);
        timers = [];
      };
      const poll = (err: CxError): void => {
        stream?.close();
        stream = undefined;
        clearTimers();
        onMode({ kind: 'polling', reason: err.message, ...(err.daemon ? { daemon: err.daemon } : {}), everyMs: pollMs });
        onChange('poll');
        // A listener may have let go of the feed from inside onMode or onChange: start no timers then.
        if (disposed) return;
        timers.push(setInterval(() => onChange('poll'), pollMs));
        timers.push(setTimeout(connect, retryMs));
      };
      const connect = (): void => {
        if (disposed) return;
        clearTimers();
        stream = streamEvents(client, {
          onOpen: () => {
            if (disposed) return;
            onMode({ kind: 'events' });
            onChange('events connected');
            timers.push(
              setInterval(() => {
                client.raw('GET', '/_ping', { deadlineMs: 1500 }).catch((err: CxError) => {
                  if (!disposed && stream) poll(err);
                });
              }, heartbeatMs),
            );
          },
          onEvent: (e) => {
            if (disposed || !changesList(e) || debounce) return;
            // One refresh per burst, and at most one per minGapMs: a busy engine (CI creating and
            // removing containers) must not keep cx re-listing hundreds of containers.
            const wait = Math.max(debounceMs, lastChange + minGapMs - Date.now());
            debounce = setTimeout(() => {
              debounce = undefined;
              lastChange = Date.now();
              onChange(`event ${e.action}`);
            }, wait);
          },
          onError: (err) => {
            if (!disposed) poll(err);
          },
        });
      };
      onMode({ kind: 'connecting' });
      connect();
      return {
        dispose: () => {
          disposed = true;
          clearTimeout(debounce);
          clearTimers();
          stream?.close();
        },
      };
    },
  };
}
