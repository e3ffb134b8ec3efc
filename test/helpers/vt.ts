import xtermHeadless from '@xterm/headless';

const { Terminal } = xtermHeadless;

/**
 * What a terminal of `cols` x `rows` shows after receiving `output`: the visible lines, through the
 * same emulator cx keeps sessions in (so tests compare screens, not byte streams).
 */
export async function screenOf(output: string, cols: number, rows: number): Promise<string[]> {
  const term = new Terminal({ cols, rows, allowProposedApi: true });
  try {
    await new Promise<void>((resolve) => term.write(output, resolve));
    const buf = term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < rows; y++) lines.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
    return lines;
  } finally {
    term.dispose();
  }
}
