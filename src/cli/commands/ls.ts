import { Command, Option } from 'commander';
import type { BackendName } from '../../backends/types.js';
import { isRunning, statusText } from '../../discovery/container-state.js';
import { shortId, sourcesOf, type Container } from '../../discovery/types.js';
import { describeHealth } from '../../engine/health.js';
import type { Context } from '../../session/context.js';
import { sameInstant } from '../../host/trust.js';
import { ellipsize, renderTable } from '../format/table.js';
import type { Done } from './done.js';
import { compareNames } from '../../util/compare.js';

export interface LsOptions {
  all: boolean;
  json: boolean;
  quiet?: boolean;
}

/** One `cx ls --json` object. Field names are stable (documented in README). */
export interface LsRecord {
  id: string;
  shortId: string;
  name: string;
  image: string;
  command: string;
  state: string;
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  pid: number | null;
  runtime: string;
  source: string;
  /** Every source that saw it, best first (docker-api, docker-disk, containerd, podman, proc). */
  sources: string[];
  /** Why a record the disk called running is reported exited (process gone, PID reused), else null. */
  stale: string | null;
  /** dockerd listed it but did not answer for it: the row is what its files say. */
  stuck: string | null;
  /** Kubernetes names (containerd k8s.io), else null. */
  k8s: { namespace: string; pod: string; container: string } | null;
  labels: Record<string, string>;
  backends: BackendName[];
  /** The host it runs on (ssh://...), only when listing other hosts (cx ls -H ...). */
  host?: string;
}

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function lsCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('ls')
    .alias('ps')
    .summary('list containers')
    .description('List running containers with the backends that can enter each one.')
    .option('-a, --all', 'include stopped containers', false)
    .option('--json', 'print a JSON array of objects (fields documented in README)', false)
    .option('--all-hosts', 'list the containers of every host in ~/.config/cx/hosts (over ssh)', false)
    .option('-q, --quiet', 'print only the names, one a line (the short id for a name that is not plain)', false)
    .addHelpText(
      'after',
      `
Examples:
  cx ls
  cx ls --all
  cx ls --json | jq -r '.[].name'`,
    );
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(async (raw: Record<string, unknown>) => {
    done(await runLs({ all: raw['all'] === true, json: raw['json'] === true, quiet: raw['quiet'] === true }, ctx));
  });
  return cmd;
}

export async function runLs(opts: LsOptions, ctx: Context): Promise<number> {
  const containers = await ctx.inventory().list({ all: opts.all, listing: true });
  const health = await ctx.health();
  if (health.state !== 'ok') ctx.warn(`${describeHealth(health)}: listing from on-disk and runtime state`);
  if (opts.quiet) {
    // Shell completion reads this: only names a shell word can hold as is (a container picks its name).
    const shown = containers.filter((c) => opts.all || isRunning(c)).map((c) => (PLAIN_NAME.test(c.name) ? c.name : shortId(c.id)));
    ctx.io.stdout.write(
      shown
        .sort()
        .map((n) => `${n}\n`)
        .join(''),
    );
    return 0;
  }
  const registry = ctx.registry();
  // One moment for every row's checks: shared directories are checked once, not once per row.
  const records = sameInstant(() =>
    containers
      .filter((c) => opts.all || isRunning(c))
      .sort((a, b) => compareNames(a.name, b.name))
      .map((c) => toRecord(c, registry.usableFor(c))),
  );
  ctx.io.stdout.write(opts.json ? `${JSON.stringify(records, null, 2)}\n` : formatLs(records, Date.now()));
  return 0;
}

export function toRecord(c: Container, backends: BackendName[]): LsRecord {
  return {
    id: c.id,
    shortId: shortId(c.id),
    name: c.name,
    image: c.image,
    command: c.command,
    state: c.state,
    createdAt: c.createdAt ?? null,
    startedAt: c.startedAt ?? null,
    finishedAt: c.finishedAt ?? null,
    exitCode: c.exitCode ?? null,
    pid: c.pid ?? null,
    runtime: c.runtime,
    source: c.source,
    sources: sourcesOf(c),
    stale: c.stale ?? null,
    stuck: c.stuck ?? null,
    k8s: c.k8s ?? null,
    labels: c.labels,
    backends,
  };
}

export function formatLs(records: readonly LsRecord[], now: number): string {
  if (records.length === 0) return 'no running containers (cx ls --all shows stopped ones)\n';
  // Rows not from the Engine API are marked: their data may be older than the daemon's would be.
  const marked = records.some((r) => r.source !== 'docker-api');
  const hosts = records.some((r) => r.host !== undefined);
  const rows = records.map((r) => [
    ...(hosts ? [r.host ?? '-'] : []),
    r.shortId,
    ellipsize(r.name, 32),
    ellipsize(r.image, 32),
    r.stale !== null ? `${r.state} (stale)` : r.stuck !== null ? `${r.state} (dockerd stuck)` : stateText(r, now),
    r.pid === null ? '-' : String(r.pid),
    r.backends.length ? r.backends.join(',') : '-',
    ...(marked ? [SOURCE_LABEL[r.source] ?? r.source] : []),
  ]);
  return renderTable([...(hosts ? ['HOST'] : []), 'ID', 'NAME', 'IMAGE', 'STATE', 'PID', 'BACKENDS', ...(marked ? ['SOURCE'] : [])], rows);
}

const SOURCE_LABEL: Record<string, string> = {
  'docker-api': 'api',
  'docker-disk': 'disk',
  containerd: 'containerd',
  podman: 'podman',
  'runc-state': 'runtime',
  proc: 'proc',
};

/** "running 5m", "exited (3) 2h ago", "created" (the one rule, shared with the TUI). */
export const stateText: (r: Pick<LsRecord, 'state' | 'startedAt' | 'finishedAt' | 'exitCode'>, now: number) => string = statusText;
