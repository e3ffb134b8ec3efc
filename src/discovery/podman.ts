import { readText } from '../host/read-text.js';
import path from 'node:path';
import { isFullId, type OciConfig } from '../host/bundle.js';
import { configFromBundle } from './containerd.js';
import { validatePid } from '../host/proc.js';
import { readRuntimeState, type RuntimeState } from './runtime-state.js';
import { trustedDir } from '../host/trust.js';
import type { Container, OciRuntimeRef, Warn } from './types.js';

/** containers/storage roots for rootful podman (storage.conf graphroot / runroot defaults). */
export interface PodmanRoots {
  graphRoot: string;
  runRoot: string;
  /** OCI runtime state roots podman uses for rootful containers. */
  runcRoot: string;
  crunRoot: string;
}

export const PODMAN_ROOTS: PodmanRoots = {
  graphRoot: '/var/lib/containers/storage',
  runRoot: '/run/containers/storage',
  runcRoot: '/run/runc',
  crunRoot: '/run/crun',
};

/** One entry of <graphroot>/overlay-containers/containers.json (containers/storage's own index). */
interface StorageEntry {
  id?: string;
  names?: string[];
  created?: string;
  metadata?: string;
}

/**
 * Podman containers without podman: names from containers/storage's containers.json, the bundle
 * (config.json) in <graphroot>/overlay-containers/<id>/userdata, the pid from the runtime's state
 * (runc /run/runc/<id>/state.json or crun /run/crun/<id>/status) or <runroot>/.../userdata/pidfile.
 * Only containers with runtime state are listed: the rest are stopped, and podman's own database
 * (bolt/sqlite) holds their history.
 */
export async function listFromPodman(roots: PodmanRoots, warn: Warn): Promise<Container[]> {
  const index = path.join(roots.graphRoot, 'overlay-containers', 'containers.json');
  const trust = trustedDir(roots.graphRoot);
  if (!trust.ok) {
    if (!/ENOENT/.test(trust.reason)) warn(`not reading ${roots.graphRoot}: ${trust.reason}`);
    return [];
  }
  let entries: StorageEntry[];
  try {
    entries = JSON.parse(await readText(index)) as StorageEntry[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      warn(`cannot read ${index}: ${err instanceof SyntaxError ? 'malformed JSON' : (err as NodeJS.ErrnoException).code}`);
    return [];
  }
  if (!Array.isArray(entries)) return [];
  const records = await Promise.all(
    entries.map(async (e) => {
      if (typeof e.id !== 'string' || !isFullId(e.id)) {
        warn(`skipping an entry of ${index}: not a container id`);
        return undefined;
      }
      try {
        return await readOne(roots, e, e.id);
      } catch (err) {
        const why = err instanceof SyntaxError ? 'malformed config.json' : String((err as Error).message);
        warn(`skipping podman container ${e.id.slice(0, 12)}: ${why}`);
        return undefined;
      }
    }),
  );
  return records.filter((c): c is Container => c !== undefined);
}

async function readOne(roots: PodmanRoots, e: StorageEntry, id: string): Promise<Container | undefined> {
  let binary: 'runc' | 'crun' = 'runc';
  let rs: RuntimeState | undefined = await readRuntimeState('runc', roots.runcRoot, id).catch(() => undefined);
  if (!rs) {
    rs = await readRuntimeState('crun', roots.crunRoot, id).catch(() => undefined);
    if (rs) binary = 'crun';
  }
  // A container podman created but that is not running has no runtime state: nothing to enter.
  if (!rs) return undefined;
  const bundle = rs.bundle ?? path.join(roots.graphRoot, 'overlay-containers', id, 'userdata');
  const bundleTrust = trustedDir(bundle);
  if (!bundleTrust.ok) throw new Error(`untrusted bundle: ${bundleTrust.reason}`);
  const config = JSON.parse(await readText(path.join(bundle, 'config.json'))) as OciConfig;
  const recorded = [...rs.cgroupPaths, ...(config.linux?.cgroupsPath ? [config.linux.cgroupsPath] : [])];
  const check = await validatePid(rs.pid, id, rs.pidStart, '/proc', recorded);
  const meta = parseMeta(e.metadata);
  const oci: OciRuntimeRef = { binary, root: binary === 'crun' ? roots.crunRoot : roots.runcRoot, bundle, pidStart: rs.pidStart };
  return {
    id,
    name: e.names?.[0] ?? id.slice(0, 12),
    image: meta['image-name'] ?? '',
    command: (config.process as { args?: string[] } | undefined)?.args?.join(' ') ?? '',
    state: check.ok ? 'running' : 'exited',
    createdAt: e.created,
    startedAt: rs.created,
    finishedAt: undefined,
    exitCode: undefined,
    pid: check.ok ? rs.pid : undefined,
    runtime: 'podman',
    source: 'podman',
    labels: {},
    config: configFromBundle(config),
    oci,
    ...(check.ok ? {} : { stale: check.reason }),
  };
}

function parseMeta(m: string | undefined): Record<string, string> {
  try {
    const parsed = JSON.parse(m ?? '{}') as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}
