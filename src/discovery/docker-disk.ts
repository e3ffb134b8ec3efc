import { readdir } from '../util/fs-async.js';
import { readText } from '../host/read-text.js';
import path from 'node:path';
import { sanitize } from '../util/sanitize.js';
import { isFullId } from '../host/bundle.js';
import { fromContainerJson, realTime, type ContainerJson } from './docker-api.js';
import type { DockerRoots } from '../host/docker-roots.js';
import { validatePid } from '../host/proc.js';
import { readRuntimeState, type RuntimeState } from './runtime-state.js';
import { trustedDir } from '../host/trust.js';
import { readRootMemo, withLatest, writeRootMemo } from '../host/root-memo.js';
import type { Container, ContainerState, Warn } from './types.js';
import { isUp } from './container-state.js';

/** <data-root>/containers/<id>/config.v2.json: the inspect shape, id spelled ID. */
interface ConfigV2 extends ContainerJson {
  ID?: string;
}

interface HostConfig {
  Runtime?: string;
  GroupAdd?: string[] | null;
}

/** The runc root dockerd gives a runtime: <exec-root>/runtime-<name>/moby. */
export function dockerRuntimeRoot(execRoot: string, runtime = 'runc'): string {
  return path.join(execRoot, `runtime-${runtime}`, 'moby');
}

/**
 * Containers from Docker's data-root, each checked against the runtime's state: a container the
 * file calls running whose process is gone or reused is reported exited and stale. One bad directory
 * or file costs one warning and that one container, never the listing.
 */
