'use strict';
/*
 * A floor of `cx ls` with a healthy daemon for any Node program (bench/targets.ts runs it beside cx):
 * Node's start-up, one container list from the Engine API over a plain unix socket, and each
 * running container's record in the data-root (config.v2.json, parsed) for what the list lacks and cx
 * shows: the PID. Printed as a table. Less than cx does (no BACKENDS column: no runtime state, no
 * trust checks, no sshd check), so cx's listing cannot be faster than this.
 *
 * Usage: node bench/floor-ls.cjs SOCKET DATA_ROOT
 */
const { readFileSync } = require('node:fs');
const { engineConnection } = require('./floor-lib.cjs');

const [socket, dataRoot] = process.argv.slice(2);
const api = engineConnection(socket);
api.request('GET', '/v1.41/containers/json').then(({ text }) => {
  api.sock.destroy();
  const rows = JSON.parse(text).map((c) => {
    const record = JSON.parse(readFileSync(`${dataRoot}/containers/${c.Id}/config.v2.json`, 'utf8'));
    return [c.Id.slice(0, 12), (c.Names[0] ?? '').slice(1), c.Image, c.State, String(record.State?.Pid ?? '')];
  });
  const table = [['ID', 'NAME', 'IMAGE', 'STATE', 'PID'], ...rows];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  process.stdout.write(table.map((r) => r.map((v, i) => v.padEnd(widths[i])).join('  ')).join('\n') + '\n');
});
