import { attach } from '../attach/attach.js';
import { enterRequest } from '../cli/commands/enter.js';
import type { Context } from '../cli/context.js';
import { assertRunning } from '../discovery/resolve.js';
import type { Container } from '../discovery/types.js';
import { CxError } from '../errors.js';
import type { EnterChoice } from './data/sources.js';
import { clean } from './presentation/text.js';
import { resetStdinEncoding, type Screen } from './screen.js';
import type { Message } from './state.js';

/** A Context of its own for one operation, so the inventory and daemon health are read afresh. */
export type FreshContext = (ctx: Context) => Context;

/**
 * The one place the TUI gives the whole terminal to a session and takes it back (lazydocker's
 * subprocess.go). The Ink app is already unmounted (it let go of raw mode and stdin); here: the
 * normal screen, raw bytes on stdin, then the session exactly as `cx enter` runs it (same shell
 * choice, TERM, size from the first prompt, live resize, raw mode guarded by attach). Returns the
 * line the list shows when it comes back.
 */
export async function handoff(ctx: Context, fresh: FreshContext, screen: Screen, container: Container, choice: EnterChoice): Promise<Message> {
  const name = clean(container.name);
  screen.leave();
  resetStdinEncoding(ctx.io.stdin);
  const op = fresh(ctx);
  try {
    const c = await op.inventory().resolve(container.id);
    assertRunning(c);
    // A fallback (docker not usable: runc or nsenter instead) is announced by the registry on stderr.
    const { backend } = op.registry().select(choice.backend, c);
    const request = await enterRequest(op, c, backend, { shell: '', user: choice.user, workdir: '', env: [] });
    ctx.io.stdout.write(`cx: ${name} via ${backend.name} (${clean(request.cmd[0] ?? '')}); exit the shell to return to the list\r\n`);
    const session = await backend.open(c, request);
    const status = await attach(session, ctx.io, { stdin: true });
    if (status.error) return { text: `${name}: ${status.error.message}`, tone: 'error' };
    return { text: `${name}: shell exited with status ${status.exitCode}`, tone: status.exitCode === 0 ? 'info' : 'error' };
  } catch (err) {
    const text = err instanceof CxError ? `${err.message}${err.hint ? ` (${err.hint})` : ''}` : err instanceof Error ? err.message : String(err);
    return { text: `${name}: ${text}`, tone: 'error' };
  } finally {
    op.close();
  }
}
