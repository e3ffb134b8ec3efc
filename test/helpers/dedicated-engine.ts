import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cx, type CxResult } from './cx.js';
import { TEST_IMAGE, uniqueName, type TestContainer } from './engine.js';

/** A container on a DedicatedEngine, with its init's host PID. */
export interface EngineContainer extends TestContainer {
  pid: number;
}

/**
 * A second dockerd of the test's own (own data-root, exec-root, socket, pidfile; no bridge, no
 * iptables), for tests that freeze, kill or restart a daemon: the shared engine is never touched.
 * Always call stop() (after() hook); a process 'exit' hook also kills it if the test run dies.
 */
export class DedicatedEngine {
  readonly socket: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly pidfile: string;
  private daemon: ReturnType<typeof execa> | undefined;
  private addedRemapUser = false;
  private readonly killOnExit = (): void => this.hardKill();

  private constructor(
    readonly dir: string,
    readonly liveRestore: boolean,
    readonly usernsRemap = false,
  ) {
    // Short paths: containerd's sockets under the exec-root must fit in sun_path (108 bytes).
    this.socket = path.join(dir, 'docker.sock');
    this.dataRoot = path.join(dir, 'data');
    this.execRoot = path.join(dir, 'exec');
    this.pidfile = path.join(dir, 'docker.pid');
  }

  /** usernsRemap: containers get a user namespace (--userns-remap=default; dockerd adds the dockremap user). */
  static async start(opts: { liveRestore?: boolean; usernsRemap?: boolean } = {}): Promise<DedicatedEngine> {
    const dir = await mkdtemp('/tmp/cxd-');
    const e = new DedicatedEngine(dir, opts.liveRestore ?? false, opts.usernsRemap ?? false);
    // dockerd adds the dockremap user (and its /etc/subuid, /etc/subgid ranges) for --userns-remap:
    // the machine is left as it was found, so they go again in stop() unless they were there before.
    e.addedRemapUser = opts.usernsRemap === true && (await execa('getent', ['passwd', 'dockremap'], { reject: false })).exitCode !== 0;
    // The remapped root must be able to pass through the data-root's parents.
    if (opts.usernsRemap) await chmod(dir, 0o711);
    process.once('exit', e.killOnExit);
    try {
      await e.launch();
      await execa('bash', ['-c', `docker save ${TEST_IMAGE} | docker -H unix://${e.socket} load`]);
    } catch (err) {
      await e.stop();
      throw err;
    }
    return e;
  }

  /** DOCKER_HOST for cx and the docker CLI. */
  get env(): Record<string, string> {
    return { DOCKER_HOST: `unix://${this.socket}` };
  }

  get pid(): number {
    return Number(readFileSync(this.pidfile, 'utf8').trim());
  }

  /** Start (or restart after a kill) the same dockerd command line, and wait until it answers. */
  async launch(): Promise<void> {
    const args = [
      '--data-root',
      this.dataRoot,
      '--exec-root',
      this.execRoot,
      '-H',
      `unix://${this.socket}`,
      '--pidfile',
      this.pidfile,
      '--bridge=none',
      '--iptables=false',
      '--ip-masq=false',
      ...(this.liveRestore ? ['--live-restore'] : []),
      ...(this.usernsRemap ? ['--userns-remap=default'] : []),
    ];
    this.daemon = execa('dockerd', args, { reject: false, stdio: ['ignore', 'ignore', 'pipe'], buffer: { stderr: true }, all: false });
    const until = Date.now() + 60_000;
    for (;;) {
      const r = await execa('docker', ['-H', `unix://${this.socket}`, 'version', '--format', '{{.Server.Version}}'], {
        reject: false,
        timeout: 5_000,
      });
      if (r.exitCode === 0) return;
      if (this.daemon.exitCode !== undefined && this.daemon.exitCode !== null) {
        const res = await this.daemon;
        throw new Error(`dedicated dockerd exited (${String(res.exitCode)}): ${String(res.stderr).slice(-2000)}`);
      }
      if (Date.now() > until) throw new Error('dedicated dockerd did not answer within 60 s');
      await sleep(200);
    }
  }

  docker(args: string[]): ReturnType<typeof execa> {
    return execa('docker', ['-H', `unix://${this.socket}`, ...args], { timeout: 60_000 });
  }

