import { readdir } from '../util/fs-async.js';
import { readText } from '../host/read-text.js';
import path from 'node:path';
import { sanitize } from '../util/sanitize.js';
import { isFullId, type OciConfig } from '../host/bundle.js';
import { validatePid } from '../host/proc.js';
import { listRuntimeIds, readRuntimeState } from './runtime-state.js';
import { oneCheckPerDir, trustedDir, type Verdict } from '../host/trust.js';
import type { Container, OciRuntimeRef, Warn } from './types.js';

/** containerd's task state dir under a containerd state root. */
export const TASK_DIR = 'io.containerd.runtime.v2.task';
/** A system containerd's state root (docker-ce, Kubernetes). dockerd's own is <exec-root>/containerd/daemon. */
export const SYSTEM_CONTAINERD_STATE = '/run/containerd';

const CRI = 'io.kubernetes.cri.';

/** The shim's runtime options (options.json): which binary, under which --root (before the namespace). */
interface ShimOptions {
  binary_name?: string;
  root?: string;
}

/**
 * Containers from containerd task bundles: <state>/io.containerd.runtime.v2.task/<namespace>/<id>/
 * {config.json, init.pid, options.json}. CRI sandboxes (pause containers) are skipped; Kubernetes
 * names come from the CRI annotations. Docker's containers (namespace moby) come back too: the
 * merge lets the data-root's record (with the real name) win.
 */
export async function listFromContainerd(
  stateRoot: string,
  warn: Warn,
  opts: { only?: string; skipNamespaces?: readonly string[] } = {},
): Promise<Container[]> {
  const tasks = path.join(stateRoot, TASK_DIR);
  const trust = trustedDir(tasks);
  if (!trust.ok) {
    if (!/ENOENT/.test(trust.reason)) warn(`not reading ${tasks}: ${trust.reason}`);
    return [];
  }
  const namespaces = await readdir(tasks).catch(() => [] as string[]);
  const out: Container[] = [];
  const trusted = oneCheckPerDir();
  for (const ns of namespaces) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(ns) || opts.skipNamespaces?.includes(ns)) continue;
    const dir = path.join(tasks, ns);
    // `only`: one known container (exec's fast path), without listing the directory.
    const ids = opts.only !== undefined ? (isFullId(opts.only) ? [opts.only] : []) : await listRuntimeIds(dir, warn);
    const records = await Promise.all(
      ids.map((id) =>
        readTask(stateRoot, ns, `${dir}/${id}`, id, trusted).catch((err: unknown) => {
          if (opts.only !== undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          const why = err instanceof SyntaxError ? 'malformed config.json' : sanitize(String((err as Error).message ?? err));
          warn(`skipping containerd task ${ns}/${id.slice(0, 12)}: ${why}`);
          return undefined;
        }),
      ),
    );
    for (const r of records) if (r) out.push(r);
  }
  return out;
}

async function readTask(
  stateRoot: string,
  ns: string,
  bundle: string,
  id: string,
  trusted: (dir: string) => Verdict,
): Promise<Container | undefined> {
  // (bundle is a normalized directory and id 64 hex: the file names are joined as text, which a
  // listing of 100 tasks does ~500 times.)
  const text = await readText(`${bundle}/config.json`);
  const config = lazyConfig(text);
  // A CRI task's annotations say what it is (a sandbox is skipped): parsed now. Any other task's
  // config (docker's own, namespace moby: ~9 KB each) is parsed only when its command or session
  // config is read, which a listing does not do when dockerd's record of it wins the merge.
  const cri = text.includes(`"${CRI}`);
  const ann = cri ? (config.parsed().annotations ?? {}) : {};
  if (ann[`${CRI}container-type`] === 'sandbox') return undefined;
  const { binary, root } = runtimeOf(stateRoot, ns, (await shimOptions(bundle)) ?? {});
  const rs = await readRuntimeState(binary, root, id, trusted).catch(() => undefined);
  const initPid = Number((await readText(`${bundle}/init.pid`).catch(() => '')).trim()) || undefined;
  const pid = rs?.pid ?? initPid;
  const cgroupsPath = cri ? config.parsed().linux?.cgroupsPath : config.cgroupsPath();
  const recorded = [...(rs?.cgroupPaths ?? []), ...(cgroupsPath ? [cgroupsPath] : [])];
  const check = await validatePid(pid, id, rs?.pidStart, '/proc', recorded);
  const k8s =
    ann[`${CRI}container-type`] === 'container'
      ? {
          namespace: ann[`${CRI}sandbox-namespace`] ?? '',
          pod: ann[`${CRI}sandbox-name`] ?? '',
          container: ann[`${CRI}container-name`] ?? '',
        }
      : undefined;
  const oci: OciRuntimeRef = { binary, root, bundle, pidStart: rs?.pidStart };
  const record: Container = {
    id,
    name: k8s ? `${k8s.namespace}/${k8s.pod}/${k8s.container}` : id.slice(0, 12),
    image: ann[`${CRI}image-name`] ?? '',
    command: '',
    state: check.ok ? 'running' : 'exited',
    createdAt: rs?.created,
    startedAt: rs?.created,
    finishedAt: undefined,
    exitCode: undefined,
    pid: check.ok ? pid : undefined,
    runtime: ns === 'moby' ? 'docker' : 'containerd',
    source: 'containerd',
    labels: k8s
      ? { 'io.kubernetes.pod.namespace': k8s.namespace, 'io.kubernetes.pod.name': k8s.pod, 'io.kubernetes.container.name': k8s.container }
      : {},
    config: configFromBundle({}),
    oci,
    ...(k8s ? { k8s } : {}),
    ...(check.ok ? {} : { stale: check.reason }),
  };
  lazyField(record, 'command', () => (config.parsed().process as { args?: string[] } | undefined)?.args?.join(' ') ?? '');
  lazyField(record, 'config', () => configFromBundle(config.parsed()));
  return record;
}

