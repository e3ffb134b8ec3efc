'use strict';
/*
 * The floor of `cx exec --backend nsenter c -- true` for any Node program that enters the way cx
 * does (bench/targets.ts runs it beside cx): Node's start-up, then only what the session needs of
 * Node and of cx's helper. It warms the cgroup join as cx does, starts native/build/cx-nsenter with
 * the arguments cx gives it (bench/targets.ts builds them from the container's /proc files), reads
 * the --query-first answers on fd 5, sends the user and a fixed environment on fd 3 and waits for
 * the command's exit. No target resolution, no option parsing, no code of cx: what cx adds beyond
 * this is its own. Plain CommonJS, run without a loader or a bundle.
 *
 * Usage: node bench/floor-nsenter.cjs HELPER exec --pid ... -- true
 */
const { spawn } = require('node:child_process');
const { close, openSync, readFileSync, write } = require('node:fs');

// The join warm-up (src/host/cgroup-join.ts): a migration to where this process already is.
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

const [helper, ...args] = process.argv.slice(2);
const list = (items) => {
  const blob = Buffer.from(items.map((i) => `${i}\0`).join(''));
  return Buffer.concat([Buffer.from(`${blob.length}\n`), blob]);
};
const child = spawn(helper, args, { stdio: [0, 1, 'pipe', 'pipe', 'pipe', 'pipe'], env: {} });
child.stdio[2].resume();
child.stdio[4].resume();
child.stdio[5].resume();
child.stdio[5].on('end', () => {
  child.stdio[3].write(
    Buffer.concat([list(['0', '0', '0']), list(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root'])]),
  );
});
child.on('exit', (code) => {
  process.exitCode = code ?? 1;
});
