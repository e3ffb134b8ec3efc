import { readText } from './read-text.js';
import path from 'node:path';
import { trustedDir } from './trust.js';

/**
 * containerd task state roots that can hold a Docker container's OCI bundle (engine-facts §4):
 * dockerd's own containerd (Debian docker.io) and a system containerd (docker-ce).
 */
export const DOCKER_BUNDLE_ROOTS = [
  '/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby',
  '/run/containerd/io.containerd.runtime.v2.task/moby',
];

/** The parts of an OCI runtime config.json cx reads. */
export interface OciConfig {
  process?: {
    env?: string[];
    cwd?: string;
    user?: { uid?: number; gid?: number; additionalGids?: number[]; umask?: number };
    capabilities?: Record<string, string[]>;
    rlimits?: Array<{ type: string; hard: number; soft: number }>;
    oomScoreAdj?: number;
    noNewPrivileges?: boolean;
    terminal?: boolean;
  };
  hostname?: string;
  annotations?: Record<string, string>;
  linux?: { cgroupsPath?: string; namespaces?: Array<{ type: string; path?: string }> };
}

/** Container ids come from untrusted places (disk, API); only 64 hex may ever become a path. */
export function isFullId(id: string): boolean {
  return /^[0-9a-f]{64}$/.test(id);
}

/**
 * The container's bundle config.json: from `known` (the bundle directory discovery found for it)
 * when given, else from the first of the usual roots that has it; with where it was found.
 */
export async function readBundleConfig(
  id: string,
  roots: readonly string[] = DOCKER_BUNDLE_ROOTS,
  known?: string,
): Promise<{ path: string; config: OciConfig } | undefined> {
  if (!isFullId(id)) return undefined;
  const usual = roots.map((root) => path.join(root, id));
  const dirs = known !== undefined && known.split('/').includes(id) ? [known, ...usual] : usual;
  for (const dir of dirs) {
    const file = path.join(dir, 'config.json');
    // A bundle decides capabilities and confinement: only from a directory root alone controls.
    if (!trustedDir(dir).ok) continue;
    try {
      return { path: file, config: JSON.parse(await readText(file)) as OciConfig };
    } catch {
      // not under this root (or unreadable): try the next
    }
  }
  return undefined;
}
