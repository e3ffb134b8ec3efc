import { spawn } from '../../util/child.js';
import path from 'node:path';
import type { Container } from '../../discovery/types.js';
import { which } from '../../host/which.js';
import { isRunning } from '../../discovery/container-state.js';
import { BackendUnavailableError, CxError, UsageError } from '../../errors.js';
import { sanitize } from '../../util/sanitize.js';
import { missingPrivilege } from '../nsenter/caps.js';
import { nsenterFiles, type NsenterFiles } from '../nsenter/files.js';
import { requireHelper, targetArgs } from '../nsenter/helper.js';
import { findHelper, HELPER_BUILD_HINT } from '../nsenter/helper-path.js';
import { perContainer, targetCache } from '../nsenter/target.js';
import type { Availability, Backend, EnvEntry, ExecRequest, Session } from '../types.js';
import { knownHostsFile } from './known-hosts.js';
import { listensOn, sshdPort } from './listener.js';
import { sshStartError, SshSession } from './session.js';

/**
 * A container's own sshd (baseimage-docker and the like): the session is exactly the SSH login that
 * container gives (its login environment, its PAM or my_init set-up), reached without a published
 * port or any container network: the nsenter helper makes the TCP connection from INSIDE the
 * container's network namespace and ssh speaks over it as its ProxyCommand. The system ssh client
 * does the rest (the user's keys and agent; never stored by cx), and the host key is checked against
 * cx's own known_hosts for that container id. Never picked by auto: its environment is the login's,
 * not docker exec's, so it is asked for by name (--backend ssh).
 */
export class SshBackend implements Backend {
  readonly name = 'ssh' as const;
  readonly summary = "the container's own sshd, reached from inside its network namespace (root; no published port)";
  private readonly target = targetCache();
  readonly files = perContainer((c: Container): NsenterFiles => nsenterFiles(() => this.target(c), sanitize(c.name)));

  probe(): Promise<Availability> {
    if (!which('ssh')) return Promise.resolve({ ok: false, reason: 'no ssh client on PATH (apt-get install openssh-client)' });
    if (!findHelper()) return Promise.resolve({ ok: false, reason: `the nsenter helper is not built: ${HELPER_BUILD_HINT}` });
    const missing = missingPrivilege();
    if (missing) return Promise.resolve({ ok: false, reason: `${missing}: run cx as root to reach a container's sshd` });
    return Promise.resolve({ ok: true, reason: `${which('ssh')} through the nsenter helper (port ${sshdPort()})` });
  }

  canEnter(c: Container): Availability {
    if (!isRunning(c)) return { ok: false, reason: `container is ${c.state}` };
    if (c.pid === undefined || c.pid <= 0) return { ok: false, reason: 'its init PID is unknown' };
    const port = sshdPort();
    if (!listensOn(c.pid, port)) return { ok: false, reason: `nothing listens on port ${port} in its network namespace (no sshd)` };
    if (!findHelper()) return { ok: false, reason: `the helper is not built (${HELPER_BUILD_HINT})` };
    const missing = missingPrivilege();
    if (missing) return { ok: false, reason: `${missing}; run cx as root` };
    if (!which('ssh')) return { ok: false, reason: 'no ssh client on PATH' };
    return { ok: true, reason: `an sshd listens on port ${port} in its network namespace` };
  }

