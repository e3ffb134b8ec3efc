import { spawn } from 'node:child_process';
import type { Container } from '../../discovery/types.js';
import { isRunning } from '../../discovery/types.js';
import { BackendUnavailableError, CxError } from '../../errors.js';
import { sanitize } from '../../util/sanitize.js';
import { instantMemo } from '../../host/trust.js';
import type { EnvironmentSources, EnvReport } from '../exec-env.js';
import type { Availability, Backend, ContainerFiles, EnvEntry, ExecRequest, Session } from '../types.js';
import { missingPrivilege } from './caps.js';
import { planSession } from './environment.js';
import { nsenterFiles, type NsenterFiles } from './files.js';
import { requireHelper, targetArgs } from './helper.js';
import { findHelper, HELPER_BUILD_HINT } from './helper-path.js';
import { NsenterSession } from './session.js';
import { directSlots, startFeeder } from '../direct.js';
import { readTarget, type Target } from './target.js';

/**
 * Enter the container's namespaces directly (no daemon), with what `docker exec` would give: its
 * environment, user, cgroup, capabilities, no_new_privs, seccomp filter and a pty of its own.
 * The privileged steps are done by native/cx-nsenter.c; this side decides what to apply.
 */
export class NsenterBackend implements Backend, EnvironmentSources {
  readonly name = 'nsenter' as const;
  readonly summary = "setns into the container's namespaces with its cgroup, caps, seccomp and env (root, no daemon)";
  private readonly filesByContainer = new Map<string, NsenterFiles>();
  private readonly targets = new Map<string, Promise<Target>>();

  constructor(private readonly warn: (line: string) => void = () => undefined) {}

  probe(): Promise<Availability> {
    const helper = findHelper();
    if (!helper) return Promise.resolve({ ok: false, reason: `helper native/build/cx-nsenter is not built: ${HELPER_BUILD_HINT}` });
    const missing = missingPrivilege();
    if (missing) return Promise.resolve({ ok: false, reason: `${missing}: run cx as root, or use --backend docker` });
    return Promise.resolve({ ok: true, reason: `${helper} (needs no daemon)` });
  }

  canEnter(c: Container): Availability {
    if (!isRunning(c)) return { ok: false, reason: `container is ${c.state}` };
    if (c.pid === undefined || c.pid <= 0) return { ok: false, reason: 'its init PID is unknown' };
    if (!instantMemo('nsenter:helper', findHelper)) return { ok: false, reason: `the helper is not built (${HELPER_BUILD_HINT})` };
    const missing = instantMemo('nsenter:privilege', missingPrivilege);
    if (missing) return { ok: false, reason: `${missing}; use --backend docker, or run cx as root` };
    return { ok: true, reason: `PID ${c.pid}, entered directly` };
  }

  files(c: Container): ContainerFiles {
    return this.filesFor(c);
  }

  async environment(c: Container, req: ExecRequest): Promise<EnvEntry[]> {
    return (await this.environmentReport(c, req)).entries;
  }

  async environmentReport(c: Container, req: ExecRequest): Promise<EnvReport> {
    return (await planSession(c, await this.target(c), this.filesFor(c), req, this.warn)).report;
  }

  async open(c: Container, req: ExecRequest): Promise<Session> {
    const helper = requireHelper();
    const missing = missingPrivilege();
    if (missing) throw new BackendUnavailableError(`the nsenter backend cannot work: ${missing}`, { hint: 'use --backend docker, or run cx as root' });
    const t = await this.target(c);
    if (t.seccomp === 1) throw new CxError(`container ${sanitize(c.name)} runs in strict seccomp mode: nothing can be entered there`, { hint: 'use --backend docker' });
    const plan = await planSession(c, t, this.filesFor(c), req, this.warn);
    const cwd = req.workdir || c.config.workingDir || t.bundle?.process?.cwd || '/';
    const hex = (v: bigint): string => v.toString(16);
    const args = [
      'exec',
      ...targetArgs(t),
      '--uid', String(plan.user.uid),
      '--gid', String(plan.user.gid),
      '--groups', plan.user.groups.join(','),
      '--cwd', cwd,
      '--cap-bnd', hex(t.caps.bounding),
      '--cap-eff', hex(t.caps.effective & t.caps.permitted),
      '--cap-prm', hex(t.caps.permitted),
      '--cap-inh', hex(t.caps.inheritable),
      '--cap-amb', hex(t.caps.ambient & t.caps.permitted & t.caps.inheritable),
      ...(t.noNewPrivs ? ['--nnp'] : []),
      ...(t.seccomp === 2 ? ['--seccomp'] : []),
      ...(req.tty ? ['--tty', ...(req.size ? ['--rows', String(req.size.rows), '--cols', String(req.size.cols)] : [])] : []),
      '--',
      ...req.cmd,
    ];
    // The helper's own environment is empty; the session's arrives on fd 3, never on the command line.
    const [stdin, stdout] = req.tty ? (['pipe', 'pipe'] as const) : directSlots(req.direct, req.stdin);
    const child = spawn(helper, args, { stdio: [stdin, stdout, 'pipe', 'pipe', 'pipe'], env: {} });
    if (!req.tty) startFeeder(req.direct, child);
    const blob = Buffer.from(plan.report.entries.map((e) => `${e.name}=${e.value}\0`).join(''), 'utf8');
    const control = child.stdio[3] as NodeJS.WritableStream;
    control.write(`${blob.length}\n`);
    control.write(blob);
    const notice = t.privileged
      ? `cx: note: ${sanitize(c.name)} is a privileged container: this session has full root on the host (as with docker exec)`
      : undefined;
    return new NsenterSession(child, req.tty, { container: sanitize(c.name), cmd: req.cmd[0] ?? '', notice });
  }

  private target(c: Container): Promise<Target> {
    const key = `${c.id}:${c.pid ?? ''}`;
    let t = this.targets.get(key);
    if (!t) {
      t = readTarget(c);
      this.targets.set(key, t);
    }
    return t;
  }

  private filesFor(c: Container): NsenterFiles {
    const key = `${c.id}:${c.pid ?? ''}`;
    let f = this.filesByContainer.get(key);
    if (!f) {
      f = nsenterFiles(() => this.target(c), sanitize(c.name));
      this.filesByContainer.set(key, f);
    }
    return f;
  }
}
