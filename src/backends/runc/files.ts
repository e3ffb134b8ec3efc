import { spawn } from '../../util/child.js';
import { readdirSync, readFileSync } from 'node:fs';
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

/**
 * How long one file read through the runtime may take. A read normally takes ~50 ms; a container can
 * make it block for ever (its /etc/passwd a FIFO: `cat` waits for a writer), and a host under load
 * can make it slow: past this, it is given up and the file counts as absent.
 */
export const RUNTIME_FILE_DEADLINE_MS = 5000;

/** Process groups of runtime calls still running: killed if cx exits first. */
const running = new Set<number>();
let exitHook = false;

/** A process's children and theirs (from /proc/PID/task/TID/children), read before anything is killed. */
function descendants(pid: number, depth = 0): number[] {
  if (depth > 8) return [];
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number)) {
        out.push(child, ...descendants(child, depth + 1));
      }
    } catch {
      // the task is gone
    }
  }
  return out;
}

/**
 * Kill a runtime call: runc's process group, and its children wherever they went (`runc init` makes
 * a session of its own inside the container, so the group alone would leave it blocked there).
 */
function killGroup(pgid: number): void {
  const children = descendants(pgid);
  for (const target of [-pgid, ...children]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Run a helper program inside the container (root, no terminal) and collect its stdout, within a
 * deadline. runc runs in a process group of its own, so that the whole call (runc, its `runc init`
 * in the container, the program) is killed together on timeout or when cx exits, and reaped.
 */
async function runInside(
  binary: string,
  c: Container,
  args: string[],
  deadlineMs = RUNTIME_FILE_DEADLINE_MS,
): Promise<{ code: number; stdout: Buffer }> {
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
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => running.forEach(killGroup));
    // A signal that ends cx (no handler of its own: Node would die without 'exit') takes the calls along.
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      const onSignal = (): void => {
        running.forEach(killGroup);
        process.off(sig, onSignal);
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      };
      process.on(sig, onSignal);
    }
  }
  try {
    return await new Promise((resolve) => {
      const child = spawn(binary, runcExecArgs(c, scratch), { stdio: ['ignore', 'pipe', 'ignore'], cwd: '/', detached: true });
      const pgid = child.pid;
      if (pgid !== undefined) running.add(pgid);
      const chunks: Buffer[] = [];
      let size = 0;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        if (pgid !== undefined) killGroup(pgid);
      }, deadlineMs);
      child.stdout.on('data', (d: Buffer) => {
        size += d.length;
        if (size <= MAX_FILE) chunks.push(d);
        else if (pgid !== undefined) killGroup(pgid);
      });
      child.on('error', () => {
        clearTimeout(timer);
        resolve({ code: 127, stdout: Buffer.alloc(0) });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (pgid !== undefined) running.delete(pgid);
        resolve({ code: timedOut || size > MAX_FILE ? 1 : (code ?? 1), stdout: timedOut ? Buffer.alloc(0) : Buffer.concat(chunks) });
      });
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
        () =>
          runInside(binary, c, ['cat', '/etc/passwd', '/etc/group']).then((r) =>
            r.code <= 1 && r.stdout.length > 0 ? r.stdout.toString('utf8') : undefined,
          ),
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