export async function listFromDisk(roots: Pick<DockerRoots, 'dataRoot' | 'execRoot'>, warn: Warn): Promise<Container[]> {
  const dir = path.join(roots.dataRoot, 'containers');
  const trust = trustedDir(roots.dataRoot);
  if (!trust.ok) {
    warn(/ENOENT/.test(trust.reason) ? `cannot read ${dir}: ENOENT` : `not reading ${roots.dataRoot}: ${trust.reason}`);
    return [];
  }
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    warn(`cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return [];
  }
  const records = await Promise.all(
    names.map(async (name) => {
      if (!isFullId(name)) {
        warn(`skipping ${path.join(dir, sanitize(name))}: not a container id`);
        return undefined;
      }
      try {
        return await readOne(dir, name, roots.execRoot);
      } catch (err) {
        warn(`skipping container ${name.slice(0, 12)}: ${describe(err)}`);
        return undefined;
      }
    }),
  );
  return records.filter((c): c is Container => c !== undefined);
}

/** One container's on-disk record (a stand-in when dockerd does not answer for it); throws when unreadable. */
export async function readDiskRecord(roots: Pick<DockerRoots, 'dataRoot' | 'execRoot'>, id: string): Promise<Container> {
  if (!isFullId(id)) throw new Error('not a container id');
  const trust = trustedDir(roots.dataRoot);
  if (!trust.ok) throw new Error(trust.reason);
  return readOne(path.join(roots.dataRoot, 'containers'), id, roots.execRoot);
}

/** config.v2.json files read at once while looking for a name. */
const FIND_BATCH = 16;

/**
 * Which id each name had when it was last looked up without the daemon, per data-root: the next
 * lookup of that name reads one record instead of every container's (a hundred files on a busy
 * host). The record is checked as if it had been found by the scan (its id and its name), so a
 * stale entry (the container renamed or removed) costs only the scan it would have made anyway.
 */
export const NAMES_MEMO = '/run/cx/names.json';
/** Names remembered per data-root, and data-roots: the most recently looked up. */
const NAMES_KEPT = 64;
const DATA_ROOTS_KEPT = 8;
type NamesMemo = Record<string, Record<string, string>>;

/**
 * The container a full id or an exact name names, from the data-root alone: a full id's directory
 * is read directly; a name is looked for in the config.v2.json files (parsed, nothing else) until
 * found, and only that container's runtime state and PID are checked. undefined when neither
 * matches (the caller then resolves against the whole listing: id prefixes, other runtimes).
 */
export async function findOnDisk(roots: Pick<DockerRoots, 'dataRoot' | 'execRoot'>, typed: string): Promise<Container | undefined> {
  if (!trustedDir(roots.dataRoot).ok) return undefined;
  const dir = path.join(roots.dataRoot, 'containers');
  if (isFullId(typed.toLowerCase())) {
    const id = typed.toLowerCase();
    return readOne(dir, id, roots.execRoot).catch(() => undefined);
  }
  const memo = readRootMemo<NamesMemo>(NAMES_MEMO, () => undefined);
  const known = memo[roots.dataRoot]?.[typed];
  if (typeof known === 'string' && isFullId(known)) {
    const c = await readOne(dir, known, roots.execRoot).catch(() => undefined);
    if (c?.name === typed) return c;
  }
  const names = (await readdir(dir).catch(() => [] as string[])).filter(isFullId);
  // A few files at a time (not one await per file), and a file whose text cannot hold the name is
  // not parsed: dockerd writes it as "Name":"/<name>" (names are [A-Za-z0-9_.-], nothing to escape).
  // A name missed here is still found by the caller's full listing.
  const needle = `"Name":${JSON.stringify(`/${typed}`)}`;
  for (let i = 0; i < names.length; i += FIND_BATCH) {
    const batch = names.slice(i, i + FIND_BATCH);
    const texts = await Promise.all(batch.map((id) => readText(path.join(dir, id, 'config.v2.json')).catch(() => '')));
    for (const [j, text] of texts.entries()) {
      const id = batch[j] as string;
      if (!text.includes(needle)) continue;
      let cfg: ConfigV2;
      try {
        cfg = JSON.parse(text) as ConfigV2;
      } catch {
        continue;
      }
      if (cfg.ID === id && (cfg.Name ?? '').replace(/^\//, '') === typed) {
        const found = await readOne(dir, id, roots.execRoot).catch(() => undefined);
        if (found) rememberName(memo, roots.dataRoot, typed, id);
        return found;
      }
    }
  }
  return undefined;
}

function rememberName(memo: Partial<NamesMemo>, dataRoot: string, name: string, id: string): void {
  const kept = withLatest(memo[dataRoot] ?? {}, name, id, NAMES_KEPT);
  writeRootMemo(NAMES_MEMO, withLatest(memo, dataRoot, kept, DATA_ROOTS_KEPT), () => undefined);
}

/**
 * What the Engine API's container list lacks (PID, start/finish times, exit code, session config,
 * the exact command), from the container's config.v2.json, which dockerd itself writes on every
 * state change. Used only beside a list the daemon just gave (it supplies the state): the record
 * is the daemon's own data at rest, so the PID is not checked against the runtime here.
 */
export async function readDiskFacts(roots: Pick<DockerRoots, 'dataRoot'>, id: string): Promise<Container> {
  if (!isFullId(id)) throw new Error('not a container id');
  const cfg = await readConfig(path.join(roots.dataRoot, 'containers'), id);
  // The exit code is kept whatever the state: the caller takes the state from the daemon's list and clears it there.
  return fromContainerJson(id, cfg, stateOf(cfg.State ?? {}));
}

async function readOne(dir: string, id: string, execRoot: string): Promise<Container> {
  const cfg = await readConfig(dir, id);
  const host = await readText(path.join(dir, id, 'hostconfig.json')).then(
    (t) => JSON.parse(t) as HostConfig,
    () => undefined,
  );
  const runtimeName = /^[A-Za-z0-9_.-]+$/.test(host?.Runtime ?? '') ? (host?.Runtime as string) : 'runc';
  const binary = runtimeName.includes('crun') ? 'crun' : 'runc';
  const root = dockerRuntimeRoot(execRoot, runtimeName);
  const record = fromContainerJson(id, cfg, stateOf(cfg.State ?? {}), host);
  let { state, pid } = record;
  let stale: string | undefined;
  let rs: RuntimeState | undefined;
  if (isUp(state)) {
    rs = await readRuntimeState(binary, root, id).catch(() => undefined);
    const check = rs ? await validatePid(rs.pid, id, rs.pidStart, '/proc', rs.cgroupPaths) : await validatePid(pid, id, undefined);
    if (!check.ok) {
      stale = rs ? check.reason : `the runtime has no state for it (${check.reason})`;
      state = 'exited';
      pid = undefined;
    } else if (rs) {
      pid = rs.pid;
    }
  }
  return {
    ...record,
    state,
    finishedAt: stale ? undefined : record.finishedAt,
    exitCode: state === 'exited' && !stale ? record.exitCode : undefined,
    pid,
    source: 'docker-disk',
    oci: { binary, root, bundle: rs?.bundle, pidStart: rs?.pidStart },
    ...(stale ? { stale } : {}),
  };
}

/** <dir>/<id>/config.v2.json, refused when it names another container. */
async function readConfig(dir: string, id: string): Promise<ConfigV2> {
  const file = path.join(dir, id, 'config.v2.json');
  const cfg = JSON.parse(await readText(file)) as ConfigV2;
  if (cfg.ID !== id) throw new Error(`${file} names another id`);
  return cfg;
}

function stateOf(s: NonNullable<ConfigV2['State']>): ContainerState {
  if (s.RemovalInProgress) return 'removing';
  if (s.Dead) return 'dead';
  if (s.Paused) return 'paused';
  if (s.Restarting) return 'restarting';
  if (s.Running) return 'running';
  return realTime(s.StartedAt) ? 'exited' : 'created';
}

function describe(err: unknown): string {
  if (err instanceof SyntaxError) return `malformed config.v2.json (${err.message})`;
  const e = err as NodeJS.ErrnoException;
  return e.code ? `config.v2.json unreadable (${e.code})` : String(e.message ?? err);
}
