/**
 * The HTTP/1.1 a unix-socket Engine API needs, on a plain socket: one request per connection
 * (Connection: close), the answer's status, headers and body, whether the daemon delimits it by
 * Content-Length, chunked transfer coding or the end of the connection. Node's http module would do
 * it too, but its first load costs 5-15 ms of start-up that every docker exec paid (measured: a first
 * inspect through node:http 17-21 ms against 6 ms this way).
 */

/** The head of a request: the caller sends its body right after. */
export function requestHead(method: string, path: string, body: Buffer | undefined): string {
  const length = body ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` : '';
  return `${method} ${path} HTTP/1.1\r\nHost: docker\r\n${length}Connection: close\r\n\r\n`;
}

export interface ParsedResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

const MAX_HEAD = 64 * 1024;

/**
 * The most an answer held in memory may carry. The largest real ones are a list of thousands of
 * containers (a few MB) and a file of at most 4 MiB (backends/docker/files.ts); an engine is not
 * always this machine's own (-H: a remote dockerd through ssh), and one that sends without end must
 * not take all of cx's memory.
 */
export const MAX_BODY = 128 * 1024 * 1024;

/** A size in MiB, for the messages. */
export function mib(bytes: number): string {
  return `${bytes / 1024 / 1024} MiB`;
}

/** An answer's status line and headers: status 0 when the first line is not an HTTP one. */
export function parseHead(text: string): { status: number; headers: Record<string, string> } {
  const lines = text.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status, headers };
}

/**
 * The head of an answer once `buf` holds all of it (parsed, with the bytes that follow it), or
 * undefined while it is incomplete; throws when it grows past 64 KiB without ending.
 */
export function splitHead(buf: Buffer): { status: number; headers: Record<string, string>; rest: Buffer } | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length > MAX_HEAD) throw new Error('the engine sent an oversized response header');
    return undefined;
  }
  return { ...parseHead(buf.subarray(0, end).toString('latin1')), rest: buf.subarray(end + 4) };
}

/**
 * Feed it what the socket gives (push), then tell it the connection ended (end): it says when the
 * answer is complete, or why it is not a valid one.
 */
export class ResponseReader {
  private head: Buffer = Buffer.alloc(0);
  private status = 0;
  private headers: Record<string, string> | undefined;
  private readonly body: Buffer[] = [];
  private bodyLength = 0;
  private mode: 'length' | 'chunked' | 'close' | 'none' = 'close';
  private remaining = 0;
  /** chunked: the bytes not yet decoded (a size line or a chunk's trailing CRLF cut by a read). */
  private pending: Buffer = Buffer.alloc(0);
  private done = false;

  /** maxBody: MAX_BODY unless a caller (a test) wants a smaller cut. */
  constructor(
    private readonly method: string,
    private readonly maxBody = MAX_BODY,
  ) {}

  /** The answer once complete, undefined while more is to come; throws on a malformed one. */
  push(data: Buffer): ParsedResponse | undefined {
    if (this.done) return undefined;
    if (!this.headers) {
      this.head = Buffer.concat([this.head, data]);
      const head = splitHead(this.head);
      if (!head) return undefined;
      this.takeHead(head.status, head.headers);
      data = head.rest;
      this.head = Buffer.alloc(0);
    }
    return this.take(data);
  }

  /** The connection ended: the answer if it is complete that way; throws if it was cut short. */
  end(): ParsedResponse {
    if (this.done) throw new Error('the answer was already complete');
    if (!this.headers) throw new Error('the daemon closed the connection without answering');
    if (this.mode !== 'close') throw new Error('the daemon closed the connection before its answer was complete');
    return this.finish();
  }

  private takeHead(status: number, headers: Record<string, string>): void {
    if (status === 0) throw new Error('the engine sent something that is not an HTTP answer');
    this.status = status;
    this.headers = headers;
    if (this.method === 'HEAD' || this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200))
      this.mode = 'none';
    else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) this.mode = 'chunked';
    else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error('the engine sent an invalid Content-Length');
      this.mode = 'length';
      this.remaining = n;
    }
  }

  private take(data: Buffer): ParsedResponse | undefined {
    switch (this.mode) {
      case 'none':
        return this.finish();
      case 'close':
        this.add(data);
        return undefined;
      case 'length': {
        const part = data.subarray(0, this.remaining);
        this.add(part);
        this.remaining -= part.length;
        return this.remaining === 0 ? this.finish() : undefined;
      }
      case 'chunked':
        return this.chunks(data);
    }
  }

  /** chunked transfer coding: "<hex size>[;ext]\r\n<data>\r\n" ... "0\r\n" [trailers] "\r\n". */
  private chunks(data: Buffer): ParsedResponse | undefined {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    for (;;) {
      if (this.remaining > 0) {
        const part = buf.subarray(0, this.remaining);
        this.add(part);
        this.remaining -= part.length;
        buf = buf.subarray(part.length);
        if (this.remaining > 0) break;
        this.remaining = -2; // the chunk's own CRLF follows
      }
      if (this.remaining === -2) {
        if (buf.length < 2) break;
        if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw new Error('the engine sent a chunk longer than its size');
        buf = buf.subarray(2);
        this.remaining = 0;
      }
      const eol = buf.indexOf('\r\n');
      if (eol < 0) {
        if (buf.length > 1024) throw new Error('the engine sent an invalid chunk header');
        break;
      }
      const digits = buf.subarray(0, eol).toString('latin1').split(';')[0]?.trim() ?? '';
      const size = /^[0-9a-fA-F]{1,13}$/.test(digits) ? parseInt(digits, 16) : -1;
      if (size < 0) throw new Error('the engine sent an invalid chunk header');
      if (size === 0) {
        // The last chunk: whatever trailers follow end with an empty line; nothing in them is needed.
        const rest = buf.subarray(eol + 2);
        if (rest.indexOf('\r\n') === 0 || rest.indexOf('\r\n\r\n') >= 0) return this.finish();
        // Held until that line comes, as a head is: not without end.
        if (buf.length > MAX_HEAD) throw new Error('the engine sent oversized trailers');
        this.pending = buf;
        return undefined;
      }
      buf = buf.subarray(eol + 2);
      this.remaining = size;
    }
    this.pending = Buffer.from(buf);
    return undefined;
  }

  private add(part: Buffer): void {
    if (part.length === 0) return;
    if (this.bodyLength + part.length > this.maxBody) throw new Error(`the engine sent an answer over ${mib(this.maxBody)}`);
    this.body.push(part);
    this.bodyLength += part.length;
  }

  private finish(): ParsedResponse {
    this.done = true;
    return { status: this.status, headers: this.headers ?? {}, body: Buffer.concat(this.body, this.bodyLength) };
  }
}
