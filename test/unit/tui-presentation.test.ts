import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEvent } from '../../src/engine/events.js';
import { bytes, summarizeInspect } from '../../src/tui/data/inspect.js';
import { changesList } from '../../src/tui/data/live.js';
import { actionFor, keyName, KEYMAP, NO_KEY, splitBurst, type KeyInfo } from '../../src/tui/keymap.js';
import {
  headerLine,
  layoutColumns,
  matchesFilter,
  rowCells,
  scrollTop,
  sortContainers,
  statusText,
  toRow,
} from '../../src/tui/presentation/containers.js';
import { envLines, outputLines, processLines } from '../../src/tui/presentation/details.js';
import { footerText, helpLines } from '../../src/tui/presentation/help.js';
import { bannerText, engineTrouble, headerText } from '../../src/tui/presentation/status.js';
import { clean, displayWidth, fit, truncate } from '../../src/tui/presentation/text.js';
import { initialState, reduce, selectedOf } from '../../src/tui/state.js';
import { compareNames } from '../../src/util/compare.js';
import { container } from './tui-fixtures.js';

const NO: KeyInfo = NO_KEY;
const NOW = Date.parse('2026-01-01T01:00:00Z');

describe('tui text', () => {
  it('clean() makes controls, bidi overrides and separators visible', () => {
    assert.equal(clean('a\x1b[2Jb'), 'a\\x1b[2Jb');
    assert.equal(clean('x\u202ey'), 'x\\u202ey');
    assert.equal(clean('l1\u2028l2'), 'l1\\u2028l2');
    assert.equal(clean('\x9b31m'), '\\x9b31m');
    assert.equal(clean('plain-name_1.2'), 'plain-name_1.2');
  });

  it('measures and cuts by terminal columns (wide characters take two)', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('日本'), 4);
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('日本語', 5), '日本…');
    assert.equal(displayWidth(truncate('日本語テキスト', 6)), 5);
    assert.equal(fit('ab', 4), 'ab  ');
    assert.equal(fit('ab', 4, true), '  ab');
    assert.equal(fit('abcdef', 3), 'ab…');
  });
});

describe('tui container presentation', () => {
  it('rows: short id, uptime, pid, first usable backend; stopped ones say how they ended', () => {
    const row = toRow(container({ name: 'web\x1b[31m', startedAt: '2026-01-01T00:55:00Z' }), ['docker', 'runc'], NOW);
    assert.equal(row.name, 'web\\x1b[31m');
    assert.equal(row.shortId.length, 12);
    assert.equal(row.status, 'running 5m');
    assert.equal(row.pid, '4242');
    assert.equal(row.backend, 'docker');
    assert.equal(toRow(container({ name: 'x' }), [], NOW).backend, '-');
    assert.equal(
      statusText({ state: 'exited', exitCode: 3, startedAt: undefined, finishedAt: '2026-01-01T00:00:00Z' }, NOW),
      'exited (3) 1h ago',
    );
    assert.equal(statusText({ state: 'created', exitCode: undefined, startedAt: undefined, finishedAt: undefined }, NOW), 'created');
  });

  it('filter words must all match name, image, id or a label', () => {
    const c = container({ name: 'api-web', image: 'nginx:1.25', labels: { team: 'payments' } });
    assert.ok(matchesFilter(c, ''));
    assert.ok(matchesFilter(c, 'WEB'));
    assert.ok(matchesFilter(c, 'nginx team=pay'));
    assert.ok(matchesFilter(c, c.id.slice(0, 6)));
    assert.ok(!matchesFilter(c, 'web redis'));
  });

  it('sorts by name, age (newest first) and state (running first)', () => {
    const a = container({ name: 'a', startedAt: '2026-01-01T00:00:00Z' });
    const b = container({ name: 'b', startedAt: '2026-01-03T00:00:00Z', state: 'exited' });
    const c = container({ name: 'c', startedAt: '2026-01-02T00:00:00Z' });
    const names = (xs: Array<{ name: string }>): string[] => xs.map((x) => x.name);
    assert.deepEqual(names(sortContainers([c, b, a], 'name')), ['a', 'b', 'c']);
    assert.deepEqual(names(sortContainers([a, b, c], 'age')), ['b', 'c', 'a']);
    assert.deepEqual(names(sortContainers([b, c, a], 'state')), ['a', 'c', 'b']);
  });

  it('sorts names the same way on every host: case-insensitive, then by code unit, no locale', () => {
    const names = ['web-2', 'Web-1', 'api', 'web-10', 'web_1', 'web.1', 'web-1', 'API'];
    assert.deepEqual([...names].sort(compareNames), ['API', 'api', 'Web-1', 'web-1', 'web-10', 'web-2', 'web.1', 'web_1']);
    const byName = sortContainers([container({ name: 'b', id: 'b'.repeat(64) }), container({ name: 'B', id: 'a'.repeat(64) })], 'name');
    assert.deepEqual(
      byName.map((c) => c.name),
      ['B', 'b'],
    );
  });

  it('lays out columns to the width, dropping the least useful first', () => {
    for (const width of [40, 60, 80, 100, 160]) {
      const cols = layoutColumns(width);
      const line = headerLine(cols);
      assert.ok(line.length <= width, `header ${line.length} > ${width}`);
      const cells = rowCells(toRow(container({ name: 'x'.repeat(80), image: 'y'.repeat(80) }), ['docker'], NOW), cols);
      assert.ok(2 + cells.map((x) => x.text).join('  ').length <= width);
    }
    assert.ok(layoutColumns(160).some((c) => c.column === 'runtime'));
    assert.ok(!layoutColumns(60).some((c) => c.column === 'runtime'));
    assert.ok(layoutColumns(40).some((c) => c.column === 'name'));
  });

  it('scrolls only as far as needed to keep the selection visible', () => {
    assert.equal(scrollTop(0, 0, 10), 0);
    assert.equal(scrollTop(12, 0, 10), 3);
    assert.equal(scrollTop(5, 3, 10), 3);
    assert.equal(scrollTop(2, 3, 10), 2);
  });
});

