import { Box, Text } from 'ink';
import type { Line } from '../presentation/details.js';
import { truncate } from '../presentation/text.js';

/** A scrollable detail view: a title, then `height` lines from `top`. Lines are already sanitized. */
export function DetailView({
  title,
  lines,
  top,
  height,
  width,
}: {
  title: string;
  lines: readonly Line[];
  top: number;
  height: number;
  width: number;
}) {
  const shown = lines.slice(top, top + height);
  const more =
    lines.length > top + height ? ` (${top + 1}-${top + shown.length} of ${lines.length})` : top > 0 ? ` (${top + 1}-${lines.length})` : '';
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text bold color="cyan">
        {truncate(`${title}${more}`, width)}
      </Text>
      {shown.map((l, i) => (
        <Text key={top + i} bold={l.tone === 'heading'} dimColor={l.tone === 'dim'} color={l.tone === 'error' ? 'red' : undefined}>
          {truncate(l.text, width)}
        </Text>
      ))}
    </Box>
  );
}
