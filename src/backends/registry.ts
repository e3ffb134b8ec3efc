import type { DockerClient } from '../engine/docker-client.js';
import { BackendUnavailableError, UsageError } from '../errors.js';
import type { Container } from '../discovery/types.js';
import { sanitize } from '../util/sanitize.js';
import { DockerBackend } from './docker/backend.js';
import type { Backend, BackendName } from './types.js';

/** What backends need from the outside world; built once per cx run. */
export interface BackendContext {
  docker: DockerClient;
}

type Factory = (ctx: BackendContext) => Backend;

/** Name -> factory, in auto-selection order (best first). */
const FACTORIES: ReadonlyArray<[BackendName, Factory]> = [['docker', (ctx) => new DockerBackend(ctx.docker)]];

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

  constructor(ctx: BackendContext) {
    this.backends = FACTORIES.map(([, make]) => make(ctx));
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
    return this.backends.filter((b) => b.canEnter(c).ok).map((b) => b.name);
  }

  select(choice: BackendChoice, c: Container): Selection {
    if (choice !== 'auto') {
      const backend = this.get(choice);
      const can = backend.canEnter(c);
      if (!can.ok) {
        throw new BackendUnavailableError(`the ${choice} backend cannot enter ${sanitize(c.name)}: ${can.reason}`, {
          hint: 'try --backend auto, or see `cx doctor`',
        });
      }
      return { backend, why: `--backend ${choice}` };
    }
    const reasons: string[] = [];
    for (const backend of this.backends) {
      const can = backend.canEnter(c);
      if (can.ok) return { backend, why: `auto: ${backend.name} (${can.reason})` };
      reasons.push(`${backend.name}: ${can.reason}`);
    }
    throw new BackendUnavailableError(`no backend can enter ${sanitize(c.name)} (${reasons.join('; ')})`, {
      hint: 'see `cx doctor` for what is missing',
    });
  }
}
