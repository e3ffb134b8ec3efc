import { attach } from '../../attach/attach.js';
import { directStdio } from '../../attach/direct-stdio.js';
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
  // A daemon-less backend without a TTY gets cx's stdin/stdout handed over where that is safe.
  const build = async (c: Container, backend: Backend): Promise<ExecRequest> => {
    const req = await request(c, backend);
    if (req.tty || backend.name === 'docker') return req;
    const direct = directStdio(ctx.io, req.stdin);
    if (direct) ctx.trace(`handing the process ${Object.keys(direct).join(', ')} directly (no copy through cx)`);
    return direct ? { ...req, direct } : req;
  };
  const opened = await openSession(ctx.registry(), container, { backend: flags.backend, request: build, trace: (l) => ctx.trace(l) });
  const handed = opened.request.direct?.stdin !== undefined || opened.request.direct?.feedStdin !== undefined;
  const status = await attach(opened.session, ctx.io, { stdin: opened.request.stdin && !handed });
  if (status.error) throw status.error;
  return status.exitCode;
}
