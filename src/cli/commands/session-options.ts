import { Option, type Command } from 'commander';
import { parseBackendChoice, type BackendChoice } from '../../backends/registry.js';
import { UsageError } from '../../errors.js';
import type { SessionSpec } from '../../session/request.js';
import { sanitize } from '../../util/sanitize.js';

/** Options shared by every command that starts a process in a container. */
export interface SessionFlags extends SessionSpec {
  backend: BackendChoice;
}

export function addSessionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-u, --user <user[:group]>', 'run as this user (name or uid, optional group)').default(''))
    .addOption(new Option('-w, --workdir <dir>', 'working directory inside the container (absolute)').default(''))
    .addOption(new Option('-e, --env <K=V>', 'set an environment variable; K alone unsets it (repeatable)').argParser(collect).default([]))
    .addOption(new Option('--backend <name>', "how to enter: auto, docker, runc, nsenter, or ssh (the container's own sshd; see cx doctor)").default('auto'))
    .addOption(new Option('--ssh-user <name>', 'with --backend ssh: the user to log in as (default root; same as -u there)'));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Validate the raw option values into SessionFlags, with one clear line for each mistake. */
export function parseSessionFlags(raw: Record<string, unknown>): SessionFlags {
  const user = String(raw['user'] ?? '');
  const workdir = String(raw['workdir'] ?? '');
  const env = (raw['env'] as string[] | undefined) ?? [];
  if (user !== '' && !/^[^:\s]+(:[^:\s]+)?$/.test(user)) {
    throw new UsageError(`invalid --user '${sanitize(user)}'`, 'use name, uid, name:group or uid:gid');
  }
  if (workdir !== '' && !workdir.startsWith('/')) {
    throw new UsageError(`invalid --workdir '${sanitize(workdir)}': it must be an absolute path`, 'e.g. -w /tmp');
  }
  for (const e of env) {
    const name = e.split('=')[0] ?? '';
    if (name === '' || e.includes('\0') || !/^[^\s=]+$/.test(name)) {
      throw new UsageError(`invalid --env '${sanitize(e)}'`, 'use -e NAME=value (or -e NAME to unset)');
    }
  }
  const backend = parseBackendChoice(String(raw['backend'] ?? 'auto'));
  const sshUser = raw['sshUser'] === undefined ? '' : String(raw['sshUser']);
  if (sshUser !== '') {
    if (backend !== 'ssh') throw new UsageError('--ssh-user goes with --backend ssh', 'cx enter --backend ssh --ssh-user NAME <target>');
    if (!/^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/.test(sshUser)) throw new UsageError(`invalid --ssh-user '${sanitize(sshUser)}'`, 'give a user name');
    if (user !== '' && user !== sshUser) throw new UsageError('-u and --ssh-user name different users', 'give one of them');
  }
  return { user: sshUser || user, workdir, env, backend };
}
