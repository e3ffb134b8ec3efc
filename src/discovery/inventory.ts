import type { DockerClient } from '../engine/docker-client.js';
import { EngineError } from '../errors.js';
import { inspectContainer, listFromApi } from './docker-api.js';
import { resolveTarget } from './resolve.js';
import type { Container } from './types.js';

/**
 * Every container cx can see. Today one source (the Engine API); the on-disk, runtime and /proc
 * sources plug in here, so callers never care where a record came from.
 */
export class Inventory {
  constructor(private readonly docker: DockerClient) {}

  list(opts: { all: boolean }): Promise<Container[]> {
    return listFromApi(this.docker, opts);
  }

  /** Resolve what the user typed. Fast path: one inspect; on a miss, list everything and explain. */
  async resolve(target: string): Promise<Container> {
    const typed = target.replace(/^\//, '');
    if (typed !== '' && !typed.includes('/')) {
      try {
        const c = await inspectContainer(this.docker, typed);
        // Docker also accepts things cx does not (e.g. a prefix that is also a name); confirm the match.
        if (c.id === typed || c.name === typed || c.id.startsWith(typed.toLowerCase())) return c;
      } catch (err) {
        if (!(err instanceof EngineError) || err.statusCode === undefined) throw err;
      }
    }
    return resolveTarget(target, await this.list({ all: true }));
  }
}
