import { warmCgroupJoin } from '../../host/cgroup-join.js';
import { spawn } from '../../util/child.js';
import type { Container } from '../../discovery/types.js';
import { isRunning } from '../../discovery/container-state.js';
import { BackendUnavailableError, CxError } from '../../errors.js';
import { sanitize } from '../../util/sanitize.js';
import { instantMemo } from '../../host/trust.js';
import type { EnvironmentSources, EnvReport } from '../exec-env.js';
import type { Availability, Backend, ContainerFiles, EnvEntry, ExecRequest, Session } from '../types.js';
import { missingPrivilege, ownCapabilities, privilegedCapabilities } from './caps.js';
import { PLAN_FILES, planSession } from './environment.js';
import { nsenterFiles, type NsenterFiles } from './files.js';
import { AnswersCut, controlList, queryCapArgs, readAnswers, requireHelper, targetArgs } from './helper.js';
import { findHelper, HELPER_BUILD_HINT } from './helper-path.js';
import { NsenterSession } from './session.js';
import { pidsFullText, pidsUsage } from '../../host/pids.js';
import { directSlots, startFeeder } from '../direct.js';
import { perContainer, targetCache, type Target } from './target.js';

/**
 * Enter the container's namespaces directly (no daemon), with what `docker exec` would give: its
 * environment, user, cgroup, capabilities, no_new_privs, seccomp filter and a pty of its own.
 * The privileged steps are done by native/cx-nsenter.c; this side decides what to apply.
 */
export class NsenterBackend implements Backend, EnvironmentSources {
  readonly name = 'nsenter' as const;
  readonly summary = "setns into the container's namespaces with its cgroup, caps, seccomp and env (root, no daemon)";
  private readonly filesFor = perContainer((c: Container): NsenterFiles => nsenterFiles(() => this.target(c), sanitize(c.name)));
  private readonly target = targetCache();

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
    // The helper joins the container's cgroups as soon as it starts: have the kernel's grace period
    // for that passing while the target is read (host/cgroup-join.ts).
    warmCgroupJoin();
    const missing = missingPrivilege();
    if (missing)
      throw new BackendUnavailableError(`the nsenter backend cannot work: ${missing}`, { hint: 'use --backend docker, or run cx as root' });
    const t = await this.target(c);
    if (t.seccomp === 1)
      throw new CxError(`container ${sanitize(c.name)} runs in strict seccomp mode: nothing can be entered there`, {
        hint: 'use --backend docker',
      });
    const cwd = req.workdir || c.config.workingDir || t.bundle?.process?.cwd || '/';
    const notes: string[] = [];
    if (req.debug?.privileged) {
      notes.push(
        "cx: note: --privileged: this debug session keeps host root's capabilities, " +
          "without the container's seccomp filter and no_new_privs",
      );
    } else if (t.privileged) {
      notes.push(`cx: note: ${sanitize(c.name)} is a privileged container: this session has full root on the host (as with docker exec)`);
    }
    // Joining a cgroup is not limited by pids.max: this backend gets in where the runtime cannot.
    // (Read before the helper starts: its session process counts once it has joined.)
    const pids = await pidsUsage(t.pid).catch(() => undefined);
    if (pids && pids.current >= pids.max) {
      notes.push(`cx: note: ${pidsFullText(sanitize(c.name), pids)}: entered anyway; commands in it cannot start new processes`);
    }
    const hex = (v: bigint): string => v.toString(16);
    const debug = req.debug;
    // cx debug --privileged: host root's capabilities, kept across exec by any user (ambient), no filter.
    // exec --privileged (docker's): every capability in every set but ambient; seccomp and no_new_privs stay.
    const own = debug?.privileged ? ownCapabilities() : undefined;
    const all = !debug && req.privileged ? privilegedCapabilities() : undefined;
    const caps =
      own !== undefined
        ? { bounding: own, effective: own, permitted: own, inheritable: own, ambient: own }
        : all !== undefined
          ? { ...t.caps, bounding: all, effective: all, permitted: all, inheritable: all }
          : t.caps;
    const confined = !debug?.privileged;
    const args = [
      'exec',
      ...targetArgs(t),
      // The user comes on fd 3 with the environment: the helper starts (checks the target, copies
      // its seccomp filter, joins its cgroups) while a child of it reads the container's passwd and
      // group (--query-first: as the container's root, as `query` does) and answers on fd 5. The
      // paths are on the command line (fixed names, nothing secret): the child starts at once,
      // while cx is still setting up its end of the pipes.
      '--user-on-fd3',
      '--query-first',
      ...queryCapArgs(t, '--query-'),
      ...PLAN_FILES.flatMap((spec) => ['--query-path', spec]),
      '--cwd',
      cwd,
      '--cap-bnd',
      hex(caps.bounding),
      '--cap-eff',
      hex(caps.effective & caps.permitted),
      '--cap-prm',
      hex(caps.permitted),
      '--cap-inh',
      hex(caps.inheritable),
      '--cap-amb',
      hex(caps.ambient & caps.permitted & caps.inheritable),
      ...(t.noNewPrivs && confined ? ['--nnp'] : []),
      ...(t.seccomp === 2 && confined ? ['--seccomp'] : []),
      ...(req.tty ? ['--tty', ...(req.size ? ['--rows', String(req.size.rows), '--cols', String(req.size.cols)] : [])] : []),
      ...(debug ? debug.toolbox.flatMap((dir) => ['--toolbox', dir]) : []),
      ...configuredLimits(t),
      ...(req.detach ? ['--detach'] : []),
      '--',
      ...req.cmd,
    ];
    // The helper's own environment is empty; the session's arrives on fd 3, never on the command line.
    // Detached, the command gets no stdio of cx's (it would keep cx waiting for them to close); without
    // a TTY, cx's own pipes may be handed to it directly (no copy through cx).
    const [stdin, stdout] = req.tty
      ? (['pipe', 'pipe'] as const)
      : req.detach
        ? (['ignore', 'ignore'] as const)
        : directSlots(req.direct, req.stdin);
    const child = spawn(helper, args, { stdio: [stdin, stdout, req.detach ? 'ignore' : 'pipe', 'pipe', 'pipe', 'pipe'], env: {} });
    const control = child.stdio[3] as NodeJS.WritableStream;
    const files = this.filesFor(c);
    const answers = (child.stdio as unknown as NodeJS.ReadableStream[])[5] as NodeJS.ReadableStream;
    files.prime(PLAN_FILES, readAnswers(answers, PLAN_FILES.length, { container: sanitize(c.name), cmd: '' }));
    const notice = notes.length > 0 ? notes.join(req.tty ? '\r\n' : '\n') : undefined;
    // The session listens to the helper from its first instant (it may fail while the plan is made).
    const session = new NsenterSession(child, req.tty, {
      container: sanitize(c.name),
      cmd: req.cmd[0] ?? '',
      notice,
      detach: req.detach === true,
    });
    let plan: Awaited<ReturnType<typeof planSession>>;
    try {
      plan = await planSession(c, t, files, req, this.warn);
    } catch (err) {
      // Answers cut short: the helper stopped first, and its own line says why (the target went
      // away, say); any other error is cx's (an unknown user): the helper stops because cx gave up.
      const stopped = await session.abandon();
      throw err instanceof AnswersCut && stopped ? stopped : err;
    }
    const entries = debug ? withToolboxPath(plan.report.entries, debug.path) : plan.report.entries;
    const user = controlList([String(plan.user.uid), String(plan.user.gid), plan.user.groups.join(',')]);
    control.write(Buffer.concat([user, controlList(entries.map((e) => `${e.name}=${e.value}`))]));
    if (!req.tty && !req.detach) startFeeder(req.direct, child);
    return session;
  }
}

