import { Option, type Command } from 'commander';
import type { Backend } from '../../backends/types.js';
import { UsageError } from '../../errors.js';
import { parseDetachKeys } from '../../util/detach-keys.js';
import { sanitize } from '../../util/sanitize.js';

/** Options of the commands that give a session the terminal (`enter`, `exec -t`): detaching and recording. */
export interface LiveFlags {
  detachKeys: Buffer | undefined;
  record: string | undefined;
  recordInput: boolean;
}

export function addLiveOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--detach-keys <keys>',
        'keys that end cx and leave the process running, docker backend only (docker syntax: ctrl-p,ctrl-q)',
      ),
    )
    .addOption(new Option('--record <file>', 'write the session to an asciicast v2 file (play it with cx replay)'))
    .addOption(new Option('--record-input', 'with --record: keep the keys typed too (they may hold passwords)'));
}

export function parseLiveFlags(raw: Record<string, unknown>): LiveFlags {
  const spec = raw['detachKeys'] as string | undefined;
  let detachKeys: Buffer | undefined;
  if (spec !== undefined) {
    try {
      detachKeys = parseDetachKeys(spec);
    } catch (err) {
      throw new UsageError(
        `--detach-keys: ${sanitize((err as Error).message)}`,
        'e.g. --detach-keys ctrl-p,ctrl-q or --detach-keys ctrl-x,x',
      );
    }
  }
  const record = raw['record'] as string | undefined;
  if (record === '') throw new UsageError('--record needs a file name', 'e.g. --record session.cast');
  const recordInput = raw['recordInput'] === true;
  if (recordInput && record === undefined)
    throw new UsageError('--record-input only goes with --record FILE', 'e.g. --record session.cast --record-input');
  return { detachKeys, record, recordInput };
}

/**
 * Detaching leaves the process running with nobody holding cx's end of its terminal: only dockerd
 * keeps an exec's pty (and output) for whoever attaches later, as `docker exec` relies on. The
 * runc and nsenter backends' pty lives in cx itself, so a detach would leave a process that can
 * never be reached again: refused before anything starts (the TUI keeps such sessions in-process).
 */
export function checkDetachable(flags: LiveFlags, backend: Backend): void {
  if (flags.detachKeys === undefined || backend.name === 'docker') return;
  throw new UsageError(
    `--detach-keys needs the docker backend: with ${backend.name} the session's terminal lives in cx, ` +
      'and nothing could keep it after cx ends',
    'use --backend docker, or the TUI (cx ui), where detached sessions keep running inside cx',
  );
}
