import { readdir } from '../util/fs-async.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isFullId } from '../host/bundle.js';
import { trustedDir, type Verdict } from '../host/trust.js';

/** What an OCI runtime's own state says about a container (runc state.json, crun status). */
export interface RuntimeState {
  pid: number;
  /** /proc start time of `pid` as the runtime recorded it. */
  pidStart: number | undefined;
  bundle: string | undefined;
  created: string | undefined;
  /** The cgroups the runtime put the container in (runc: mount-point paths per controller). */
  cgroupPaths: string[];
}

interface RuncStateJson {
  init_process_pid?: number;
  init_process_start?: number | string;
  created?: string;
  config?: { labels?: string[] };
  cgroup_paths?: Record<string, string>;
}

interface CrunStatus {
  pid?: number;
  'process-start-time'?: number | string;
  bundle?: string;
  created?: string;
}

/** The state file of one container under a runtime root; undefined when the runtime has none. */
export function stateFile(binary: 'runc' | 'crun', root: string, id: string): string {
  return path.join(root, id, binary === 'crun' ? 'status' : 'state.json');
}

/**
 * Read <root>/<id>/state.json (runc) or <root>/<id>/status (crun). Missing: undefined (the runtime
 * removes it when the container is deleted). Malformed: throws, so the caller can warn about it.
 * `trusted`: the root's check, shared by a listing's containers (oneCheckPerDir).
 */
export async function readRuntimeState(
  binary: 'runc' | 'crun',
  root: string,
  id: string,
  trusted: (dir: string) => Verdict = trustedDir,
): Promise<RuntimeState | undefined> {
  if (!isFullId(id)) return undefined;
  // runc refuses a state root root does not own; so does cx: whoever can write it picks the PID.
  const trust = trusted(root);
  if (!trust.ok) {
    if (/ENOENT/.test(trust.reason)) return undefined;
    throw new Error(`untrusted runtime state root: ${trust.reason}`);
  }
  let data: Buffer;
  try {
    // Bytes, not text: runc's file is ~30 KB and a listing reads one per container; only a few
    // hundred bytes of it become strings (parseRuncState).
    data = readFileSync(stateFile(binary, root, id));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
  if (binary === 'crun') {
    const s = JSON.parse(data.toString('utf8')) as CrunStatus;
    return { pid: Number(s.pid), pidStart: num(s['process-start-time']), bundle: absolute(s.bundle), created: s.created, cgroupPaths: [] };
  }
  return parseRuncState(data);
}

const RUNC_HEAD = /^\{"id":"[0-9a-f]{64}","init_process_pid":(\d+),"init_process_start":(\d+),"created":"([^"\\]+)"/;
const LABELS = /^"labels":(\[(?:"(?:[^"\\]|\\.)*"(?:,"(?:[^"\\]|\\.)*")*)?\])/;
const CGROUP_PATHS = /^"cgroup_paths":(\{[^{}]*\})/;

/**
 * The four fields cx needs from runc's state.json. The file is ~30 KB (it embeds the whole container
 * config, seccomp profile included), so the top-level fields runc writes first are read from its
 * head, and the bundle label (config.labels, near the end) and cgroup_paths (after the config) from
 * where their keys are: a key cannot be forged by a value in JSON (a value's quotes are escaped), and
 * the bundle is the first "bundle=" label, as a full parse gives it. Anything unexpected falls back to
 * a full parse, which throws on a malformed file, as callers expect.
 */
export function parseRuncState(data: Buffer | string): RuntimeState {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const head = RUNC_HEAD.exec(bytes.toString('latin1', 0, 256));
  // A whole file ends with its closing brace (a cut one falls to the full parse, which throws).
  if (
    head &&
    bytes
      .toString('latin1', Math.max(0, bytes.length - 64))
      .trimEnd()
      .endsWith('}')
  ) {
    const at = bytes.lastIndexOf('"labels":[');
    const labels = at >= 0 ? LABELS.exec(bytes.toString('utf8', at)) : undefined;
    const cg = bytes.lastIndexOf('"cgroup_paths":{');
    const cgroups = cg >= 0 ? CGROUP_PATHS.exec(bytes.toString('utf8', cg, cg + 64 * 1024)) : undefined;
    if (at < 0 || labels) {
      const list = labels ? (JSON.parse(labels[1] as string) as string[]) : [];
      return {
        pid: Number(head[1]),
        pidStart: Number(head[2]),
        bundle: absolute(list.find((l) => l.startsWith('bundle='))?.slice('bundle='.length)),
        created: head[3],
        cgroupPaths: cgroupList(cgroups?.[1]),
      };
    }
  }
  const s = JSON.parse(bytes.toString('utf8')) as RuncStateJson;
  const bundleLabel = s.config?.labels?.find((l) => l.startsWith('bundle='));
  return {
    pid: Number(s.init_process_pid),
    pidStart: num(s.init_process_start),
    bundle: absolute(bundleLabel?.slice('bundle='.length)),
    created: s.created,
    cgroupPaths: Object.values(s.cgroup_paths ?? {}).filter((v) => typeof v === 'string'),
  };
}

function cgroupList(json: string | undefined): string[] {
  try {
    return Object.values(JSON.parse(json ?? '{}') as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
  } catch {
    return [];
  }
}

/** Container ids with a state dir under a runtime root (junk names are reported, not used). */
export async function listRuntimeIds(root: string, warn?: (line: string) => void): Promise<string[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const ids: string[] = [];
  for (const n of names) {
    if (isFullId(n)) ids.push(n);
    else if (warn && !n.startsWith('.')) warn(`skipping ${path.join(root, n)}: not a container id`);
  }
  return ids;
}

function num(v: number | string | undefined): number | undefined {
  const n = Number(v);
  return v !== undefined && Number.isFinite(n) ? n : undefined;
}

function absolute(p: string | undefined): string | undefined {
  return p !== undefined && path.isAbsolute(p) ? path.normalize(p) : undefined;
}
