import type { Container } from '../../discovery/types.js';
import { isUp, statusText } from '../../discovery/container-state.js';
import { clean, fit } from './text.js';
import { compareNames } from '../../util/compare.js';

/** One list row, every field already safe to draw. */
export interface ContainerRow {
  id: string;
  shortId: string;
  name: string;
  image: string;
  state: string;
  /** "running 5m", "exited (3) 2h ago". */
  status: string;
  runtime: string;
  pid: string;
  /** The backend cx would use, or '-' when none can enter. */
  backend: string;
}

export type SortKey = 'name' | 'age' | 'state';
export const SORT_KEYS: readonly SortKey[] = ['name', 'age', 'state'];

export function toRow(c: Container, backends: readonly string[], now: number): ContainerRow {
  return {
    id: c.id,
    shortId: c.id.slice(0, 12),
    name: clean(c.name || '(no name)'),
    image: clean(c.image || '-'),
    state: c.state,
    status: clean(statusText(c, now)),
    runtime: clean(String(c.runtime)),
    pid: c.pid === undefined ? '-' : String(c.pid),
    backend: backends[0] ?? '-',
  };
}

export { statusText };

/**
 * Does the container match what was typed after '/'? Every space-separated word must appear
 * (case-insensitive) in the name, image, id or a label ("key=value").
 */
export function matchesFilter(c: Container, query: string): boolean {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return true;
  const haystack = [c.name, c.image, c.id, ...Object.entries(c.labels).map(([k, v]) => `${k}=${v}`)].map((s) => s.toLowerCase());
  return words.every((w) => haystack.some((h) => h.includes(w)));
}

const STATE_ORDER = ['running', 'restarting', 'paused', 'created', 'removing', 'exited', 'dead', 'unknown'];

function startTime(c: Container): number {
  const t = Date.parse(c.startedAt ?? c.createdAt ?? '');
  return Number.isNaN(t) ? 0 : t;
}

/** A sorted copy: by name; by age (newest first); by state (running first), then name. */
export function sortContainers(list: readonly Container[], key: SortKey): Container[] {
  const byName = (a: Container, b: Container): number => compareNames(a.name, b.name) || compareNames(a.id, b.id);
  const cmp: Record<SortKey, (a: Container, b: Container) => number> = {
    name: byName,
    age: (a, b) => startTime(b) - startTime(a) || byName(a, b),
    state: (a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || byName(a, b),
  };
  return [...list].sort(cmp[key]);
}

/** The containers shown: stopped ones only with `all`, then the filter, then the sort. */
export function visibleContainers(list: readonly Container[], opts: { all: boolean; filter: string; sort: SortKey }): Container[] {
  return sortContainers(
    list.filter((c) => (opts.all || isUp(c.state)) && matchesFilter(c, opts.filter)),
    opts.sort,
  );
}

export type Column = 'name' | 'shortId' | 'image' | 'status' | 'runtime' | 'pid' | 'backend';

export interface ColumnSpec {
  column: Column;
  title: string;
  width: number;
  alignRight?: boolean;
}

const FIXED: ReadonlyArray<ColumnSpec> = [
  { column: 'shortId', title: 'ID', width: 12 },
  { column: 'status', title: 'STATE', width: 16 },
  { column: 'runtime', title: 'RUNTIME', width: 10 },
  { column: 'pid', title: 'PID', width: 7, alignRight: true },
  { column: 'backend', title: 'BACKEND', width: 8 },
];
const GAP = 2;
/** The selection marker's columns at the start of each row. */
export const MARKER_WIDTH = 2;

/**
 * Column widths for a terminal `width` wide: fixed columns for id, state, runtime, pid and backend;
 * name and image share the rest. On narrow terminals runtime, backend, pid and id go first.
 */
export function layoutColumns(width: number): ColumnSpec[] {
  const dropOrder: Column[] = ['runtime', 'backend', 'pid', 'shortId'];
  let fixed = [...FIXED];
  const flexFor = (cols: ColumnSpec[]): number => width - MARKER_WIDTH - cols.reduce((n, c) => n + c.width + GAP, 0) - GAP;
  for (const drop of dropOrder) {
    if (flexFor(fixed) >= 44) break;
    fixed = fixed.filter((c) => c.column !== drop);
  }
  const flex = Math.max(8, flexFor(fixed));
  const nameW = Math.max(4, Math.ceil(flex * 0.6));
  const imageW = Math.max(4, flex - nameW);
  const [first, ...rest] = fixed;
  const name: ColumnSpec = { column: 'name', title: 'NAME', width: nameW };
  const image: ColumnSpec = { column: 'image', title: 'IMAGE', width: imageW };
  // Order on screen: name, id, image, then the rest.
  return first?.column === 'shortId' ? [name, first, image, ...rest] : [name, image, ...fixed];
}

/** The header line for `columns`. */
export function headerLine(columns: readonly ColumnSpec[]): string {
  return ' '.repeat(MARKER_WIDTH) + columns.map((c) => fit(c.title, c.width, c.alignRight)).join(' '.repeat(GAP));
}

/** One row as cells of exactly their column's width (the component colours the state cell). */
export function rowCells(row: ContainerRow, columns: readonly ColumnSpec[]): Array<{ column: Column; text: string }> {
  return columns.map((c) => ({ column: c.column, text: fit(row[c.column], c.width, c.alignRight) }));
}

export const COLUMN_GAP = ' '.repeat(GAP);

/** The first row to show so that `selected` is inside a window of `height` rows starting near `top`. */
export function scrollTop(selected: number, top: number, height: number): number {
  if (height <= 0) return 0;
  if (selected < top) return selected;
  if (selected >= top + height) return selected - height + 1;
  return top;
}