  /** The login environment, as the container's sshd gives it to a command, with -e applied over it. */
  async environment(c: Container, req: ExecRequest): Promise<EnvEntry[]> {
    const args = await this.sshArgs(c, req, false);
    const r = await new Promise<{ code: number; out: string; err: string }>((resolve, reject) => {
      const child = spawn('ssh', [...args, 'env'], { stdio: ['ignore', 'pipe', 'pipe'], env: sshEnv() });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 255, out, err }));
    });
    if (r.code === 255) throw sshStartError(r.err, sanitize(c.name));
    if (r.code !== 0)
      throw new CxError(`env failed in ${sanitize(c.name)} over ssh (exit ${r.code})`, {
        hint: 'is there an env program in the container?',
      });
    const entries = new Map<string, EnvEntry>();
    for (const line of r.out.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) entries.set(line.slice(0, eq), { name: line.slice(0, eq), value: line.slice(eq + 1), source: 'ssh-login' });
    }
    for (const e of req.env) {
      const eq = e.indexOf('=');
      if (eq < 0) entries.delete(e);
      else entries.set(e.slice(0, eq), { name: e.slice(0, eq), value: e.slice(eq + 1), source: 'exec-option' });
    }
    return [...entries.values()];
  }

  async open(c: Container, req: ExecRequest): Promise<Session> {
    // A login has no way to outlive its connection or to be given capabilities its sshd does not grant.
    if (req.detach)
      throw new UsageError('the ssh backend cannot run a command detached (-d)', 'use --backend docker, runc or nsenter for -d');
    if (req.privileged) {
      throw new UsageError('the ssh backend cannot give a login --privileged', 'use --backend docker, runc or nsenter for --privileged');
    }
    const args = await this.sshArgs(c, req, req.tty);
    const command = remoteCommand(req);
    const term = req.env
      .filter((e) => e.startsWith('TERM='))
      .pop()
      ?.slice(5);
    // node-pty (and its native addon) only for a TTY session: a plain exec never loads it.
    const pty = req.tty ? await import('node-pty') : undefined;
    return new SshSession(req.tty, command === undefined ? args : [...args, command], {
      container: sanitize(c.name),
      cmd: req.cmd[0] ?? '',
      workdir: req.workdir,
      destination: `${req.user || 'root'}@${destination(c)}`,
      term,
      stdin: req.stdin,
      size: req.size,
      ...(pty ? { pty } : {}),
    });
  }

  private async sshArgs(c: Container, req: ExecRequest, tty: boolean): Promise<string[]> {
    const helper = requireHelper();
    const missing = missingPrivilege();
    if (missing)
      throw new BackendUnavailableError(`the ssh backend cannot reach the container's sshd: ${missing}`, { hint: 'run cx as root' });
    if (req.user.includes(':'))
      throw new UsageError(`the ssh backend logs in a user, not user:group ('${sanitize(req.user)}')`, 'give a user name: --ssh-user NAME');
    const t = await this.target(c);
    const known = knownHostsFile(c.id);
    const proxy = [helper, 'connect', ...targetArgs(t), '--port', String(sshdPort())].map(shQuote).join(' ');
    const config = process.env['CX_SSH_CONFIG'];
    return [
      tty ? '-tt' : '-T',
      ...(config && path.isAbsolute(config) ? ['-F', config] : []),
      '-o',
      `ProxyCommand=${proxy}`,
      '-o',
      `UserKnownHostsFile=${known}`,
      '-o',
      'GlobalKnownHostsFile=/dev/null',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-o',
      'UpdateHostKeys=no',
      '-o',
      `HostKeyAlias=${c.id}`,
      '-o',
      'CheckHostIP=no',
      '-o',
      'ControlMaster=no',
      '-o',
      'ControlPath=none',
      '-o',
      'LogLevel=ERROR',
      // cx owns the terminal while a session runs: no password prompt can be asked on it.
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      '-l',
      req.user || 'root',
      destination(c),
    ];
  }
}

/**
 * The command line the sshd's login shell runs: none at all for `cx enter`'s automatic shell (the
 * sshd starts the user's login shell, as a plain `ssh` does), else a short POSIX script that applies
 * -w and -e, says on stderr (a `cx-ssh:` line) when the command cannot be found or run, so that cx
 * gives the same 126/127 line as its other backends, and runs the command as a child, not by exec:
 * then a command killed by a signal ends with the shell's 128+n, where ssh itself would say 255.
 * TERM travels in ssh's own pty request, not here.
 */
export function remoteCommand(req: ExecRequest): string | undefined {
  const env = req.env.filter((e) => !e.startsWith('TERM='));
  if (req.login && req.workdir === '' && env.length === 0) return undefined;
  const sets = env.filter((e) => e.includes('='));
  const unsets = env.filter((e) => !e.includes('='));
  const envPart = sets.length || unsets.length ? ['env', ...unsets.flatMap((u) => ['-u', u]), ...sets].map(shQuote) : [];
  const lines: string[] = [];
  if (req.workdir)
    lines.push(
      `cd ${shQuote(req.workdir)} 2>/dev/null || { echo "cx-ssh: chdir ${req.workdir.replace(/[^A-Za-z0-9_./-]/g, '?')}" >&2; exit 126; }`,
    );
  if (req.login) {
    lines.push(['exec', ...envPart, '"${SHELL:-/bin/sh}"', '-l'].join(' '));
    return lines.join('\n');
  }
  const cmd0 = req.cmd[0] ?? '';
  lines.push(`c=${shQuote(cmd0)}`);
  lines.push(
    'case $c in */*) [ -e "$c" ] || { echo "cx-ssh: notfound" >&2; exit 127; }; ' +
      '{ [ -d "$c" ] || [ ! -x "$c" ]; } && { echo "cx-ssh: noexec" >&2; exit 126; };; ' +
      '*) command -v "$c" >/dev/null 2>&1 || { echo "cx-ssh: notfound" >&2; exit 127; };; esac',
  );
  lines.push(`${[...envPart, ...req.cmd.map(shQuote)].join(' ')}; exit $?`);
  return lines.join('\n');
}

/** The name ssh is given (and prints in its errors); the connection itself is the ProxyCommand's. */
function destination(c: Container): string {
  return `container-${c.id.slice(0, 12)}`;
}

function shQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function sshEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: process.env['HOME'] ?? '/root',
  };
  if (process.env['SSH_AUTH_SOCK']) env['SSH_AUTH_SOCK'] = process.env['SSH_AUTH_SOCK'];
  return env;
}
