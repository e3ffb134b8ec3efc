import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';
import { App, type TuiResult } from '../../src/tui/app.js';
import type { SessionRow, SessionsSource } from '../../src/tui/data/sessions.js';
import { KEYMAP } from '../../src/tui/keymap.js';
import type { UiSnapshot } from '../../src/tui/state.js';
import { container, MemoryBackend, world, type World } from './tui-fixtures.js';

const SIZE = { cols: 120, rows: 20 };
const strip = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

interface Harness {
  frame(): string;
  type(keys: string): void;
  until(pred: (frame: string) => boolean, what: string): Promise<string>;
  exits: Array<{ result: TuiResult; snapshot: UiSnapshot }>;
  raw(): string;
}

function mount(w: World, initial?: Partial<UiSnapshot>, sessions?: SessionsSource): Harness {
  const exits: Harness['exits'] = [];
  const r = render(
    <App
      sources={w.sources}
      size={SIZE}
      initial={initial}
      sessions={sessions}
      onExit={(result, snapshot) => exits.push({ result, snapshot })}
    />,
  );
  const frame = (): string => strip(r.lastFrame() ?? '');
  return {
    frame,
    raw: () => r.lastFrame() ?? '',
    type: (keys) => r.stdin.write(keys),
    exits,
    async until(pred, what) {
      // Rendering is asynchronous (listing, effects); wait for the frame, failing with what was shown.
      for (let i = 0; i < 500; i++) {
        if (pred(frame())) return frame();
        await new Promise((res) => setTimeout(res, 10));
      }
      throw new Error(`never saw ${what}; last frame:\n${frame()}`);
    },
  };
}

/** The line of the frame that shows the selection marker. */
const selectedLine = (f: string): string => f.split('\n').find((l) => l.startsWith('›')) ?? '';

function threeContainers(): World {
  return world([
    container({ name: 'web', image: 'nginx:1.25', labels: { tier: 'front' }, startedAt: '2026-01-03T00:00:00Z' }),
    container({ name: 'db', image: 'postgres:16', labels: { tier: 'data' }, startedAt: '2026-01-01T00:00:00Z' }),
    container({ name: 'cache', image: 'redis:7', startedAt: '2026-01-02T00:00:00Z' }),
    container({ name: 'old-job', state: 'exited', exitCode: 3, pid: undefined, finishedAt: '2026-01-02T00:00:00Z' }),
  ]);
}