  /** `docker run -d` on this engine; returns id, name and the init's host PID. */
  async run(opts: { name?: string; cmd?: string[]; args?: string[] } = {}): Promise<EngineContainer> {
    const name = opts.name ?? uniqueName('cxd');
    const r = await this.docker([
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      ...(opts.args ?? []),
      TEST_IMAGE,
      ...(opts.cmd ?? ['sleep', '100000']),
    ]);
    const id = String(r.stdout).trim();
    const pid = Number(String((await this.docker(['inspect', '--format', '{{.State.Pid}}', id])).stdout).trim());
    return { id, name, pid };
  }

  freeze(): void {
    process.kill(this.pid, 'SIGSTOP');
  }

  thaw(): void {
    process.kill(this.pid, 'SIGCONT');
  }

  /**
   * Freeze the daemon once cx has seen it answer: `ls` (by default `cx ls` against this engine) must
   * succeed first, so cx has learnt where this engine keeps its state, as on a machine whose daemon
   * froze later. Returns that run.
   */
  async freezeAfterLs(ls: () => Promise<CxResult> = () => cx(['ls'], { env: this.env })): Promise<CxResult> {
    const r = await ls();
    assert.equal(r.exitCode, 0, r.stderr);
    this.freeze();
    return r;
  }

  /**
   * SIGKILL the daemon, as in a crash. Its containerd dies with it (parent-death signal); the shims
   * and containers stay. This machine's PID 1 does not reap orphans, so that containerd lingers as
   * a zombie whose pidfile would make the next dockerd wait for it forever ("containerd is still
   * running"): remove that pidfile, as a reaping init would have made it harmless.
   */
  async crash(): Promise<void> {
    const pid = this.pid;
    const containerdPidfile = path.join(this.execRoot, 'containerd', 'containerd.pid');
    const containerd = existsSync(containerdPidfile) ? Number(readFileSync(containerdPidfile, 'utf8').trim()) : 0;
    process.kill(pid, 'SIGKILL');
    await this.daemon?.catch(() => undefined);
    for (let i = 0; i < 200 && containerd > 0 && isLive(containerd); i++) await sleep(50);
    if (containerd > 0 && !isLive(containerd)) await rm(containerdPidfile, { force: true });
  }

  /** Remove every container, stop the daemon, kill what is left of it, unmount, delete the tree. */
  async stop(): Promise<void> {
    try {
      if (existsSync(this.pidfile)) this.thaw();
    } catch {
      // not running
    }
    const alive = await execa('docker', ['-H', `unix://${this.socket}`, 'ps', '-aq'], { reject: false, timeout: 10_000 });
    const ids = String(alive.stdout ?? '')
      .split('\n')
      .filter(Boolean);
    if (alive.exitCode === 0 && ids.length)
      await execa('docker', ['-H', `unix://${this.socket}`, 'rm', '-f', ...ids], { reject: false, timeout: 60_000 });
    if (this.daemon && this.daemon.exitCode === null) {
      this.daemon.kill('SIGTERM');
      await Promise.race([this.daemon.catch(() => undefined), sleep(20_000)]);
    }
    this.hardKill();
    await sleep(200);
    const mounts = (await readFile('/proc/mounts', 'utf8'))
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m.startsWith(this.dir));
    for (const m of mounts.reverse()) await execa('umount', ['-l', m], { reject: false });
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
    if (this.addedRemapUser) await removeRemapUser();
    process.off('exit', this.killOnExit);
  }

  /** SIGKILL every process whose command line names this engine's directory (dockerd, containerd, shims, containers' runc). */
  private hardKill(): void {
    for (const name of safeReaddir('/proc')) {
      if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
      try {
        const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
        if (cmd.includes(this.dir)) {
          try {
            process.kill(Number(name), 'SIGCONT');
          } catch {
            // gone
          }
          process.kill(Number(name), 'SIGKILL');
        }
      } catch {
        // gone
      }
    }
  }
}

/** Exists and is not a zombie. */
function isLive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Remove the dockremap user dockerd created, and its subordinate id ranges. */
async function removeRemapUser(): Promise<void> {
  await execa('userdel', ['dockremap'], { reject: false });
  await execa('groupdel', ['dockremap'], { reject: false });
  for (const f of ['/etc/subuid', '/etc/subgid']) {
    const text = await readFile(f, 'utf8').catch(() => undefined);
    if (text !== undefined)
      await writeFile(
        f,
        text
          .split('\n')
          .filter((l) => !l.startsWith('dockremap:'))
          .join('\n'),
      );
  }
}
