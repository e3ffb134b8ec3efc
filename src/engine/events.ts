import { CxError, EngineError } from '../errors.js';
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
  let close: (() => void) | undefined;
  const fail = (err: EngineError): void => {
    if (closed) return;
    closed = true;
    close?.();
    handlers.onError(err);
  };
  const filters = encodeURIComponent(JSON.stringify({ type: opts.types ?? ['container'] }));
  client.stream(`/events?filters=${filters}`, { deadlineMs: opts.deadlineMs ?? 2000 }).then(
    (stream) => {
      close = stream.close;
      if (closed) {
        stream.close();
        return;
      }
      handlers.onOpen?.();
      const res = stream.response;
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
    },
    (err: unknown) =>
      fail(
        err instanceof EngineError
          ? err
          : new EngineError(String(err), { cause: err, ...(err instanceof CxError && err.daemon ? { daemon: err.daemon } : {}) }),
      ),
  );

  return {
    close(): void {
      closed = true;
      close?.();
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
