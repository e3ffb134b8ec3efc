import { attach } from '../../attach/attach.js';
import type { Backend, ExecRequest } from '../../backends/types.js';
import { assertRunning } from '../../discovery/resolve.js';
import { BackendUnavailableError } from '../../errors.js';
import type { Container } from '../../discovery/types.js';
import type { Context } from '../context.js';
import type { SessionFlags } from './session-options.js';

/** Resolve the target, pick the backend, build the request, run it attached; returns the exit code. */
export async function runSession(
  ctx: Context,
  target: string,
  flags: SessionFlags,
  buildRequest: (container: Container, backend: Backend) => Promise<ExecRequest>,
): Promise<number> {
  if (flags.backend !== 'auto') {
    // A backend the user named but that cannot work here at all (not root, helper not built, no
    // daemon) is the real problem: say so before discovery fails in some less obvious way.
    const availability = await ctx.registry().get(flags.backend).probe();
    if (!availability.ok) {
      throw new BackendUnavailableError(`the ${flags.backend} backend is not available: ${availability.reason}`, {
        hint: 'see `cx doctor`, or try --backend auto',
      });
    }
  }
  // A daemon-less backend never waits on dockerd, not even to find the container.
  const daemonless = flags.backend === 'runc' || flags.backend === 'nsenter';
  const container = await ctx.inventory().resolve(target, { api: daemonless ? false : flags.backend === 'docker' ? 'try' : true });
  assertRunning(container);
  const { backend, why } = ctx.registry().select(flags.backend, container);
  ctx.trace(`backend ${why}`);
  const request = await buildRequest(container, backend);
  ctx.trace(`running ${JSON.stringify(request.cmd)} tty=${request.tty} stdin=${request.stdin}`);
  const session = await backend.open(container, request);
  const status = await attach(session, ctx.io, { stdin: request.stdin });
  if (status.error) throw status.error;
  return status.exitCode;
}
