import { sha256Hex } from '../util/crypto.js';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { sanitize } from '../util/sanitize.js';

/** A remote host, as `ssh://[user@]host[:port]` names it. */
export interface RemoteHost {
  /** What the user wrote, normalised (ssh://user@host:port), shown in the HOST column. */
  label: string;
  host: string;
  user?: string;
  port?: number;
}

// A host is a DNS name, an IPv4 address or a bracketed IPv6 one. Nothing that ssh would read as an
// option (a leading '-') or that a shell would split: the name reaches ssh's argv, never a shell.
const URL_RE =
  /^ssh:\/\/(?:([A-Za-z0-9._][A-Za-z0-9._-]{0,63})@)?([A-Za-z0-9_][A-Za-z0-9._-]{0,252}|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?\/?$/;

/** Parse `ssh://[user@]host[:port]`; anything else is a usage error naming the value. */
export function parseHost(value: string, from = '-H'): RemoteHost {
  const m = URL_RE.exec(value);
  if (!m) {
    throw new UsageError(`${from} ${sanitize(value)}: not an ssh://[user@]host[:port] address`, 'e.g. cx -H ssh://root@prod-3 ls');
  }
  const user = m[1];
  const host = (m[2] ?? '').replace(/^\[|\]$/g, '');
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535))
    throw new UsageError(`${from} ${sanitize(value)}: port out of range`, 'use a port from 1 to 65535');
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    label: `ssh://${user ? `${user}@` : ''}${shownHost}${port ? `:${port}` : ''}`,
    host,
    ...(user ? { user } : {}),
    ...(port ? { port } : {}),
  };
}

/**
 * Take every `-H X`, `-H=X`, `--host X` and `--host=X` out of the options part of argv (before
 * '--'); what follows '--' is the container command's and is never looked at.
 */
export function takeHostArgs(argv: readonly string[]): { hosts: string[]; rest: string[] } {
  const hosts: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--') break;
    if (a === '-H' || a === '--host') {
      const v = argv[i + 1];
      if (v === undefined || v === '--') throw new UsageError(`${a} needs a value`, 'e.g. -H ssh://root@prod-3');
      hosts.push(v);
      i++;
    } else if (a.startsWith('--host=')) hosts.push(a.slice('--host='.length));
    else if (a.startsWith('-H') && a.length > 2) hosts.push(a.slice(a[2] === '=' ? 3 : 2));
    else rest.push(a);
  }
  return { hosts, rest: [...rest, ...argv.slice(i)] };
}

/**
 * Where the remote hosts come from, first that names any: -H options, CX_HOST (comma-separated),
 * DOCKER_HOST=ssh://..., the current docker context when its endpoint is ssh://. An empty list is
 * the local machine. DOCKER_HOST and the context only count when they name ssh: a unix socket is the
 * local engine, which the rest of cx reads itself.
 */
export function selectHosts(argvHosts: readonly string[], env: NodeJS.ProcessEnv): RemoteHost[] {
  if (argvHosts.length > 0) return argvHosts.map((h) => parseHost(h));
  const cxHost = env['CX_HOST'];
  if (cxHost) {
    return cxHost
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((h) => parseHost(h, 'CX_HOST='));
  }
  const dockerHost = env['DOCKER_HOST'];
  if (dockerHost?.startsWith('ssh://')) return [parseHost(dockerHost, 'DOCKER_HOST=')];
  if (dockerHost) return [];
  const ctx = dockerContextHost(env);
  return ctx ? [parseHost(ctx, 'the docker context endpoint')] : [];
}

/**
 * The ssh:// endpoint of the current docker context, if it is one. The docker CLI keeps the name in
 * config.json (DOCKER_CONTEXT overrides it) and the endpoint in contexts/meta/<sha256 of name>/meta.json.
 */
export function dockerContextHost(env: NodeJS.ProcessEnv): string | undefined {
  const configDir = env['DOCKER_CONFIG'] || path.join(env['HOME'] || homedir(), '.docker');
  let name = env['DOCKER_CONTEXT'];
  try {
    name ??= (JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8')) as { currentContext?: string }).currentContext;
  } catch {
    return undefined;
  }
  if (!name || name === 'default') return undefined;
  try {
    const dir = sha256Hex(name);
    const meta = JSON.parse(readFileSync(path.join(configDir, 'contexts', 'meta', dir, 'meta.json'), 'utf8')) as {
      Endpoints?: { docker?: { Host?: string } };
    };
    const host = meta.Endpoints?.docker?.Host;
    return host?.startsWith('ssh://') ? host : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The hosts file (~/.config/cx/hosts, or $XDG_CONFIG_HOME/cx/hosts): one ssh:// address a line,
 * '#' starts a comment. Missing file: no hosts.
 */
export function hostsFile(env: NodeJS.ProcessEnv): { file: string; hosts: RemoteHost[] } {
  const base =
    env['XDG_CONFIG_HOME'] && path.isAbsolute(env['XDG_CONFIG_HOME'])
      ? env['XDG_CONFIG_HOME']
      : path.join(env['HOME'] || homedir(), '.config');
  const file = path.join(base, 'cx', 'hosts');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { file, hosts: [] };
  }
  const hosts = text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((h) => parseHost(h, `${file}:`));
  return { file, hosts };
}
