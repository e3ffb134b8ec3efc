'use strict';
/*
 * The floor of `cx exec --backend runc c -- true` for any Node program that enters the way cx does
 * (bench/targets.ts runs it beside cx): Node's start-up, then only what the session needs: the
 * cgroup join warmed as cx does, the container's passwd and group read by cx's helper (`query`, as
 * the container's root: the user must be known before runc starts), the bundle's process spec read,
 * the exec's spec written, `runc exec --process` run to its end. No option parsing, no target
 * resolution, no code of cx. Plain CommonJS, run without a loader or a bundle.
 *
 * The command's stdin and stdout are this process's own, handed to runc as cx hands them over: a
 * pipe as it is, a regular file fed by the host's cat into runc's stdin pipe (a host file is never
 * handed into a container: it could be reopened there through /proc/self/fd/0).
 *
 * Usage: node bench/floor-runc.cjs BUNDLE RUNC_ROOT ID CMD_JSON -- HELPER query --pid ... (the query's arguments)
 */
const { spawn } = require('node:child_process');
const { fstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { warmJoin } = require('./floor-lib.cjs');

const [bundle, root, id, cmdJson, , helper, ...queryArgs] = process.argv.slice(2);

warmJoin();

const specs = ['r:/etc/passwd', 'r:/etc/group'];
const blob = Buffer.from(specs.map((s) => `${s}\0`).join(''));
const query = spawn(helper, queryArgs, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], env: {} });
query.stdio[3].end(Buffer.concat([Buffer.from(`${blob.length}\n`), blob]));
query.stdio[2].resume();
query.stdio[4].resume();
const answers = [];
query.stdout.on('data', (d) => answers.push(d));
query.on('close', () => {
  // The answers: "F <len>\n<bytes>" per file; root's line of passwd gives HOME.
  const text = Buffer.concat(answers).toString('utf8');
  const home = /^root:[^:]*:0:[^:]*:[^:]*:([^:]*):/m.exec(text)?.[1] || '/';
  const base = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')).process;
  const spec = {
    ...base,
    args: JSON.parse(cmdJson),
    env: [...(base.env ?? []), `HOME=${home}`],
    cwd: '/',
    user: { ...base.user, uid: 0, gid: 0, additionalGids: [0], umask: base.user.umask ?? 0o022 },
    terminal: false,
  };
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'cx-floor-'));
  writeFileSync(path.join(scratch, 'process.json'), JSON.stringify(spec), { mode: 0o600 });
  const log = path.join(scratch, 'log.json');
  const file = fstatSync(0).isFile();
  const runc = spawn(
    'runc',
    ['--root', root, '--log', log, '--log-format', 'json', 'exec', '--process', path.join(scratch, 'process.json'), id],
    {
      stdio: [file ? 'pipe' : 0, 1, 'pipe'],
      cwd: '/',
    },
  );
  runc.stderr.resume();
  if (file) {
    spawn('/usr/bin/cat', [], { stdio: [0, runc.stdin, 'ignore'], env: {} });
    runc.stdin.destroy();
  }
  runc.on('exit', (code) => {
    rmSync(scratch, { recursive: true, force: true });
    process.exitCode = code ?? 1;
  });
});
