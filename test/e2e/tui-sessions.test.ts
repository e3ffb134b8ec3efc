import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CX_BIN } from '../helpers/cx.js';
import { DedicatedEngine, type EngineContainer } from '../helpers/dedicated-engine.js';
import { containerProcesses, Containers, requireEngine, uniqueName } from '../helpers/engine.js';
import { PtyRun } from '../helpers/pty.js';
import { filterTo } from '../helpers/tui.js';
import { screenOf } from '../helpers/vt.js';

let COLS = 100;
let ROWS = 30;
const DETACH = '\x10\x11'; // ctrl-p ctrl-q
const NEXT = '\x10\x0e'; // ctrl-p ctrl-n

/** The command lines of the live (not zombie) host processes in the same pid namespace as `pid`. */
async function pidNamespaceMembers(pid: number): Promise<string[]> {
  const ns = await readlink(`/proc/${pid}/ns/pid`);
  const out: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readlink(`/proc/${entry}/ns/pid`)) !== ns) continue;
      // A zombie has ended; with the daemon frozen its reaper (the runtime's shim) cannot collect it.
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      out.push(`${entry}: ${(await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim()}`);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Wait (bounded) until the terminal, as an emulator renders everything from `from`, matches. */
async function expectScreen(p: PtyRun, from: number, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await screenOf(p.raw.slice(from), COLS, ROWS)).join('\n');
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)} on the screen:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('live sessions in the TUI (shared engine)', () => {
  const containers = new Containers();
  const prefix = uniqueName('ls');
  const names = { a: `${prefix}-app`, b: `${prefix}-side` };
  const ids: Record<string, string> = {};
  let dir: string;

  before(async () => {
    await requireEngine();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-live-'));
    const [a, b] = await Promise.all([containers.run({ name: names.a }), containers.run({ name: names.b })]);
    ids['a'] = a.id;
    ids['b'] = b.id;
  });
  after(async () => {
    await containers.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('detach from two sessions, see them live, return to a full-screen app redrawn, switch, see an exit status, quit hanging up the rest', async () => {
    const script = 'stty -g > "$0/before"; "$1"; echo "rc=$?"; stty -g > "$0/after"; echo finished';
    const auditLog = path.join(dir, 'audit', 'audit.jsonl');
    const recordDir = path.join(dir, 'rec');
    const p = new PtyRun('sh', ['-c', script, dir, CX_BIN], {
      cols: COLS,
      rows: ROWS,
      env: { CX_AUDIT_LOG: auditLog, CX_RECORD_DIR: recordDir },
    });
    const open = async (name: string): Promise<void> => {
      const from = p.mark();
      await filterTo(p, name);
      p.type('\r');
      await p.expect(/\/ # $/m, { from });
    };
    try {
      await p.expect(names.b);
      // Record the sessions opened from now on.
      p.type('R');
      await p.expect('● rec');
      // A full-screen program in the first container, left running.
      await open(names.a);
      p.type('vi /tmp/notes\r');
      await p.expect(/\/tmp\/notes/);
      p.type('iredraw-me-from-vi\x1b');
      await p.expect('redraw-me-from-vi');
      let from = p.mark();
      p.type(DETACH);
      await p.expect(`${names.a}: detached, still running`, { from });
      // A shell in the second, left at its prompt.
      p.type('\x1b');
      await p.expect(names.b, { from });
      await open(names.b);
      p.type('echo mark-$((40+2))\r');
      await p.expect('mark-42');
      from = p.mark();
      p.type(DETACH);
      await p.expect(`${names.b}: detached, still running`, { from });
      p.type('\x1b');
      // Both marked live in the list.
      await p.expect(new RegExp(`●${names.a}`), { from });
      await p.expect(new RegExp(`●${names.b}`), { from });

      // The sessions view lists both running; Enter on the first redraws vi exactly.
      from = p.mark();
      p.type('w');
      await p.expect(new RegExp(`${names.a} +docker .* running +vi|${names.a} +docker .* running`), { from });
      await p.expect(new RegExp(`${names.b} +docker .* running`), { from });
      let rawFrom = p.raw.length;
      p.type('\r');
      const vi = await expectScreen(p, rawFrom, /^redraw-me-from-vi$/m);
      assert.match(vi, /^~ *$/m, "vi's empty-line markers are redrawn");
      assert.doesNotMatch(vi, /NAME +ID/, 'the list is gone from the screen');

      // Straight to the next session from inside this one: its shell screen comes back, and the
      // window's size, changed while it was detached, applies to it now.
      p.resize(110, 32);
      COLS = 110;
      ROWS = 32;
      rawFrom = p.raw.length;
      p.type(NEXT);
      await expectScreen(p, rawFrom, /^mark-42$/m);
      p.type('stty size\r');
      await expectScreen(p, rawFrom, /^32 110$/m);
      // That one ends while nobody looks at it; back to vi, then out to the list.
      p.type('sleep 1; exit 5\r');
      rawFrom = p.raw.length;
      p.type(NEXT);
      await expectScreen(p, rawFrom, /^redraw-me-from-vi\s*$/m);
      from = p.mark();
      p.type(DETACH);
      await p.expect(new RegExp(`${names.b} +docker .* exited 5`), { from, timeoutMs: 15_000 });
      // Its last screen stays viewable, with its status, until dismissed.
      p.type('j');
      rawFrom = p.raw.length;
      p.type('\r');
      const last = await expectScreen(p, rawFrom, /exited with status 5; any key returns/);
      assert.match(last, /^mark-42$/m);
      from = p.mark();
      p.type(' ');
      await p.expect(`${names.b}: exited with status 5`, { from });
      await p.expect(new RegExp(`${names.b} +docker .* exited 5`), { from });
      p.type('x');
      const dismissed = await expectScreen(p, 0, new RegExp(`CONTAINER .*\n.*${names.a} +docker .*running.*\n\n`));
      assert.doesNotMatch(dismissed, new RegExp(`${names.b} +docker`));
      // Quit asks first while a session still runs, then hangs it up (an ESC and a key within a
      // few ms read as one meta keypress: wait for the list first).
      from = p.mark();
      p.type('\x1b');
      await p.expect(/NAME +ID/, { from });
      from = p.mark();
      p.type('q');
      await p.expect('1 live session: quit and hang up? (y quits, n stays)', { from });
      p.type('y');
      const rc = await p.expect(/rc=(\d+)/);
      assert.equal(rc[1], '0');
      await p.expect('finished');
      const [sttyBefore, sttyAfter] = await Promise.all([
        readFile(path.join(dir, 'before'), 'utf8'),
        readFile(path.join(dir, 'after'), 'utf8'),
      ]);
      assert.equal(sttyAfter, sttyBefore, 'terminal settings restored');
      for (const id of [ids['a'] as string, ids['b'] as string])
        assert.deepEqual(await containerProcesses(id), ['sleep 100000'], `processes left in ${id}`);
      // Both sessions were recorded, and audited from start to end (b's exit, a's hangup).
      const casts = (await readdir(recordDir)).filter((f) => f.endsWith('.cast')).sort();
      assert.equal(casts.length, 2, casts.join(', '));
      const castA = casts.find((f) => f.startsWith(names.a)) ?? '';
      assert.ok((await readFile(path.join(recordDir, castA), 'utf8')).includes('redraw-me-from-vi'));
      const audit = (await readFile(auditLog, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(audit.filter((l) => l['event'] === 'start').length, 2);
      const ends = audit.filter((l) => l['event'] === 'end');
      assert.equal(ends.length, 2);
      const startB = audit.find((l) => l['event'] === 'start' && (l['container'] as { name: string }).name === names.b);
      assert.equal(ends.find((l) => l['session'] === startB?.['session'])?.['exitCode'], 5);
      assert.equal(startB?.['tty'], true);
      assert.match(String(startB?.['recording']), /\.cast$/);
    } catch (e) {
      await import('node:fs/promises').then((f) => f.writeFile('/tmp/cx-live-debug.txt', p.raw));
      throw e;
    } finally {
      p.kill();
    }
  });
});

describe('live sessions with the daemon frozen (dedicated engine)', () => {
  let engine: DedicatedEngine;
  let web: EngineContainer;

  before(async () => {
    await requireEngine();
    COLS = 100;
    ROWS = 30;
    engine = await DedicatedEngine.start();
    web = await engine.run();
    await engine.freezeAfterLs();
  });
  after(async () => {
    await engine?.stop();
  });

  it('detaches from and returns to a session entered through runc, and hangs it up on quit', async () => {
    const p = new PtyRun(CX_BIN, [], { cols: COLS, rows: ROWS, env: { ...engine.env, CX_AUDIT_LOG: 'off' } });
    try {
      await p.expect(/entering via runc/, { timeoutMs: 30_000 });
      await p.expect(web.name);
      await filterTo(p, web.name);
      let from = p.mark();
      p.type('\r');
      await p.expect(/\/ # $/m, { from, timeoutMs: 30_000 });
      p.type('echo frozen-$((3*3)); sleep 4545\r');
      await p.expect('frozen-9', { from });
      from = p.mark();
      p.type(DETACH);
      await p.expect(`${web.name}: detached, still running`, { from });
      await p.expect(new RegExp(`●${web.name}`), { from });
      from = p.mark();
      p.type('w');
      await p.expect(new RegExp(`${web.name} +runc .* running`), { from });
      const rawFrom = p.raw.length;
      p.type('\r');
      await expectScreen(p, rawFrom, /^frozen-9$/m);
      from = p.mark();
      p.type(DETACH);
      await p.expect(`${web.name}: detached, still running`, { from });
      p.type('\x1b');
      await p.expect(/NAME +ID/, { from });
      from = p.mark();
      p.type('q');
      await p.expect('1 live session: quit and hang up?', { from });
      p.type('y');
      assert.equal((await p.waitExit(20_000)).exitCode, 0);
      // Nothing cx started is left: the container's init is alone in its pid namespace (the daemon
      // is frozen, so this is read from /proc on the host).
      const deadline = Date.now() + 10_000;
      for (;;) {
        const left = await pidNamespaceMembers(web.pid);
        if (left.length === 1) break;
        if (Date.now() > deadline) assert.fail(`processes left in the container: ${left.join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      p.kill();
    }
  });
});
