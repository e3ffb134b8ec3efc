import { sanitize } from '../../util/sanitize.js';

/** Columns padded to their widest cell; every cell sanitized (container-controlled text). */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = rows.map((r) => r.map((c) => sanitize(c)));
  const widths = header.map((h, i) => Math.max(h.length, ...clean.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...clean.map(line)].map((l) => `${l}\n`).join('');
}

/** Shorten long cells (images with digests, long names) to keep the table readable. */
export function ellipsize(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
