import { Box, Text } from 'ink';
import { humanDuration } from '../../util/time.js';
import type { SessionRow } from '../data/sessions.js';
import { clean, fit, truncate } from '../presentation/text.js';

/** The sessions view: one row per live session, the selected one marked. */
export function SessionsView({
  rows,
  selectedIndex,
  height,
  width,
  now,
}: {
  rows: readonly SessionRow[];
  selectedIndex: number;
  height: number;
  width: number;
  now: number;
}) {
  const top = Math.max(0, Math.min(selectedIndex - height + 1, rows.length - height));
  const shown = rows.slice(Math.max(0, top), Math.max(0, top) + height);
  const line = (cells: string[]): string => cells.join('  ');
  const header = line([
    fit('CONTAINER', 20),
    fit('BACKEND', 8),
    fit('USER', 10),
    fit('STARTED', 8),
    fit('OUTPUT', 8),
    fit('STATE', 12),
    'COMMAND',
  ]);
  return (
    <Box flexDirection="column" height={height + 1}>
      <Text dimColor>{truncate(`  ${header}`, width)}</Text>
      {rows.length === 0 ? (
        <Text dimColor>{'  no live sessions (the detach keys leave a shell running and come back here)'}</Text>
      ) : (
        shown.map((r) => {
          const selected = rows.indexOf(r) === selectedIndex;
          const state = r.running ? 'running' : `exited ${r.exitCode ?? '?'}`;
          const text = line([
            fit(clean(r.containerName), 20),
            fit(r.backend, 8),
            fit(clean(r.user === '' ? '(default)' : r.user), 10),
            fit(`${humanDuration(now - r.started)} ago`, 8),
            fit(`${humanDuration(now - r.lastOutput)} ago`, 8),
            fit(state, 12),
            clean(r.command),
          ]);
          return (
            <Text key={r.id} inverse={selected} color={r.running ? undefined : 'yellow'}>
              {truncate(`${selected ? '› ' : '  '}${text}`, width)}
            </Text>
          );
        })
      )}
    </Box>
  );
}
