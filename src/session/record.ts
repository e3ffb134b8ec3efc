import { closeSync, constants, mkdirSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { ExitStatus, TermSize } from '../backends/types.js';
import { ensurePrivateDir } from '../util/private-dir.js';
import type { SessionObserver } from './observer.js';

export interface CastHeader {
  version: 2;
  width: number;
  height: number;
  timestamp: number;
  command?: string;
  title?: string;
  env?: Record<string, string>;
}

/**
 * A session written as an asciicast v2 file (the asciinema format): a JSON header line, then one
 * JSON array per event, [seconds since start, "o" | "i" | "r", text]. Output is decoded as UTF-8
 * across chunk boundaries; input ("i") is kept only when asked for, since it holds whatever was
 * typed (passwords included). Events are written as they happen, so a crash leaves a playable file.
 */
export class CastRecorder implements SessionObserver {
  private readonly fd: number;
  private readonly start = process.hrtime.bigint();
  private readonly out = new StringDecoder('utf8');
  private readonly in = new StringDecoder('utf8');
  private closed = false;
  readonly input?: (data: Buffer) => void;

  /** Creates (or truncates) `path` with mode 0600; a symlink in its place is refused (O_NOFOLLOW). */
  constructor(
    readonly path: string,
    header: Omit<CastHeader, 'version' | 'timestamp'>,
    opts: { input?: boolean } = {},
  ) {
    this.fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
    this.line({ version: 2, ...header, timestamp: Math.floor(Date.now() / 1000) });
    if (opts.input) this.input = (data) => this.event('i', this.in.write(data));
  }

  output(data: Buffer): void {
    this.event('o', this.out.write(data));
  }

  resize(size: TermSize): void {
    this.event('r', `${size.cols}x${size.rows}`);
  }

  exit(_status: ExitStatus): void {
    this.close();
  }

  close(): void {
    if (this.closed) return;
    const rest = this.out.end();
    if (rest !== '') this.event('o', rest);
    this.closed = true;
    closeSync(this.fd);
  }

  private event(kind: 'o' | 'i' | 'r', text: string): void {
    if (this.closed || text === '') return;
    const t = Number(process.hrtime.bigint() - this.start) / 1e9;
    this.line([Math.round(t * 1e6) / 1e6, kind, text]);
  }

  private line(value: unknown): void {
    writeSync(this.fd, `${JSON.stringify(value)}\n`);
  }
}

export interface CastEvent {
  time: number;
  kind: string;
  data: string;
}

/** Read an asciicast v2 file's text: its header and events; throws an Error saying what is wrong. */
export function parseCast(text: string): { header: CastHeader; events: CastEvent[] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let header: CastHeader;
  try {
    header = JSON.parse(lines[0] ?? '') as CastHeader;
  } catch {
    throw new Error('not an asciicast file: the first line is not a JSON header');
  }
  if (header?.version !== 2) throw new Error(`unsupported asciicast version ${JSON.stringify(header?.version)}: cx plays version 2`);
  const events: CastEvent[] = [];
  for (const [i, l] of lines.slice(1).entries()) {
    let e: unknown;
    try {
      e = JSON.parse(l);
    } catch {
      throw new Error(`line ${i + 2} is not JSON: the file is damaged`);
    }
    if (!Array.isArray(e) || typeof e[0] !== 'number' || typeof e[1] !== 'string' || typeof e[2] !== 'string') {
      throw new Error(`line ${i + 2} is not an event [time, kind, data]`);
    }
    events.push({ time: e[0], kind: e[1], data: e[2] });
  }
  return { header, events };
}

/**
 * Where the TUI's recordings go: $CX_RECORD_DIR, else ~/.local/state/cx/recordings (XDG state). The
 * last directory is made private (0700, this user's, not a symlink) or refused; one new file per
 * session, named after the container and the time.
 */
export function newRecordingPath(env: NodeJS.ProcessEnv, containerName: string, now = new Date()): string {
  const base = env['CX_RECORD_DIR'] || path.join(env['XDG_STATE_HOME'] || path.join(os.homedir(), '.local', 'state'), 'cx', 'recordings');
  mkdirSync(path.dirname(path.resolve(base)), { recursive: true, mode: 0o700 });
  ensurePrivateDir(path.resolve(base));
  const safe =
    containerName
      .replace(/^\//, '')
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(0, 64) || 'container';
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return path.join(path.resolve(base), `${safe}-${stamp}.cast`);
}
