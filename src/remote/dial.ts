import { spawn } from '../util/child.js';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { capture, RemoteError, sshArgs, sshFailure, type SshSettings } from './ssh.js';
import type { RemoteHost } from './target.js';

/**
 * The fallback's second way when cx cannot be carried to a host (not root there, no safe cache,
 * noexec, another architecture) and the engine's socket cannot be forwarded (forward.ts): the remote
 * Engine API, reached as the docker CLI reaches an ssh:// engine, through `docker system dial-stdio`
 * on the remote (which also finds an engine of the login's own, a rootless dockerd say). cx's own
 * engine client speaks to a unix socket of cx's (in the private control directory); every
 * connection to it is one `ssh host docker system dial-stdio` over the shared connection, bytes
 * relayed both ways. Only the docker backend works
 * then, and only while the remote dockerd answers: the daemon-less paths need cx on that machine.
 */
export interface DialProxy {
  socketPath: string;
  close(): void;
}

/** `why`: why cx could not run its own copy there (said with a missing docker CLI: both ways failed). */
export async function startDialProxy(host: RemoteHost, s: SshSettings, why?: string): Promise<DialProxy> {
  // One short call first: a host without the docker CLI gets one clear line instead of a dead engine.
  const probe = await capture(host, s, 'command -v docker >/dev/null 2>&1 && echo cx-remote: docker || echo cx-remote: none');
  if (probe.code !== 0) throw sshFailure(host, probe, s);
  if (!probe.stdout.toString('utf8').includes('cx-remote: docker')) {
    throw new RemoteError(
      host,
      'no-engine',
      `its Engine API socket could not be forwarded, the remote host has no docker CLI, and cx could not be placed there either${why ? ` (${why})` : ''}`,
      'install docker there, allow socket forwarding in its sshd, or log in as root so cx can carry itself over',
    );
  }
  const socketPath = path.join(s.controlDir, `dial-${process.pid}.sock`);
  rmSync(socketPath, { force: true });
  const children = new Set<ReturnType<typeof spawn>>();
  // Half-open: docker's exec stream closes its write side at stdin's EOF and still reads the output.
  const server = net.createServer({ allowHalfOpen: true }, (conn) => {
    const child = spawn('ssh', [...sshArgs(host, s, '-T'), 'docker system dial-stdio'], { stdio: ['pipe', 'pipe', 'ignore'] });
    children.add(child);
    conn.pipe(child.stdin);
    child.stdout.pipe(conn);
    const done = (): void => {
      children.delete(child);
      conn.destroy();
      child.kill();
    };
    child.stdin.on('error', () => undefined);
    conn.on('error', done);
    conn.on('close', done);
    child.on('error', done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path: socketPath, readableAll: false, writableAll: false }, () => resolve());
  });
  server.unref();
  return {
    socketPath,
    close() {
      server.close();
      for (const c of children) c.kill();
      rmSync(socketPath, { force: true });
    },
  };
}
