import path from 'node:path/posix';
import { engineMessage, engineStatusError, type DockerClient } from '../../engine/docker-client.js';
import type { ContainerFiles } from '../types.js';

const MAX_FILE = 4 * 1024 * 1024;
const MAX_LINKS = 8;

interface PathStat {
  name: string;
  size: number;
  mode: number;
  linkTarget: string;
}

/**
 * Container files through the archive endpoint: the daemon resolves paths inside the container's
 * root, so no host path is ever touched, and it works in images without a shell or `cat`.
 */
export function dockerFiles(client: DockerClient, containerId: string): ContainerFiles {
  const stat = async (p: string): Promise<{ path: string; stat: PathStat } | undefined> => {
    let current = p;
    for (let hop = 0; hop <= MAX_LINKS; hop++) {
      const res = await client.call('HEAD', archivePath(containerId, current), { accept: (s) => s === 200 || s === 404 || s === 500 });
      if (res.status === 404) return undefined;
      if (res.status === 500) return unresolvable(client, containerId, current);
      const st = decodeStat(res.headers['x-docker-container-path-stat']);
      if (!st || st.linkTarget === '') return st ? { path: current, stat: st } : undefined;
      current = path.resolve(path.dirname(current), st.linkTarget);
    }
    return undefined;
  };
  return {
    async exists(p) {
      return (await stat(p)) !== undefined;
    },
    async readFile(p) {
      const found = await stat(p);
      if (!found || found.stat.size > MAX_FILE) return undefined;
      const res = await client.call('GET', archivePath(containerId, found.path), { accept: (s) => s === 200 || s === 404 });
      return res.status === 404 ? undefined : firstTarFile(res.body);
    },
  };
}

/**
 * HEAD answers 500 without a body when the daemon cannot resolve a path; the same GET says why. A
 * symlink loop or a path through a non-directory is a file the container does not really have
 * ("absent", as the runc and nsenter backends see it); anything else is the daemon's failure.
 */
async function unresolvable(client: DockerClient, containerId: string, p: string): Promise<undefined> {
  const res = await client.call('GET', archivePath(containerId, p), { accept: (s) => s === 500 || s === 404 || (s >= 200 && s < 300) });
  if (res.status === 500 && !UNRESOLVABLE.test(engineMessage(res.body))) {
    throw engineStatusError('HEAD', archivePath(containerId, p), res);
  }
  return undefined;
}

const UNRESOLVABLE = /too many links|too many levels of symbolic links|not a directory/i;

function archivePath(id: string, p: string): string {
  return `/containers/${id}/archive?path=${encodeURIComponent(p)}`;
}

function decodeStat(h: string | string[] | undefined): PathStat | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  try {
    return JSON.parse(Buffer.from(v, 'base64').toString('utf8')) as PathStat;
  } catch {
    return undefined;
  }
}

/** The content of the first regular file in a tar stream (skipping pax/GNU long-name headers). */
export function firstTarFile(tar: Buffer): Buffer | undefined {
  let off = 0;
  while (off + 512 <= tar.length) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) return undefined;
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const dataStart = off + 512;
    if (type === '0' || type === '\0') return Buffer.from(tar.subarray(dataStart, dataStart + size));
    off = dataStart + Math.ceil(size / 512) * 512;
  }
  return undefined;
}
