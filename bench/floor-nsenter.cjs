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
const { warmJoin } = require('./floor-lib.cjs');

warmJoin();

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
