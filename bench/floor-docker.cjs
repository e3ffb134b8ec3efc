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
const fs = require('node:fs');
const { engineConnection, warmJoin } = require('./floor-lib.cjs');

const [socket, container, ...rest] = process.argv.slice(2);
const stdin = rest[0] === '-i';
const cmd = stdin ? rest.slice(1) : rest;
if (cmd.length === 0) cmd.push('true');

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
  const api = engineConnection(socket);
  const side = engineConnection(socket);
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
  const stream = engineConnection(socket);
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
