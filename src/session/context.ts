import { Registry } from '../backends/registry.js';
import { DockerClient } from '../engine/docker-client.js';
import { endpointFromEnv } from '../engine/endpoint.js';
import { checkDaemon, describeHealth, type DaemonHealth } from '../engine/health.js';
import { locateDockerRoots, type DockerRoots } from '../host/docker-roots.js';
import { Inventory } from '../discovery/inventory.js';
import { sanitize } from '../util/sanitize.js';
import type { IO } from './io.js';

/** What commands need, built lazily so a command pays only for what it uses. */
export class Context {
  private dockerClient: DockerClient | undefined;
  private inv: Inventory | undefined;
  private reg: Registry | undefined;
  private healthCheck: Promise<DaemonHealth> | undefined;
  private rootsLookup: Promise<DockerRoots | undefined> | undefined;
  private knownHealth: DaemonHealth | undefined;
  private readonly warned = new Set<string>();

  constructor(
    readonly io: IO,
    readonly debug: boolean,
  ) {}

  docker(): DockerClient {
    this.dockerClient ??= new DockerClient(endpointFromEnv(this.io.env), {
      ...deadlineFromEnv(this.io.env),
      ...(this.debug ? { trace: (l: string) => this.trace(sanitize(l)) } : {}),
    });
    return this.dockerClient;
  }

  /** The daemon's state, learned once per run (about 1.5 s at worst), so no later call waits on a hung daemon. */
  health(): Promise<DaemonHealth> {
    const ping = Number(this.io.env['CX_PING_TIMEOUT_MS']);
    const opts = Number.isFinite(ping) && ping > 0 ? { deadlineMs: ping } : {};
    if (!this.healthCheck) this.trace('api GET /_ping (health check)');
    this.healthCheck ??= checkDaemon(this.docker().endpoint.socketPath, { ...opts, locate: () => this.roots() }).then((h) => {
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
    this.rootsLookup ??= locateDockerRoots(this.docker().endpoint.socketPath, { note: (l) => this.trace(sanitize(l)) })
      .catch(() => undefined)
      .then((r) => {
        this.trace(`state roots: ${r ? `${r.dataRoot}, ${r.execRoot} (${r.how})` : 'unknown'}`);
        return r;
      });
    return this.rootsLookup;
  }

  inventory(): Inventory {
    this.inv ??= new Inventory({ docker: this.docker(), health: () => this.health(), roots: () => this.roots(), warn: (l) => this.warn(l) });
    return this.inv;
  }

  registry(): Registry {
    this.reg ??= new Registry({ docker: this.docker(), health: () => this.knownHealth, warn: (l) => this.warn(l) });
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

/** CX_API_TIMEOUT_MS overrides the 2 s deadline on Engine API calls. */
function deadlineFromEnv(env: NodeJS.ProcessEnv): { deadlineMs?: number } {
  const v = Number(env['CX_API_TIMEOUT_MS']);
  return Number.isFinite(v) && v > 0 ? { deadlineMs: Math.min(v, MAX_TIMER_MS) } : {};
}
