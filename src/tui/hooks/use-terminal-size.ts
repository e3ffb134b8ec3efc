import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export interface ScreenSize {
  cols: number;
  rows: number;
}

/** The terminal's size, following resizes; `fixed` wins (component tests have no real terminal). */
export function useTerminalSize(fixed?: ScreenSize): ScreenSize {
  const { stdout } = useStdout();
  const read = (): ScreenSize => fixed ?? { cols: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = (): void => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}
