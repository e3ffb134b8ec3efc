import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { CxError } from '../../errors.js';
import { auditLogPath, type AuditLine } from '../../session/audit.js';
import type { Context } from '../../session/context.js';
import { sanitize } from '../../util/sanitize.js';
import { ellipsize, renderTable } from '../format/table.js';
import type { Done } from './done.js';

/** One session from the log: its start line joined with its end line, when there is one. */
export interface AuditedSession {
  session: string;
  start: AuditLine | undefined;
  end: AuditLine | undefined;
}

export function auditCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('audit')
    .summary('the sessions cx started, from its audit log')
    .description(
      'Show the audit log: one row per session (when, who started it, as whom in which container, through\n' +
        'which backend, the command, its exit and duration). The log is written when cx runs as root, to\n' +
        `/var/log/cx/audit.jsonl unless CX_AUDIT_LOG names another file (CX_AUDIT_LOG=off: no log).`,
    )
    .option('--file <path>', 'read this log instead of the configured one')
    .option('--json', 'print the sessions as JSON (start and end records as written)', false);
  cmd.action((raw: { file?: string; json: boolean }) => {
    done(runAudit(ctx, raw));
  });
  return cmd;
}

export function runAudit(ctx: Context, opts: { file?: string; json: boolean }): number {
  const file = opts.file ?? auditLogPath(ctx.io.env)?.path;
  if (file === undefined) {
    throw new CxError('no audit log: cx writes one only as root, or where CX_AUDIT_LOG says', {
      exitCode: 1,
      hint: 'give one with --file PATH',
    });
  }
  const sessions = readAudit(path.resolve(file));
  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify(sessions, null, 2)}\n`);
    return 0;
  }
  const rows = sessions.map(({ start, end }) => {
    const by = start?.by
      ? `${start.by.sudoUser ?? start.by.user}${start.by.loginUid !== null ? ` (login uid ${start.by.loginUid})` : ''}`
      : '?';
    const exit = !end
      ? 'running?'
      : end.detached
        ? 'detached'
        : end.error
          ? `${end.exitCode ?? '?'} (${ellipsize(sanitize(end.error), 30)})`
          : String(end.exitCode ?? '?');
    return [
      start?.time?.replace('T', ' ').replace(/\.\d+Z$/, 'Z') ?? '?',
      sanitize(by),
      ellipsize(sanitize(start?.container?.name ?? '?'), 24),
      start?.backend ?? '?',
      sanitize(start?.user === '' ? '(default)' : (start?.user ?? '?')),
      ellipsize(sanitize((start?.command ?? []).join(' ')), 40),
      exit,
      end?.durationMs !== undefined ? `${(end.durationMs / 1000).toFixed(1)}s` : '',
    ];
  });
  ctx.io.stdout.write(renderTable(['STARTED', 'BY', 'CONTAINER', 'BACKEND', 'AS', 'COMMAND', 'EXIT', 'DURATION'], rows));
  return 0;
}

/** Read the log without following a symlink in its place; pair start and end lines by session. */
export function readAudit(file: string): AuditedSession[] {
  let text: string;
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      if (!fstatSync(fd).isFile()) throw new CxError(`${sanitize(file)} is not a regular file`, { exitCode: 1 });
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if (err instanceof CxError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CxError(`cannot read the audit log ${sanitize(file)}: ${code === 'ELOOP' ? 'it is a symlink' : (code ?? String(err))}`, {
      exitCode: 1,
      hint: code === 'ENOENT' ? 'no session has been recorded yet' : 'give the log with --file PATH',
    });
  }
  const byId = new Map<string, AuditedSession>();
  for (const l of text.split('\n')) {
    if (l.trim() === '') continue;
    let line: AuditLine;
    try {
      line = JSON.parse(l) as AuditLine;
    } catch {
      continue; // a torn last line (a crash mid-write) is skipped, not fatal
    }
    if (typeof line.session !== 'string') continue;
    const s = byId.get(line.session) ?? { session: line.session, start: undefined, end: undefined };
    if (line.event === 'start') s.start = line;
    else if (line.event === 'end') s.end = line;
    byId.set(line.session, s);
  }
  return [...byId.values()];
}
