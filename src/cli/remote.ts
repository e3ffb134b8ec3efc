import { UsageError } from '../errors.js';
import { startDialProxy, type DialProxy } from '../remote/dial.js';
import { engineAnswers, engineForward, engineRuns, remoteEngineSocket } from '../remote/forward.js';
import { listHosts, prepareHost, runRemote, type FallbackListing, type HostListing } from '../remote/run.js';
import { assertConnected, RemoteError, sshSettings, type SshSettings } from '../remote/ssh.js';
import { hostsFile, selectHosts, takeHostArgs, type RemoteHost } from '../remote/target.js';
import { Writable } from 'node:stream';
import type { IO } from '../session/io.js';
import { sanitize } from '../util/sanitize.js';
import { compareNames } from '../util/compare.js';
import { formatLs, type LsRecord } from './commands/ls.js';
import { optionArgs, version } from './version.js';

// Commands that run where the containers are; the rest (completion, man, help) answer locally.
const REMOTE_COMMANDS = new Set(['ls', 'ps', 'exec', 'enter', 'env', 'doctor', 'ui']);

/**
 * The hosts a command line names (-H, CX_HOST, DOCKER_HOST=ssh://, the docker context, or the hosts
 * file for `cx ls --all-hosts`) and the command line without them. No hosts: the local machine.
 */
