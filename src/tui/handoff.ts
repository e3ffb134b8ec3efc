import { attachLive, type LiveKeys, type LiveSession, type LiveSessions } from '../attach/live.js';
import type { Context } from '../session/context.js';
import type { Container } from '../discovery/types.js';
import { CxError } from '../errors.js';
import { assertDebugPrivilege, debugRequest, resolveToolbox } from '../session/debug.js';
import { AuditLog } from '../session/audit.js';
import { apiUseFor, openSession } from '../session/open.js';
import type { SessionObserver } from '../session/observer.js';
import { CastRecorder, newRecordingPath } from '../session/record.js';
import { DEFAULT_SPEC, enterRequest } from '../session/request.js';
import { describeKeys } from '../util/detach-keys.js';
import type { EnterChoice } from './data/sources.js';
import { clean } from './presentation/text.js';
import { resetStdinEncoding, type Screen } from './screen.js';
import type { Message } from './state.js';

/** A Context of its own for one operation, so the inventory and daemon health are read afresh. */
export type FreshContext = (ctx: Context) => Context;

/**
 * The one place the TUI opens a session and gives it the whole terminal (lazydocker's
 * subprocess.go). The Ink app is already unmounted (it let go of raw mode and stdin); here: the
 * normal screen, raw bytes on stdin, then the session exactly as `cx enter` opens it (the same
 * openSession and enterRequest: shell choice, TERM, size from the first prompt), kept in `live` so
 * that the detach keys leave it running. Returns the line the list shows when it comes back.
 */
export async function handoff(
  ctx: Context,
  fresh: FreshContext,
  screen: Screen,
  container: Container,
  choice: EnterChoice,
  live: LiveSessions,
  keys: LiveKeys,
  record: boolean,
  signal?: AbortSignal,
  /** `d`: the session `cx debug` opens (nsenter, the default toolbox) instead of a shell. */
  debug = false,
): Promise<Message> {
  const name = clean(container.name);
  screen.leave();
  resetStdinEncoding(ctx.io.stdin);
  const op = fresh(ctx);
  let opened: LiveSession;
  try {
    // `d`: the session `cx debug` opens (nsenter, the default toolbox), whatever backend is chosen for Enter.
    if (debug) assertDebugPrivilege(container.name);
    const toolbox = debug ? await resolveToolbox({ toolbox: '', image: '' }, op.docker().endpoint.socketPath) : undefined;
    const c = await op.inventory().resolve(container.id, debug ? apiUseFor('nsenter') : undefined);
    const spec = { ...DEFAULT_SPEC, user: choice.user };
    // Checked before anything starts: a session cx cannot account for is not started.
    const auditLog = AuditLog.open(op.io.env);
    // A fallback (docker not usable: runc or nsenter instead) is announced by the registry on stderr.
    const { session, request, backend, why } = await openSession(op.registry(), c, {
      backend: toolbox ? 'nsenter' : choice.backend,
      request: (target, b) =>
        toolbox
          ? debugRequest(spec, toolbox, false, { cmd: [], tty: true, stdin: true, callerEnv: op.io.env, size: op.io.size() })
          : enterRequest(b, target, spec, { env: op.io.env, size: () => op.io.size(), trace: (l) => op.trace(l) }),
      trace: (l) => op.trace(l),
    });
    ctx.io.stdout.write(
      `cx: ${name} via ${backend.name} (${clean(request.cmd[0] ?? '')}); ` +
        `exit the shell to return to the list, ${describeKeys(keys.detach)} to leave it running\r\n`,
    );
    const observers: SessionObserver[] = [];
    let recording: string | null = null;
    if (record) {
      const size = request.size ?? { cols: 80, rows: 24 };
      try {
        recording = newRecordingPath(op.io.env, c.name);
        observers.push(
          new CastRecorder(recording, {
            width: size.cols,
            height: size.rows,
            command: request.cmd.join(' '),
            title: c.name,
            env: { TERM: op.io.env['TERM'] ?? '' },
          }),
        );
      } catch (err) {
        session.kill('SIGKILL');
        session.resume();
        throw new CxError(`cannot record: ${(err as Error).message}`, {
          hint: 'set CX_RECORD_DIR to a directory of yours, or R turns recording off',
        });
      }
    }
    const audit = auditLog?.started({
      container: { id: c.id, name: c.name, image: c.image },
      backend: backend.name,
      why,
      user: request.user,
      command: request.cmd,
      tty: request.tty,
      recording,
    });
    if (audit) observers.push(audit);
    opened = live.add(
      session,
      { containerId: c.id, containerName: c.name, image: c.image, backend: backend.name, why, user: request.user, command: request.cmd },
      request.size,
      observers,
    );
  } catch (err) {
    const text =
      err instanceof CxError ? `${err.message}${err.hint ? ` (${err.hint})` : ''}` : err instanceof Error ? err.message : String(err);
    return { text: `${name}: ${text}`, tone: 'error' };
  } finally {
    op.close();
  }
  return drive(ctx, opened, live, keys, signal);
}

/** Give the terminal back to a live session (from the sessions view). */
export async function resume(
  ctx: Context,
  screen: Screen,
  id: number,
  live: LiveSessions,
  keys: LiveKeys,
  signal?: AbortSignal,
): Promise<Message> {
  const target = live.get(id);
  if (!target) return { text: 'that session is gone', tone: 'error' };
  screen.leave();
  resetStdinEncoding(ctx.io.stdin);
  return drive(ctx, target, live, keys, signal);
}

/**
 * Attach to `first` and follow the keys typed inside: next and previous switch straight to another
 * live session, detach comes back to the list. A session that ends while attached is done with (its
 * status goes to the list); one that ended while detached stays until dismissed.
 */
async function drive(
  ctx: Context,
  first: LiveSession,
  live: LiveSessions,
  keys: LiveKeys,
  signal: AbortSignal | undefined,
): Promise<Message> {
  let current = first;
  for (;;) {
    const name = clean(current.meta.containerName);
    const outcome = await attachLive(current, ctx.io, keys, signal);
    switch (outcome.kind) {
      case 'next':
      case 'previous': {
        const other = live.neighbour(current, outcome.kind === 'next' ? 1 : -1);
        if (other) current = other;
        continue;
      }
      case 'detach':
        return { text: `${name}: detached, still running (w lists the live sessions)`, tone: 'info' };
      case 'closed':
        return {
          text: `${name}: exited with status ${current.status?.exitCode ?? '?'} (x in the sessions view dismisses it)`,
          tone: 'info',
        };
      case 'exited': {
        live.remove(current);
        const status = outcome.status;
        if (status.error) return { text: `${name}: ${status.error.message}`, tone: 'error' };
        return { text: `${name}: shell exited with status ${status.exitCode}`, tone: status.exitCode === 0 ? 'info' : 'error' };
      }
    }
  }
}
