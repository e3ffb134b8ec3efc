import http from 'node:http';
import { CxError, EngineError } from '../errors.js';
import { troubleOfConnect } from './daemon-state.js';
import type { DockerClient } from './docker-client.js';

/** One entry of the Engine API's event stream (the fields cx reads). */
export interface EngineEvent {
  /** "container", "image", "network", ... */
  type: string;
  /** "start", "die", "destroy", "exec_create: sh", ... */
  action: string;
  /** The object's id (the container id for container events). */
  id: string;
  /** The container's name when the daemon sent one. Untrusted: sanitize before printing. */
  name: string | undefined;
  /** Seconds since the epoch. */
  time: number | undefined;
}

export interface EventStreamHandlers {
  /** The daemon answered: events flow from here on. */
  onOpen?(): void;
  onEvent(event: EngineEvent): void;
  /** The stream could not be opened or ended; fires once, and nothing fires after it. */
  onError(err: EngineError): void;
}

export interface EventStream {
  close(): void;
}

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
}

/**
 * Follow GET /v{api}/events (NDJSON) over the unix socket, container events only by default. The
 * daemon's answer to the request has a deadline (a frozen daemon accepts and never answers); once the
 * stream is open it may stay silent for hours, so there is no idle timeout. Parsing is line-based and
 * tolerant: a line that is not JSON is skipped.
 */
export function streamEvents(
  client: DockerClient,
  handlers: EventStreamHandlers,
  opts: { types?: string[]; deadlineMs?: number } = {},
): EventStream {
  let closed = false;
  let req: http.ClientRequest | undefined;
  const deadlineMs = opts.deadlineMs ?? 2000;
  const fail = (err: EngineError): void => {
    if (closed) return;
    closed = true;
    req?.destroy();
    handlers.onError(err);
  };

  client.apiVersion().then(
    (version) => {
      if (closed) return;
      const filters = encodeURIComponent(JSON.stringify({ type: opts.types ?? ['container'] }));
      const path = `/v${version}/events?filters=${filters}`;
      req = http.request({ socketPath: client.endpoint.socketPath, method: 'GET', path, agent: false, headers: { Host: 'docker' } });
      const timer = setTimeout(
        () => fail(new EngineError(`dockerd did not answer GET /events within ${(deadlineMs / 1000).toFixed(1)} s`, { daemon: 'frozen' })),
        deadlineMs,
      );
      req.on('error', (err) => {
        clearTimeout(timer);
        const daemon = troubleOfConnect((err as NodeJS.ErrnoException).code);
        fail(err instanceof EngineError ? err : new EngineError(`event stream: ${err.message}`, { cause: err, ...(daemon ? { daemon } : {}) }));
      });
      req.on('response', (res) => {
        clearTimeout(timer);
        if (res.statusCode !== 200) {
          res.resume();
          fail(new EngineError(`dockerd answered ${res.statusCode} to GET /events`, { statusCode: res.statusCode }));
          return;
        }
        handlers.onOpen?.();
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          pending += chunk;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            const event = line === '' ? undefined : parseEvent(line);
            if (event && !closed) handlers.onEvent(event);
          }
        });
        res.on('end', () => fail(new EngineError('dockerd closed the event stream')));
        res.on('error', (err) => fail(new EngineError(`event stream: ${err.message}`, { cause: err })));
      });
      req.end();
    },
    (err: unknown) =>
      fail(err instanceof EngineError ? err : new EngineError(String(err), { cause: err, ...(err instanceof CxError && err.daemon ? { daemon: err.daemon } : {}) })),
  );

  return {
    close(): void {
      closed = true;
      req?.destroy();
    },
  };
}

/** One NDJSON line into an EngineEvent; undefined when it is not an event object. */
export function parseEvent(line: string): EngineEvent | undefined {
  let raw: RawEvent;
  try {
    raw = JSON.parse(line) as RawEvent;
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const action = raw.Action ?? raw.status;
  const id = raw.Actor?.ID ?? raw.id;
  if (typeof action !== 'string' || typeof id !== 'string') return undefined;
  return {
    type: raw.Type ?? 'container',
    action,
    id,
    name: raw.Actor?.Attributes?.['name'],
    time: typeof raw.time === 'number' ? raw.time : undefined,
  };
}