describe('tui detail presentation', () => {
  it('env lines say where each variable comes from, values sanitized', () => {
    const lines = envLines([
      { name: 'PATH', value: '/bin', source: 'default' },
      { name: 'X', value: 'a\x1b]0;t\x07', source: 'container-config' },
    ]);
    assert.match(lines[0]?.text ?? '', /SOURCE +NAME +VALUE/);
    assert.match(lines[1]?.text ?? '', /docker default +PATH +\/bin/);
    assert.match(lines[2]?.text ?? '', /container config +X +a\\x1b\]0;t\\x07/);
  });

  it('every environment source has a short label that fits the column whole', () => {
    const sources = [
      'default',
      'hostname',
      'container-config',
      'bundle',
      'proc-environ',
      'container-environment',
      'passwd',
      'tty',
      'exec-option',
    ] as const;
    const lines = envLines(sources.map((source) => ({ name: 'V', value: '1', source })));
    const labels = lines.slice(1).map((l) => l.text.slice(0, 17).trim());
    assert.deepEqual(labels, [
      'docker default',
      'hostname',
      'container config',
      'runtime bundle',
      'init environ',
      'container_env dir',
      "user's passwd",
      'tty',
      'cx option',
    ]);
    for (const l of lines) assert.ok(!l.text.includes('…'), l.text);
    assert.match(
      envLines([{ name: 'TERM', value: 'xterm', source: 'tty', note: 'fallback: the container has no terminfo for xterm-kitty' }])[1]
        ?.text ?? '',
      /^tty fallback +TERM +xterm$/,
    );
    assert.match(
      envLines([{ name: 'TERM', value: 'xterm-kitty', source: 'tty', note: "caller's TERM" }])[1]?.text ?? '',
      /^your terminal +TERM +xterm-kitty$/,
    );
  });

  it('process lines and command output', () => {
    const p = processLines({
      processes: [{ pid: 7, ppid: 1, user: '1000', state: 'S', rssKiB: 20480, cmd: 'sh -c x\x1b[2J' }],
      from: 'proc',
      note: undefined,
    });
    assert.match(p[1]?.text ?? '', /7 +1 +1000 +S +20M +sh -c x\\x1b\[2J/);
    const out = outputLines('ls', { output: 'a\tb\r\nc\n', exitCode: 2, truncated: true, error: undefined, backend: 'docker' });
    assert.deepEqual(
      out.map((l) => l.text),
      ['$ ls', 'a       b', 'c', '(output cut: use `cx exec` for more)', 'exit status 2 (via docker)'],
    );
    assert.equal(out.at(-1)?.tone, 'error');
  });

  it('inspect summary: mounts, ports, caps, limits from the Engine API body', () => {
    const fields = summarizeInspect(
      {
        Image: 'sha256:abcdef0123456789',
        Path: 'nginx',
        Args: ['-g', 'daemon off;'],
        Config: { Image: 'nginx:1.25', User: 'app' },
        Mounts: [{ Type: 'bind', Source: '/srv', Destination: '/data', RW: false }],
        NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '443/tcp': null } },
        HostConfig: { CapAdd: ['NET_ADMIN'], CapDrop: null, Memory: 256 * 1024 * 1024, NanoCpus: 1.5e9, PidsLimit: 100 },
      },
      '/docker/abc',
    );
    const get = (l: string): string => fields.find((f) => f.label === l)?.values.join(' | ') ?? '';
    assert.equal(get('image'), 'nginx:1.25 (abcdef012345)');
    assert.equal(get('command'), 'nginx -g daemon off;');
    assert.equal(get('mounts'), 'bind /srv -> /data (ro)');
    assert.equal(get('ports'), '127.0.0.1:8080->80/tcp | 443/tcp');
    assert.match(get('capabilities'), /add: NET_ADMIN; drop: none/);
    assert.equal(get('limits'), 'memory 256 MiB | cpus 1.5 | pids 100');
    assert.equal(get('cgroup'), '/docker/abc');
    assert.equal(bytes(1536), '1.5 KiB');
  });
});

