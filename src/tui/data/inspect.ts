import { readFile } from '../../util/fs-async.js';
import type { Container } from '../../discovery/types.js';
import type { DockerClient } from '../../engine/docker-client.js';

/** One line of the summary, or several for lists (mounts, ports, limits). Values are raw (untrusted). */
export interface InspectField {
  label: string;
  values: string[];
}

/** What the inspect view shows, and what could not be known. */
export interface InspectSummary {
  fields: InspectField[];
  /** Set when the Engine API did not answer: says what is missing and why. */
  unavailable: string | undefined;
}

/** The parts of GET /containers/{id}/json the summary reads. */
export interface FullInspect {
  Image?: string;
  Path?: string;
  Args?: string[];
  Config?: { Image?: string; User?: string; WorkingDir?: string; Entrypoint?: string[] | null; Cmd?: string[] | null };
  Mounts?: Array<{ Type?: string; Source?: string; Destination?: string; RW?: boolean; Name?: string }>;
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null };
  HostConfig?: {
    Privileged?: boolean;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    SecurityOpt?: string[] | null;
    CgroupParent?: string;
    CgroupnsMode?: string;
    PidMode?: string;
    NetworkMode?: string;
    Memory?: number;
    MemorySwap?: number;
    NanoCpus?: number;
    CpuShares?: number;
    CpuQuota?: number;
    CpuPeriod?: number;
    CpusetCpus?: string;
    PidsLimit?: number | null;
    Ulimits?: Array<{ Name?: string; Soft?: number; Hard?: number }> | null;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
    ReadonlyRootfs?: boolean;
  };
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

const list = (xs: readonly string[] | null | undefined, none: string): string[] => (xs && xs.length > 0 ? [...xs] : [none]);
const field = (label: string, values: string | string[]): InspectField => ({
  label,
  values: typeof values === 'string' ? [values] : values,
});

/** The summary lines for an Engine API inspect answer. */
export function summarizeInspect(b: FullInspect, cgroupLine: string | undefined): InspectField[] {
  const hc = b.HostConfig ?? {};
  const cfg = b.Config ?? {};
  const mounts = (b.Mounts ?? []).map(
    (m) => `${m.Type ?? '?'} ${m.Name ?? m.Source ?? '?'} -> ${m.Destination ?? '?'}${m.RW === false ? ' (ro)' : ''}`,
  );
  const ports = Object.entries(b.NetworkSettings?.Ports ?? {}).map(([port, binds]) =>
    binds && binds.length > 0 ? binds.map((x) => `${x.HostIp || '0.0.0.0'}:${x.HostPort ?? '?'}->${port}`).join(', ') : port,
  );
  const caps = hc.Privileged
    ? 'privileged: every capability, no seccomp, all devices'
    : `default set; add: ${list(hc.CapAdd, 'none').join(', ')}; drop: ${list(hc.CapDrop, 'none').join(', ')}`;
  const limits: string[] = [];
  if (hc.Memory)
    limits.push(`memory ${bytes(hc.Memory)}${hc.MemorySwap && hc.MemorySwap > 0 ? ` (+swap to ${bytes(hc.MemorySwap)})` : ''}`);
  if (hc.NanoCpus) limits.push(`cpus ${hc.NanoCpus / 1e9}`);
  else if (hc.CpuQuota && hc.CpuQuota > 0) limits.push(`cpus ${(hc.CpuQuota / (hc.CpuPeriod || 100_000)).toFixed(2)}`);
  if (hc.CpuShares) limits.push(`cpu-shares ${hc.CpuShares}`);
  if (hc.CpusetCpus) limits.push(`cpuset ${hc.CpusetCpus}`);
  if (hc.PidsLimit && hc.PidsLimit > 0) limits.push(`pids ${hc.PidsLimit}`);
  for (const u of hc.Ulimits ?? []) limits.push(`ulimit ${u.Name ?? '?'}=${u.Soft ?? '?'}:${u.Hard ?? '?'}`);
  return [
    field('image', `${cfg.Image ?? '?'}${b.Image ? ` (${b.Image.replace(/^sha256:/, '').slice(0, 12)})` : ''}`),
    field('command', [b.Path ?? '', ...(b.Args ?? [])].join(' ').trim() || '-'),
    field('user', cfg.User || '(image default: root)'),
    field('workdir', cfg.WorkingDir || '/'),
    field('mounts', list(mounts, 'none')),
    field('ports', list(ports, 'none')),
    field('capabilities', caps),
    field('security', list(hc.SecurityOpt, 'default seccomp and LSM profiles')),
    field('rootfs', hc.ReadonlyRootfs ? 'read-only' : 'read-write'),
    field('namespaces', `pid ${hc.PidMode || 'private'}, network ${hc.NetworkMode || 'default'}, cgroupns ${hc.CgroupnsMode || 'default'}`),
    field('cgroup', cgroupLine ?? (hc.CgroupParent ? `parent ${hc.CgroupParent}` : 'unknown')),
    field('limits', list(limits, 'none')),
    field(
      'restart',
      hc.RestartPolicy?.Name
        ? `${hc.RestartPolicy.Name}${hc.RestartPolicy.MaximumRetryCount ? ` (max ${hc.RestartPolicy.MaximumRetryCount})` : ''}`
        : 'no',
    ),
  ];
}

/** The container's cgroup path as its init process sees it from the host (/proc/<pid>/cgroup). */
export async function cgroupOf(pid: number | undefined): Promise<string | undefined> {
  if (pid === undefined) return undefined;
  try {
    const text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
    const lines = text.trim().split('\n');
    // cgroup v2 has one "0::/path" line; on v1 every controller shares the container's path.
    const line = lines.find((l) => l.startsWith('0::')) ?? lines.find((l) => /:(pids|memory|cpu[^:]*):/.test(l)) ?? lines[0];
    return line?.split(':').slice(2).join(':');
  } catch {
    return undefined;
  }
}

/** The inspect summary: from the Engine API when it answers, else what the inventory record knows. */
export async function inspectSummary(client: DockerClient | undefined, c: Container): Promise<InspectSummary> {
  const cgroup = await cgroupOf(c.pid);
  let reason = 'no Engine API for this container';
  if (client && c.runtime === 'docker') {
    try {
      const body = await client.json<FullInspect>('GET', `/containers/${encodeURIComponent(c.id)}/json`);
      return { fields: summarizeInspect(body, cgroup), unavailable: undefined };
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err);
    }
  }
  return {
    fields: [
      field('image', c.image || '?'),
      field('command', c.command || '?'),
      field('user', c.config.user || '(image default)'),
      field('workdir', c.config.workingDir || '/'),
      field('cgroup', cgroup ?? 'unknown'),
      field('record from', String(c.source)),
    ],
    unavailable: `${reason}: mounts, ports, capabilities and limits are not known`,
  };
}
