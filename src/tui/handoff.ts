import { attach } from '../attach/attach.js';
import type { Context } from '../session/context.js';
import type { Container } from '../discovery/types.js';
import { CxError } from '../errors.js';
import { assertDebugPrivilege, debugRequest, resolveToolbox } from '../session/debug.js';
import { apiUseFor, openSession } from '../session/open.js';
import { DEFAULT_SPEC, enterRequest } from '../session/request.js';
import type { EnterChoice } from './data/sources.js';
import { clean } from './presentation/text.js';
import { resetStdinEncoding, type Screen } from './screen.js';
import type { Message } from './state.js';

/** A Context of its own for one operation, so the inventory and daemon health are read afresh. */
export type FreshContext = (ctx: Context) => Context;

/**
 * The one place the TUI gives the whole terminal to a session and takes it back (lazydocker's
 * subprocess.go). The Ink app is already unmounted (it let go of raw mode and stdin); here: the
 * normal screen, raw bytes on stdin, then the session exactly as `cx enter` opens it (the same
 * openSession and enterRequest: shell choice, TERM, size from the first prompt), attached with live
 * resize and raw mode guarded by attach. Returns the line the list shows when it comes back.
 */
export async function handoff(
  ctx: Context,
  fresh: FreshContext,
  screen: Screen,
  container: Container,
  choice: EnterChoice,
  debug = false,
): Promise<Message> {
  const name = clean(container.name);
  screen.leave();
  resetStdinEncoding(ctx.io.stdin);
  const op = fresh(ctx);
  try {
    // `d`: the session `cx debug` opens (nsenter, the default toolbox), whatever backend is chosen for Enter.
    if (debug) assertDebugPrivilege(container.name);
    const toolbox = debug ? await resolveToolbox({ toolbox: '', image: '' }, op.docker().endpoint.socketPath) : undefined;
    const c = await op.inventory().resolve(container.id, debug ? apiUseFor('nsenter') : undefined);
    const spec = { ...DEFAULT_SPEC, user: choice.user };
    // A fallback (docker not usable: runc or nsenter instead) is announced by the registry on stderr.
    const { session, request, backend } = await openSession(op.registry(), c, {
      backend: toolbox ? 'nsenter' : choice.backend,
      request: (target, b) =>
        toolbox
          ? debugRequest(spec, toolbox, false, { cmd: [], tty: true, stdin: true, callerEnv: op.io.env, size: op.io.size() })
          : enterRequest(b, target, spec, { env: op.io.env, size: () => op.io.size(), trace: (l) => op.trace(l) }),
      trace: (l) => op.trace(l),
    });
    ctx.io.stdout.write(`cx: ${name} via ${backend.name} (${clean(request.cmd[0] ?? '')}); exit the shell to return to the list\r\n`);
    const status = await attach(session, ctx.io, { stdin: true });
    if (status.error) return { text: `${name}: ${status.error.message}`, tone: 'error' };
    return { text: `${name}: shell exited with status ${status.exitCode}`, tone: status.exitCode === 0 ? 'info' : 'error' };
  } catch (err) {
    const text =
      err instanceof CxError ? `${err.message}${err.hint ? ` (${err.hint})` : ''}` : err instanceof Error ? err.message : String(err);
    return { text: `${name}: ${text}`, tone: 'error' };
  } finally {
    op.close();
  }
}
