'use strict';
/*
 * A floor of `cx ls` with a healthy daemon for any Node program (bench/targets.ts runs it beside cx):
 * Node's start-up, one container list from the Engine API over a plain unix socket, and each
 * running container's record in the data-root (config.v2.json, parsed) for what the list lacks and cx
 * shows: the PID. Printed as a table.
 *
 * With --backends EXEC_ROOT it also does what cx's BACKENDS column and its health check need, as cx
 * does them (bench/targets.ts names this row "with the BACKENDS column"): the /_ping sent with the
 * list; per container, dockerd's containerd task (options.json: the runtime's root), runc's state.json
 * there, the task dir and the runtime root owned by root and writable by root alone (each directory up
 * to / checked once), and the container's TCP sockets (net/sockstat and sockstat6, as the ssh
 * column's check reads them first); runc on PATH, the nsenter helper and root once. Less than cx does
 * all the same (no option parsing, no merge with other runtimes, no trust check of the data-root), so
 * cx's listing cannot be faster than this.
 *
 * Usage: node bench/floor-ls.cjs SOCKET DATA_ROOT [--backends EXEC_ROOT]
 */
const { existsSync, lstatSync, readFileSync, realpathSync } = require('node:fs');
const path = require('node:path');
const { engineConnection } = require('./floor-lib.cjs');

const [socket, dataRoot, flag, execRoot] = process.argv.slice(2);
const backends = flag === '--backends';
const api = engineConnection(socket);
const ping = backends ? engineConnection(socket) : undefined;
const pinged = ping?.request('GET', '/_ping').then((r) => (ping.sock.destroy(), r.status === 200));

/** Owned by root and writable by root alone, with every directory above it (each checked once). */
const verdicts = new Map();
const trusted = (dir) => ownedByRoot(realpathSync.native(dir));
function ownedByRoot(dir) {
  let v = verdicts.get(dir);
  if (v === undefined) {
    const st = lstatSync(dir, { throwIfNoEntry: false });
    v =
      !!st &&
      st.isDirectory() &&
      st.uid === 0 &&
      (st.mode & 0o022) === 0 &&
      (dir === '/' || ownedByRoot(dir.slice(0, dir.lastIndexOf('/')) || '/'));
    verdicts.set(dir, v);
  }
  return v;
}

/** A namespace's TCP sockets in use (net/sockstat's "TCP: inuse N" line). */
function inUse(pid, file, label) {
  const m = new RegExp(`^${label}: inuse (\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/net/${file}`, 'latin1'));
  return m ? Number(m[1]) : 0;
}

/** An sshd listening on port 22 in the container's network namespace (its net/tcp or tcp6 table). */
function sshd(pid, table) {
  return readFileSync(`/proc/${pid}/net/${table}`, 'latin1')
    .split('\n')
    .some((l) => / [0-9A-F]+:0016 [0-9A-F]+:0000 0A /.test(l));
}

function column(id, pid) {
  const tasks = `${execRoot}/containerd/daemon/io.containerd.runtime.v2.task/moby`;
  const out = ['docker'];
  try {
    const opts = JSON.parse(readFileSync(`${tasks}/${id}/options.json`, 'utf8'));
    const root = `${opts.root || `${execRoot}/containerd/daemon/runc`}/moby`;
    if (runc && existsSync(`${root}/${id}/state.json`) && trusted(root) && trusted(`${tasks}/${id}`)) out.push('runc');
  } catch {
    // no task: no runc
  }
  if (pid > 0 && helper && root) out.push('nsenter');
  if (
    pid > 0 &&
    helper &&
    root &&
    [
      ['sockstat', 'TCP', 'tcp'],
      ['sockstat6', 'TCP6', 'tcp6'],
    ].some(([f, l, t]) => inUse(pid, f, l) > 0 && sshd(pid, t))
  )
    out.push('ssh');
  return out.join(',');
}

const runc = backends && process.env.PATH.split(':').some((d) => existsSync(`${d}/runc`));
const helper = backends && existsSync(path.join(path.dirname(require.resolve('./floor-lib.cjs')), '..', 'native', 'build', 'cx-nsenter'));
const root = process.getuid() === 0;

api.request('GET', '/v1.41/containers/json').then(async ({ text }) => {
  api.sock.destroy();
  if (backends && !(await pinged)) throw new Error('dockerd is not ok');
  const rows = JSON.parse(text).map((c) => {
    const record = JSON.parse(readFileSync(`${dataRoot}/containers/${c.Id}/config.v2.json`, 'utf8'));
    const pid = record.State?.Pid ?? 0;
    return [c.Id.slice(0, 12), (c.Names[0] ?? '').slice(1), c.Image, c.State, String(pid || ''), ...(backends ? [column(c.Id, pid)] : [])];
  });
  const table = [['ID', 'NAME', 'IMAGE', 'STATE', 'PID', ...(backends ? ['BACKENDS'] : [])], ...rows];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  process.stdout.write(table.map((r) => r.map((v, i) => v.padEnd(widths[i])).join('  ')).join('\n') + '\n');
});
