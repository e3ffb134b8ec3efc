import { Registry } from '../backends/registry.js';
import { DockerClient } from '../engine/docker-client.js';
import { endpointFromEnv } from '../engine/endpoint.js';
import { Inventory } from '../discovery/inventory.js';
import type { IO } from './io.js';

/** What commands need, built lazily so a command pays only for what it uses. */
export class Context {
  private dockerClient: DockerClient | undefined;
  private inv: Inventory | undefined;
  private reg: Registry | undefined;

  constructor(
    readonly io: IO,
    readonly debug: boolean,
  ) {}

  docker(): DockerClient {
    this.dockerClient ??= new DockerClient(endpointFromEnv(this.io.env), deadlineFromEnv(this.io.env));
    return this.dockerClient;
  }

  inventory(): Inventory {
    this.inv ??= new Inventory(this.docker());
    return this.inv;
  }

  registry(): Registry {
    this.reg ??= new Registry({ docker: this.docker() });
    return this.reg;
  }

  /** A line for --debug only. */
  trace(line: string): void {
    if (this.debug) this.io.stderr.write(`cx: debug: ${line}\n`);
  }

  close(): void {
    this.dockerClient?.close();
  }
}

/** CX_API_TIMEOUT_MS overrides the 2 s deadline on Engine API calls. */
function deadlineFromEnv(env: NodeJS.ProcessEnv): { deadlineMs?: number } {
  const v = Number(env['CX_API_TIMEOUT_MS']);
  return Number.isFinite(v) && v > 0 ? { deadlineMs: v } : {};
}
