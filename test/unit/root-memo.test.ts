import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withLatest } from '../../src/host/root-memo.js';

describe('root memos stay bounded (withLatest)', () => {
  it('puts the key last and drops the oldest entries beyond the bound', () => {
    let memo: Record<string, number> = {};
    for (let i = 0; i < 600; i++) memo = withLatest(memo, `/tmp/engine-${i}/docker.sock`, i, 16);
    assert.equal(Object.keys(memo).length, 16);
    assert.deepEqual(
      Object.values(memo),
      Array.from({ length: 16 }, (_, k) => 584 + k),
    );
  });

  it('an entry seen again becomes the most recent and is not dropped', () => {
    const memo = withLatest(withLatest(withLatest({}, 'a', 1, 2), 'b', 2, 2), 'a', 3, 2);
    assert.deepEqual(Object.entries(memo), [
      ['b', 2],
      ['a', 3],
    ]);
    assert.deepEqual(Object.keys(withLatest(memo, 'c', 4, 2)), ['a', 'c']);
  });

  it('leaves the memo it was given alone', () => {
    const memo = { a: 1, b: 2 };
    withLatest(memo, 'c', 3, 2);
    assert.deepEqual(memo, { a: 1, b: 2 });
  });
});
