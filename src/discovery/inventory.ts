import type { DockerClient } from '../engine/docker-client.js';
import { DEFAULT_SOCKET } from '../engine/endpoint.js';
import { daemonUnusableError, describeHealth, type DaemonHealth } from '../engine/health.js';
import { EngineError } from '../errors.js';
import { listFromContainerd, SYSTEM_CONTAINERD_STATE } from './containerd.js';
import { inspectContainer, listFromApi } from './docker-api.js';
import { listFromDisk } from './docker-disk.js';
import { mergeSources } from './merge.js';
import { listFromPodman, PODMAN_ROOTS, type PodmanRoots } from './podman.js';
import { scanProc } from './proc-scan.js';
import { resolveTarget } from './resolve.js';
import type { Container, Warn } from './types.js';
import path from 'node:path';

/** What the inventory reads; tests point the roots at fixture trees. */
export interface InventoryDeps {
  docker: DockerClient;
  /** The daemon's health, learned once per cx run. */
  health: () => Promise<DaemonHealth>;
  warn: Warn;
  podman?: PodmanRoots;
  /** containerd state roots besides dockerd's own (<exec-root>/containerd/daemon). */
  containerdStates?: string[];
  /**
   * The engine is another machine's (reached over ssh): only its API speaks for it. This machine's
   * disk, runtimes and /proc hold other containers, never listed or entered in its name.
   */
  engineOnly?: boolean;
}

/**
 * Every container cx can see, one record each, with provenance: the Engine API when dockerd
 * answers, else Docker's data-root checked against the runtime's state; always containerd task
 * bundles (Kubernetes, and the OCI runtime reference the runc backend needs) and podman's files;
 * /proc cgroups as the last resort when the engine's state cannot be found at all.
 */
export class Inventory {
  private all: Promise<Container[]> | undefined;

  constructor(private readonly deps: InventoryDeps) {}

  async list(opts: { all: boolean }): Promise<Container[]> {
    this.all ??= this.scan();
    const list = await this.all;
    return opts.all ? list : list.filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused');
  }

  /** Resolve what the user typed. With a live daemon, one inspect (plus the task bundle); else the merged list. */
  async resolve(target: string): Promise<Container> {
    const health = await this.deps.health();
    const typed = target.replace(/^\//, '');
    if (health.state === 'ok' && typed !== '' && !typed.includes('/')) {
      try {
        const c = await inspectContainer(this.deps.docker, typed);
        // Docker also accepts things cx does not (e.g. a prefix that is also a name); confirm the match.
        if (c.id === typed || c.name === typed || c.id.startsWith(typed.toLowerCase())) {
          if (this.deps.engineOnly) return c;
          return mergeSources([[c], await this.dockerTasks(health, c.id)])[0] ?? c;
        }
      } catch (err) {
        if (!(err instanceof EngineError) || err.statusCode === undefined) throw err;
      }
    }
    return resolveTarget(target, await this.list({ all: true }));
  }

  private containerdStates(health: DaemonHealth): string[] {
    const own = health.roots ? [path.join(health.roots.execRoot, 'containerd', 'daemon')] : [];
    return [...new Set([...own, ...(this.deps.containerdStates ?? [SYSTEM_CONTAINERD_STATE])])];
  }

  private async dockerTasks(health: DaemonHealth, id: string): Promise<Container[]> {
    const lists = await Promise.all(this.containerdStates(health).map((s) => listFromContainerd(s, this.deps.warn, { only: id })));
    return lists.flat();
  }

  private async scan(): Promise<Container[]> {
    const health = await this.deps.health();
    const { warn } = this.deps;
    // Refused by the socket and not root: the on-disk and runtime state is root's too, so a listing
    // would be empty and "no container named X" a lie. Say what is really wrong.
    if (health.state === 'denied' && process.getuid?.() !== 0) throw daemonUnusableError(health);
    if (this.deps.engineOnly) {
      if (health.state !== 'ok') throw daemonUnusableError(health);
      return listFromApi(this.deps.docker, { all: true });
    }
    const runtimes = Promise.all([
      ...this.containerdStates(health).map((s) => listFromContainerd(s, warn)),
      listFromPodman(this.deps.podman ?? PODMAN_ROOTS, warn),
    ]);
    let engine: Promise<Container[]>;
    if (health.state === 'ok') engine = listFromApi(this.deps.docker, { all: true });
    else if (health.roots) engine = listFromDisk(health.roots, warn);
    else if (health.socketPath === DEFAULT_SOCKET) {
      warn(`${describeHealth(health)}; its state dirs are unknown: listing containers recognised in /proc`);
      engine = scanProc();
    } else throw daemonUnusableError(health);
    const [fromEngine, fromRuntimes] = await Promise.all([engine, runtimes]);
    return mergeSources([fromEngine, ...fromRuntimes]);
  }
}