describe('tui keymap', () => {
  it('names keys and maps them per scope', () => {
    assert.equal(keyName('q', NO), 'q');
    assert.equal(keyName('c', { ...NO, ctrl: true }), 'ctrl+c');
    assert.equal(keyName('', { ...NO, return: true }), 'enter');
    assert.equal(actionFor('list', 'q', NO), 'quit');
    assert.equal(actionFor('detail', 'q', NO), 'back');
    assert.equal(actionFor('help', 'q', NO), 'back');
    assert.equal(actionFor('prompt', 'q', NO), undefined, 'q is text in a prompt');
    assert.equal(actionFor('list', '', { ...NO, downArrow: true }), 'down');
    assert.equal(actionFor('list', '/', NO), 'filter');
  });

  it('no key means two things in one scope', () => {
    for (const scope of ['list', 'detail', 'help', 'prompt'] as const) {
      const seen = new Map<string, string>();
      for (const b of KEYMAP.filter((x) => x.scopes.includes(scope))) {
        for (const k of b.keys) {
          assert.ok(!seen.has(k) || seen.get(k) === b.action, `${scope}: ${k} is ${seen.get(k)} and ${b.action}`);
          seen.set(k, b.action);
        }
      }
    }
  });

  it('help and footer come from the keymap', () => {
    const help = helpLines()
      .map((l) => l.text)
      .join('\n');
    for (const b of KEYMAP) assert.ok(help.includes(b.description), b.description);
    assert.match(footerText('list', 200), /^enter shell +\/ filter/);
    assert.ok(footerText('list', 30).length <= 30);
    // A narrow terminal drops keys from the middle, never the way to help or out.
    assert.equal(footerText('list', 40), 'enter shell  / filter  ? help  q quit');
  });

  it('splits a burst into keypresses', () => {
    const keys = splitBurst('/a\r\x7f');
    assert.deepEqual(
      keys.map((k) => keyName(k.input, k.key)),
      ['/', 'a', 'enter', 'delete'],
    );
  });
});

