import type http from 'node:http';
import net from 'node:net';
import { EngineError, PermissionError } from '../errors.js';
import { TROUBLE_TEXT, troubleOfConnect } from './daemon-state.js';
import type { EngineEndpoint } from './endpoint.js';
import { MAX_BODY, mib, parseHead, requestHead, ResponseReader, splitHead } from './http1.js';

/** The newest API version cx speaks; the daemon's own may be lower (negotiated through /_ping). */
export const CLIENT_API_VERSION = '1.45';
/** Below this the exec endpoints lack Env/WorkingDir. */
export const MIN_API_VERSION = '1.25';
/** Every request has a deadline (not an idle timeout): a frozen daemon accepts and never answers. */
export const DEFAULT_DEADLINE_MS = 2000;

export interface EngineResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  body?: unknown;
  deadlineMs?: number;
  /** Statuses that are answers rather than failures (default: 2xx). */
  accept?: (status: number) => boolean;
  /**
   * Send the path without the negotiated /vX prefix (the daemon answers at its own API version), so
   * the request need not wait for a /_ping: for a read sent alongside the health check.
   */
  unversioned?: boolean;
}

export interface PingResult {
  apiVersion: string;
  serverApiVersion: string;
}

/** A hijacked exec stream: the raw socket, with any bytes that arrived with the headers put back. */
export interface HijackedStream {
  socket: net.Socket;
  status: number;
}

/**
 * The one deadline mechanism for every exchange with the daemon (plain calls, hijacked exec
 * streams, the event stream, the health ping). A frozen daemon accepts connections and never
 * answers, so each exchange gets a deadline (not an idle timeout) until its answer's headers
 * arrive; `expire` runs once unless the returned clear function ran first.
 */
export function deadline(ms: number, expire: () => void): () => void {
  const timer = setTimeout(expire, ms);
  return () => clearTimeout(timer);
}

export type PingOutcome =
  | { kind: 'answer'; status: number; apiVersion: string | undefined }
  | { kind: 'timeout'; connected: boolean }
  | { kind: 'error'; code: string; message: string };

/**
 * GET /_ping on a raw socket we can abandon at once (a frozen daemon never answers): the health
 * check's probe, which tells (in `connected`) a connect that never completed from an answer that
 * never came. One deadline for both: a loaded host may be slow to accept, too.
 */
export function rawPing(socketPath: string, deadlineMs: number): { result: Promise<PingOutcome>; cancel: () => void } {
  const socket = net.connect(socketPath);
  let connected = false;
  let settle: (o: PingOutcome) => void = () => undefined;
  const result = new Promise<PingOutcome>((resolve) => {
    settle = (o) => {
      clearAnswer();
      socket.destroy();
      resolve(o);
    };
  });
  const clearAnswer = deadline(deadlineMs, () => settle({ kind: 'timeout', connected }));
  let head = '';
  socket.on('connect', () => {
    connected = true;
    socket.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
  });
  socket.on('data', (d: Buffer) => {
    head += d.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    const { status, headers } = parseHead(head.slice(0, end));
    settle({ kind: 'answer', status, apiVersion: headers['api-version'] });
  });
  socket.on('error', (err: NodeJS.ErrnoException) => settle({ kind: 'error', code: err.code ?? '', message: err.message }));
  socket.on('end', () => settle({ kind: 'error', code: 'EOF', message: 'the daemon closed the connection without answering' }));
  return { result, cancel: () => settle({ kind: 'timeout', connected }) };
}

export function compareApiVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am !== bm ? am - bm : an - bn;
}

/**
 * A small Engine API client over the unix socket. Kept in-house: hijacking, half-close and deadlines
 * must be exactly right, and dockerode's modem gets each of them wrong.
 */
export class DockerClient {
  readonly endpoint: EngineEndpoint;
  private readonly deadlineMs: number;
  private version: Promise<PingResult> | undefined;
  private readonly trace: ((line: string) => void) | undefined;
  private readonly pooled: boolean;
  /** The most an answer held in memory may carry (http1.ts MAX_BODY). */
  private readonly maxBody: number;
  private agentMade: http.Agent | undefined;

