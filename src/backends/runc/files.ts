import { spawn } from 'node:child_process';
import type { Container } from '../../discovery/types.js';
import { DEFAULT_PATH } from '../exec-env.js';
import type { ContainerFiles } from '../types.js';
import { execProcess, loadBundleProcess, runcExecArgs, writeScratch } from './process-spec.js';

const MAX_FILE = 4 * 1024 * 1024;

/** Run a helper program inside the container (root, no terminal) and collect its stdout. */
async function runInside(binary: string, c: Container, args: string[]): Promise<{ code: number; stdout: Buffer }> {
  const base = await loadBundleProcess(c);
  const proc = execProcess(base, {
    args,
    env: [`PATH=${DEFAULT_PATH}`],
    cwd: '/',
    user: { uid: 0, gid: 0, groups: [], home: '/' },
    tty: false,
    size: undefined,
  });
  const scratch = await writeScratch(proc);
  try {
    return await new Promise((resolve) => {
      const child = spawn(binary, runcExecArgs(c, scratch), { stdio: ['ignore', 'pipe', 'ignore'], cwd: '/' });
      const chunks: Buffer[] = [];
      let size = 0;
      child.stdout.on('data', (d: Buffer) => {
        size += d.length;
        if (size <= MAX_FILE) chunks.push(d);
        else child.kill('SIGKILL');
      });
      child.on('error', () => resolve({ code: 127, stdout: Buffer.alloc(0) }));
      child.on('close', (code) => resolve({ code: size > MAX_FILE ? 1 : (code ?? 1), stdout: Buffer.concat(chunks) }));
    });
  } finally {
    await scratch.cleanup().catch(() => undefined);
  }
}

/**
 * Container files read INSIDE the container, through the runtime: `runc exec <id> cat <path>` (and
 * `test -e`). Never through /proc/<pid>/root from the host, where the container's absolute symlinks
 * would resolve against the host's root. An image without `cat`/`test` (distroless, scratch) reads as
 * having no such file: callers then fall back (cx enter tries /bin/sh; cx env uses HOME=/).
 */
export function runcFiles(binary: string, c: Container): ContainerFiles & { passwdAndGroup(): Promise<string | undefined> } {
  const cache = new Map<string, Promise<Buffer | undefined>>();
  let accounts: Promise<string | undefined> | undefined;
  return {
    /**
     * /etc/passwd and /etc/group in ONE runtime call (each exec costs ~50 ms): their lines tell
     * apart by field count (7 vs 4). cat exits 1 if one is missing but still prints the other.
     */
    passwdAndGroup() {
      accounts ??= runInside(binary, c, ['cat', '/etc/passwd', '/etc/group']).then((r) => (r.code <= 1 && r.stdout.length > 0 ? r.stdout.toString('utf8') : undefined));
      return accounts;
    },
    readFile(p) {
      let hit = cache.get(p);
      if (!hit) {
        hit = runInside(binary, c, ['cat', p]).then((r) => (r.code === 0 ? r.stdout : undefined));
        cache.set(p, hit);
      }
      return hit;
    },
    async exists(p) {
      const r = await runInside(binary, c, ['test', '-e', p]);
      return r.code === 0;
    },
    /**
     * Several paths in ONE runtime call: `ls -1d` prints those that exist, one per line (and exits 1
     * or 2 for the others). Paths with a newline cannot be told apart and are reported missing.
     */
    async existing(paths) {
      const asked = paths.filter((p) => p.startsWith('/') && !p.includes('\n'));
      if (asked.length === 0) return paths.map(() => false);
      const r = await runInside(binary, c, ['ls', '-1d', ...asked]);
      const found = new Set(r.stdout.toString('utf8').split('\n'));
      return paths.map((p) => found.has(p));
    },
  };
}
