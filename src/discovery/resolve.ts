import { AmbiguousTargetError, NotFoundError, NotRunningError, UsageError } from '../errors.js';
import { sanitize } from '../util/sanitize.js';
import { humanDuration, since } from '../util/time.js';
import { isRunning } from './container-state.js';
import { shortId, type Container } from './types.js';

/**
 * Pick one container for a target the user typed: full id, exact name (with or without the leading
 * '/'), or a unique id prefix, in that order (the order docker itself uses).
 */
export function resolveTarget(target: string, containers: readonly Container[]): Container {
  const wanted = normalizeTarget(target);
  const byId = containers.find((c) => c.id === wanted.toLowerCase());
  if (byId) return byId;
  const byName = containers.find((c) => c.name === wanted);
  if (byName) return byName;
  if (/^[0-9a-f]+$/i.test(wanted)) {
    const prefix = wanted.toLowerCase();
    const matches = containers.filter((c) => c.id.startsWith(prefix));
    if (matches.length === 1 && matches[0]) return matches[0];
    if (matches.length > 1) {
      const list = matches.map((c) => `${shortId(c.id)} (${sanitize(c.name)})`).join(', ');
      throw new AmbiguousTargetError(`'${sanitize(wanted)}' matches ${matches.length} containers: ${list}`, {
        hint: 'type more of the id, or use the name',
      });
    }
  }
  const close = closestNames(wanted, containers);
  throw new NotFoundError(
    `no container named or with id '${sanitize(wanted)}'` +
      (close.length ? `; did you mean ${close.map((n) => `'${sanitize(n)}'`).join(', ')}?` : ''),
    { hint: 'run `cx ls --all` to see every container' },
  );
}

export function normalizeTarget(target: string): string {
  const t = target.trim().replace(/^\//, '');
  if (t === '') throw new UsageError('the target is empty', 'give a container name or id prefix, e.g. `cx enter web`');
  return t;
}

/** A container a session can enter; otherwise say what state it is in and since when. */
export function assertRunning(c: Container, now: number = Date.now()): void {
  if (isRunning(c)) return;
  const name = sanitize(c.name);
  if (c.state === 'paused') {
    throw new NotRunningError(`container ${name} is paused`, { hint: `unpause it first: docker unpause ${name}` });
  }
  const age = since(c.finishedAt, now);
  const when = age === undefined ? '' : ` ${humanDuration(age)} ago`;
  const code = c.exitCode === undefined ? '' : ` with code ${c.exitCode}`;
  const what = c.state === 'created' ? 'was created but never started' : `is not running (${c.state}${code}${when})`;
  throw new NotRunningError(`container ${name} ${what}`, { hint: `start it first: docker start ${name}` });
}

function closestNames(wanted: string, containers: readonly Container[]): string[] {
  const scored = containers
    .map((c) => ({ name: c.name, d: distance(wanted.toLowerCase(), c.name.toLowerCase()) }))
    .filter(({ name, d }) => d <= Math.max(2, Math.floor(wanted.length / 3)) || name.includes(wanted) || wanted.includes(name))
    .sort((a, b) => a.d - b.d);
  return scored.slice(0, 3).map((s) => s.name);
}

/** Levenshtein distance, small inputs only (container names). */
export function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
