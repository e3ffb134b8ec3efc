import type { DockerClient } from '../engine/docker-client.js';
import { describeHealth, type DaemonHealth } from '../engine/health.js';
import { BackendUnavailableError, UsageError } from '../errors.js';
import type { Container } from '../discovery/types.js';
import { sanitize } from '../util/sanitize.js';
import { DockerBackend } from './docker/backend.js';
import { NsenterBackend } from './nsenter/backend.js';
import { RuncBackend } from './runc/backend.js';
import { SshBackend } from './ssh/backend.js';
import type { Backend, BackendName } from './types.js';

/** What backends need from the outside world; built once per cx run. */
export interface BackendContext {
  docker: DockerClient;
  /** The daemon's health once learned (undefined before): docker is only usable when it is ok. */
  health?: () => DaemonHealth | undefined;
  /** One line on stderr (the fallback warning, what a backend skipped). */
  warn?: (line: string) => void;
  /** Only these backends (an engine on another machine: only docker can reach its containers). */
  only?: readonly BackendName[];
}

type Factory = (ctx: BackendContext) => Backend;

/** Name -> factory, in auto-selection order (best first). */
const FACTORIES: ReadonlyArray<[BackendName, Factory]> = [
  ['docker', (ctx) => new DockerBackend(ctx.docker, ctx.only === undefined)],
  ['runc', () => new RuncBackend()],
  ['nsenter', (ctx) => new NsenterBackend(ctx.warn)],
  ['ssh', () => new SshBackend()],
];

/**
 * Backends auto never picks: the ssh backend gives the container's SSH login (its own environment and
 * login set-up), not what docker exec gives, so it is used when asked for by name.
 */
const NOT_AUTO: ReadonlySet<BackendName> = new Set(['ssh']);

export const BACKEND_NAMES: readonly string[] = FACTORIES.map(([n]) => n);
export type BackendChoice = BackendName | 'auto';

export function parseBackendChoice(value: string): BackendChoice {
  if (value === 'auto' || BACKEND_NAMES.includes(value)) return value as BackendChoice;
  throw new UsageError(`unknown backend '${sanitize(value)}'`, `choose one of: auto, ${BACKEND_NAMES.join(', ')}`);
}

/** The chosen backend for a container, and why it was chosen (shown by --debug and doctor). */
export interface Selection {
  backend: Backend;
  why: string;
}

export class Registry {
  private readonly backends: Backend[];

  /** `backends` replaces the built-in ones (tests run the commands over in-memory backends). */
  constructor(
    private readonly ctx: BackendContext,
    backends?: readonly Backend[],
  ) {
    this.backends = backends
      ? [...backends]
      : FACTORIES.filter(([name]) => !ctx.only || ctx.only.includes(name)).map(([, make]) => make(ctx));
  }

  /**
   * The backend's own answer, except that docker needs a daemon that answers: with a frozen or
   * dead dockerd every API call would hang or fail, whatever the record says.
   */
  canEnter(backend: Backend, c: Container, explicit = false): { ok: boolean; reason: string } {
    const health = this.ctx.health?.();
    // Asked for by name, docker is tried on a daemon that is only silent (its process is not
    // stopped): a slow ping is no proof, and every API call keeps its own deadline.
    const tryAnyway = explicit && health?.state === 'frozen' && health.stopped !== true;
    if (backend.name === 'docker' && health && health.state !== 'ok' && !tryAnyway) return { ok: false, reason: describeHealth(health) };
    return backend.canEnter(c);
  }

  all(): readonly Backend[] {
    return this.backends;
  }

  get(name: BackendName): Backend {
    const b = this.backends.find((x) => x.name === name);
    if (!b) throw new UsageError(`unknown backend '${name}'`);
    return b;
  }

  /** Names of the backends that could enter this container (for `cx ls`). */
  usableFor(c: Container): BackendName[] {
    return this.backends.filter((b) => this.canEnter(b, c).ok).map((b) => b.name);
  }

  select(choice: BackendChoice, c: Container): Selection {
    if (choice !== 'auto') {
      const backend = this.get(choice);
      const can = this.canEnter(backend, c, true);
      if (!can.ok) {
        throw new BackendUnavailableError(`the ${choice} backend cannot enter ${sanitize(c.name)}: ${can.reason}`, {
          hint: 'try --backend auto, or see `cx doctor`',
        });
      }
      return { backend, why: `--backend ${choice}` };
    }
    const reasons: string[] = [];
    for (const backend of this.backends) {
      if (NOT_AUTO.has(backend.name)) continue;
      const can = this.canEnter(backend, c);
      if (can.ok) {
        const health = this.ctx.health?.();
        const why = `auto: ${backend.name} (${can.reason})${reasons.length ? `; not ${reasons.join('; not ')}` : ''}`;
        if (backend.name === 'docker' || !health || health.state === 'ok') return { backend, why };
        // Auto chose something other than docker because the daemon is not ok: say so once.
        this.ctx.warn?.(`${describeHealth(health)}: entering ${sanitize(c.name)} through ${backend.name}`);
        return { backend, why };
      }
      reasons.push(`${backend.name}: ${can.reason}`);
    }
    throw new BackendUnavailableError(`no backend can enter ${sanitize(c.name)} (${reasons.join('; ')})`, {
      hint: 'see `cx doctor` for what is missing',
    });
  }
}
