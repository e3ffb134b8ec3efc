import { Box, Text } from 'ink';
import type { Container } from '../../discovery/types.js';
import { COLUMN_GAP, headerLine, layoutColumns, rowCells, toRow, type ContainerRow } from '../presentation/containers.js';
import { truncate } from '../presentation/text.js';

const STATE_COLOR: Record<string, string | undefined> = { running: 'green', restarting: 'yellow', paused: 'yellow', created: 'cyan' };

export interface ContainerListProps {
  containers: readonly Container[];
  selectedIndex: number;
  top: number;
  height: number;
  width: number;
  now: number;
  backendsFor: (c: Container) => readonly string[];
  empty: string;
  /** Containers with live sessions: running (●) or only exited ones (○). */
  live?: ReadonlyMap<string, 'running' | 'exited'>;
}

function Row({
  row,
  width,
  selected,
  live,
}: {
  row: ContainerRow;
  width: number;
  selected: boolean;
  live: 'running' | 'exited' | undefined;
}) {
  const cells = rowCells(row, layoutColumns(width));
  const color = STATE_COLOR[row.state];
  return (
    <Text inverse={selected} wrap="truncate-end">
      {selected ? '›' : ' '}
      {live === 'running' ? '●' : live === 'exited' ? '○' : ' '}
      {cells.map((cell, i) => (
        <Text
          key={cell.column}
          color={cell.column === 'status' ? color : undefined}
          dimColor={cell.column === 'status' && color === undefined}
        >
          {i > 0 ? COLUMN_GAP : ''}
          {cell.text}
        </Text>
      ))}
    </Text>
  );
}

/** The list viewport: a header line and `height` rows starting at `top`; only visible rows are built. */
export function ContainerList(p: ContainerListProps) {
  const shown = p.containers.slice(p.top, p.top + p.height);
  return (
    <Box flexDirection="column" height={p.height + 1}>
      <Text dimColor>{truncate(headerLine(layoutColumns(p.width)), p.width)}</Text>
      {shown.length === 0 ? (
        <Text dimColor>{`  ${p.empty}`}</Text>
      ) : (
        shown.map((c, i) => (
          <Row
            key={c.id}
            row={toRow(c, p.backendsFor(c), p.now)}
            width={p.width}
            selected={p.top + i === p.selectedIndex}
            live={p.live?.get(c.id)}
          />
        ))
      )}
    </Box>
  );
}