  /**
   * trace: told of every request as it is sent (--debug shows which calls a run made).
   * pooled: keep connections open between calls (node:http's keep-alive agent). For an engine behind
   * the ssh relay, where every new connection is a new `docker system dial-stdio` on the remote;
   * a local socket connects in microseconds and is used one connection per call.
   */
  constructor(
    endpoint: EngineEndpoint,
    opts: { deadlineMs?: number; trace?: (line: string) => void; pooled?: boolean; maxBody?: number } = {},
  ) {
    this.endpoint = endpoint;
    this.deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.trace = opts.trace;
    this.pooled = opts.pooled === true;
    this.maxBody = opts.maxBody ?? MAX_BODY;
  }

  private get agent(): http.Agent {
    this.agentMade ??= new (httpModule().Agent)({ keepAlive: true, maxSockets: 8 });
    return this.agentMade;
  }

  /** GET /_ping once per client; the negotiated version prefixes every later path. */
  ping(): Promise<PingResult> {
    this.version ??= this.raw('GET', '/_ping').then((res) => negotiate(headerValue(res.headers['api-version']) ?? MIN_API_VERSION));
    this.version.catch(() => {
      this.version = undefined;
    });
    return this.version;
  }

  /** Take the server's version from a /_ping someone else already made (the health check). */
  adoptServerVersion(server: string): void {
    if (this.version) return;
    const result = Promise.resolve().then(() => negotiate(server));
    result.catch(() => undefined);
    this.version = result;
  }

  async apiVersion(): Promise<string> {
    return (await this.ping()).apiVersion;
  }

