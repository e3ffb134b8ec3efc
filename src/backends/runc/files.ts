import { spawn } from 'node:child_process';
import type { Container } from '../../discovery/types.js';
import { DEFAULT_PATH } from '../exec-env.js';
import type { ContainerFiles } from '../types.js';
import { execProcess, loadBundleProcess, runcExecArgs, writeScratch } from './process-spec.js';
import { missingPrivilege } from '../nsenter/caps.js';
import { query } from '../nsenter/helper.js';
import { findHelper } from '../nsenter/helper-path.js';
import { readTarget } from '../nsenter/target.js';
import { sanitize } from '../../util/sanitize.js';

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
      accounts ??= accountsThroughHelper(c).then(
        (text) => text,
        () => runInside(binary, c, ['cat', '/etc/passwd', '/etc/group']).then((r) => (r.code <= 1 && r.stdout.length > 0 ? r.stdout.toString('utf8') : undefined)),
      );
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
  };
}

/**
 * /etc/passwd and /etc/group read by the nsenter helper (~10 ms) instead of a second runtime exec
 * (~50-100 ms): it checks the init process (pid, start time, cgroup) as the nsenter backend does and
 * reads below the container's root as the container's root user, with the container's capabilities,
 * never through the host's view of its symlinks. Rejects when the helper cannot be used here (not
 * built, not privileged, the process check failed): the caller then asks the runtime.
 */
async function accountsThroughHelper(c: Container): Promise<string | undefined> {
  if (!findHelper() || missingPrivilege()) throw new Error('the nsenter helper is not usable');
  const [passwd, group] = await query(await readTarget(c), sanitize(c.name), ['r:/etc/passwd', 'r:/etc/group']);
  const texts = [passwd, group].map((r) => (r?.kind === 'file' ? r.data.toString('utf8') : ''));
  const both = texts.map((t) => (t === '' || t.endsWith('\n') ? t : `${t}\n`)).join('');
  return both.length > 0 ? both : undefined;
}
