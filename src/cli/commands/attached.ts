import { attach } from '../../attach/attach.js';
import type { Backend, ExecRequest } from '../../backends/types.js';
import type { Container } from '../../discovery/types.js';
import type { Context } from '../../session/context.js';
import { apiUseFor, checkNamedBackend, openSession } from '../../session/open.js';
import type { SessionFlags } from './session-options.js';

/** Resolve the target, open the session through the session core, run it attached; returns the exit code. */
export async function runAttached(
  ctx: Context,
  target: string,
  flags: SessionFlags,
  request: (container: Container, backend: Backend) => Promise<ExecRequest> | ExecRequest,
): Promise<number> {
  await checkNamedBackend(ctx.registry(), flags.backend);
  const container = await ctx.inventory().resolve(target, apiUseFor(flags.backend));
  const opened = await openSession(ctx.registry(), container, { backend: flags.backend, request, trace: (l) => ctx.trace(l) });
  const status = await attach(opened.session, ctx.io, { stdin: opened.request.stdin });
  if (status.error) throw status.error;
  return status.exitCode;
}
