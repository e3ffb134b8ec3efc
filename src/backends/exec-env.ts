import type { Container } from '../discovery/types.js';
import type { EnvEntry, EnvSource, ExecRequest, TermChoice } from './types.js';

/** Docker's default PATH for Linux containers (moby oci/defaults). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ExecEnvInput {
  hostname: string;
  containerEnv: readonly string[];
  tty: boolean;
  overrides: readonly string[];
  /** The exec user's home directory from the container's passwd, if found. */
  home: string | undefined;
  /** The TTY session's TERM (default: docker's xterm). */
  term?: TermChoice | undefined;
  /** Where containerEnv came from (default: the container's configuration). */
  containerEnvSource?: EnvSource;
  /** Further records applied after containerEnv and before the overrides (e.g. /etc/container_environment). */
  extraLayers?: ReadonlyArray<{ source: EnvSource; entries: readonly string[] }>;
}

/**
 * The environment docker exec gives a process, layer by layer (moby daemon/exec.go,
 * CreateDaemonEnvironment; runc adds HOME from passwd when nothing set it). Later layers replace
 * earlier ones; an override without '=' removes the variable. Every backend that emulates docker exec
 * composes the same way, so `cx env` can say where each variable came from.
 */
export function composeExecEnv(input: ExecEnvInput): EnvEntry[] {
  const env = new Map<string, EnvEntry>();
  const put = (entry: string, source: EnvSource, note?: string): void => {
    const eq = entry.indexOf('=');
    if (eq < 0) {
      if (source === 'exec-option') env.delete(entry);
      return;
    }
    const name = entry.slice(0, eq);
    if (name === '') return;
    env.set(name, { name, value: entry.slice(eq + 1), source, ...(note ? { note } : {}) });
  };
  put(`PATH=${DEFAULT_PATH}`, 'default');
  put(`HOSTNAME=${input.hostname}`, 'hostname');
  if (input.tty) put('TERM=xterm', 'tty');
  for (const e of input.containerEnv) put(e, input.containerEnvSource ?? 'container-config');
  for (const layer of input.extraLayers ?? []) for (const e of layer.entries) put(e, layer.source);
  // The terminal's own TERM is sent with the exec (as -e would be): it beats the container's.
  if (input.tty && input.term) put(`TERM=${input.term.value}`, 'tty', input.term.why);
  for (const e of input.overrides) put(e, 'exec-option');
  if (!env.has('HOME')) put(`HOME=${input.home ?? '/'}`, 'passwd');
  return [...env.values()];
}

export function envToList(entries: readonly EnvEntry[]): string[] {
  return entries.map((e) => `${e.name}=${e.value}`);
}

/** One value a variable has in one source, where sources disagree. */
export interface EnvAlternative {
  source: EnvSource;
  value: string;
}

/** The session's environment plus, per variable, the values other sources hold when they differ. */
export interface EnvReport {
  entries: EnvEntry[];
  differing: Map<string, EnvAlternative[]>;
}

/** A backend that sees several records of the container's environment and can compare them. */
export interface EnvironmentSources {
  environmentReport(container: Container, request: ExecRequest): Promise<EnvReport>;
}

export function hasEnvironmentSources(b: object): b is EnvironmentSources {
  return typeof (b as Partial<EnvironmentSources>).environmentReport === 'function';
}

/** Variables whose value is not the same in every source that has them. */
export function compareSources(sources: ReadonlyArray<{ source: EnvSource; entries: readonly string[] }>): Map<string, EnvAlternative[]> {
  const seen = new Map<string, EnvAlternative[]>();
  for (const { source, entries } of sources) {
    for (const e of entries) {
      const eq = e.indexOf('=');
      if (eq <= 0) continue;
      const name = e.slice(0, eq);
      const list = seen.get(name) ?? [];
      list.push({ source, value: e.slice(eq + 1) });
      seen.set(name, list);
    }
  }
  for (const [name, list] of seen) if (new Set(list.map((a) => a.value)).size < 2) seen.delete(name);
  return seen;
}
