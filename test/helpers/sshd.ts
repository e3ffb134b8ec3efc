import { execa, type ResultPromise } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { containerPid, uniqueName, type Containers, type TestContainer } from './engine.js';

/**
 * A throwaway OpenSSH server on 127.0.0.1 standing in for a remote host: Debian's /usr/sbin/sshd with
 * its own config, host key, authorised key and pidfile in a temp dir (never the machine's own sshd
 * config or keys), root login by key only. The client side is a config file handed to cx through
 * CX_SSH_CONFIG (ssh -F), and a private control dir through XDG_RUNTIME_DIR, so no test touches
 * ~/.ssh. Always call stop() (after() hook).
 */
export class Sshd {
  private proc: ResultPromise | undefined;
  private readonly killOnExit = (): void => {
    try {
      this.proc?.kill('SIGKILL');
    } catch {
      // gone
    }
  };

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** ssh://root@127.0.0.1:PORT */
  get url(): string {
    return `ssh://root@127.0.0.1:${this.port}`;
  }
  get clientConfig(): string {
    return path.join(this.dir, 'ssh_config');
  }
  get runtimeDir(): string {
    return path.join(this.dir, 'run');
  }
  get knownHosts(): string {
    return path.join(this.dir, 'known_hosts');
  }
  /** The environment a cx run needs to use this server as the user would with ~/.ssh/config. */
  get env(): Record<string, string> {
    return { CX_SSH_CONFIG: this.clientConfig, XDG_RUNTIME_DIR: this.runtimeDir };
  }

  /**
   * `hide`: programs the login must not find, to play a remote host without them. Its PATH is then a
   * directory of links to everything in the usual bin directories but those (sshd_config SetEnv
   * overrides sshd's own PATH). `options`: sshd_config lines of the test's own (a hardened server).
   */
  static async start(opts: { hide?: string[]; options?: string[] } = {}): Promise<Sshd> {
    const dir = await mkdtemp('/run/cxssh-');
    // sshd's StrictModes refuses key files below a world-writable directory such as /tmp: /run is root's.
    await chmod(dir, 0o700);
    const port = await freePort();
    const d = new Sshd(dir, port);
    process.once('exit', d.killOnExit);
    try {
      await d.setUp(opts.hide ?? [], opts.options ?? []);
      await d.launch();
    } catch (err) {
      await d.stop();
      throw err;
    }
    return d;
  }

  /** `fn` with a server of its own, stopped after it whatever happens. */
  static async using<T>(opts: Parameters<typeof Sshd.start>[0], fn: (server: Sshd) => Promise<T>): Promise<T> {
    const server = await Sshd.start(opts);
    try {
      return await fn(server);
    } finally {
      await server.stop();
    }
  }

