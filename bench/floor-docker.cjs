'use strict';
/*
 * The floor of `cx exec c -- true` through the local daemon (auto -> docker) for any Node program
 * (bench/targets.ts runs it beside cx): Node's start-up, then only the Engine API calls an exec needs,
 * as cx makes them, over a plain unix socket: /_ping with the container's inspect (the health check
 * cx needs to choose the backend), the exec's create, its start (the hijacked stream, read to its
 * end), its inspect for the exit code; the cgroup join warmed before the start as cx does for a
 * local daemon (dockerd's runc joins the container's cgroups). No option parsing, no resolution
 * beyond the inspect, no code of cx. Plain CommonJS, run without a loader or a bundle.
 *
 * With -i, the exec takes stdin: fd 0 is read into reused 256 KiB buffers and written to the hijacked
 * stream, its end half-closing it (as cx's docker backend does: src/attach/stdin-pump.ts).
 *
 * Usage: node bench/floor-docker.cjs SOCKET CONTAINER [-i] [CMD...]   (CMD: true by default)
 */
const net = require('node:net');
const fs = require('node:fs');
const { warmJoin } = require('./floor-lib.cjs');

const [socket, container, ...rest] = process.argv.slice(2);
const stdin = rest[0] === '-i';
const cmd = stdin ? rest.slice(1) : rest;
if (cmd.length === 0) cmd.push('true');

/** One connection; `request` sends a request and resolves with the next whole response. */
function connection() {
  const sock = net.connect({ path: socket, allowHalfOpen: true });
  let buf = Buffer.alloc(0);
  let waiting;
  const parse = () => {
    if (!waiting) return;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buf.subarray(0, end).toString('latin1');
    const status = Number(head.split(' ')[1]);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    const body = buf.subarray(end + 4);
    let text;
    if (status === 101) text = '';
    else if (length) {
      if (body.length < Number(length[1])) return;
      text = body.subarray(0, Number(length[1])).toString('utf8');
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const s = body.toString('latin1');
      if (!s.endsWith('0\r\n\r\n')) return;
      text = '';
      for (let at = 0; ; ) {
        const nl = s.indexOf('\r\n', at);
        const size = parseInt(s.slice(at, nl), 16);
        if (size === 0) break;
        text += s.slice(nl + 2, nl + 2 + size);
        at = nl + 2 + size + 2;
      }
    } else text = '';
    const done = waiting;
    waiting = undefined;
    buf = Buffer.alloc(0);
    done({ status, text });
  };
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    parse();
  });
  return {
    sock,
    request(method, path, body, extra = '') {
      return new Promise((resolve) => {
        waiting = resolve;
        const payload = body === undefined ? '' : JSON.stringify(body);
        sock.write(
          `${method} ${path} HTTP/1.1\r\nHost: docker\r\n${extra}` +
            (body === undefined
              ? '\r\n'
              : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`),
        );
      });
    },
  };
}

/** fd 0 to `sock` through a few reused 256 KiB buffers, the next read under way while one is written. */
function pump(sock) {
  const free = [0, 1, 2].map(() => Buffer.allocUnsafeSlow(256 * 1024));
  let reading = false;
  let eof = false;
  const next = () => {
    if (reading || eof) return;
    const buf = free.pop();
    if (!buf) return;
    reading = true;
    fs.read(0, buf, 0, buf.length, null, (err, n) => {
      reading = false;
      if (err || n === 0) {
        eof = true;
        sock.end(); // half-close: the command's stdin ends, its output still comes
        return;
      }
      sock.write(buf.subarray(0, n), () => {
        free.push(buf);
        next();
      });
      next();
    });
  };
  next();
}

async function main() {
  const api = connection();
  const side = connection();
  const [ping, inspect] = await Promise.all([api.request('GET', '/_ping'), side.request('GET', `/containers/${container}/json`)]);
  side.sock.destroy();
  if (ping.status !== 200 || inspect.status !== 200) throw new Error('daemon not ready');
  const id = JSON.parse(inspect.text).Id;
  const created = await api.request('POST', `/v1.41/containers/${id}/exec`, {
    AttachStdin: stdin,
    AttachStdout: true,
    AttachStderr: true,
    Cmd: cmd,
  });
  const exec = JSON.parse(created.text).Id;
  warmJoin();
  const stream = connection();
  await stream.request('POST', `/v1.41/exec/${exec}/start`, { Detach: false, Tty: false }, 'Connection: Upgrade\r\nUpgrade: tcp\r\n');
  if (stdin) pump(stream.sock);
  await new Promise((resolve) => stream.sock.on('end', resolve));
  stream.sock.destroy();
  const info = await api.request('GET', `/v1.41/exec/${exec}/json`);
  api.sock.destroy();
  process.exitCode = JSON.parse(info.text).ExitCode;
}
main().catch((err) => {
  process.stderr.write(`floor-docker: ${err.message}\n`);
  process.exitCode = 1;
});