describe('TUI app (in-memory backend)', () => {
  afterEach(() => cleanup());

  it('lists running containers with id, image, state, pid and backend; stopped ones only with a', async () => {
    const h = mount(threeContainers());
    const f = await h.until((x) => x.includes('web'), 'the list');
    for (const text of ['NAME', 'IMAGE', 'STATE', 'BACKEND', 'cache', 'db', 'nginx:1.25', 'postgres:16', 'running', '4242', 'docker'])
      assert.ok(f.includes(text), `missing ${text}:\n${f}`);
    assert.ok(!f.includes('old-job'), 'stopped containers are hidden by default');
    assert.match(selectedLine(f), /› cache/, 'sorted by name, first selected');
    h.type('a');
    const all = await h.until((x) => x.includes('old-job'), 'stopped containers after a');
    assert.match(all, /old-job .*exited \(3\)/);
    assert.match(all, /old-job .* - {2,}/, 'no backend can enter a stopped container');
  });

  it('filters as you type over name, image, id and labels; esc clears', async () => {
    const h = mount(threeContainers());
    await h.until((x) => x.includes('web'), 'the list');
    h.type('/');
    h.type('post');
    let f = await h.until((x) => !x.includes('cache'), 'filtered by image');
    assert.ok(f.includes('db') && !f.includes('web'), f);
    assert.match(f, /1 of 3 running match "post"/);
    h.type('\x7f\x7f\x7f\x7f');
    h.type('tier=front');
    f = await h.until((x) => !x.includes('postgres'), 'filtered by label');
    assert.ok(f.includes('web') && !f.includes('cache'), f);
    h.type('\r');
    f = await h.until((x) => x.includes('filter: tier=front'), 'the accepted filter');
    h.type('\x1b');
    f = await h.until((x) => x.includes('cache') && x.includes('db'), 'the filter cleared');
  });

  it('a burst of keys acts like separate keypresses ("/web\\r" filters then accepts)', async () => {
    const h = mount(threeContainers());
    await h.until((x) => x.includes('web'), 'the list');
    h.type('/web\r');
    const f = await h.until((x) => x.includes('filter: web'), 'the filter accepted');
    assert.match(selectedLine(f), /› web/);
  });

  it('sorts by name, age (newest first) and state; s cycles', async () => {
    const h = mount(threeContainers());
    await h.until((x) => x.includes('web'), 'the list');
    h.type('a');
    await h.until((x) => x.includes('old-job'), 'all');
    h.type('s');
    let f = await h.until((x) => x.includes('sort age'), 'sort by age');
    const order = (frame: string): string[] =>
      frame
        .split('\n')
        .map((l) => /^[› ] (\S+)/.exec(l)?.[1] ?? '')
        .filter((n) => ['web', 'db', 'cache', 'old-job'].includes(n));
    assert.deepEqual(order(f), ['web', 'cache', 'db', 'old-job']);
    h.type('s');
    f = await h.until((x) => x.includes('sort state'), 'sort by state');
    assert.equal(order(f).at(-1), 'old-job', 'stopped last');
  });

  it('moves with j/k and arrows, and keeps the selection on the same container across refreshes', async () => {
    const w = threeContainers();
    const h = mount(w);
    await h.until((x) => x.includes('web'), 'the list');
    h.type('j');
    await h.until((x) => /› db/.test(selectedLine(x)), 'db selected');
    h.type('\x1b[B');
    await h.until((x) => /› web/.test(selectedLine(x)), 'web selected');
    h.type('k');
    await h.until((x) => /› db/.test(selectedLine(x)), 'db selected again');
    // A new container sorts before db: the selection stays on db, not on row 2.
    w.containers.push(container({ name: 'api' }));
    w.feed.fire();
    const f = await h.until((x) => x.includes('api'), 'the refreshed list');
    assert.match(selectedLine(f), /› db/);
  });

  it('Enter hands the selected container and the choices to the caller; a stopped one is refused', async () => {
    const h = mount(threeContainers());
    await h.until((x) => x.includes('web'), 'the list');
    h.type('a');
    await h.until((x) => x.includes('old-job'), 'all');
    h.type('G');
    await h.until((x) => /› web/.test(selectedLine(x)), 'the last one selected');
    h.type('k');
    await h.until((x) => /› old-job/.test(selectedLine(x)), 'old-job selected');
    h.type('\r');
    await h.until((x) => x.includes('old-job is exited: nothing to enter'), 'the refusal');
    assert.equal(h.exits.length, 0);
    h.type('g');
    await h.until((x) => /› cache/.test(selectedLine(x)), 'cache selected');
    h.type('u');
    h.type('app');
    h.type('\r');
    await h.until((x) => x.includes('as app'), 'user chosen');
    h.type('\r');
    await h.until(() => h.exits.length === 1, 'the exit');
    const exit = h.exits[0];
    assert.equal(exit?.result.kind, 'enter');
    assert.equal(exit?.result.kind === 'enter' ? exit.result.container.name : '', 'cache');
    assert.deepEqual(exit?.result.kind === 'enter' ? exit.result.choice : undefined, { backend: 'auto', user: 'app' });
    assert.equal(exit?.snapshot.selectedId, exit?.result.kind === 'enter' ? exit.result.container.id : '');
  });

  it('Enter on a restarting container hands it over, as `cx enter` would take it', async () => {
    const h = mount(world([container({ name: 'flappy', state: 'restarting' })]));
    await h.until((x) => /› flappy/.test(selectedLine(x)), 'flappy selected');
    h.type('\r');
    await h.until(() => h.exits.length === 1, 'the exit');
    const exit = h.exits[0];
    assert.equal(exit?.result.kind, 'enter');
    assert.equal(exit?.result.kind === 'enter' ? exit.result.container.name : '', 'flappy');
  });

  it('comes back from a session with the selection, filter and status it left with', async () => {
    const w = threeContainers();
    const db = w.containers[1];
    const h = mount(w, {
      filter: '',
      selectedId: db?.id,
      selectedIndex: 1,
      message: { text: 'db: shell exited with status 3', tone: 'error' },
    });
    const f = await h.until((x) => x.includes('web'), 'the list');
    assert.match(selectedLine(f), /› db/);
    assert.ok(f.includes('db: shell exited with status 3'), f);
  });

  it('q and ctrl-c quit', async () => {
    for (const key of ['q', '\x03']) {
      const h = mount(threeContainers());
      await h.until((x) => x.includes('web'), 'the list');
      h.type(key);
      await h.until(() => h.exits.length === 1, `quit on ${JSON.stringify(key)}`);
      assert.equal(h.exits[0]?.result.kind, 'quit');
      cleanup();
    }
  });

  it('? shows help generated from the keymap; the footer shows the main keys', async () => {
    const h = mount(threeContainers());
    const list = await h.until((x) => x.includes('web'), 'the list');
    for (const b of KEYMAP.filter((x) => x.scopes.includes('list') && x.footer))
      assert.ok(list.includes(b.footer ?? ''), `footer lacks ${b.footer}`);
    h.type('?');
    let f = await h.until((x) => x.includes('keys (esc'), 'help');
    const seen = new Set<string>();
    // The help scrolls: page through it and collect every line.
    for (let i = 0; i < 10; i++) {
      for (const l of f.split('\n')) seen.add(l.trim());
      h.type('\x1b[6~');
      await new Promise((r) => setTimeout(r, 30));
      f = h.frame();
    }
    const text = [...seen].join('\n');
    for (const b of KEYMAP) assert.ok(text.includes(b.description), `help lacks "${b.description}"`);
    h.type('q');
    await h.until((x) => x.includes('NAME'), 'back to the list');
    assert.equal(h.exits.length, 0, 'q closes help, it does not quit');
  });

  it('never draws a container-controlled escape sequence raw', async () => {
    const evil = container({
      name: 'evil\x1b[2J\x1b[31mred\x1b]0;pwned\x07',
      image: 'img\x1b[1A',
      labels: { x: '\x1b[5m' },
      config: { user: '', env: ['SECRET=a\x1b[2Kb\u202egnp.exe'], workingDir: '/', hostname: 'h', tty: false },
    });
    const w = world([evil], [new MemoryBackend('docker', () => ({ output: 'out\x1b[2J\x1b[Hdone\n', exitCode: 0 }))]);
    const h = mount(w);
    await h.until((x) => x.includes('evil'), 'the list');
    const checkRaw = (what: string): void => {
      const raw = h.raw();
      for (const seq of ['\x1b[2J', '\x1b[31m', '\x1b]0;', '\x07', '\x1b[1A', '\x1b[2K', '\x1b[H', '\u202e'])
        assert.ok(!raw.includes(seq), `${what}: raw ${JSON.stringify(seq)} reached the screen`);
    };
    checkRaw('list');
    assert.ok(h.frame().includes('evil\\x1b[2J\\x1b[31mred'), h.frame());
    h.type('e');
    await h.until((x) => x.includes('SECRET'), 'env view');
    checkRaw('env');
    assert.ok(h.frame().includes('a\\x1b[2Kb\\u202egnp.exe'), h.frame());
    h.type('\x1b');
    await h.until((x) => x.includes('NAME'), 'list');
    h.type('x');
    h.type('cat');
    h.type('\r');
    await h.until((x) => x.includes('exit status 0'), 'command output');
    checkRaw('command output');
    assert.ok(h.frame().includes('out\\x1b[2J\\x1b[Hdone'), h.frame());
  });

  it("e shows the session environment with each variable's source, for the chosen user and backend", async () => {
    const w = world([container({ name: 'web' })], [new MemoryBackend('docker'), new MemoryBackend('nsenter')]);
    const h = mount(w);
    await h.until((x) => x.includes('web'), 'the list');
    h.type('e');
    let f = await h.until((x) => x.includes('APP_MODE'), 'env');
    assert.match(f, /container config +APP_MODE +test/);
    assert.match(f, /docker default +PATH/);
    assert.match(f, /hostname +HOSTNAME +host1/);
    assert.match(f, /user's passwd +HOME +\/root/);
    assert.match(f, /your terminal +TERM +xterm-256color/);
    assert.match(f, /via docker/);
    h.type('b');
    f = await h.until((x) => x.includes('backend docker'), 'backend docker chosen');
    h.type('b');
    f = await h.until((x) => x.includes('via nsenter'), 'env through nsenter');
    h.type('u');
    h.type('app\r');
    f = await h.until((x) => x.includes('/home/app'), 'env as app');
    assert.match(f, /as app via nsenter/);
  });

  it('x runs a one-off command through the shell cx enter would pick and shows its output', async () => {
    const backend = new MemoryBackend('docker');
    const h = mount(world([container({ name: 'web' })], [backend]));
    await h.until((x) => x.includes('web'), 'the list');
    h.type('x');
    await h.until((x) => x.includes('run in the container:'), 'the prompt');
    h.type('ps aux');
    h.type('\r');
    const f = await h.until((x) => x.includes('exit status 0'), 'output');
    assert.ok(f.includes('$ ps aux') && f.includes('ran: /bin/ash -c ps aux'), f);
    assert.deepEqual(backend.opened[0]?.request.cmd, ['/bin/ash', '-c', 'ps aux']);
    assert.equal(backend.opened[0]?.request.tty, false);
  });

  it('i and p show the inspect summary and the processes; esc goes back', async () => {
    const h = mount(world([container({ name: 'web' })]));
    await h.until((x) => x.includes('web'), 'the list');
    h.type('i');
    let f = await h.until((x) => x.includes('mounts'), 'inspect');
    assert.match(f, /bind \/srv -> \/data/);
    assert.match(f, /volume logs -> \/logs \(ro\)/);
    h.type('p');
    f = await h.until((x) => x.includes('COMMAND'), 'processes');
    assert.match(f, /4242 +1 +0 +S +512K +sleep 100000/);
    h.type('\x1b');
    await h.until((x) => x.includes('NAME'), 'back to the list');
  });

  it('shows a banner when the daemon does not answer, with how cx would enter', async () => {
    const w = threeContainers();
    const h = mount(w);
    await h.until((x) => x.includes('web'), 'the list');
    assert.ok(!h.frame().includes('!'), 'no banner while events flow');
    w.feed.setMode({
      kind: 'polling',
      reason: 'dockerd accepted the connection on /var/run/docker.sock but did not answer GET /_ping within 1.5 s',
      daemon: 'frozen',
      everyMs: 3000,
    });
    const f = await h.until((x) => x.includes('not responding'), 'the banner');
    assert.match(f, /dockerd is not responding: listing from disk, refreshing every 3 s; entering via docker/);
  });

  it('marks containers with live sessions, lists them in the sessions view, returns to one, dismisses an exited one', async () => {
    const w = threeContainers();
    const listed = (await w.sources.list()).containers;
    const web = listed.find((c) => c.name === 'web');
    const db = listed.find((c) => c.name === 'db');
    assert.ok(web && db);
    let rows: SessionRow[] = [
      {
        id: 1,
        containerId: web.id,
        containerName: 'web',
        backend: 'docker',
        user: '',
        command: '/bin/ash',
        started: Date.now(),
        lastOutput: Date.now(),
        running: true,
        exitCode: undefined,
      },
      {
        id: 2,
        containerId: db.id,
        containerName: 'db',
        backend: 'runc',
        user: 'app',
        command: '/bin/sh',
        started: Date.now(),
        lastOutput: Date.now(),
        running: false,
        exitCode: 5,
      },
    ];
    const listeners: Array<() => void> = [];
    const source: SessionsSource = {
      rows: () => rows,
      onChange: (l) => {
        listeners.push(l);
        return { dispose: () => undefined };
      },
      dismiss: (id) => {
        rows = rows.filter((r) => r.id !== id);
        for (const l of listeners) l();
      },
    };
    const h = mount(w, undefined, source);
    const f = await h.until((x) => x.includes('●web'), 'the live mark');
    assert.match(f, /○db/);
    h.type('w');
    const v = await h.until((x) => x.includes('CONTAINER'), 'the sessions view');
    assert.match(v, /› web +docker +\(default\) .* running +\/bin\/ash/);
    assert.match(v, /db +runc +app .* exited 5 +\/bin\/sh/);
    h.type('x');
    await h.until((x) => x.includes('still running'), 'a running session is not dismissed');
    h.type('j');
    h.type('x');
    await h.until((x) => !x.includes('exited 5'), 'the exited session dismissed');
    h.type('\r');
    await h.until(() => h.exits.length === 1, 'the app to end');
    assert.deepEqual(h.exits[0]?.result, { kind: 'resume', id: 1 });
    assert.equal(h.exits[0]?.snapshot.view.kind, 'sessions');
  });

  it('asks before quitting with live sessions: n stays, y quits', async () => {
    const w = threeContainers();
    const rows: SessionRow[] = [
      {
        id: 1,
        containerId: 'x',
        containerName: 'web',
        backend: 'docker',
        user: '',
        command: 'sh',
        started: 0,
        lastOutput: 0,
        running: true,
        exitCode: undefined,
      },
    ];
    const h = mount(w, undefined, { rows: () => rows, onChange: () => ({ dispose: () => undefined }) });
    await h.until((x) => x.includes('web'), 'the list');
    h.type('q');
    await h.until((x) => x.includes('1 live session: quit and hang up? (y quits, n stays)'), 'the question');
    assert.equal(h.exits.length, 0);
    h.type('n');
    await h.until((x) => !x.includes('quit and hang up'), 'the question gone');
    assert.equal(h.exits.length, 0);
    h.type('q');
    await h.until((x) => x.includes('quit and hang up'), 'the question again');
    h.type('y');
    await h.until(() => h.exits.length === 1, 'the app to end');
    assert.deepEqual(h.exits[0]?.result, { kind: 'quit' });
  });
});
