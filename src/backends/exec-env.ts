import type { EnvEntry, EnvSource } from './types.js';

/** Docker's default PATH for Linux containers (moby oci/defaults). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ExecEnvInput {
  hostname: string;
  containerEnv: readonly string[];
  tty: boolean;
  overrides: readonly string[];
  /** The exec user's home directory from the container's passwd, if found. */
  home: string | undefined;
}

/**
 * The environment docker exec gives a process, layer by layer (moby daemon/exec.go,
 * CreateDaemonEnvironment; runc adds HOME from passwd when nothing set it). Later layers replace
 * earlier ones; an override without '=' removes the variable. Every backend that emulates docker exec
 * composes the same way, so `cx env` can say where each variable came from.
 */
export function composeExecEnv(input: ExecEnvInput): EnvEntry[] {
  const env = new Map<string, EnvEntry>();
  const put = (entry: string, source: EnvSource): void => {
    const eq = entry.indexOf('=');
    if (eq < 0) {
      if (source === 'exec-option') env.delete(entry);
      return;
    }
    const name = entry.slice(0, eq);
    if (name === '') return;
    env.set(name, { name, value: entry.slice(eq + 1), source });
  };
  put(`PATH=${DEFAULT_PATH}`, 'default');
  put(`HOSTNAME=${input.hostname}`, 'hostname');
  if (input.tty) put('TERM=xterm', 'tty');
  for (const e of input.containerEnv) put(e, 'container-config');
  for (const e of input.overrides) put(e, 'exec-option');
  if (!env.has('HOME')) put(`HOME=${input.home ?? '/'}`, 'passwd');
  return [...env.values()];
}

export function envToList(entries: readonly EnvEntry[]): string[] {
  return entries.map((e) => `${e.name}=${e.value}`);
}