/** The session's environment with the toolbox's directories after the container's own PATH. */
export function withToolboxPath(entries: EnvEntry[], dirs: string[]): EnvEntry[] {
  if (dirs.length === 0) return entries;
  const i = entries.findIndex((e) => e.name === 'PATH');
  const current = i >= 0 ? (entries[i] as EnvEntry) : undefined;
  const value = [current?.value || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...dirs].join(':');
  const entry: EnvEntry = { name: 'PATH', value, source: current?.source ?? 'default' };
  return i >= 0 ? entries.map((e, k) => (k === i ? entry : e)) : [...entries, entry];
}

/** Linux RLIMIT_* numbers, for the names an OCI config uses. */
const RLIMITS = [
  'CPU',
  'FSIZE',
  'DATA',
  'STACK',
  'CORE',
  'RSS',
  'NPROC',
  'NOFILE',
  'MEMLOCK',
  'AS',
  'LOCKS',
  'SIGPENDING',
  'MSGQUEUE',
  'NICE',
  'RTPRIO',
  'RTTIME',
];

/**
 * The container's configured limits, umask and oom_score_adj (its bundle's process, what docker exec
 * gets), for the helper: never the init's current values, which the container's own processes change.
 */
export function configuredLimits(t: Pick<Target, 'bundle'>): string[] {
  const p = t.bundle?.process;
  const out: string[] = [];
  const limit = (v: number): string => (v >= 2 ** 63 ? 'inf' : String(Math.floor(v)));
  for (const r of p?.rlimits ?? []) {
    const i = RLIMITS.indexOf(String(r.type).replace(/^RLIMIT_/, ''));
    if (i < 0 || !Number.isFinite(r.soft) || !Number.isFinite(r.hard) || r.soft < 0 || r.hard < 0 || r.soft > r.hard) continue;
    out.push('--rlimit', `${i}:${limit(r.soft)}:${limit(r.hard)}`);
  }
  const umask = p?.user?.umask;
  if (typeof umask === 'number' && Number.isInteger(umask) && umask >= 0 && umask <= 0o777) out.push('--umask', umask.toString(8));
  const oom = p?.oomScoreAdj;
  if (typeof oom === 'number' && Number.isInteger(oom) && oom >= -1000 && oom <= 1000) out.push('--oom', String(oom));
  return out;
}
