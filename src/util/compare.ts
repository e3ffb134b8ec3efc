/**
 * Order for names shown in lists: case-insensitive, then by code unit, so the order is total and the
 * same on every host. Not String#localeCompare: its first call loads ICU's collator (~7-11 ms of a
 * `cx ls` here), and container names are ASCII words ([a-zA-Z0-9][a-zA-Z0-9_.-]*) where it adds
 * nothing; anything else in a name only needs a stable place.
 */
export function compareNames(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}
