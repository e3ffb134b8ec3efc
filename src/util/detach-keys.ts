/**
 * Key sequences typed inside a session that cx acts on instead of forwarding (docker's detach keys):
 * the syntax, and a matcher over the raw input bytes.
 */

/** docker's default: ctrl-p then ctrl-q. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const CTRL_NAMES = ['@', ...'abcdefghijklmnopqrstuvwxyz', '[', '\\', ']', '^', '_'];

/**
 * docker's --detach-keys syntax: comma-separated keys, each one plain character or `ctrl-<c>` with
 * <c> one of a-z @ [ \ ] ^ _ (ctrl-@ is NUL, ctrl-a is 1, ... ctrl-_ is 31). Returns the bytes, or
 * throws an Error whose message says what is wrong.
 */
export function parseDetachKeys(spec: string): Buffer {
  if (spec === '') throw new Error('empty detach keys: give keys such as ctrl-p,ctrl-q');
  const codes: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      const code = key.charCodeAt(0);
      if (code > 0x7e || code < 0x20)
        throw new Error(`invalid detach key ${JSON.stringify(key)}: use a printable ASCII character or ctrl-<a-z @ [ \\ ] ^ _>`);
      codes.push(code);
      continue;
    }
    const ctrl = key.startsWith('ctrl-') ? CTRL_NAMES.indexOf(key.slice(5)) : -1;
    if (ctrl < 0 || key.length !== 6)
      throw new Error(
        `invalid detach key ${JSON.stringify(key)}: use one character or ctrl-<a-z @ [ \\ ] ^ _>, comma separated (e.g. ctrl-p,ctrl-q)`,
      );
    codes.push(ctrl);
  }
  return Buffer.from(codes);
}

/** How a byte sequence is written back in docker's syntax (for messages and help). */
export function describeKeys(keys: Buffer): string {
  return [...keys].map((b) => (b < 32 ? `ctrl-${CTRL_NAMES[b]}` : String.fromCharCode(b))).join(' ');
}

export type KeyMatch<A extends string> = { forward: Buffer; action?: A; rest?: Buffer };

/**
 * Watches input for a few byte sequences (detach, next, previous). Bytes that could be the start of
 * one are held back; if what follows does not complete it they go on unchanged (as docker does).
 * On a match, `action` names it, `forward` is what came before it and `rest` what came after.
 */
export class KeySequenceMatcher<A extends string> {
  private held: number[] = [];

  constructor(private readonly sequences: ReadonlyArray<readonly [A, Buffer]>) {}

  feed(chunk: Buffer): KeyMatch<A> {
    const out: number[] = [];
    for (let i = 0; i < chunk.length; i++) {
      this.held.push(chunk[i] as number);
      for (;;) {
        const done = this.sequences.find(([, seq]) => seq.length === this.held.length && this.held.every((b, j) => seq[j] === b));
        if (done) {
          this.held = [];
          return { forward: Buffer.from(out), action: done[0], rest: chunk.subarray(i + 1) };
        }
        if (this.isPrefix()) break;
        // Not a start of any sequence: the first held byte goes on, and the rest is looked at again.
        out.push(this.held.shift() as number);
        if (this.held.length === 0) break;
      }
    }
    return { forward: Buffer.from(out) };
  }

  /** Whatever is held back (a lone ctrl-p at the end of input), to hand on when the watch ends. */
  flush(): Buffer {
    const b = Buffer.from(this.held);
    this.held = [];
    return b;
  }

  private isPrefix(): boolean {
    return this.sequences.some(([, seq]) => seq.length > this.held.length && this.held.every((b, j) => seq[j] === b));
  }
}