  /** A versioned API call; non-accepted statuses become EngineErrors carrying the daemon's message. */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<EngineResponse> {
    const res = await this.raw(method, opts.unversioned ? path : `/v${await this.apiVersion()}${path}`, opts);
    const ok = opts.accept ?? ((s: number) => s >= 200 && s < 300);
    if (!ok(res.status)) throw engineStatusError(method, path, res);
    return res;
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.call(method, path, opts);
    if (res.body.length === 0) return undefined as T;
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  /**
   * One HTTP request with a hard deadline on the whole exchange, on a connection of its own (a unix
   * socket connect costs microseconds; no keep-alive pool, no node:http: see http1.ts).
   */
  raw(method: string, path: string, opts: RequestOptions = {}): Promise<EngineResponse> {
    const deadlineMs = opts.deadlineMs ?? this.deadlineMs;
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    this.trace?.(`api ${method} ${path}`);
    if (this.pooled) return this.pooledCall(method, path, payload, deadlineMs);
    return new Promise<EngineResponse>((resolve, reject) => {
      const socket = net.connect(this.endpoint.socketPath);
      const reader = new ResponseReader(method, this.maxBody);
      let settled = false;
      const settle = (err: Error | undefined, res?: EngineResponse): void => {
        if (settled) return;
        settled = true;
        clear();
        socket.destroy();
        if (err) reject(err);
        else resolve(res as EngineResponse);
      };
      const clear = deadline(deadlineMs, () => settle(this.deadlineError(method, path, deadlineMs)));
      const broken = (err: unknown): void => settle(this.answerError(method, path, (err as Error).message));
      // Not end(): dockerd takes a half-closed connection for a client that went away and may cancel the request.
      socket.on('connect', () =>
        socket.write(
          payload ? Buffer.concat([Buffer.from(requestHead(method, path, payload)), payload]) : requestHead(method, path, undefined),
        ),
      );
      socket.on('data', (chunk: Buffer) => {
        try {
          const res = reader.push(chunk);
          if (res) settle(undefined, res);
        } catch (err) {
          broken(err);
        }
      });
      socket.on('end', () => {
        try {
          settle(undefined, reader.end());
        } catch (err) {
          broken(err);
        }
      });
      socket.on('error', (err: NodeJS.ErrnoException) => settle(this.connectError(err)));
    });
  }

  /** An answer that could not be taken (malformed, cut, too large), worded the same by both clients. */
  private answerError(method: string, path: string, why: string): EngineError {
    return new EngineError(`dockerd's answer to ${method} ${path.split('?')[0]}: ${why}`);
  }

  /** raw() through node:http's keep-alive agent (the ssh relay: see the constructor). */
  private pooledCall(method: string, path: string, payload: Buffer | undefined, deadlineMs: number): Promise<EngineResponse> {
    return new Promise<EngineResponse>((resolve, reject) => {
      const req = httpModule().request({
        socketPath: this.endpoint.socketPath,
        agent: this.agent,
        method,
        path,
        headers: {
          Host: 'docker',
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
        },
      });
      const clear = deadline(deadlineMs, () => req.destroy(this.deadlineError(method, path, deadlineMs)));
      req.on('error', (err) => {
        clear();
        reject(err instanceof EngineError ? err : this.connectError(err));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.maxBody) {
            clear();
            req.destroy();
            reject(this.answerError(method, path, `the engine sent an answer over ${mib(this.maxBody)}`));
          } else chunks.push(c);
        });
        res.on('error', (err) => {
          clear();
          reject(this.connectError(err));
        });
        res.on('end', () => {
          clear();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.end(payload);
    });
  }

  /**
   * POST and take over the connection (exec start). The daemon answers 101 UPGRADED, or 200 OK on old
   * daemons, then the raw stream follows on the same socket. The deadline covers the headers only.
   */
  async hijack(path: string, body: unknown, opts: { deadlineMs?: number } = {}): Promise<HijackedStream> {
    const v = await this.apiVersion();
    const fullPath = `/v${v}${path}`;
    const deadlineMs = opts.deadlineMs ?? this.deadlineMs;
    const payload = Buffer.from(JSON.stringify(body));
    this.trace?.(`api POST ${fullPath} (hijack)`);
    return new Promise<HijackedStream>((resolve, reject) => {
      const socket = net.connect(this.endpoint.socketPath);
      let head = Buffer.alloc(0);
      const clear = deadline(deadlineMs, () => fail(this.deadlineError('POST', path, deadlineMs)));
      const fail = (err: Error): void => {
        clear();
        socket.destroy();
        reject(err);
      };
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        let answer: ReturnType<typeof splitHead>;
        try {
          answer = splitHead(head);
        } catch (err) {
          fail(new EngineError((err as Error).message));
          return;
        }
        if (!answer) return;
        socket.off('data', onData);
        socket.off('error', onError);
        clear();
        const { status, rest } = answer;
        if (status === 101 || status === 200) {
          socket.pause();
          if (rest.length > 0) socket.unshift(rest);
          resolve({ socket, status });
          return;
        }
        // An error answer: collect its (short) body for the message, then fail.
        collectRest(socket, rest, deadlineMs).then((bodyBuf) => {
          const err = engineStatusError('POST', path, { status, headers: {}, body: bodyBuf });
          fail(err);
        }, fail);
      };
      const onError = (err: Error): void => fail(this.connectError(err));
      socket.on('data', onData);
      socket.on('error', onError);
      socket.write(
        `POST ${fullPath} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n` +
          `Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: ${payload.length}\r\n\r\n`,
      );
      socket.write(payload);
    });
  }

  /**
   * A versioned GET answered by a long stream (the events): the deadline covers the status line and
   * headers only, since the stream may then stay quiet for hours. A non-200 answer is an EngineError
   * with the daemon's message. close() ends the stream.
   */
  async stream(path: string, opts: { deadlineMs?: number } = {}): Promise<{ response: http.IncomingMessage; close(): void }> {
    const v = await this.apiVersion();
    const deadlineMs = opts.deadlineMs ?? this.deadlineMs;
    return new Promise((resolve, reject) => {
      const req = httpModule().request({
        socketPath: this.endpoint.socketPath,
        method: 'GET',
        path: `/v${v}${path}`,
        agent: false,
        headers: { Host: 'docker' },
      });
      const clear = deadline(deadlineMs, () => req.destroy(this.deadlineError('GET', path, deadlineMs)));
      req.on('error', (err) => {
        clear();
        reject(err instanceof EngineError ? err : this.connectError(err));
      });
      req.on('response', (res) => {
        clear();
        if (res.statusCode === 200) {
          resolve({ response: res, close: () => req.destroy() });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => undefined);
        res.on('end', () =>
          reject(engineStatusError('GET', path, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })),
        );
      });
      req.end();
    });
  }