  private async setUp(hide: string[], options: string[]): Promise<void> {
    const k = (name: string): string => path.join(this.dir, name);
    if (hide.length > 0) await linkPrograms(k('bin'), hide);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cx-test-host', '-f', k('host_key')]);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cx-test-user', '-f', k('user_key')]);
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cx-test-other', '-f', k('other_key')]);
    await writeFile(k('authorized_keys'), await readFile(k('user_key.pub')), { mode: 0o600 });
    await mkdir(this.runtimeDir, { mode: 0o700 });
    await writeFile(
      k('sshd_config'),
      [
        `HostKey ${k('host_key')}`,
        `AuthorizedKeysFile ${k('authorized_keys')}`,
        `PidFile ${k('sshd.pid')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes yes',
        'AcceptEnv none',
        'Subsystem sftp internal-sftp',
        ...(hide.length > 0 ? [`SetEnv PATH=${k('bin')}`] : []),
        ...options,
        '',
      ].join('\n'),
    );
    await this.writeClientConfig(k('user_key'));
  }

  /** The client config: this server's port, the given key, a known_hosts of the test's own. */
  async writeClientConfig(identity: string): Promise<void> {
    await writeFile(
      this.clientConfig,
      [
        'Host *',
        `  IdentityFile ${identity}`,
        '  IdentitiesOnly yes',
        `  UserKnownHostsFile ${this.knownHosts}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking accept-new',
        '  IdentityAgent none',
        '',
      ].join('\n'),
    );
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  private async launch(): Promise<void> {
    if (!existsSync('/usr/sbin/sshd')) throw new Error('no /usr/sbin/sshd: apt-get install openssh-server (scripts/engine-up.sh does)');
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation dir
    this.proc = execa(
      '/usr/sbin/sshd',
      ['-D', '-e', '-f', this.path('sshd_config'), '-p', String(this.port), '-o', 'ListenAddress=127.0.0.1'],
      {
        reject: false,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const until = Date.now() + 15_000;
    for (;;) {
      if (await canConnect(this.port)) return;
      if (this.proc.exitCode !== null && this.proc.exitCode !== undefined) {
        const r = await this.proc;
        throw new Error(`sshd exited: ${String(r.stderr)}`);
      }
      if (Date.now() > until) throw new Error('sshd did not listen within 15 s');
      await sleep(50);
    }
  }

  /** Stop every connection master cx left (they outlive a command by ControlPersist). */
  async closeMasters(): Promise<void> {
    const ctl = path.join(this.runtimeDir, 'cx-ssh');
    if (!existsSync(ctl)) return;
    // Masters' sockets are named by ssh's %C (40 hex); the rest are cx's marks and engine forwards.
    const masters = (): string[] => readdirSync(ctl).filter((n) => /^[0-9a-f]{40}$/.test(n));
    for (const sock of masters()) {
      await execa('ssh', ['-o', `ControlPath=${path.join(ctl, sock)}`, '-O', 'exit', 'x'], { reject: false, timeout: 5_000 });
    }
    // `-O exit` returns before the master has gone: wait for it to remove its socket (at most 5 s).
    for (const until = Date.now() + 5_000; masters().length > 0 && Date.now() < until; ) await sleep(20);
  }

  async stop(): Promise<void> {
    await this.closeMasters().catch(() => undefined);
    this.proc?.kill('SIGKILL');
    await this.proc?.catch(() => undefined);
    process.off('exit', this.killOnExit);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** `bin`: a link to every program in the usual bin directories (the first of each name) except `hide`. */
async function linkPrograms(bin: string, hide: readonly string[]): Promise<void> {
  await mkdir(bin, { mode: 0o700 });
  const seen = new Set(hide);
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    for (const name of await readdir(dir).catch(() => [])) {
      if (seen.has(name)) continue;
      seen.add(name);
      await symlink(path.join(dir, name), path.join(bin, name));
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Throwaway keys for a container's sshd (--backend ssh): its host key, a second host key (to play a
 * changed one), a user key in its authorized_keys, and a client config with that key for cx
 * (CX_SSH_CONFIG). The host keys go into the container with docker cp; remove() deletes the dir.
 */
export class SshKeys {
  private constructor(readonly dir: string) {}

  static async create(): Promise<SshKeys> {
    const dir = await mkdtemp('/run/cxkeys-');
    const k = new SshKeys(dir);
    for (const name of ['host_key', 'other_host_key', 'user_key']) {
      await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `cx-test-${name}`, '-f', k.path(name)]);
    }
    // Readable by every login user of the container (the sshd reads it as the user logging in).
    await writeFile(k.path('authorized_keys'), await readFile(k.path('user_key.pub')), { mode: 0o644 });
    await writeFile(
      k.clientConfig,
      ['Host *', `  IdentityFile ${k.path('user_key')}`, '  IdentitiesOnly yes', '  IdentityAgent none', ''].join('\n'),
    );
    return k;
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  get clientConfig(): string {
    return path.join(this.dir, 'ssh_config');
  }

  /** Copy the host key and authorized_keys into a created (not yet started) sshd container. */
  async install(container: string, hostKey = 'host_key'): Promise<void> {
    await execa('docker', ['cp', this.path(hostKey), `${container}:/etc/cx-ssh/host_key`]);
    await execa('docker', ['cp', this.path('authorized_keys'), `${container}:/etc/cx-ssh/authorized_keys`]);
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Wait (bounded: 10 s) until something listens on TCP `port` in the network namespace of `pid`. */
export async function waitListening(pid: number, port = 22): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (let i = 0; i < 200; i++) {
    const tcp = await readFile(`/proc/${pid}/net/tcp`, 'latin1').catch(() => '');
    if (tcp.split('\n').some((l) => l.includes(hex) && l.trim().split(/\s+/)[3] === '0A')) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on port ${port} in the network namespace of ${pid} after 10 s`);
}

/** The image scripts/build-images.sh builds with the host's sshd in it. */
export const SSHD_IMAGE = 'cx-test/sshd:1';

/**
 * An sshd container with --network none: created, given the keys, started, and listening on 22
 * before it is handed out. `containers` removes it.
 */
export async function startSshdContainer(
  containers: Containers,
  keys: SshKeys,
  opts: { args?: string[]; cmd?: string[]; hostKey?: string } = {},
): Promise<TestContainer> {
  const name = uniqueName('cxssh');
  const created = await execa('docker', [
    'create',
    '--name',
    name,
    '--label',
    'cx-test=1',
    '--network',
    'none',
    ...(opts.args ?? []),
    SSHD_IMAGE,
    ...(opts.cmd ?? []),
  ]);
  const id = created.stdout.trim();
  containers.adopt(id);
  await keys.install(name, opts.hostKey);
  await execa('docker', ['start', name]);
  await waitListening(await containerPid(id));
  return { id, name };
}
