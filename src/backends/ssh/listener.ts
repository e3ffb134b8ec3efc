import { closeSync, openSync, readSync } from 'node:fs';

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
 *
 * Cheap first, because `ls` asks this of every container: reading net/tcp walks the host's whole
 * established-connection hash (262144 buckets here, ~1 ms per read() whatever the namespace holds),
 * while net/sockstat counts the namespace's TCP sockets, listeners included. A table is read only
 * when its count is not 0, and with one read(): the kernel lists listeners before any connection.
 */
export function listensOn(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const [file, stat, label] of [
    ['tcp', 'sockstat', 'TCP'],
    ['tcp6', 'sockstat6', 'TCP6'],
  ] as const) {
    if (socketsInUse(pid, stat, label) === 0) continue;
    const text = readListenersFirst(`/proc/${pid}/net/${file}`);
    if (text === undefined) continue;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const [addr, p] = (f[1] ?? '').split(':');
      if (f[3] !== '0A' || p !== hexPort || addr === undefined) continue; // 0A: LISTEN
      if (/^0+$/.test(addr) || addr === '0100007F' || addr === '00000000000000000000000001000000') return true;
    }
  }
  return false;
}

/** "TCP: inuse N" of the namespace's sockstat: N, or undefined when it cannot be read (then look). */
function socketsInUse(pid: number, file: 'sockstat' | 'sockstat6', label: 'TCP' | 'TCP6'): number | undefined {
  // One open, read and close (readFileSync adds an fstat, a second read and its own buffers): `ls`
  // reads two of these per container. The line sits in the first few hundred bytes.
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/net/${file}`, 'r');
  } catch {
    return undefined;
  }
  try {
    const n = readSync(fd, sockstatBuf, 0, sockstatBuf.length, null);
    const m = (label === 'TCP' ? TCP_INUSE : TCP6_INUSE).exec(sockstatBuf.toString('latin1', 0, n));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const sockstatBuf = Buffer.allocUnsafe(1024);
const TCP_INUSE = /^TCP: inuse (\d+)/m;
const TCP6_INUSE = /^TCP6: inuse (\d+)/m;

/** The head of a net/tcp table, listeners included, in one read() when they fit (they nearly always do). */
function readListenersFirst(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.allocUnsafe(256 * 1024);
      const n = readSync(fd, buf, 0, buf.length, null);
      chunks.push(buf.subarray(0, n));
      // A short read ends the listeners (or the table); a full one may have more of them after it.
      if (n < buf.length) break;
    }
    return Buffer.concat(chunks).toString('latin1');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
