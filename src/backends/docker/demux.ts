import type { StreamName } from '../types.js';

/**
 * Splits the Engine API's non-TTY stream: frames of an 8-byte header [stream, 0, 0, 0, len_be32]
 * followed by len bytes; stream 1 is stdout, 2 stderr (0, stdin, is never sent back).
 */
export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly emit: (data: Buffer, stream: StreamName) => void) {}

  push(chunk: Buffer): void {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= 8) {
      const len = buf.readUInt32BE(4);
      if (buf.length < 8 + len) break;
      const stream: StreamName = buf[0] === 2 ? 'stderr' : 'stdout';
      if (len > 0) this.emit(buf.subarray(8, 8 + len), stream);
      buf = buf.subarray(8 + len);
    }
    // Copy the remainder: the caller may reuse the chunk's memory.
    this.pending = Buffer.from(buf);
  }

  /** Bytes left over from a truncated frame (a daemon that died mid-frame). */
  get leftover(): number {
    return this.pending.length;
  }
}
