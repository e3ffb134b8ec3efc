import { Box, Text } from 'ink';
import { truncate } from '../presentation/text.js';

/** The title line and, when the engine is in trouble, the banner under it. */
export function Header({ title, banner, width }: { title: string; banner: string | undefined; width: number }) {
  return (
    <Box flexDirection="column">
      <Text bold>{truncate(title, width)}</Text>
      {banner !== undefined && (
        <Text color="yellow" bold>
          {truncate(`! ${banner}`, width)}
        </Text>
      )}
    </Box>
  );
}
