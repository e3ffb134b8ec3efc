import { Registry } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { DockerClient } from '../engine/docker-client.js';
import { endpointFromEnv } from '../engine/endpoint.js';
import { checkDaemon, describeHealth, type DaemonHealth } from '../engine/health.js';
import { locateDockerRoots, type DockerRoots } from '../host/docker-roots.js';
import { Inventory, type ContainerLookup } from '../discovery/inventory.js';
import { sanitize } from '../util/sanitize.js';
import type { IO } from './io.js';

/**
 * Parts a Context uses instead of the real ones: how tests run the commands in-process over an
 * in-memory world (the in-memory containers and backends, a fixed daemon health).
 */
export interface ContextParts {
  inventory?: ContainerLookup;
  backends?: readonly Backend[];
  health?: DaemonHealth;
}

/** What commands need, built lazily so a command pays only for what it uses. */
export class Context {
  private dockerClient: DockerClient | undefined;
  private inv: ContainerLookup | undefined;
  private reg: Registry | undefined;
  private healthCheck: Promise<DaemonHealth> | undefined;
  private rootsLookup: Promise<DockerRoots | undefined> | undefined;
  /** cx doctor: the state roots are looked up with every check made again (no remembered daemon). */
  private freshRoots = false;
  private knownHealth: DaemonHealth | undefined;
  private readonly warned = new Set<string>();

  constructor(
    readonly io: IO,
    readonly debug: boolean,
    private readonly parts: ContextParts = {},
    /** The engine is another machine's, reached through a local socket: only its API and docker exec. */
    readonly engineOnly = false,
  ) {
    this.inv = parts.inventory;
    if (parts.health) {
      this.knownHealth = parts.health;
      this.healthCheck = Promise.resolve(parts.health);
    }
  }

  docker(): DockerClient {
    const deadline = this.engineOnly ? { deadlineMs: relayDeadline(this.io.env) } : deadlineFromEnv(this.io.env, 'CX_API_TIMEOUT_MS');
    this.dockerClient ??= new DockerClient(endpointFromEnv(this.io.env), {
      ...deadline,
      ...(this.debug ? { trace: (l: string) => this.trace(sanitize(l)) } : {}),
      pooled: this.engineOnly,
    });
    return this.dockerClient;
  }

  /** The daemon's state, learned once per run (about 1.5 s at worst), so no later call waits on a hung daemon. */
  health(check: { complete?: boolean } = {}): Promise<DaemonHealth> {
    // Through the ssh relay every connection is a new `docker system dial-stdio` on the remote: the
    // deadlines are the ssh one, not the local socket's.
    const opts = this.engineOnly ? { deadlineMs: relayDeadline(this.io.env) } : deadlineFromEnv(this.io.env, 'CX_PING_TIMEOUT_MS');
    if (!this.healthCheck) this.trace('api GET /_ping (health check)');
    if (check.complete) this.freshRoots = true;
    // complete: the first caller decides (cx doctor asks for the daemon's process even when it answers).
    this.healthCheck ??= checkDaemon(this.docker().endpoint.socketPath, { ...opts, ...check, locate: () => this.roots() }).then((h) => {
      this.knownHealth = h;
      if (h.state === 'ok' && h.apiVersion) this.docker().adoptServerVersion(h.apiVersion);
      this.trace(`${describeHealth(h)} in ${h.elapsedMs} ms`);
      return h;
    });
    return this.healthCheck;
  }

  /**
   * Where the engine behind the socket keeps its state, found from its trusted dockerd process (or
   * the remembered or default roots) without asking the daemon anything: what a daemon-less
   * backend needs, and the health check's own lookup (done once per run, shared).
   */
  roots(): Promise<DockerRoots | undefined> {
    this.rootsLookup ??= locateDockerRoots(this.docker().endpoint.socketPath, {
      note: (l) => this.trace(sanitize(l)),
      fresh: this.freshRoots,
    })
      .catch(() => undefined)
      .then((r) => {
        this.trace(`state roots: ${r ? `${r.dataRoot}, ${r.execRoot} (${r.how})` : 'unknown'}`);
        return r;
      });
    return this.rootsLookup;
  }

  inventory(): ContainerLookup {
    this.inv ??= new Inventory({
      docker: this.docker(),
      health: () => this.health(),
      roots: () => this.roots(),
      warn: (l) => this.warn(l),
      engineOnly: this.engineOnly,
    });
    return this.inv;
  }

  registry(): Registry {
    this.reg ??= new Registry(
      {
        docker: this.docker(),
        health: () => this.knownHealth,
        warn: (l) => this.warn(l),
        ...(this.engineOnly ? { only: ['docker'] as const } : {}),
      },
      this.parts.backends,
    );
    return this.reg;
  }

  /** One line on stderr, once per run per text. Text from disk is untrusted: sanitized here. */
  warn(line: string): void {
    if (this.warned.has(line)) return;
    this.warned.add(line);
    this.io.stderr.write(`cx: warning: ${sanitize(line)}\n`);
  }

  /** A line for --debug only. */
  trace(line: string): void {
    if (this.debug) this.io.stderr.write(`cx: debug: ${line}\n`);
  }

  close(): void {
    this.dockerClient?.close();
  }
}

/** Node's timers take at most 2^31-1 ms (about 24.8 days); a larger value would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** An engine behind the ssh relay: CX_SSH_TIMEOUT_MS (default 8 s), as for everything over ssh. */
function relayDeadline(env: NodeJS.ProcessEnv): number {
  return deadlineFromEnv(env, 'CX_SSH_TIMEOUT_MS').deadlineMs ?? 8000;
}

/** A deadline in ms from the environment (CX_API_TIMEOUT_MS for API calls, CX_PING_TIMEOUT_MS for the health ping). */
function deadlineFromEnv(env: NodeJS.ProcessEnv, name: string): { deadlineMs?: number } {
  const v = Number(env[name]);
  return Number.isFinite(v) && v > 0 ? { deadlineMs: Math.min(v, MAX_TIMER_MS) } : {};
}
