/** "3s", "5m", "2h", "4d": the coarse age docker ps shows, from milliseconds. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** Milliseconds since an ISO timestamp, or undefined when it is missing or unparsable. */
export function since(iso: string | undefined, now: number = Date.now()): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : now - t;
}
