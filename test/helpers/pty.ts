import * as pty from 'node-pty';

/** Remove ANSI escape sequences so tests can match what the screen says. */
export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78cDEHMNOZ]/g, '');
}

/**
 * A program running in a real pseudo-terminal, read the way a person reads a screen: wait for text,
 * type keys, resize the window, wait for the exit code (Ink's term helper, gemini-cli's test rig).
 */
export class PtyRun {
  private output = '';
  private readonly proc: pty.IPty;
  readonly exited: Promise<{ exitCode: number; signal?: number }>;

  constructor(file: string, args: string[], opts: { cols?: number; rows?: number; env?: Record<string, string>; cwd?: string } = {}) {
    this.proc = pty.spawn(file, args, {
      name: 'xterm-256color',
      cols: opts.cols ?? 100,
      rows: opts.rows ?? 30,
      cwd: opts.cwd ?? process.cwd(),
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', TERM: 'xterm-256color', ...opts.env },
    });
    this.proc.onData((d) => {
      this.output += d;
    });
    this.exited = new Promise((resolve) => {
      this.proc.onExit((e) => resolve(e.signal ? { exitCode: e.exitCode, signal: e.signal } : { exitCode: e.exitCode }));
    });
  }

  /** The process the pty runs. */
  get pid(): number {
    return this.proc.pid;
  }

  /** Everything shown so far, escapes removed. */
  get screen(): string {
    return stripAnsi(this.output);
  }

  /** Everything shown so far, escapes included (to check what reached the terminal raw). */
  get raw(): string {
    return this.output;
  }

  /** Offset to pass to expect() so only output after this point counts. */
  mark(): number {
    return this.screen.length;
  }

  async expect(pattern: RegExp | string, opts: { timeoutMs?: number; from?: number } = {}): Promise<RegExpMatchArray> {
    const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    for (;;) {
      const m = this.screen.slice(opts.from ?? 0).match(re);
      if (m) return m;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${String(re)}; screen so far:\n${this.screen.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * Type a shell command and wait until `re` shows in what it prints, followed by a marker that only
   * its output can hold (the echo of what was typed says $((40+2)), not 42).
   */
  async ask(cmd: string, re: RegExp): Promise<RegExpMatchArray> {
    const from = this.mark();
    this.type(`${cmd}; echo "@@$((40+2))@@"\r`);
    return this.expect(new RegExp(`${re.source}[\\s\\S]*@@42@@`), { from });
  }

  type(keys: string): void {
    this.proc.write(keys);
  }

  resize(cols: number, rows: number): void {
    this.proc.resize(cols, rows);
  }

  kill(signal = 'SIGKILL'): void {
    try {
      this.proc.kill(signal);
    } catch {
      // already gone
    }
  }

  async waitExit(timeoutMs = 15_000): Promise<{ exitCode: number; signal?: number }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms; screen:\n${this.screen.slice(-2000)}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
