'use strict';
/*
 * What the floor clients (bench/floor-*.cjs) share: cx's cgroup join warm-up (src/host/cgroup-join.ts),
 * a migration of this process to the cgroup it is already in, queued at once, so that the join that
 * follows (the helper's, runc's, dockerd's runc) finds the kernel's RCU grace period behind it; and a
 * minimal HTTP/1.1 client for the Engine API on its unix socket, as cx has one (src/engine/http1.ts).
 */
const net = require('node:net');
const { close, openSync, readFileSync, write } = require('node:fs');

function warmJoin() {
  try {
    // cgroup2 where mounted (as cx prefers), else the first v1 hierarchy, from this namespace's mounts.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
    const mountOf = (fstype, option) =>
      mounts
        .map((l) => l.split(' - '))
        .find(([left = '', right = '']) => {
          const [type = '', , opts = ''] = right.split(' ');
          return left.split(' ')[3] === '/' && type === fstype && (option === undefined || opts.split(',').includes(option));
        })?.[0]
        ?.split(' ')[4];
    const lines = readFileSync('/proc/self/cgroup', 'latin1').split('\n').filter(Boolean);
    const v2 = mountOf('cgroup2');
    const [, controllers = '', dir = '/'] = ((v2 && lines.find((l) => l.startsWith('0::'))) || lines[0] || '').split(':');
    const mount = v2 && controllers === '' ? v2 : mountOf('cgroup', controllers.split(',')[0]);
    const fd = openSync(`${mount}${dir === '/' ? '' : dir}/cgroup.procs`, 'w');
    write(fd, String(process.pid), () => close(fd, () => undefined));
  } catch {
    // no warm-up: the join waits as it would have
  }
}

/**
 * One keep-alive connection to the Engine API socket; `request` sends a request and resolves with the
 * next whole response ({ status, text }; a 101 ends there: the rest is the hijacked stream).
 */
function engineConnection(socket) {
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
      const whole = dechunk(body);
      if (!whole) return;
      text = whole.toString('utf8');
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

/** A chunked body's bytes once its last chunk is in `body`, else undefined. */
function dechunk(body) {
  const parts = [];
  for (let at = 0; ; ) {
    const nl = body.indexOf('\r\n', at);
    if (nl < 0) return undefined;
    const size = parseInt(body.subarray(at, nl).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts);
    if (!(size > 0) || body.length < nl + 2 + size + 2) return undefined;
    parts.push(body.subarray(nl + 2, nl + 2 + size));
    at = nl + 2 + size + 2;
  }
}

module.exports = { engineConnection, warmJoin };
