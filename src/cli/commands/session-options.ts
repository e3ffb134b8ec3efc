import { readFileSync } from 'node:fs';
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
  return (
    cmd
      .addOption(new Option('-u, --user <user[:group]>', 'run as this user (name or uid, optional group)').default(''))
      .addOption(new Option('-w, --workdir <dir>', 'working directory inside the container (absolute)').default(''))
      .addOption(
        new Option('-e, --env <K=V>', "set an environment variable; K alone passes cx's own K, as docker does (repeatable)")
          .argParser(collect)
          .default([]),
      )
      .addOption(
        new Option('--env-file <file>', "read variables from a file in docker's format: K=V lines, K alone passes cx's K, # comments")
          .argParser(collect)
          .default([]),
      )
      // What bin/cx turns --env-file into (Node 20 would take --env-file as its own option).
      .addOption(new Option('--cx-env-file <file>').argParser(collect).default([]).hideHelp())
      .addOption(
        new Option('--unset-env <K>', 'remove a variable from the session environment (repeatable)').argParser(collect).default([]),
      )
      .addOption(
        new Option(
          '--backend <name>',
          "how to enter: auto, docker, runc, nsenter, or ssh (the container's own sshd; see cx doctor)",
        ).default('auto'),
      )
      .addOption(new Option('--ssh-user <name>', 'with --backend ssh: the user to log in as (default root; same as -u there)'))
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Validate the raw option values into SessionFlags, with one clear line for each mistake. `callerEnv`
 * is cx's own environment: `-e NAME` and a bare NAME in an env file take NAME's value from it, as the
 * docker CLI does (and, like docker, a NAME cx does not have is removed from the session).
 */
export function parseSessionFlags(raw: Record<string, unknown>, callerEnv: NodeJS.ProcessEnv = {}): SessionFlags {
  const user = String(raw['user'] ?? '');
  const workdir = String(raw['workdir'] ?? '');
  // docker takes any user spec (`-u :` is root:root, a name that does not exist fails at start):
  // only what cannot be one at all is refused here.
  if (/[\0\n]/.test(user) || user.split(':').length > 2) {
    throw new UsageError(`invalid --user '${sanitize(user)}'`, 'use name, uid, name:group or uid:gid');
  }
  if (workdir !== '' && !workdir.startsWith('/')) {
    throw new UsageError(`invalid --workdir '${sanitize(workdir)}': it must be an absolute path`, 'e.g. -w /tmp');
  }
  const env: string[] = [];
  const files = [...((raw['envFile'] as string[] | undefined) ?? []), ...((raw['cxEnvFile'] as string[] | undefined) ?? [])];
  for (const file of files) env.push(...readEnvFile(file, callerEnv));
  for (const e of (raw['env'] as string[] | undefined) ?? []) {
    // Like docker's ValidateEnv: anything with a name is accepted ("A B=1" included).
    if (e.startsWith('=') || e === '' || e.includes('\0')) {
      throw new UsageError(`invalid --env '${sanitize(e)}'`, 'use -e NAME=value (or -e NAME to pass your own NAME)');
    }
    env.push(e.includes('=') ? e : passThrough(e, callerEnv));
  }
  for (const name of (raw['unsetEnv'] as string[] | undefined) ?? []) {
    if (name === '' || name.includes('=') || name.includes('\0')) {
      throw new UsageError(`invalid --unset-env '${sanitize(name)}'`, 'give a variable name, e.g. --unset-env DEBUG');
    }
    env.push(name);
  }
  const backend = parseBackendChoice(String(raw['backend'] ?? 'auto'));
  const sshUser = raw['sshUser'] === undefined ? '' : String(raw['sshUser']);
  if (sshUser !== '') {
    if (backend !== 'ssh') throw new UsageError('--ssh-user goes with --backend ssh', 'cx enter --backend ssh --ssh-user NAME <target>');
    if (!/^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/.test(sshUser))
      throw new UsageError(`invalid --ssh-user '${sanitize(sshUser)}'`, 'give a user name');
    if (user !== '' && user !== sshUser) throw new UsageError('-u and --ssh-user name different users', 'give one of them');
  }
  return { user: sshUser || user, workdir, env, backend };
}

/** NAME=cx's value when cx has NAME, else NAME alone (which removes it from the session). */
function passThrough(name: string, callerEnv: NodeJS.ProcessEnv): string {
  const value = callerEnv[name];
  return value === undefined ? name : `${name}=${value}`;
}

function readEnvFile(file: string, callerEnv: NodeJS.ProcessEnv): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : code;
    throw new UsageError(`cannot read --env-file '${sanitize(file)}': ${why}`, 'give a readable file of NAME=value lines');
  }
  return parseEnvFile(text, callerEnv, sanitize(file));
}

/**
 * docker's env-file format (docker/cli opts/file.go): one variable per line, leading blanks ignored,
 * `#` lines and blank lines skipped, `NAME=value` taken literally (no quotes, no expansion), `NAME`
 * alone passes the caller's NAME if it has one (and is dropped if not); a name with blanks is refused.
 */
export function parseEnvFile(text: string, callerEnv: NodeJS.ProcessEnv, fileName = 'env file'): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/^[\s]+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line.trimEnd() : line.slice(0, eq);
    const where = `${fileName} line ${i + 1}`;
    if (name === '') throw new UsageError(`invalid --env-file: no variable name on ${where}`, 'each line is NAME=value');
    if (/\s/.test(name) || line.includes('\0')) {
      throw new UsageError(`invalid --env-file: variable '${sanitize(name)}' on ${where} contains whitespace`, 'each line is NAME=value');
    }
    if (eq >= 0) out.push(line);
    else if (callerEnv[name] !== undefined) out.push(`${name}=${callerEnv[name] ?? ''}`);
  });
  return out;
}
