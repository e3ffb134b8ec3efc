import { Box, Text } from 'ink';
import { helpLines } from '../presentation/help.js';
import { truncate } from '../presentation/text.js';

/** Every key, generated from the keymap. */
export function HelpView({ top, height, width }: { top: number; height: number; width: number }) {
  const lines = helpLines();
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text bold color="cyan">
        {truncate('keys (esc, q or ? to close)', width)}
      </Text>
      {lines.slice(top, top + height).map((l, i) => (
        <Text key={top + i} bold={l.heading}>
          {truncate(l.text, width)}
        </Text>
      ))}
    </Box>
  );
}
