import type { DockerClient } from '../engine/docker-client.js';
import { DEFAULT_SOCKET } from '../engine/endpoint.js';
import { daemonUnusableError, describeHealth, type DaemonHealth } from '../engine/health.js';
import { EngineError } from '../errors.js';
import { dockerTaskIds, dockerTaskRef, listFromContainerd, SYSTEM_CONTAINERD_STATE } from './containerd.js';
import { inspectContainer, listFromApi, type ListItem } from './docker-api.js';
import { findOnDisk, listFromDisk, readDiskFacts, readDiskRecord } from './docker-disk.js';
import { oneCheckPerDir, trustedDir } from '../host/trust.js';
import type { DockerRoots } from '../host/docker-roots.js';
import { sanitize } from '../util/sanitize.js';
import { mergeSources } from './merge.js';
import { listFromPodman, PODMAN_ROOTS, type PodmanRoots } from './podman.js';
import { scanProc } from './proc-scan.js';
import { normalizeTarget, resolveTarget } from './resolve.js';
import type { Container, OciRuntimeRef, Warn } from './types.js';
import { isUp } from './container-state.js';
import path from 'node:path';

/** What the inventory reads; tests point the roots at fixture trees. */
export interface InventoryDeps {
  docker: DockerClient;
  /** The daemon's health, learned once per cx run. */
  health: () => Promise<DaemonHealth>;
  /** The engine's state dirs, found without asking the daemon (defaults to the health check's). */
  roots?: () => Promise<DockerRoots | undefined>;
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
  /** Every container cx can see (stopped ones with `all`; `listing`: to show, not to enter from). */
  list(opts: { all: boolean; listing?: boolean }): Promise<Container[]>;
  /** The one container a target names; NotFoundError or AmbiguousTargetError otherwise. */
  resolve(target: string, opts?: { api?: boolean | 'try' }): Promise<Container>;
}

export class Inventory implements ContainerLookup {
  private all: Promise<Container[]> | undefined;
  private withoutApi: Promise<Container[]> | undefined;
  private readonly listings = new Map<boolean, Promise<Container[]>>();

  constructor(private readonly deps: InventoryDeps) {}

  /**
   * api: false reads only files (a daemon-less backend was asked for: never wait on dockerd).
   * listing: a listing to show (`cx ls`), not to enter from: containers the daemon has just listed
   * get only their runtime reference from dockerd's own containerd tasks, not the runtime's state
   * (the init's start time, which a session uses to refuse a reused PID) and its PID checks.
   */
  async list(opts: { all: boolean; api?: boolean; listing?: boolean }): Promise<Container[]> {
    const list = await (opts.api === false
      ? (this.withoutApi ??= this.scan(false))
      : opts.listing
        ? this.listingOf(opts.all)
        : (this.all ??= this.scan(true)));
    return opts.all ? list : list.filter((c) => isUp(c.state));
  }

  /** A listing of the running containers asks dockerd for those alone: a stopped one's record is not read. */
  private listingOf(all: boolean): Promise<Container[]> {
    let p = this.listings.get(all);
    if (!p) this.listings.set(all, (p = this.scan(true, true, all)));
    return p;
  }

