import { execa, type Options } from 'execa';
import { fileURLToPath } from 'node:url';
import type { LsRecord } from '../../src/cli/commands/ls.js';

/** bin/cx of this checkout (tests run the built dist/, as users do). */
export const CX_BIN = fileURLToPath(new URL('../../../bin/cx', import.meta.url));

/** A variable that lives only in cx's own environment: a session must never see it. */
export const CANARY = 'CX_TEST_CANARY_SECRET';

export interface CxResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * Run bin/cx to completion with piped stdio. stdout is kept as bytes (byte-exact comparisons);
 * stderr as text. The environment carries the canary. `via`: a command that runs cx
 * (`['unshare', '--net', '--']`).
 */
export async function cx(
  args: string[],
  opts: { input?: Buffer | string; env?: Record<string, string>; timeoutMs?: number; via?: string[] } = {},
): Promise<CxResult> {
  const options: Options = {
    reject: false,
    encoding: 'buffer',
    stripFinalNewline: false,
    timeout: opts.timeoutMs ?? 60_000,
    env: { [CANARY]: 'host-secret-must-not-leak', ...opts.env },
    ...(opts.input === undefined ? { stdin: 'ignore' } : { input: opts.input }),
  };
  const [file, ...rest] = [...(opts.via ?? []), CX_BIN, ...args];
  const r = await execa(file!, rest, options);
  return {
    exitCode: r.exitCode ?? -1,
    stdout: Buffer.from(r.stdout as unknown as Uint8Array),
    stderr: Buffer.from(r.stderr as unknown as Uint8Array).toString('utf8'),
  };
}

export function text(r: CxResult): string {
  return r.stdout.toString('utf8');
}

/** The rows a `cx ls --json` run printed. */
export function lsRows(r: CxResult): LsRecord[] {
  return JSON.parse(text(r)) as LsRecord[];
}
