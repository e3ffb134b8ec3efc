import type { EnvEntry, EnvSource } from '../../backends/types.js';
import type { CommandResult } from '../data/sources.js';
import type { InspectSummary } from '../data/inspect.js';
import type { ProcessList } from '../data/processes.js';
import { clean, displayWidth, fit } from './text.js';

/** One line of a detail view, already safe to draw. */
export interface Line {
  text: string;
  tone?: 'dim' | 'error' | 'heading';
}

/** The width of the SOURCE column: every label fits it whole. */
export const SOURCE_WIDTH = 17;

/** A short label for every source (a Record over the type: a new source cannot go unlabelled). */
const SOURCE_TEXT: Record<EnvSource, string> = {
  default: 'docker default',
  hostname: 'hostname',
  'container-config': 'container config',
  bundle: 'runtime bundle',
  'proc-environ': 'init environ',
  'container-environment': 'container_env dir',
  passwd: "user's passwd",
  tty: 'tty',
  'exec-option': 'cx option',
  'ssh-login': 'ssh login',
};

/** Where a variable comes from, in at most SOURCE_WIDTH columns (TERM: your terminal's, or a fallback). */
export function sourceLabel(e: Pick<EnvEntry, 'source' | 'note'>): string {
  if (e.source === 'tty' && e.note) return e.note.startsWith('fallback') ? 'tty fallback' : 'your terminal';
  return SOURCE_TEXT[e.source] ?? clean(String(e.source));
}

/** NAME=value lines with where each variable comes from (the layer that set it last). */
export function envLines(entries: readonly EnvEntry[]): Line[] {
  const nameW = Math.min(32, Math.max(4, ...entries.map((e) => displayWidth(clean(e.name)))));
  const head: Line = { text: `${fit('SOURCE', SOURCE_WIDTH)} ${fit('NAME', nameW)}  VALUE`, tone: 'heading' };
  return [head, ...entries.map((e) => ({ text: `${fit(sourceLabel(e), SOURCE_WIDTH)} ${fit(clean(e.name), nameW)}  ${clean(e.value)}` }))];
}

export function inspectLines(s: InspectSummary): Line[] {
  const labelW = Math.max(...s.fields.map((f) => f.label.length), 5) + 2;
  const lines: Line[] = [];
  if (s.unavailable) lines.push({ text: clean(s.unavailable), tone: 'error' });
  for (const f of s.fields) {
    f.values.forEach((v, i) => lines.push({ text: `${fit(i === 0 ? f.label : '', labelW)}${clean(v)}` }));
  }
  return lines;
}

/** What the inspect view says about the shell: which one Enter starts, or that only `d` has one. */
export function shellLine(shell: string | null | undefined): Line | undefined {
  if (shell === undefined) return undefined;
  if (shell === null)
    return { text: 'shell: none in this image (Enter cannot open one): press d for a toolbox shell (cx debug)', tone: 'error' };
  return { text: `shell: ${clean(shell)}`, tone: 'dim' };
}

export function processLines(p: ProcessList): Line[] {
  const lines: Line[] = [
    { text: `${fit('PID', 8, true)} ${fit('PPID', 8, true)} ${fit('UID', 6)} S ${fit('RSS', 9, true)}  COMMAND`, tone: 'heading' },
  ];
  for (const x of p.processes) {
    const rss = x.rssKiB === undefined ? '-' : x.rssKiB >= 10240 ? `${Math.round(x.rssKiB / 1024)}M` : `${x.rssKiB}K`;
    const ids = `${fit(String(x.pid), 8, true)} ${fit(String(x.ppid), 8, true)}`;
    lines.push({ text: `${ids} ${fit(clean(x.user), 6)} ${fit(clean(x.state), 1)} ${fit(rss, 9, true)}  ${clean(x.cmd)}` });
  }
  if (p.note) lines.push({ text: clean(p.note), tone: 'dim' });
  return lines;
}

/** A command's output, one screen line per output line (tabs expanded, carriage returns dropped). */
export function outputLines(command: string, r: CommandResult): Line[] {
  const lines: Line[] = [{ text: `$ ${clean(command)}`, tone: 'heading' }];
  const body = r.output.replace(/\r\n/g, '\n').replace(/\n$/, '');
  if (body !== '') {
    for (const l of body.split('\n')) lines.push({ text: clean(expandTabs(l.replace(/\r/g, ''))) });
  }
  if (r.truncated) lines.push({ text: '(output cut: use `cx exec` for more)', tone: 'dim' });
  lines.push(
    r.error
      ? { text: `could not run: ${clean(r.error.message)}`, tone: 'error' }
      : { text: `exit status ${r.exitCode} (via ${r.backend})`, tone: r.exitCode === 0 ? 'dim' : 'error' },
  );
  return lines;
}

function expandTabs(line: string): string {
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(8 - (displayWidth(out) % 8)) : ch;
  return out;
}