  /**
   * Resolve what the user typed. With a live daemon, one inspect (plus the task bundle); else the
   * merged list. An inspect that does not answer (the container is wedged in dockerd) falls back to
   * the files, marked stuck; with api: false the daemon is not asked at all.
   */
  async resolve(target: string, opts: { api?: boolean | 'try'; runtimeTask?: boolean } = {}): Promise<Container> {
    if (opts.api === false) return this.resolveWithoutApi(target);
    const typed = target.replace(/^\//, '');
    const byApi = typed !== '' && !typed.includes('/');
    // The inspect goes out with the health check, not after it (one round trip instead of two; it is
    // unversioned because the version comes from that ping): its answer is used only where it was
    // asked for before (a healthy daemon), it has its own deadline, and its outcome is kept settled,
    // so nothing waits on it or throws from it otherwise.
    const early = byApi
      ? inspectContainer(this.deps.docker, typed, { unversioned: true }).then(
          (c) => ({ c }),
          (err: unknown) => ({ err }),
        )
      : undefined;
    const health = await this.deps.health();
    // 'try': the docker backend was asked for by name; a daemon that is only silent is still asked.
    const ask = health.state === 'ok' || (opts.api === 'try' && health.state === 'frozen' && health.stopped !== true);
    if (ask && early) {
      try {
        const answer = await early;
        if ('err' in answer) throw answer.err;
        const c = answer.c;
        // Docker also accepts things cx does not (e.g. a prefix that is also a name); confirm the match.
        if (c.id === typed || c.name === typed || c.id.startsWith(typed.toLowerCase())) {
          // engineOnly: another machine's engine (no local runtime state); runtimeTask: false: the caller
          // enters through the daemon, which just answered for it.
          if (this.deps.engineOnly || opts.runtimeTask === false) return c;
          return mergeSources([[c], await this.dockerTasks(await this.roots(), c.id)])[0] ?? c;
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
    return resolveTarget(target, await this.list({ all: true, api: true }));
  }

  /**
   * A daemon-less backend's target: the daemon is not asked anything (not even pinged). A full id or
   * an exact name is looked up in the data-root directly (only that container's PID is validated);
   * anything else (an id prefix, a container of another runtime, no match) goes through the merged
   * file-based listing, so the answer is the same as resolving against `cx ls`.
   */
  private async resolveWithoutApi(target: string): Promise<Container> {
    const roots = await this.roots();
    if (roots) {
      const found = await findOnDisk(roots, normalizeTarget(target));
      // A record checked against the runtime's own state (its bundle, its init's start time) has
      // everything containerd's task would add but the task's name in `sources`: not read again.
      if (found?.oci?.bundle !== undefined && found.oci.pidStart !== undefined) return found;
      if (found) return mergeSources([[found], await this.dockerTasks(roots, found.id)])[0] ?? found;
    }
    return resolveTarget(target, await this.list({ all: true, api: false }));
  }

  private roots(): Promise<DockerRoots | undefined> {
    return this.deps.roots ? this.deps.roots() : this.deps.health().then((h) => h.roots);
  }

  private containerdStates(roots: DockerRoots | undefined): string[] {
    const own = roots ? [ownContainerdState(roots)] : [];
    return [...new Set([...own, ...(this.deps.containerdStates ?? [SYSTEM_CONTAINERD_STATE])])];
  }

  private async dockerTasks(roots: DockerRoots | undefined, id: string): Promise<Container[]> {
    const lists = await Promise.all(this.containerdStates(roots).map((s) => listFromContainerd(s, this.deps.warn, { only: id })));
    return lists.flat();
  }

  /** A wedged container's stand-in: its on-disk record (when the state dirs are known). */
  private async stuckRecord(item: ListItem, why: string): Promise<Container | undefined> {
    const name = sanitize((item.Names?.[0] ?? item.Id.slice(0, 12)).replace(/^\//, ''));
    const roots = await this.roots();
    const disk = roots ? await readDiskRecord(roots, item.Id).catch(() => undefined) : undefined;
    this.deps.warn(`${why}: ${name} is shown as ${disk ? 'its on-disk record says' : 'the container list says'}`);
    return disk;
  }

  private async scan(api: boolean, listing = false, all = true): Promise<Container[]> {
    const { warn } = this.deps;
    // Files only, as root, with the state dirs known: nothing to ask the daemon (not even a ping).
    const roots = !api && process.getuid?.() === 0 ? await this.roots() : undefined;
    if (roots) {
      const lists = await Promise.all([listFromDisk(roots, warn), ...this.runtimeLists(roots)]);
      return mergeSources(lists);
    }
    // The list goes out with the health check, not after it (dockerd takes ~7 ms to list 100
    // containers): unversioned, as the version comes from that ping. Its answer is used only if the
    // daemon is healthy; its outcome is kept settled, so nothing waits on it or throws from it otherwise.
    const early =
      api && !this.deps.engineOnly
        ? this.deps.docker.json<ListItem[]>('GET', `/containers/json?all=${all ? 1 : 0}`, { unversioned: true }).then(
            (items) => ({ items }),
            (err: unknown) => ({ err }),
          )
        : undefined;
    const health = await this.deps.health();
    // Refused by the socket and not root: the on-disk and runtime state is root's too, so a listing
    // would be empty and "no container named X" a lie. Say what is really wrong.
    if (health.state === 'denied' && process.getuid?.() !== 0) throw daemonUnusableError(health);
    if (this.deps.engineOnly) {
      if (health.state !== 'ok') throw daemonUnusableError(health);
      return listFromApi(this.deps.docker, { all: true });
    }
    // A daemon that answered at once has not had its state roots looked up (checkDaemon): the list
    // is asked for now, and what needs the files waits for the lookup.
    const rootsP = this.roots();
    // As root with the engine's state dirs trusted, what the list lacks comes from the records
    // dockerd keeps in its data-root: no inspect per container.
    const dataRoots = rootsP.then((r) => (r && process.getuid?.() === 0 && trustedDir(r.dataRoot).ok ? r : undefined));
    const light = listing && api && health.state === 'ok';
    const runtimes = rootsP.then(async (roots) =>
      Promise.all(this.runtimeLists(roots, light && roots && (await dataRoots) ? ownContainerdState(roots) : undefined)),
    );
    let engine: Promise<Container[]>;
    if (api && health.state === 'ok') {
      const trusted = oneCheckPerDir();
      /** What the list lacks: the record in the data-root and, for a listing, the task's runtime reference. */
      const read = async (roots: DockerRoots, id: string): Promise<{ facts: Container; oci: OciRuntimeRef | undefined }> => {
        const facts = await readDiskFacts(roots, id);
        // A listing: dockerd's own task of the container gives only the runtime reference.
        return { facts, oci: light ? await dockerTaskRef(ownContainerdState(roots), id, trusted) : undefined };
      };
      // A listing reads the records of the containers that have a task (those that run) while dockerd
      // is still building its list: by the time it answers, most of what it lacks is known.
      const ahead = dataRoots.then(async (roots) => {
        const ids = roots && light ? await dockerTaskIds(ownContainerdState(roots), trusted) : [];
        return new Map(ids.map((id) => [id, read(roots as DockerRoots, id).catch(() => undefined)]));
      });
      const items = early?.then((a) => ('err' in a ? Promise.reject(a.err as Error) : a.items));
      engine = listFromApi(this.deps.docker, {
        all,
        ...(items ? { items } : {}),
        stuck: (item, why) => this.stuckRecord(item, why),
        facts: async (item: ListItem) => {
          const roots = await dataRoots;
          if (!roots) return undefined;
          const known = (await ahead).get(item.Id);
          const { facts, oci } = (await known) ?? (await read(roots, item.Id));
          if (!light || !isUp(item.State ?? '')) return facts;
          return oci ? { ...facts, oci, sources: ['docker-api', 'containerd'] } : facts;
        },
      });
    } else if (health.roots) engine = listFromDisk(health.roots, warn);
    else if (health.socketPath === DEFAULT_SOCKET) {
      warn(`${describeHealth(health)}; its state dirs are unknown: listing containers recognised in /proc`);
      engine = scanProc();
    } else throw daemonUnusableError(health);
    const [fromEngine, fromRuntimes] = await Promise.all([engine, runtimes]);
    return mergeSources([fromEngine, ...fromRuntimes]);
  }

  /**
   * containerd task bundles (dockerd's own and the system's) and podman's files. `ownListed`: the
   * daemon's own containerd state root, whose docker tasks the daemon's listing covers (skipped).
   */
  private runtimeLists(roots: DockerRoots | undefined, ownListed?: string): Array<Promise<Container[]>> {
    return [
      ...this.containerdStates(roots).map((s) =>
        listFromContainerd(s, this.deps.warn, s === ownListed ? { skipNamespaces: ['moby'] } : {}),
      ),
      listFromPodman(this.deps.podman ?? PODMAN_ROOTS, this.deps.warn),
    ];
  }
}

/** dockerd's own containerd state root. */
function ownContainerdState(roots: DockerRoots): string {
  return path.join(roots.execRoot, 'containerd', 'daemon');
}
