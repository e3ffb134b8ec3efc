import type { Readable, Writable } from 'node:stream';
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
  stdin: TermInput;
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
    stdin: process.stdin,
    stdout: out,
    stderr: process.stderr,
    env: process.env,
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: out.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    size: () => (out.isTTY && out.columns > 0 && out.rows > 0 ? { cols: out.columns, rows: out.rows } : undefined),
    onResize(listener) {
      const handler = (): void => {
        if (out.columns > 0 && out.rows > 0) listener({ cols: out.columns, rows: out.rows });
      };
      out.on('resize', handler);
      return { dispose: () => out.off('resize', handler) };
    },
  };
}
