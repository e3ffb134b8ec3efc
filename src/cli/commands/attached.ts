import { attach } from '../../attach/attach.js';
import { directStdio } from '../../attach/direct-stdio.js';
import type { Backend, ExecRequest } from '../../backends/types.js';
import type { Container } from '../../discovery/types.js';
import type { Context } from '../../session/context.js';
import { apiUseFor, checkNamedBackend, openSession } from '../../session/open.js';
import { AuditLog } from '../../session/audit.js';
import { CastRecorder } from '../../session/record.js';
import type { SessionObserver } from '../../session/observer.js';
import { sanitize } from '../../util/sanitize.js';
import { CxError } from '../../errors.js';
import { warmCgroupJoin } from '../../host/cgroup-join.js';
import { checkDetachable, type LiveFlags } from './live-options.js';
import type { SessionFlags } from './session-options.js';

/** Resolve the target, open the session through the session core, run it attached; returns the exit code. */
export async function runAttached(
  ctx: Context,
  target: string,
  flags: SessionFlags,
  request: (container: Container, backend: Backend) => Promise<ExecRequest> | ExecRequest,
  live: LiveFlags = { detachKeys: undefined, record: undefined, recordInput: false },
  /** A line for stderr once the session is open (before any of its output). */
  notice?: string,
): Promise<number> {
  // A daemon-less backend's helper or runc will join the container's cgroups: start the kernel's wait
  // for that now, while the target is found (host/cgroup-join.ts; its backend does it again on open).
  if (flags.backend === 'nsenter' || flags.backend === 'runc') warmCgroupJoin();
  await checkNamedBackend(ctx.registry(), flags.backend);
  const container = await ctx.inventory().resolve(target, apiUseFor(flags.backend));
  // Checked before anything starts: a session cx cannot account for is not started.
  const auditLog = AuditLog.open(ctx.io.env);
  // A daemon-less backend without a TTY gets cx's stdin/stdout handed over where that is safe.
  const build = async (c: Container, backend: Backend): Promise<ExecRequest> => {
    checkDetachable(live, backend);
    const req = await request(c, backend);
    if (req.tty || req.detach || (backend.name !== 'nsenter' && backend.name !== 'runc')) return req;
    const direct = directStdio(ctx.io, req.stdin);
    if (direct) ctx.trace(`handing the process ${Object.keys(direct).join(', ')} directly (no copy through cx)`);
    return direct ? { ...req, direct } : req;
  };
  const opened = await openSession(ctx.registry(), container, { backend: flags.backend, request: build, trace: (l) => ctx.trace(l) });
  if (notice) ctx.io.stderr.write(`${notice}\n`);
  const handed = opened.request.direct?.stdin !== undefined || opened.request.direct?.feedStdin !== undefined;
  const observers: SessionObserver[] = [];
  let recorder: CastRecorder | undefined;
  if (live.record !== undefined && opened.request.tty) {
    const size = opened.request.size ?? { cols: 80, rows: 24 };
    try {
      observers.push(
        (recorder = new CastRecorder(
          live.record,
          {
            width: size.cols,
            height: size.rows,
            command: opened.request.cmd.join(' '),
            title: container.name,
            env: { TERM: ctx.io.env['TERM'] ?? '' },
          },
          { input: live.recordInput },
        )),
      );
    } catch (err) {
      opened.session.kill('SIGKILL');
      opened.session.resume();
      throw new CxError(`cannot write the recording ${sanitize(live.record)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
        hint: 'give a path to a new file in a directory you can write (a symlink is not followed)',
      });
    }
  }
  const audit = auditLog?.started({
    container: { id: container.id, name: container.name, image: container.image },
    backend: opened.backend.name,
    why: opened.why,
    user: opened.request.user,
    command: opened.request.cmd,
    tty: opened.request.tty,
    recording: recorder ? recorder.path : null,
  });
  if (audit) observers.push(audit);
  const status = await attach(opened.session, ctx.io, { stdin: opened.request.stdin && !handed, detachKeys: live.detachKeys, observers });
  if (status.detached) audit?.detached();
  else audit?.exit(status);
  if (status.detached) {
    recorder?.close();
    ctx.io.stderr.write(`\ncx: detached; the process keeps running in ${sanitize(container.name)} (dockerd holds its terminal)\n`);
    return 0;
  }
  if (status.error) throw status.error;
  return status.exitCode;
}
