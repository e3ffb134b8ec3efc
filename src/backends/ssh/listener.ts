import { readFileSync } from 'node:fs';

/** The port a container's sshd is looked for on: 22, or CX_SSHD_PORT. */
export function sshdPort(env: NodeJS.ProcessEnv = process.env): number {
  const p = Number(env['CX_SSHD_PORT']);
  return Number.isInteger(p) && p > 0 && p < 65536 ? p : 22;
}

/**
 * Whether something listens on TCP `port` in the network namespace of process `pid`, reachable from
 * inside it (bound to any address or to loopback): /proc/PID/net/tcp and tcp6 list that namespace's
 * sockets, and the kernel writes them, not the container. That it is an sshd is learned when ssh
 * connects; a listener is what `ls` and `doctor` can tell without connecting.
 */
export function listensOn(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [addr, p] = (f[1] ?? '').split(':');
      if (f[3] !== '0A' || p !== hexPort || addr === undefined) continue; // 0A: LISTEN
      if (/^0+$/.test(addr) || addr === '0100007F' || addr === '00000000000000000000000001000000') return true;
    }
  }
  return false;
}
