import { useEffect, useRef, useState, type Dispatch } from 'react';
import type { TuiSources } from '../data/sources.js';
import type { UiEvent } from '../state.js';

/** How often uptimes ("running 5m") are redrawn; nothing else runs while the engine is quiet. */
const CLOCK_MS = 30_000;

/**
 * Keeps the list current: one listing at start, then one whenever the live feed says the list may
 * have changed (engine events, or its periodic refresh while the daemon does not answer). Listings
 * never overlap: a change during one queues exactly one more. Returns `now` for uptimes and `refresh`.
 */
export function useContainers(sources: TuiSources, dispatch: Dispatch<UiEvent>): { now: number; refresh: () => void } {
  const [now, setNow] = useState(() => Date.now());
  const running = useRef(false);
  const again = useRef(false);
  const alive = useRef(true);
  const refreshRef = useRef<() => void>(() => undefined);

  refreshRef.current = (): void => {
    if (running.current) {
      again.current = true;
      return;
    }
    running.current = true;
    sources
      .list()
      .then(
        ({ containers, warnings, engine }) => alive.current && dispatch({ type: 'listed', containers, warnings, engine }),
        (err: unknown) => alive.current && dispatch({ type: 'listFailed', error: err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => {
        running.current = false;
        if (alive.current) setNow(Date.now());
        if (again.current && alive.current) {
          again.current = false;
          refreshRef.current();
        }
      });
  };

  useEffect(() => {
    alive.current = true;
    refreshRef.current();
    const feed = sources.live.start(
      () => refreshRef.current(),
      (mode) => dispatch({ type: 'live', mode }),
    );
    const clock = setInterval(() => setNow(Date.now()), CLOCK_MS);
    return () => {
      alive.current = false;
      feed.dispose();
      clearInterval(clock);
    };
  }, [sources, dispatch]);

  return { now, refresh: () => refreshRef.current() };
}