  /** Lets go of pooled connections (unpooled calls close theirs with their answer). */
  close(): void {
    this.agentMade?.destroy();
  }

  private deadlineError(method: string, path: string, deadlineMs: number): EngineError {
    const request = `${method} ${path.split('?')[0]}`;
    const waited = `${(deadlineMs / 1000).toFixed(1)} s`;
    return new EngineError(
      `dockerd accepted the connection on ${this.endpoint.socketPath} but did not answer ${request} within ${waited}`,
      { hint: 'the daemon looks hung: check `cx doctor`, or retry with another backend (--backend)', daemon: 'frozen' },
    );
  }

  private connectError(err: NodeJS.ErrnoException): EngineError | PermissionError {
    const sock = this.endpoint.socketPath;
    const daemon = troubleOfConnect(err.code);
    switch (daemon) {
      case 'absent':
        return new EngineError(`${TROUBLE_TEXT.absent} at ${sock}`, {
          hint: 'start dockerd, or point DOCKER_HOST=unix://... at its socket',
          cause: err,
          daemon,
        });
      case 'dead':
        return new EngineError(`${TROUBLE_TEXT.dead}: ${sock} refuses connections`, {
          hint: 'start dockerd (the socket file is left over from a daemon that died)',
          cause: err,
          daemon,
        });
      case 'denied':
        return new PermissionError(`permission denied on ${sock}`, {
          hint: 'run cx as root or as a member of the docker group',
          cause: err,
          daemon,
        });
      default:
        return new EngineError(`cannot talk to dockerd on ${sock}: ${err.message}`, { cause: err });
    }
  }
}

function negotiate(server: string): PingResult {
  if (compareApiVersions(server, MIN_API_VERSION) < 0) {
    throw new EngineError(`the engine speaks API ${server}, cx needs ${MIN_API_VERSION} or newer`);
  }
  const apiVersion = compareApiVersions(server, CLIENT_API_VERSION) < 0 ? server : CLIENT_API_VERSION;
  return { apiVersion, serverApiVersion: server };
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

function collectRest(socket: net.Socket, first: Buffer, deadlineMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks = [first];
    const done = (): void => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, Math.min(deadlineMs, 500));
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // Error bodies are one short JSON object; stop as soon as it is complete.
      if (Buffer.concat(chunks).includes('}')) done();
    });
    socket.on('end', done);
    socket.on('error', done);
    socket.resume();
  });
}

/** The daemon's own message from an error body ({"message": "..."}), else the raw text. */
export function engineMessage(body: Buffer): string {
  const text = body.toString('utf8');
  const jsonStart = text.indexOf('{');
  if (jsonStart >= 0) {
    try {
      const parsed = JSON.parse(text.slice(jsonStart)) as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON: fall through to the raw text
    }
  }
  return text.trim();
}

export function engineStatusError(method: string, path: string, res: EngineResponse): EngineError {
  const message = engineMessage(res.body) || `HTTP ${res.status}`;
  return new EngineError(`dockerd: ${message}`, { statusCode: res.status, hint: `${method} ${path.split('?')[0]} failed` });
}

/**
 * node:http, loaded when the first request is made rather than with this module: its first load
 * costs milliseconds that the daemon-less backends (nsenter, runc), which never make a request,
 * would pay on every exec.
 */
function httpModule(): typeof http {
  return process.getBuiltinModule('node:http');
}
