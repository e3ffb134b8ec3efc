'use strict';
/*
 * What the floor clients (bench/floor-*.cjs) share: cx's cgroup join warm-up (src/host/cgroup-join.ts),
 * a migration of this process to the cgroup it is already in, queued at once, so that the join that
 * follows (the helper's, runc's, dockerd's runc) finds the kernel's RCU grace period behind it.
 */
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

module.exports = { warmJoin };
