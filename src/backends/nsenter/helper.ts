import { spawn } from '../../util/child.js';
import { BackendUnavailableError, CxError } from '../../errors.js';
import { failureToError, parseFailure } from './helper-errors.js';
import { findHelper, HELPER_BUILD_HINT } from './helper-path.js';
import type { Target } from './target.js';

export function requireHelper(): string {
  const helper = findHelper();
  if (!helper) throw new BackendUnavailableError('the nsenter helper (native/build/cx-nsenter) is not built', { hint: HELPER_BUILD_HINT });
  return helper;
}

/** At most this many paths in one helper run (the helper refuses more). */
export const MAX_QUERY_PATHS = 65536;

/** The arguments that pin the helper to the target process (checked again by the helper itself). */
export function targetArgs(t: Target): string[] {
  return ['--pid', String(t.pid), '--start', String(t.startTime), '--id', t.id];
}

/**
 * Whose eyes the helper reads container files with: the container's root user and the capability
 * sets its processes get (what `docker exec` as root has), never host root's. The helper resolves
 * every path inside the container's root and refuses /proc magic links.
 */
export function queryIdentityArgs(t: Target): string[] {
  return ['--uid', '0', '--gid', '0', ...queryCapArgs(t)];
}

/** The capability sets of that identity; `prefix` '--query-' names them for exec's --query-first child. */
export function queryCapArgs(t: Target, prefix = '--'): string[] {
  const hex = (v: bigint): string => v.toString(16);
  return [
    `${prefix}cap-bnd`,
    hex(t.caps.bounding),
    `${prefix}cap-eff`,
    hex(t.caps.effective & t.caps.permitted),
    `${prefix}cap-prm`,
    hex(t.caps.permitted),
  ];
}

/** One path's answer from `cx-nsenter query`. */
export type QueryResult =
  | { kind: 'file'; data: Buffer }
  | { kind: 'dir'; names: string[] }
  | { kind: 'stat'; type: 'f' | 'd' | 'o' }
  | { kind: 'missing' | 'other' | 'too-big' };

/**
 * Read or stat paths inside the container's root, as the container's root user (r:/path reads,
 * s:/path stats), in one helper run. The helper's environment is empty: nothing of cx's reaches it.
 */
/** A list as the helper reads it from its control pipe (read_list): "<bytes>\n" + NUL-terminated items. */
export function controlList(items: readonly string[]): Buffer {
  const blob = Buffer.from(items.map((i) => `${i}\0`).join(''), 'utf8');
  return Buffer.concat([Buffer.from(`${blob.length}\n`), blob]);
}

export async function query(t: Target, containerName: string, specs: readonly string[]): Promise<QueryResult[]> {
  if (specs.length > MAX_QUERY_PATHS) {
    const head = await query(t, containerName, specs.slice(0, MAX_QUERY_PATHS));
    return [...head, ...(await query(t, containerName, specs.slice(MAX_QUERY_PATHS)))];
  }
  const helper = requireHelper();
  const out: Buffer[] = [];
  let status = '';
  const child = spawn(helper, ['query', ...targetArgs(t), ...queryIdentityArgs(t)], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    env: {},
  });
  // The paths go on fd 3, not argv: the container decides how many there are (argv has a limit).
  const control = child.stdio[3] as NodeJS.WritableStream & { on(e: 'error', l: () => void): unknown };
  control.on('error', () => undefined); // the helper refused before reading: its status line says why
  control.end(controlList(specs));
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => (status += d.toString('utf8')));
  child.stdio[4]?.on('data', (d: Buffer) => (status += d.toString('utf8')));
  const code = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 1));
  });
  const failure = parseFailure(status);
  if (failure) throw failureToError(failure, { container: containerName, cmd: '' });
  if (code !== 0) throw new CxError(`reading files in ${containerName} failed (helper exit ${code})`, { hint: 'see `cx doctor`' });
  return parseQuery(Buffer.concat(out), specs.length);
}

/** The session helper's answers ended short: it went away first (its status pipe says why). */
export class AnswersCut extends CxError {}

/**
 * The answers a session helper's --query-first child writes on its fd 5 (or its one "E" line: it
 * could not read them), once the stream ends.
 */
export function readAnswers(stream: NodeJS.ReadableStream, count: number, ctx: { container: string; cmd: string }): Promise<QueryResult[]> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (d: Buffer) => parts.push(d));
    stream.on('error', reject);
    stream.on('end', () => {
      const buf = Buffer.concat(parts);
      // A failure comes instead of any answer: only then, and only there, is an "E" line read.
      const failure = buf.subarray(0, 2).toString('latin1') === 'E ' ? parseFailure(buf.toString('utf8')) : undefined;
      if (failure) reject(failureToError(failure, ctx));
      else {
        try {
          resolve(parseQuery(buf, count));
        } catch {
          reject(new AnswersCut(`the nsenter helper for ${ctx.container} stopped before reading its files`, { hint: 'see `cx doctor`' }));
        }
      }
    });
  });
}

export function parseQuery(buf: Buffer, count: number): QueryResult[] {
  const results: QueryResult[] = [];
  let off = 0;
  while (results.length < count) {
    const nl = buf.indexOf(0x0a, off);
    if (nl < 0) throw new CxError('the nsenter helper answered a file query incompletely');
    const head = buf.subarray(off, nl).toString('latin1');
    off = nl + 1;
    const [kind = '', arg = ''] = head.split(' ');
    if (kind === 'F' || kind === 'D') {
      const len = Number(arg);
      const data = buf.subarray(off, off + len);
      off += len;
      results.push(
        kind === 'F'
          ? { kind: 'file', data: Buffer.from(data) }
          : { kind: 'dir', names: data.toString('utf8').split('\0').filter(Boolean) },
      );
    } else if (kind === 'S') results.push({ kind: 'stat', type: arg === 'f' || arg === 'd' ? arg : 'o' });
    else if (kind === 'N') results.push({ kind: 'missing' });
    else if (kind === 'B') results.push({ kind: 'too-big' });
    else results.push({ kind: 'other' });
  }
  return results;
}