export function remoteTarget(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { hosts: RemoteHost[]; rest: string[]; allHosts: boolean } | undefined {
  const { hosts: given, rest } = takeHostArgs(argv);
  const opts = optionArgs(rest);
  const allHosts = opts.includes('--all-hosts');
  if (opts.includes('--help') || opts.includes('-h') || opts.includes('--version') || opts.includes('-V')) {
    if (given.length === 0) return undefined;
    return { hosts: [], rest, allHosts };
  }
  const sub = opts.find((a) => !a.startsWith('-'));
  if (allHosts) {
    if (sub !== 'ls' && sub !== 'ps') throw new UsageError('--all-hosts is an option of cx ls', 'cx ls --all-hosts');
    const { file, hosts } = hostsFile(env);
    if (hosts.length === 0)
      throw new UsageError(`no hosts in ${file}`, `list one ssh://[user@]host[:port] a line there, or use cx ls -H ssh://host`);
    const extra = given.map((h) => selectHosts([h], env)[0]!);
    return { hosts: [...hosts, ...extra], rest: rest.filter((a) => a !== '--all-hosts'), allHosts };
  }
  const hosts = selectHosts(given, env);
  if (hosts.length === 0) return given.length === 0 ? undefined : { hosts, rest, allHosts };
  if (sub !== undefined && !REMOTE_COMMANDS.has(sub)) return { hosts: [], rest, allHosts };
  return { hosts, rest, allHosts };
}

/** Runs a command line here, against the engine io.env names, with only its API (the fallback's way). */
export type RunHere = (argv: string[], io: IO) => Promise<number>;

/** Run a command line on remote hosts: `ls` on each at once, anything else on the one host. */
export async function runOnHosts(hosts: readonly RemoteHost[], rest: readonly string[], io: IO, runHere: RunHere): Promise<number> {
  const opts = optionArgs(rest);
  const sub = opts.find((a) => !a.startsWith('-'));
  const quiet = opts.includes('-q') || opts.includes('--quiet');
  if ((sub === 'ls' || sub === 'ps') && !(quiet && hosts.length === 1)) return lsOnHosts(hosts, opts, io, runHere);
  if (hosts.length > 1 && (sub === undefined || sub === 'ui')) {
    const { startHostPicker } = await import('../tui/entry.js');
    return startHostPicker(io, hosts, version());
  }
  if (hosts.length > 1) {
    throw new UsageError(
      `cx ${sub ?? 'ui'} runs on one host, and ${hosts.length} are given`,
      'give one -H, or use cx ls to list several hosts',
    );
  }
  const host = hosts[0]!;
  try {
    const target = directTarget(rest);
    const code = target === undefined ? undefined : await viaForward(host, target, rest, io, runHere);
    return code ?? (await runRemote(host, rest, io, version()));
  } catch (err) {
    if (!(err instanceof RemoteError) || !CANNOT_PLACE.has(err.reason)) throw err;
    return viaEngineApi(host, rest, io, err, runHere);
  }
}

// Options of exec and enter that mean the same run here against the remote engine as run there by
// the carried cx. Not here: what names a file (--env-file, --record: whose machine's?), takes a value
// from the environment (-e NAME alone), or belongs to another backend (--ssh-user).
const DIRECT_FLAGS: Record<'exec' | 'enter', ReadonlySet<string>> = {
  exec: new Set(['-i', '--interactive', '-t', '--tty', '-T', '--no-tty', '-d', '--detach', '--privileged', '--debug']),
  enter: new Set(['--debug']),
};
const SESSION_VALUES = ['-u', '--user', '-w', '--workdir', '-e', '--env', '--unset-env', '--backend', '--detach-keys'];
const DIRECT_VALUES: Record<'exec' | 'enter', ReadonlySet<string>> = {
  exec: new Set(SESSION_VALUES),
  enter: new Set([...SESSION_VALUES, '-s', '--shell']),
};

/**
 * The target of an exec or enter line that the remote dockerd can serve from here (see viaForward):
 * backend auto or docker, and only the options above. Undefined for anything else, which the carried
 * cx runs as it always has. Only ever too strict, never too lax: what it does not know is "no".
 */
export function directTarget(rest: readonly string[]): string | undefined {
  const [sub, ...args] = rest;
  if (sub !== 'exec' && sub !== 'enter') return undefined;
  const end = args.indexOf('--');
  // exec's command follows '--'; enter takes none.
  if (sub === 'exec' ? end < 0 : end >= 0) return undefined;
  const opts = sub === 'exec' ? args.slice(0, end) : args;
  let target: string | undefined;
  for (let i = 0; i < opts.length; i++) {
    const a = opts[i]!;
    if (!a.startsWith('-')) {
      if (target !== undefined) return undefined;
      target = a;
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (eq < 0 && (DIRECT_FLAGS[sub].has(name) || (sub === 'exec' && /^-[itTd]{2,4}$/.test(a)))) continue;
    if (!DIRECT_VALUES[sub].has(name)) return undefined;
    const value = eq > 0 ? a.slice(eq + 1) : opts[++i];
    if (value === undefined) return undefined;
    if (name === '--backend' && value !== 'auto' && value !== 'docker') return undefined;
    if ((name === '-e' || name === '--env') && !value.includes('=')) return undefined;
  }
  return target;
}

/**
 * exec/enter through the remote Engine API, forwarded to a local socket by the ssh connection (see
 * remote/forward.ts), when the remote dockerd runs the target and answers at once: the choice the
 * remote cx's auto would make, without starting it there. Undefined: the carried cx decides instead
 * (it is in place: prepareHost), with what only it can read there.
 */
async function viaForward(
  host: RemoteHost,
  target: string,
  rest: readonly string[],
  io: IO,
  runHere: RunHere,
): Promise<number | undefined> {
  const remoteSocket = remoteEngineSocket(io.env);
  if (remoteSocket === undefined) return undefined;
  const s = sshSettings(io.env, !(io.stdinIsTTY && io.stdoutIsTTY));
  const trace = optionArgs(rest).includes('--debug') ? (l: string) => io.stderr.write(`cx: debug: ${sanitize(l)}\n`) : undefined;
  await prepareHost(host, s, version());
  const local = await engineForward(host, s, remoteSocket);
  if (local === undefined || !(await engineRuns(local, target))) {
    trace?.(
      `${host.label}: ${local === undefined ? `no forward of ${remoteSocket}` : `dockerd there did not say it runs '${target}'`}: the remote cx decides`,
    );
    return undefined;
  }
  trace?.(`${host.label}: dockerd there runs '${target}': run here through its Engine API (${remoteSocket}, forwarded by ssh)`);
  try {
    return await runHere([...rest], ioHere(io, local));
  } catch (err) {
    // A mistake in the command line is the same one line wherever it runs; anything else may be the
    // connection going away under the session.
    if (err instanceof UsageError) throw err;
    await assertConnected(host, s);
    throw err;
  }
}

// Reasons cx could not run its own copy on the host, where the remote Engine API may still serve.
const CANNOT_PLACE = new Set<RemoteError['reason']>(['not-root', 'no-cx']);

function fallbackWarning(why: RemoteError): string {
  return `${why.message}; using the remote Engine API over ssh instead (docker backend only: it needs a responsive dockerd there)`;
}

/** io with the engine pointed at the relay (its stdin getter stays lazy), and other fields replaced. */
function ioHere(io: IO, socketPath: string, fields: Partial<IO> = {}): IO {
  const props: PropertyDescriptorMap = { env: { value: { ...io.env, DOCKER_HOST: `unix://${socketPath}` }, enumerable: true } };
  for (const [k, v] of Object.entries(fields)) props[k] = { value: v, enumerable: true };
  return Object.create(io, props) as IO;
}

/**
 * The remote engine's API on a local socket, for a host cx cannot run on: its socket forwarded by the
 * ssh connection when that answers /_ping (nothing runs on the remote), else `docker system
 * dial-stdio` there, as the docker CLI does (it needs the docker CLI there, and finds an engine of
 * the login's own).
 */
async function remoteEngineHere(host: RemoteHost, s: SshSettings, env: NodeJS.ProcessEnv, why: RemoteError): Promise<DialProxy> {
  const remoteSocket = remoteEngineSocket(env);
  const local = remoteSocket === undefined ? undefined : await engineForward(host, s, remoteSocket).catch(() => undefined);
  if (local !== undefined && (await engineAnswers(local))) return { socketPath: local, close: () => undefined };
  return startDialProxy(host, s, why.message);
}

/**
 * The fallback: the same command run here, against the remote engine (remoteEngineHere), with only
 * the Engine API and the docker backend (this machine's disk, runtimes and /proc are not that host's).
 * Said in one warning line, with why cx could not run there.
 */
async function viaEngineApi(host: RemoteHost, rest: readonly string[], io: IO, why: RemoteError, runHere: RunHere): Promise<number> {
  const proxy = await remoteEngineHere(host, sshSettings(io.env, !(io.stdinIsTTY && io.stdoutIsTTY)), io.env, why);
  io.stderr.write(`cx: warning: ${sanitize(fallbackWarning(why))}\n`);
  try {
    return await runHere([...rest], ioHere(io, proxy.socketPath));
  } finally {
    proxy.close();
  }
}

/** `cx ls --json` here against one host's engine through the relay, for a host cx cannot run on. */
async function lsViaEngineApi(host: RemoteHost, all: boolean, io: IO, why: RemoteError, runHere: RunHere): Promise<FallbackListing> {
  const proxy = await remoteEngineHere(host, sshSettings(io.env, true), io.env, why);
  try {
    const out: Buffer[] = [];
    let err = '';
    const stdout = new Writable({ write: (c: Buffer, _e, cb) => (out.push(Buffer.from(c)), cb()) });
    const stderr = new Writable({ write: (c: Buffer, _e, cb) => ((err += c.toString('utf8')), cb()) });
    const code = await runHere(
      ['ls', '--json', ...(all ? ['--all'] : [])],
      ioHere(io, proxy.socketPath, { stdout, stderr, stdoutIsTTY: false, stderrIsTTY: false }),
    );
    if (code !== 0)
      throw new RemoteError(
        host,
        'no-engine',
        `${why.message}, and its Engine API did not answer: ${err.split('\n')[0]?.replace(/^cx: /, '') ?? ''}`,
      );
    // The listing prints it after the host's label: the message without its own.
    const warning = fallbackWarning(why).replace(`${host.label}: `, '');
    return { records: JSON.parse(Buffer.concat(out).toString('utf8')) as Record<string, unknown>[], warnings: [`cx: warning: ${warning}`] };
  } finally {
    proxy.close();
  }
}

async function lsOnHosts(hosts: readonly RemoteHost[], opts: readonly string[], io: IO, runHere: RunHere): Promise<number> {
  const all = opts.includes('-a') || opts.includes('--all');
  const json = opts.includes('--json');
  const quiet = opts.includes('-q') || opts.includes('--quiet');
  const listings = await listHosts(hosts, all, io.env, version(), (host, why) =>
    CANNOT_PLACE.has(why.reason) ? lsViaEngineApi(host, all, io, why, runHere) : undefined,
  );
  for (const l of listings) {
    for (const w of l.warnings) io.stderr.write(`${sanitize(l.host.label)}: ${sanitize(w)}\n`);
  }
  const records = listings.flatMap((l) => (l.records ?? []).map((r) => toHostRecord(r, l.host)));
  records.sort((a, b) => compareNames(a.host ?? '', b.host ?? '') || compareNames(a.name, b.name));
  const failed = listings.filter((l) => l.error);
  if (quiet) io.stdout.write(records.map((r) => `${r.host} ${r.name}\n`).join(''));
  else if (json) io.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
  else {
    if (records.length > 0 || failed.length === 0) io.stdout.write(formatLs(records, Date.now()));
  }
  // A host that did not answer is one line of its own, after the others' rows, never in their way.
  for (const l of failed) {
    io.stderr.write(`cx: ${sanitize(l.error!.message)}\n`);
    if (l.error!.hint) io.stderr.write(`    ${sanitize(l.error!.hint)}\n`);
  }
  return failed.length === 0 ? 0 : failed.length === listings.length ? 255 : 1;
}

/** A remote cx's JSON record, checked field by field (its text is shown, so it must be what it says). */
function toHostRecord(raw: Record<string, unknown>, host: RemoteHost): LsRecord {
  const str = (k: string): string => (typeof raw[k] === 'string' ? (raw[k] as string) : '');
  const strOrNull = (k: string): string | null => (typeof raw[k] === 'string' ? (raw[k] as string) : null);
  const num = (k: string): number | null => (typeof raw[k] === 'number' ? (raw[k] as number) : null);
  const strings = (k: string): string[] =>
    Array.isArray(raw[k]) ? (raw[k] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
  return {
    host: host.label,
    id: str('id'),
    shortId: str('shortId'),
    name: str('name'),
    image: str('image'),
    command: str('command'),
    state: str('state'),
    createdAt: strOrNull('createdAt'),
    startedAt: strOrNull('startedAt'),
    finishedAt: strOrNull('finishedAt'),
    exitCode: num('exitCode'),
    pid: num('pid'),
    runtime: str('runtime'),
    source: str('source'),
    sources: strings('sources'),
    stale: strOrNull('stale'),
    stuck: strOrNull('stuck'),
    k8s: (raw['k8s'] as LsRecord['k8s']) ?? null,
    labels: typeof raw['labels'] === 'object' && raw['labels'] !== null ? (raw['labels'] as Record<string, string>) : {},
    backends: strings('backends') as LsRecord['backends'],
  };
}

export type { HostListing };