describe('tui state', () => {
  const list = [container({ name: 'anna' }), container({ name: 'bob' }), container({ name: 'carl', state: 'exited' })];

  it('keeps the selection on its container when the list changes, else its position', () => {
    let s = reduce(initialState(), { type: 'listed', containers: list, warnings: [] });
    s = reduce(s, { type: 'move', move: 'down' });
    assert.equal(selectedOf(s)?.name, 'bob');
    s = reduce(s, { type: 'listed', containers: [container({ name: 'aaa' }), ...list], warnings: [] });
    assert.equal(selectedOf(s)?.name, 'bob');
    s = reduce(s, { type: 'listed', containers: [container({ name: 'aaa' }), list[0]!], warnings: [] });
    assert.equal(selectedOf(s)?.name, 'anna', 'bob is gone: the row at its position (clamped)');
  });

  it('a selection restored before the list arrives survives until it does', () => {
    let s = initialState({ selectedId: list[1]?.id, selectedIndex: 1 });
    s = reduce(s, { type: 'resize', listHeight: 5 });
    s = reduce(s, { type: 'listed', containers: list, warnings: [] });
    assert.equal(selectedOf(s)?.name, 'bob');
  });

  it('the filter prompt filters as you type; esc clears; user prompt validates', () => {
    let s = reduce(initialState(), { type: 'listed', containers: list, warnings: [] });
    s = reduce(s, { type: 'openPrompt', kind: 'filter' });
    s = reduce(s, { type: 'promptInput', text: 'bob\x1b' });
    assert.equal(s.filter, 'bob');
    assert.equal(selectedOf(s)?.name, 'bob');
    s = reduce(s, { type: 'promptCancel' });
    assert.equal(s.filter, '');
    s = reduce(s, { type: 'openPrompt', kind: 'user' });
    s = reduce(s, { type: 'promptInput', text: 'a b' });
    s = reduce(s, { type: 'promptAccept' });
    assert.equal(s.message?.tone, 'error');
    assert.equal(s.choice.user, '');
  });

  it('cycles the backend through auto and the usable ones', () => {
    let s = initialState();
    s = reduce(s, { type: 'cycleBackend', names: ['docker', 'runc'] });
    assert.equal(s.choice.backend, 'docker');
    s = reduce(s, { type: 'cycleBackend', names: ['docker', 'runc'] });
    s = reduce(s, { type: 'cycleBackend', names: ['docker', 'runc'] });
    assert.equal(s.choice.backend, 'auto');
  });
});

describe('tui status and events', () => {
  it('the banner says what is wrong, where the list comes from and how cx enters', () => {
    assert.equal(bannerText({ kind: 'events' }, undefined, 'docker'), undefined);
    assert.equal(
      bannerText(
        {
          kind: 'polling',
          reason: 'dockerd accepted the connection on /s but did not answer GET /_ping within 1.5 s',
          daemon: 'frozen',
          everyMs: 3000,
        },
        undefined,
        'runc',
      ),
      'dockerd is not responding: listing from disk, refreshing every 3 s; entering via runc',
    );
    assert.equal(engineTrouble('dead', 'dockerd is not running: /s refuses connections'), 'dockerd is not running');
    assert.match(bannerText({ kind: 'events' }, 'boom\x1b[2J', undefined) ?? '', /cannot list containers: boom\\x1b\[2J/);
    assert.match(
      headerText({
        total: 5,
        shown: 2,
        all: false,
        filter: 'w',
        sort: 'name',
        choice: { backend: 'auto', user: '' },
        live: { kind: 'events' },
      }),
      /2 of 5 running match "w"/,
    );
  });

  it('parses NDJSON events and refreshes only on list-changing actions', () => {
    const e = parseEvent('{"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"web"}},"time":1}');
    assert.deepEqual(e, { type: 'container', action: 'start', id: 'abc', name: 'web', time: 1 });
    assert.equal(parseEvent('not json'), undefined);
    assert.equal(parseEvent('{"x":1}'), undefined);
    assert.ok(e && changesList(e));
    const exec = parseEvent('{"Type":"container","Action":"exec_create: sh -c ls","Actor":{"ID":"abc"}}');
    assert.ok(exec && !changesList(exec));
    const health = parseEvent('{"Type":"container","Action":"health_status: healthy","Actor":{"ID":"abc"}}');
    assert.ok(health && !changesList(health));
  });
});
