import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CastRecorder, parseCast } from '../../src/session/record.js';

describe('asciicast v2 recording', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cx-cast-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the header line, then output events in order, UTF-8 kept whole across chunks', () => {
    const file = path.join(dir, 'a.cast');
    const r = new CastRecorder(file, { width: 100, height: 30, command: 'sh', env: { TERM: 'xterm' } });
    const euro = Buffer.from('€ ok\x1b[31m');
    r.output(euro.subarray(0, 1));
    r.output(euro.subarray(1));
    r.resize({ cols: 120, rows: 40 });
    r.input?.(Buffer.from('typed'));
    r.exit({ exitCode: 0 });
    r.output(Buffer.from('after the end'));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const header = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    assert.equal(header['version'], 2);
    assert.equal(header['width'], 100);
    assert.equal(header['height'], 30);
    assert.equal(typeof header['timestamp'], 'number');
    const { events } = parseCast(readFileSync(file, 'utf8'));
    assert.deepEqual(
      events.map((e) => [e.kind, e.data]),
      [
        ['o', '€ ok\x1b[31m'],
        ['r', '120x40'],
      ],
    );
    assert.ok(events.every((e, i) => e.time >= (events[i - 1]?.time ?? 0)));
  });

  it('keeps input only when asked', () => {
    const file = path.join(dir, 'i.cast');
    const r = new CastRecorder(file, { width: 80, height: 24 }, { input: true });
    r.input?.(Buffer.from('ls\r'));
    r.output(Buffer.from('ls\r\n'));
    r.close();
    assert.deepEqual(
      parseCast(readFileSync(file, 'utf8')).events.map((e) => [e.kind, e.data]),
      [
        ['i', 'ls\r'],
        ['o', 'ls\r\n'],
      ],
    );
  });

  it('never writes through a symlink in place of the file', () => {
    const target = path.join(dir, 'target');
    writeFileSync(target, 'keep');
    const link = path.join(dir, 'link.cast');
    symlinkSync(target, link);
    assert.throws(() => new CastRecorder(link, { width: 80, height: 24 }), /ELOOP/);
    assert.equal(readFileSync(target, 'utf8'), 'keep');
  });

  it('parseCast says what is wrong with a file that is not a recording', () => {
    assert.throws(() => parseCast('hello'), /not an asciicast file/);
    assert.throws(() => parseCast('{"version":1}'), /unsupported asciicast version 1/);
    assert.throws(() => parseCast('{"version":2,"width":1,"height":1}\n[1,"o"]'), /line 2 is not an event/);
  });
});