/** The runtime binary and its state root (with the namespace) that a task's shim options name. */
function runtimeOf(stateRoot: string, ns: string, opts: ShimOptions): { binary: 'runc' | 'crun'; root: string } {
  const binary = opts.binary_name?.endsWith('crun') ? 'crun' : 'runc';
  const base = opts.root && path.isAbsolute(opts.root) ? opts.root : path.join(stateRoot, binary);
  return { binary, root: path.join(base, ns) };
}

/**
 * The runtime reference of dockerd's own task for a container (the task dir is its bundle, and
 * options.json names the runtime and its root), without the runtime's state or a PID check: for a
 * listing whose record of the container comes from a daemon that has just listed it (its state and
 * PID are the daemon's). undefined when there is no such task (a stopped container).
 */
export async function dockerTaskRef(stateRoot: string, id: string, trusted: (dir: string) => Verdict): Promise<OciRuntimeRef | undefined> {
  const tasks = `${stateRoot}/${TASK_DIR}`;
  if (!isFullId(id) || !path.isAbsolute(stateRoot) || !trusted(tasks).ok) return undefined;
  const bundle = `${tasks}/moby/${id}`;
  const opts = await shimOptions(bundle);
  return opts ? { ...runtimeOf(stateRoot, 'moby', opts), bundle, pidStart: undefined } : undefined;
}

/**
 * The ids of dockerd's own tasks (namespace moby): the containers that run or are paused. A listing
 * reads their records while the daemon is still building its list (Inventory.scan).
 */
export async function dockerTaskIds(stateRoot: string, trusted: (dir: string) => Verdict): Promise<string[]> {
  const tasks = `${stateRoot}/${TASK_DIR}`;
  if (!path.isAbsolute(stateRoot) || !trusted(tasks).ok || !trusted(`${tasks}/moby`).ok) return [];
  return listRuntimeIds(`${tasks}/moby`);
}

/** A task's options.json, undefined when it is missing or unreadable. */
function shimOptions(bundle: string): Promise<ShimOptions | undefined> {
  return readText(`${bundle}/options.json`).then(
    (t) => JSON.parse(t) as ShimOptions,
    () => undefined,
  );
}

/**
 * A task's config.json, parsed once when first needed. Before that only a truncated file is caught
 * (a SyntaxError, as a full parse would throw); a file malformed in its middle reads as an empty
 * config when it is parsed later (nothing from it is then used).
 */
function lazyConfig(text: string): { parsed(): OciConfig; cgroupsPath(): string | undefined } {
  if (!/^\s*\{/.test(text) || !/\}\s*$/.test(text)) throw new SyntaxError('config.json is cut short');
  let parsed: OciConfig | undefined;
  return {
    parsed: () => {
      if (parsed) return parsed;
      try {
        parsed = JSON.parse(text) as OciConfig;
      } catch {
        parsed = {};
      }
      return parsed;
    },
    // linux.cgroupsPath without parsing the rest: a key cannot be forged by a value in JSON (a value's
    // quotes are escaped), and the OCI config has no other "cgroupsPath".
    cgroupsPath: () => {
      if (parsed) return parsed.linux?.cgroupsPath;
      const m = /"cgroupsPath":("(?:[^"\\]|\\.)*")/.exec(text);
      try {
        return m ? (JSON.parse(m[1] as string) as string) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** `record[key]` computed on first read (then a plain property); assigning it replaces it. */
function lazyField<K extends keyof Container>(record: Container, key: K, compute: () => Container[K]): void {
  const settle = (value: Container[K]): void => {
    Object.defineProperty(record, key, { value, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(record, key, {
    get: () => {
      const value = compute();
      settle(value);
      return value;
    },
    set: settle,
    enumerable: true,
    configurable: true,
  });
}

/** The session-relevant config from an OCI bundle (its process.env is docker's composed env). */
export function configFromBundle(config: OciConfig): Container['config'] {
  const user = config.process?.user;
  return {
    user: user?.uid !== undefined ? `${user.uid}${user.gid !== undefined ? `:${user.gid}` : ''}` : '',
    env: config.process?.env ?? [],
    workingDir: config.process?.cwd ?? '',
    hostname: config.hostname ?? '',
    tty: config.process?.terminal ?? false,
  };
}
