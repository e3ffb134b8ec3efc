import type { DockerClient } from '../engine/docker-client.js';
import { DEFAULT_SOCKET } from '../engine/endpoint.js';
import { daemonUnusableError, describeHealth, type DaemonHealth } from '../engine/health.js';
import { EngineError } from '../errors.js';
import { listFromContainerd, SYSTEM_CONTAINERD_STATE } from './containerd.js';
import { inspectContainer, listFromApi, type ListItem } from './docker-api.js';
import { listFromDisk, readDiskRecord } from './docker-disk.js';
import { sanitize } from '../util/sanitize.js';
import { mergeSources } from './merge.js';
import { listFromPodman, PODMAN_ROOTS, type PodmanRoots } from './podman.js';
import { scanProc } from './proc-scan.js';
import { resolveTarget } from './resolve.js';
import type { Container, Warn } from './types.js';
import { isUp } from './container-state.js';
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
/** Finding containers: the Inventory, or an in-memory list in tests. */
export interface ContainerLookup {
  /** Every container cx can see (stopped ones with `all`). */
  list(opts: { all: boolean }): Promise<Container[]>;
  /** The one container a target names; NotFoundError or AmbiguousTargetError otherwise. */
  resolve(target: string, opts?: { api?: boolean | 'try' }): Promise<Container>;
}

export class Inventory implements ContainerLookup {
  private all: Promise<Container[]> | undefined;
  private withoutApi: Promise<Container[]> | undefined;

  constructor(private readonly deps: InventoryDeps) {}

  /** api: false reads only files (a daemon-less backend was asked for: never wait on dockerd). */
  async list(opts: { all: boolean; api?: boolean }): Promise<Container[]> {
    const list = await (opts.api === false ? (this.withoutApi ??= this.scan(false)) : (this.all ??= this.scan(true)));
    return opts.all ? list : list.filter((c) => isUp(c.state));
  }

  /**
   * Resolve what the user typed. With a live daemon, one inspect (plus the task bundle); else the
   * merged list. An inspect that does not answer (the container is wedged in dockerd) falls back to
   * the files, marked stuck; with api: false the daemon is not asked at all.
   */
  async resolve(target: string, opts: { api?: boolean | 'try' } = {}): Promise<Container> {
    const health = await this.deps.health();
    const typed = target.replace(/^\//, '');
    // 'try': the docker backend was asked for by name; a daemon that is only silent is still asked.
    const ask = health.state === 'ok' || (opts.api === 'try' && health.state === 'frozen' && health.stopped !== true);
    if (opts.api !== false && ask && typed !== '' && !typed.includes('/')) {
      try {
        const c = await inspectContainer(this.deps.docker, typed);
        // Docker also accepts things cx does not (e.g. a prefix that is also a name); confirm the match.
        if (c.id === typed || c.name === typed || c.id.startsWith(typed.toLowerCase())) {
          if (this.deps.engineOnly) return c;
          return mergeSources([[c], await this.dockerTasks(health, c.id)])[0] ?? c;
        }
      } catch (err) {
        if (!(err instanceof EngineError)) throw err;
        if (err.statusCode === undefined) {
          this.deps.warn(`${err.message}: looking ${sanitize(typed)} up in the on-disk and runtime state instead`);
          const c = resolveTarget(target, await this.list({ all: true, api: false }));
          return { ...c, stuck: err.message };
        }
      }
    }
    return resolveTarget(target, await this.list({ all: true, api: opts.api !== false }));
  }

  private containerdStates(health: DaemonHealth): string[] {
    const own = health.roots ? [path.join(health.roots.execRoot, 'containerd', 'daemon')] : [];
    return [...new Set([...own, ...(this.deps.containerdStates ?? [SYSTEM_CONTAINERD_STATE])])];
  }

  private async dockerTasks(health: DaemonHealth, id: string): Promise<Container[]> {
    const lists = await Promise.all(this.containerdStates(health).map((s) => listFromContainerd(s, this.deps.warn, { only: id })));
    return lists.flat();
  }

  /** A wedged container's stand-in: its on-disk record (when the state dirs are known). */
  private async stuckRecord(health: DaemonHealth, item: ListItem, why: string): Promise<Container | undefined> {
    const name = sanitize((item.Names?.[0] ?? item.Id.slice(0, 12)).replace(/^\//, ''));
    const disk = health.roots ? await readDiskRecord(health.roots, item.Id).catch(() => undefined) : undefined;
    this.deps.warn(`${why}: ${name} is shown as ${disk ? 'its on-disk record says' : 'the container list says'}`);
    return disk;
  }

  private async scan(api: boolean): Promise<Container[]> {
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
    if (api && health.state === 'ok') engine = listFromApi(this.deps.docker, { all: true, stuck: (item, why) => this.stuckRecord(health, item, why) });
    else if (health.roots) engine = listFromDisk(health.roots, warn);
    else if (health.socketPath === DEFAULT_SOCKET) {
      warn(`${describeHealth(health)}; its state dirs are unknown: listing containers recognised in /proc`);
      engine = scanProc();
    } else throw daemonUnusableError(health);
    const [fromEngine, fromRuntimes] = await Promise.all([engine, runtimes]);
    return mergeSources([fromEngine, ...fromRuntimes]);
  }
}
