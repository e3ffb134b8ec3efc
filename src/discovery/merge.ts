import type { Container, ContainerSource } from './types.js';

/** Best first: the daemon's own answer, then its files, then the runtimes', then /proc. */
const RANK: readonly ContainerSource[] = ['docker-api', 'docker-disk', 'podman', 'containerd', 'runc-state', 'proc'];

/**
 * One record per container id. The best source supplies the record; the others add what it lacks
 * (the OCI runtime reference, a validated PID) and their names to `sources` (provenance).
 */
export function mergeSources(lists: ReadonlyArray<readonly Container[]>): Container[] {
  const byId = new Map<string, Container[]>();
  for (const list of lists) {
    for (const c of list) {
      const seen = byId.get(c.id);
      if (seen) seen.push(c);
      else byId.set(c.id, [c]);
    }
  }
  return [...byId.values()].map(mergeOne);
}

function mergeOne(records: Container[]): Container {
  const sorted = [...records].sort((a, b) => RANK.indexOf(a.source) - RANK.indexOf(b.source));
  const best = sorted[0] as Container;
  // A record may already name what it was completed from (a listing's runtime reference).
  const sources = [...new Set(sorted.flatMap((r) => r.sources ?? [r.source]))];
  const merged: Container = { ...best, sources };
  merged.oci ??= sorted.find((r) => r.oci)?.oci;
  merged.k8s ??= sorted.find((r) => r.k8s)?.k8s;
  if (best.source !== 'docker-api' && best.stale === undefined) {
    // A lower source that validated the process against the runtime's record knows better.
    const staleElsewhere = sorted.find((r) => r.stale !== undefined && r.source !== 'proc');
    if (staleElsewhere && best.state === 'running' && best.source === 'proc') {
      return { ...merged, state: 'exited', pid: undefined, stale: staleElsewhere.stale };
    }
  }
  return merged;
}
