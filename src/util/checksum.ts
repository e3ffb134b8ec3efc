/**
 * A 64-bit checksum (FNV-1a over little-endian 64-bit words, the tail zero-padded) of bytes in a
 * WebAssembly memory: what the loader checks a code cache with before V8 reads it (V8 does not, in
 * release builds, and a damaged cache would crash every run). WebAssembly because it is there without
 * loading anything: node:crypto, node:zlib or node:v8 each cost ~2 ms to load on every start, and a
 * JavaScript loop ~3 ms over a 500 KB cache; this costs ~0.5 ms, reading the file straight into the
 * memory it sums. The module, in text form:
 *
 *   (module
 *     (import "m" "mem" (memory 1))
 *     (func (export "sum") (param $i i32) (param $end i32) (result i64) (local $h i64)
 *       (block (loop
 *         (br_if 1 (i32.ge_u (local.get $i) (local.get $end)))
 *         (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load (local.get $i))) (i64.const 0x100000001b3)))
 *         (local.set $i (i32.add (local.get $i) (i32.const 8)))
 *         (br 0)))
 *       (local.get $h)))
 *
 * test/unit/checksum.test.ts checks it against the same sum written in JavaScript.
 */
// prettier-ignore
const MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7e, // type: (i32, i32) -> i64
  0x02, 0x0a, 0x01, 0x01, 0x6d, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01, // import "m" "mem" (memory 1)
  0x03, 0x02, 0x01, 0x00, // function 0 has type 0
  0x07, 0x07, 0x01, 0x03, 0x73, 0x75, 0x6d, 0x00, 0x00, // export "sum"
  0x0a, 0x30, 0x01, 0x2e, // code section, one body of 46 bytes
  0x01, 0x01, 0x7e, // locals: h i64
  0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01, // block loop; br_if 1 (i >= end)
  0x20, 0x02, 0x20, 0x00, 0x29, 0x03, 0x00, 0x85, 0x42, 0xb3, 0x83, 0x80, 0x80, 0x80, 0x20, 0x7e, 0x21, 0x02, // h = (h ^ load(i)) * prime
  0x20, 0x00, 0x41, 0x08, 0x6a, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, // i += 8; br 0; end end
  0x20, 0x02, 0x0b, // h
]);

// The WebAssembly API used here, which tsconfig's lib (no DOM) and @types/node 20 leave undeclared.
interface Wasm {
  Memory: new (descriptor: { initial: number }) => { readonly buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
export type ChecksumMemory = InstanceType<Wasm['Memory']>;

/** A zeroed WebAssembly memory with room for `length` bytes and the checksum's padding after them. */
export function checksumMemory(length: number): ChecksumMemory {
  return new wasm.Memory({ initial: Math.ceil((length + 8) / 65536) });
}

/** The checksum of `memory`'s bytes from `start` to `end` (the 7 bytes after `end` must be zero), hex. */
export function checksum(memory: ChecksumMemory, start: number, end: number): string {
  const { exports } = new wasm.Instance(new wasm.Module(MODULE), { m: { mem: memory } });
  return BigInt.asUintN(64, (exports as { sum(i: number, end: number): bigint }).sum(start, end)).toString(16);
}

/** The checksum of `data`. */
export function checksumOf(data: Uint8Array): string {
  const memory = checksumMemory(data.length);
  new Uint8Array(memory.buffer).set(data);
  return checksum(memory, 0, data.length);
}
