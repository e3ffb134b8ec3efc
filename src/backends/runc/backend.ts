import { warmCgroupJoin } from '../../host/cgroup-join.js';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type { Container } from '../../discovery/types.js';
import { which } from '../../host/which.js';
import { isRunning } from '../../discovery/container-state.js';
import { stateFile } from '../../discovery/runtime-state.js';
import { trustedDir } from '../../host/trust.js';
import { composeExecEnv, envToList } from '../exec-env.js';
import type { Availability, Backend, EnvEntry, ExecRequest, Session } from '../types.js';
import { runcFiles } from './files.js';
import { execProcess, loadBundleProcess, runcExecArgs, writeScratch, type OciProcess } from './process-spec.js';
import { RuncSession } from './session.js';
import { diagnoseStartFailure } from '../start-failure.js';
import { containerGroupAdd, resolveUser, type ExecUser } from '../exec-user.js';
import { privilegedCapabilities } from '../nsenter/caps.js';

/**
 * runc passes its own CPU affinity on to the process, and cx's caller may have narrowed cx's (taskset):
 * docker exec's process starts from the shim's, i.e. every CPU, which the kernel then cuts to the
 * container's cpuset. Start runc from every CPU too, through taskset (util-linux) when it is there.
 */
function fullAffinity(binary: string, args: string[], taskset: () => string | undefined): [string, string[]] {
  let cpus: string | undefined;
  try {
    const possible = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    if (/^[0-9,-]+$/.test(possible)) cpus = possible;
  } catch {
    // the count of CPUs Node sees will do
  }
  // Already on every CPU (the usual case): runc is started as it is, without taskset in between.
  if (cpus !== undefined && ownCpus() === cpus) return [binary, args];
  const tool = taskset();
  if (!tool) return [binary, args];
  return [tool, ['-c', cpus ?? `0-${Math.max(0, os.cpus().length - 1)}`, binary, ...args]];
}

/** The CPUs cx may run on (/proc/self/status Cpus_allowed_list), as the kernel lists them. */
function ownCpus(): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Enter through the OCI runtime itself: `runc --root <root> exec --process <spec> <id>`, the call
 * containerd makes for docker exec. The runtime joins the container's namespaces and cgroup and
 * applies its capabilities, seccomp and no_new_privs, with no daemon involved.
 */
export class RuncBackend implements Backend {
  readonly name = 'runc' as const;
  readonly summary = 'the OCI runtime (runc/crun exec) from its state dir: works while dockerd is frozen or dead';
  private readonly binaries = new Map<string, string | undefined>();
  private readonly fileCache = new Map<string, ReturnType<typeof runcFiles>>();

  async probe(): Promise<Availability> {
    const found = ['runc', 'crun'].filter((b) => this.binary(b));
    return found.length
      ? { ok: true, reason: `${found.map((b) => this.binary(b)).join(', ')} found` }
      : { ok: false, reason: 'neither runc nor crun is on PATH' };
  }

  canEnter(c: Container): Availability {
    if (!isRunning(c)) return { ok: false, reason: `container is ${c.state}${c.stale ? ` (${c.stale})` : ''}` };
    if (!c.oci) return { ok: false, reason: 'no OCI runtime state known for it' };
    if (!this.binary(c.oci.binary)) return { ok: false, reason: `${c.oci.binary} is not on PATH` };
    if (!existsSync(stateFile(c.oci.binary, c.oci.root, c.id))) return { ok: false, reason: `no runtime state under ${c.oci.root}` };
    if (!c.oci.bundle) return { ok: false, reason: 'its OCI bundle is unknown' };
    // runc runs as root with whatever the state and bundle say: both must be root's alone.
    for (const dir of [c.oci.root, c.oci.bundle]) {
      const t = trustedDir(dir);
      if (!t.ok) return { ok: false, reason: `not trusting ${dir}: ${t.reason}` };
    }
    return { ok: true, reason: `${c.oci.binary} state in ${c.oci.root}` };
  }

  files(c: Container): ReturnType<typeof runcFiles> {
    let f = this.fileCache.get(c.id);
    if (!f) {
      f = runcFiles(this.binary(c.oci?.binary ?? 'runc') ?? 'runc', c);
      this.fileCache.set(c.id, f);
    }
    return f;
  }

  async environment(c: Container, req: ExecRequest): Promise<EnvEntry[]> {
    return this.environmentOf(c, req, await this.user(c, req, loadBundleProcess(c)));
  }

  private environmentOf(c: Container, req: ExecRequest, user: ExecUser): EnvEntry[] {
    return composeExecEnv({
      hostname: c.config.hostname,
      containerEnv: c.config.env,
      tty: req.tty,
      overrides: req.env,
      home: user.home,
      term: req.term,
    });
  }

  async open(c: Container, req: ExecRequest): Promise<Session> {
    // The bundle is read once, and the user resolved once, for the spec and the environment alike.
    const bundle = loadBundleProcess(c);
    const [base, user] = await Promise.all([bundle, this.user(c, req, bundle)]);
    const proc = execProcess(base, {
      args: req.cmd,
      env: envToList(this.environmentOf(c, req, user)),
      // docker exec: the exec's WorkingDir, else the container's, else "/".
      cwd: req.workdir || c.config.workingDir || base.cwd || '/',
      user,
      tty: req.tty,
      size: req.size,
      ...(req.privileged ? { privileged: privilegedCapabilities() } : {}),
    });
    const scratch = await writeScratch(proc);
    const binary = this.binary(c.oci?.binary ?? 'runc') ?? 'runc';
    const [file, args] = fullAffinity(binary, runcExecArgs(c, scratch, req.detach === true), () => this.binary('taskset'));
    // node-pty (and its native addon) only for a TTY session: a plain exec never loads it.
    const pty = req.tty ? await import('node-pty') : undefined;
    const opts = {
      stdin: req.stdin,
      size: req.size,
      detach: req.detach === true,
      umask: proc.user.umask,
      direct: req.tty ? undefined : req.direct,
      ...(pty ? { pty } : {}),
    };
    // runc joins the container's cgroups some 15 ms after it starts: have the kernel's grace period
    // for that behind it by then (host/cgroup-join.ts).
    warmCgroupJoin();
    return new RuncSession(req.tty, file, args, scratch, opts, (err) => diagnoseStartFailure(err, c));
  }

  /** The exec user, resolved in the container's own passwd/group as docker exec does, --group-add included. */
  private async user(c: Container, req: ExecRequest, bundle: Promise<OciProcess>): Promise<ExecUser> {
    const spec = req.user || c.config.user;
    const [both, base] = await Promise.all([this.files(c).passwdAndGroup(), bundle]);
    const lines = (both ?? '').split('\n');
    const passwd = lines.filter((l) => l.split(':').length >= 7).join('\n');
    const group = lines.filter((l) => l.split(':').length === 4).join('\n');
    const added = containerGroupAdd(c.config.groupAdd, base.user.additionalGids, c.config.user, passwd, group);
    return resolveUser(spec, passwd, group, added);
  }

  private binary(name: string): string | undefined {
    if (!this.binaries.has(name)) this.binaries.set(name, which(name));
    return this.binaries.get(name);
  }
}
