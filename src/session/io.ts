import { Readable, Writable } from 'node:stream';
import tty from 'node:tty';
import type { Disposable, TermSize } from '../backends/types.js';

/** A terminal-capable input (process.stdin when it is a TTY). */
export interface TermInput extends Readable {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/**
 * The process's streams and terminal, built once in main.ts and passed down (cli/cli's IOStreams).
 * Tests build one over their own streams.
 */
export interface IO {
  /** Created on first use: touching process.stdin makes a pipe non-blocking. */
  readonly stdin: TermInput;
  /** 0 when stdin is the process's own fd 0 (attach may read it directly), else undefined. */
  stdinFd: number | undefined;
  /** 1 when stdout is the process's own fd 1 (a daemon-less session may write it directly). */
  stdoutFd?: number | undefined;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** The controlling terminal's size, when stdout is one. */
  size(): TermSize | undefined;
  onResize(listener: (size: TermSize) => void): Disposable;
}

export function processIO(): IO {
  const out = process.stdout;
  return {
    get stdin(): TermInput {
      return process.stdin;
    },
    stdinFd: 0,
    stdoutFd: 1,
    stdout: out,
    stderr: process.stderr,
    env: process.env,
    stdinIsTTY: tty.isatty(0),
    stdoutIsTTY: out.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    size: () => {
      if (!out.isTTY) return undefined;
      // Ask the terminal now (one ioctl) rather than trust the size cached at the last SIGWINCH: a
      // window resized a moment ago may not have been signalled yet (Node's tty.WriteStream
      // _refreshSize, which also emits 'resize' when the size changed).
      (out as unknown as { _refreshSize?: () => void })._refreshSize?.();
      return out.columns > 0 && out.rows > 0 ? { cols: out.columns, rows: out.rows } : undefined;
    },
    onResize(listener) {
      const handler = (): void => {
        if (out.columns > 0 && out.rows > 0) listener({ cols: out.columns, rows: out.rows });
      };
      out.on('resize', handler);
      return { dispose: () => out.off('resize', handler) };
    },
  };
}

/** An IO over memory (cli/cli's iostreams.Test()): what a command wrote, and a terminal or not. */
export interface TestIO {
  io: IO;
  stdout(): string;
  stderr(): string;
}

export function testIO(opts: { stdin?: string; tty?: boolean; env?: NodeJS.ProcessEnv; size?: TermSize } = {}): TestIO {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        into.push(Buffer.from(chunk));
        cb();
      },
    });
  const stdin = Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]) as TermInput;
  const tty = opts.tty === true;
  const size = tty ? (opts.size ?? { cols: 80, rows: 24 }) : undefined;
  return {
    io: {
      stdin,
      stdinFd: undefined,
      stdout: sink(out),
      stderr: sink(err),
      env: opts.env ?? {},
      stdinIsTTY: tty,
      stdoutIsTTY: tty,
      stderrIsTTY: tty,
      size: () => size,
      onResize: () => ({ dispose: () => undefined }),
    },
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => Buffer.concat(err).toString('utf8'),
  };
}
