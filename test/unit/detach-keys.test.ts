import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeKeys, KeySequenceMatcher, parseDetachKeys } from '../../src/util/detach-keys.js';

describe('detach keys (docker syntax)', () => {
  it('parses ctrl keys and plain characters, comma separated', () => {
    assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [0x10, 0x11]);
    assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-a,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [0, 1, 26, 27, 28, 29, 30, 31]);
    assert.deepEqual([...parseDetachKeys('ctrl-x,x')], [0x18, 0x78]);
    assert.equal(describeKeys(parseDetachKeys('ctrl-p,ctrl-q')), 'ctrl-p ctrl-q');
    assert.equal(describeKeys(parseDetachKeys('ctrl-x,x')), 'ctrl-x x');
  });

  it('refuses what docker refuses, with one line saying what to give', () => {
    for (const bad of ['', 'ctrl-', 'ctrl-A', 'ctrl-1', 'ctrl-pp', 'shift-a', 'ab', 'é', 'ctrl-x,,x']) {
      assert.throws(
        () => parseDetachKeys(bad),
        (e: Error) => !e.message.includes('\n') && /ctrl-|detach keys/.test(e.message),
        bad,
      );
    }
  });
});

describe('key sequence matcher', () => {
  const seqs = (): KeySequenceMatcher<'detach' | 'next'> =>
    new KeySequenceMatcher([
      ['detach', Buffer.from([0x10, 0x11])],
      ['next', Buffer.from([0x10, 0x0e])],
    ]);

  it('passes ordinary input through unchanged', () => {
    const m = seqs();
    assert.equal(m.feed(Buffer.from('ls -l\r')).forward.toString(), 'ls -l\r');
  });

  it('finds a sequence in one chunk, with what came before and after', () => {
    const r = seqs().feed(Buffer.from('ab\x10\x11cd'));
    assert.equal(r.action, 'detach');
    assert.equal(r.forward.toString(), 'ab');
    assert.equal(r.rest?.toString(), 'cd');
  });

  it('holds a prefix across chunks and matches the second key later', () => {
    const m = seqs();
    const first = m.feed(Buffer.from('x\x10'));
    assert.equal(first.forward.toString(), 'x');
    assert.equal(first.action, undefined);
    const second = m.feed(Buffer.from([0x0e]));
    assert.equal(second.action, 'next');
    assert.equal(second.forward.length, 0);
  });

  it('hands a held prefix on when what follows does not complete a sequence (as docker does)', () => {
    const m = seqs();
    assert.equal(m.feed(Buffer.from([0x10])).forward.length, 0);
    assert.deepEqual([...m.feed(Buffer.from('a')).forward], [0x10, 0x61]);
    // ctrl-p ctrl-p ctrl-q: the first ctrl-p goes on, the other two detach.
    const r = seqs().feed(Buffer.from([0x10, 0x10, 0x11]));
    assert.deepEqual([...r.forward], [0x10]);
    assert.equal(r.action, 'detach');
    const held = seqs();
    held.feed(Buffer.from([0x10]));
    assert.deepEqual([...held.flush()], [0x10]);
  });
});
