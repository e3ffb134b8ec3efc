import { humanDuration, since } from '../util/time.js';
import type { Container, ContainerState } from './types.js';

/**
 * The one reading of a container's state for every part of cx. "Running" means a session can enter
 * it: running, or restarting (docker exec accepts both; a restarting container has a live process
 * between restarts). "Up" adds paused: listed without --all, and shown with its uptime.
 */
export function isRunning(c: Pick<Container, 'state'>): boolean {
  return c.state === 'running' || c.state === 'restarting';
}

/** Up in some form (running, restarting, paused): what `cx ls` and the TUI list without --all. */
export function isUp(state: ContainerState | string): boolean {
  return state === 'running' || state === 'restarting' || state === 'paused';
}

/** A container's state with its times; null and undefined alike mean "not known". */
export interface StateTimes {
  state: ContainerState | string;
  startedAt?: string | null | undefined;
  finishedAt?: string | null | undefined;
  exitCode?: number | null | undefined;
}

/** "running 5m", "paused 1h", "exited (3) 2h ago", "created": `cx ls`'s STATE column and the TUI's. */
export function statusText(c: StateTimes, now: number): string {
  if (isUp(c.state)) {
    const up = since(c.startedAt ?? undefined, now);
    return up === undefined ? c.state : `${c.state} ${humanDuration(up)}`;
  }
  const ago = since(c.finishedAt ?? undefined, now);
  const code = c.exitCode === null || c.exitCode === undefined ? '' : ` (${c.exitCode})`;
  return `${c.state}${code}${ago === undefined ? '' : ` ${humanDuration(ago)} ago`}`;
}
