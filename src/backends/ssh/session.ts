import { spawn } from '../../util/child.js';
import type * as Pty from 'node-pty';
import { CxError } from '../../errors.js';
import { sanitize } from '../../util/sanitize.js';
import { ProcessSession } from '../process-session.js';
import { sshSaid } from './said.js';
import type { TermSize } from '../types.js';

/** ssh exits 255 when it could not connect, authenticate or verify the host key. */
const SSH_FAILED = 255;

/**
 * How ssh's own failures begin (with LogLevel=ERROR it prints nothing else), and the nsenter
 * helper's, which ssh passes through from its ProxyCommand.
 */
export const SSH_START_FAILURE = [
  '@@@@@',
  'Host key verification failed',
  'kex_exchange_identification',
  'Connection closed by',
  'Connection reset',
  'ssh: ',
  'cx-nsenter: ',
  'Permission denied',
  'Received disconnect',
  // The session script's own line when the command cannot be run (see remoteCommand).
  'cx-ssh: ',
];

/**
 * An ssh client session with a container's own sshd. TTY: ssh -tt under a node-pty terminal (ssh
 * asks the sshd for a pty of that size and forwards every resize). Pipes: ssh -T, stdout and stderr
 * apart, stdin's EOF passed on. ssh exits with the remote command's code, or 255 when it failed
 * itself: then its words (held back at the head of the stream they arrive on) become one error line.
 */
export class SshSession extends ProcessSession {
  constructor(
    tty: boolean,
    args: string[],
    private readonly ctx: {
      container: string;
      cmd: string;
      workdir: string;
      term: string | undefined;
      stdin: boolean;
      size: TermSize | undefined;
      /** ssh names the login in its errors: "user@host: Permission denied (publickey)." */
      destination: string;
      /** node-pty, loaded by the backend for a TTY session only (a plain exec never loads its addon). */
      pty?: typeof Pty;
    },
  ) {
    super(tty, [...SSH_START_FAILURE, `${ctx.destination}: `], 32 + ctx.destination.length);
    // ssh needs PATH for its ProxyCommand shell and HOME for ~/.ssh; nothing else of cx's goes along.
    const env: Record<string, string> = {
      PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: process.env['HOME'] ?? '/root',
    };
    if (process.env['SSH_AUTH_SOCK']) env['SSH_AUTH_SOCK'] = process.env['SSH_AUTH_SOCK'];
    if (tty) {
      if (!ctx.pty) throw new Error('a TTY session needs node-pty');
      const term = ctx.pty.spawn('ssh', args, {
        name: ctx.term ?? 'xterm',
        cols: ctx.size?.cols ?? 80,
        rows: ctx.size?.rows ?? 24,
        cwd: '/',
        env: { ...env, TERM: ctx.term ?? 'xterm' },
        encoding: null,
      } as Pty.IPtyForkOptions);
      this.attachPty(term);
    } else {
      const child = spawn('ssh', args, { stdio: [ctx.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env, cwd: '/' });
      this.attachChild(child);
    }
  }

  protected finish(code: number): void {
    if (this.ended) return;
    this.ended = true;
    if ((code === SSH_FAILED || code === 126 || code === 127) && this.sniffer.suspicious) {
      const text = this.sniffer.takeText();
      const err = text.startsWith('cx-ssh: ') ? commandError(text, this.ctx) : sshStartError(text, this.ctx.container);
      this.emitExit({ exitCode: err.exitCode, error: err });
      return;
    }
    this.sniffer.flush();
    this.emitExit({ exitCode: code });
  }
}

/** The session script's `cx-ssh:` line as the error the other backends give for the same case. */
function commandError(text: string, ctx: { container: string; cmd: string; workdir: string }): CxError {
  const what = text.slice('cx-ssh: '.length).split(/\s/)[0];
  const cmd = sanitize(ctx.cmd);
  if (what === 'notfound')
    return new CxError(`${cmd}: command not found in the container's PATH`, {
      exitCode: 127,
      hint: 'check the name, or give the full path',
    });
  if (what === 'noexec')
    return new CxError(`${cmd}: permission denied (not an executable file)`, { exitCode: 126, hint: 'give a program the user may run' });
  return new CxError(`working directory ${sanitize(ctx.workdir)} does not exist in the container`, {
    exitCode: 126,
    hint: 'give an existing directory to -w',
  });
}

/** ssh's (or the helper's) failure text as one line for the user. */
export function sshStartError(text: string, container: string): CxError {
  const said = sanitize(sshSaid(text, 1) || 'ssh failed');
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/i.test(text)) {
    return new CxError(`the sshd of ${container} presented another host key than the one cx recorded (ssh: ${said})`, {
      exitCode: 255,
      hint: 'if the container was meant to change its key, remove its file under /var/lib/cx/known_hosts; otherwise do not trust it',
    });
  }
  if (/Permission denied/i.test(text)) {
    return new CxError(`the sshd of ${container} refused the login (ssh: ${said})`, {
      exitCode: 255,
      hint: 'check --ssh-user and that your key is in its authorized_keys',
    });
  }
  return new CxError(`cannot open an ssh session in ${container} (ssh: ${said})`, {
    exitCode: 255,
    hint: 'see `cx doctor <target>`: is its sshd listening?',
  });
}
