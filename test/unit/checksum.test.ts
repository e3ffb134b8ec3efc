import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { checksum, checksumMemory, checksumOf } from '../../src/util/checksum.js';

/** The same sum in JavaScript: FNV-1a over little-endian 64-bit words, the tail zero-padded. */
function reference(data: Uint8Array): string {
  const padded = Buffer.alloc(Math.ceil(data.length / 8) * 8);
  padded.set(data);
  let h = 0n;
  for (let i = 0; i < padded.length; i += 8) h = BigInt.asUintN(64, (h ^ padded.readBigUInt64LE(i)) * 0x100000001b3n);
  return h.toString(16);
}

describe('the code cache checksum (WebAssembly)', () => {
  it('equals the JavaScript reference for every length around a word and a page', () => {
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 65535, 65536, 65537, 200_003]) {
      const data = randomBytes(n);
      assert.equal(checksumOf(data), reference(data), `length ${n}`);
    }
  });

  it('sums a range of a memory in place (the loader reads the file into the memory it sums)', () => {
    const data = randomBytes(1000);
    const memory = checksumMemory(1000);
    new Uint8Array(memory.buffer).set(data);
    assert.equal(checksum(memory, 37, 1000), reference(data.subarray(37)));
  });

  it('changes when any one byte does', () => {
    const data = randomBytes(4096);
    const sum = checksumOf(data);
    for (const at of [0, 1, 2047, 4095]) {
      const changed = Buffer.from(data);
      changed[at] = changed[at]! ^ 0x01;
      assert.notEqual(checksumOf(changed), sum, `byte ${at}`);
    }
  });
});
