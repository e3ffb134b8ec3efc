import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { after, before, describe, it } from 'node:test';
import { cx, CX_BIN } from '../helpers/cx.js';
import { containerProcesses, uniqueName } from '../helpers/engine.js';
import { PtyRun } from '../helpers/pty.js';
import { suiteContainer } from '../helpers/suite.js';
import { screenOf } from '../helpers/vt.js';

const COLS = 90;
const ROWS = 20;

describe('--detach-keys and --record on cx exec -t / cx enter (shared engine)', () => {
  const c = suiteContainer({ name: uniqueName('dr') });
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-rec-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('docker backend: the detach keys end cx and leave the process running, as docker exec does', async () => {
    const p = new PtyRun(CX_BIN, ['exec', '-t', '--backend', 'docker', '--detach-keys', 'ctrl-x,x', c.name, '--', 'sh'], {
      cols: COLS,
      rows: ROWS,
    });
    try {
      await p.expect(/# $/m);
      p.type('echo up-$((2*3)); sleep 4343\r');
      await p.expect('up-6');
      // ctrl-x alone is held, then handed on: the shell still gets what is not the sequence.
      p.type('\x18x');
      assert.equal((await p.waitExit()).exitCode, 0);
      assert.match(p.screen, /cx: detached; the process keeps running in dr-/);
      const left = await containerProcesses(c.id);
      assert.ok(left.includes('sleep 4343'), `sleep 4343 still runs: ${left.join(', ')}`);
      assert.ok(left.includes('sh'), `its shell too: ${left.join(', ')}`);
    } finally {
      p.kill();
      await execa('docker', ['exec', c.id, 'pkill', '-f', 'sleep 4343'], { reject: false });
    }
  });

  it('refuses --detach-keys where no one could keep the terminal, and bad keys, with one line', async () => {
    const before = await containerProcesses(c.id);
    const r = await cx(['exec', '-t', '--backend', 'nsenter', '--detach-keys', 'ctrl-p,ctrl-q', c.name, '--', 'sh']);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^cx: --detach-keys needs the docker backend: with nsenter the session's terminal lives in cx/m);
    const bad = await cx(['exec', '-t', '--detach-keys', 'ctrl-pp', c.name, '--', 'sh']);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /^cx: --detach-keys: invalid detach key "ctrl-pp"/m);
    const noTty = await cx(['exec', '-T', '--record', path.join(dir, 'x.cast'), c.name, '--', 'true']);
    assert.equal(noTty.exitCode, 2);
    assert.match(noTty.stderr, /^cx: --detach-keys and --record need a TTY$/m);
    assert.deepEqual(await containerProcesses(c.id), before, 'nothing was started');
  });

  it('--record writes an asciicast v2 file that cx replay plays back to the same final screen', async () => {
    const cast = path.join(dir, 'session.cast');
    const p = new PtyRun(CX_BIN, ['enter', '--record', cast, c.name], { cols: COLS, rows: ROWS });
    let live: string[];
    try {
      await p.expect(/# $/m);
      p.type('clear; for i in 1 2 3; do printf "\\033[3%dmline-%d\\033[0m\\n" $i $i; done; printf "\\033[12;30Hplaced"; echo\r');
      await p.expect('placed');
      p.type('echo secret-typed-$((5*5))\r');
      await p.expect('secret-typed-25');
      p.type('exit\r');
      assert.equal((await p.waitExit()).exitCode, 0);
      live = await screenOf(p.raw, COLS, ROWS);
    } finally {
      p.kill();
    }
    const lines = (await readFile(cast, 'utf8')).trim().split('\n');
    const header = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(header['version'], 2);
    assert.equal(header['width'], COLS);
    assert.equal(header['height'], ROWS);
    const events = lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
    assert.ok(events.length > 0);
    assert.ok(
      events.every(([t, k, d]) => typeof t === 'number' && k === 'o' && typeof d === 'string'),
      'only output events without --record-input',
    );
    for (let i = 1; i < events.length; i++) assert.ok((events[i]?.[0] ?? 0) >= (events[i - 1]?.[0] ?? 0), 'times never go back');

    const r = new PtyRun(CX_BIN, ['replay', '--speed', '100', cast], { cols: COLS, rows: ROWS });
    try {
      assert.equal((await r.waitExit()).exitCode, 0);
      const replayed = await screenOf(r.raw, COLS, ROWS);
      assert.ok(live.join('\n').includes('placed'));
      assert.deepEqual(replayed, live);
    } finally {
      r.kill();
    }
  });

  it('--record-input adds the keys typed as "i" events', async () => {
    const cast = path.join(dir, 'input.cast');
    const p = new PtyRun(CX_BIN, ['exec', '-t', '--record', cast, '--record-input', c.name, '--', 'sh'], { cols: COLS, rows: ROWS });
    try {
      await p.expect(/# $/m);
      p.type('echo typed-$((6*7))\r');
      await p.expect('typed-42');
      p.type('exit\r');
      assert.equal((await p.waitExit()).exitCode, 0);
    } finally {
      p.kill();
    }
    const events = (await readFile(cast, 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as [number, string, string]);
    const typed = events
      .filter(([, k]) => k === 'i')
      .map(([, , d]) => d)
      .join('');
    assert.ok(typed.includes('echo typed-$((6*7))\r'), typed);
  });

  it('cx replay refuses what is not a recording with one line', async () => {
    const bad = path.join(dir, 'bad.cast');
    await execa('sh', ['-c', `echo not-json > ${bad}`]);
    const r = await cx(['replay', bad]);
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /^cx: .*bad\.cast: not an asciicast file: the first line is not a JSON header$/m);
    const speed = await cx(['replay', '--speed', '0', bad]);
    assert.equal(speed.exitCode, 2);
    assert.match(speed.stderr, /^cx: invalid --speed '0'/m);
  });
});
