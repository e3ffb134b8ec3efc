import type { DockerClient } from '../../engine/docker-client.js';
import { compareApiVersions } from '../../engine/docker-client.js';
import { EngineError, NotFoundError, NotRunningError } from '../../errors.js';
import type { Container } from '../../discovery/types.js';
import { isRunning } from '../../discovery/container-state.js';
import { sanitize } from '../../util/sanitize.js';
import { composeExecEnv } from '../exec-env.js';
import { findUser, parsePasswd } from '../../host/passwd.js';
import type { Availability, Backend, ContainerFiles, EnvEntry, ExecRequest, Session } from '../types.js';
import { dockerFiles } from './files.js';
import { warmCgroupJoin } from '../../host/cgroup-join.js';
import { DockerSession } from './session.js';
import { StartedSession } from '../session-base.js';
import { classifyStartFailure, diagnoseStartFailure } from '../start-failure.js';

/** Enter through the Engine API's exec endpoints: what `docker exec` does, without the CLI. */
export class DockerBackend implements Backend {
  readonly name = 'docker' as const;
  readonly summary = 'Engine API exec over the unix socket (needs a responsive dockerd)';

  /** local: the engine runs on this machine (not one reached over ssh), so its joins are this kernel's. */
  constructor(
    private readonly client: DockerClient,
    private readonly local = true,
  ) {}

  async probe(): Promise<Availability> {
    try {
      const ping = await this.client.ping();
      return { ok: true, reason: `dockerd answers on ${this.client.endpoint.socketPath} (API ${ping.serverApiVersion})` };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  canEnter(c: Container): Availability {
    if (c.stuck) return { ok: false, reason: 'dockerd does not answer for it' };
    if (c.source !== 'docker-api') return { ok: false, reason: 'not known to the Engine API' };
    if (!isRunning(c)) return { ok: false, reason: `container is ${c.state}` };
    return { ok: true, reason: 'dockerd manages it' };
  }

  files(c: Container): ContainerFiles {
    return dockerFiles(this.client, c.id);
  }

  async environment(c: Container, req: ExecRequest): Promise<EnvEntry[]> {
    const passwd = await this.files(c).readFile('/etc/passwd');
    const user = findUser(passwd ? parsePasswd(passwd.toString('utf8')) : [], req.user || c.config.user);
    return composeExecEnv({
      hostname: c.config.hostname,
      containerEnv: c.config.env,
      tty: req.tty,
      overrides: req.env,
      home: user?.home,
      term: req.term,
    });
  }

  async open(c: Container, req: ExecRequest): Promise<Session> {
    const version = await this.client.apiVersion();
    const body: Record<string, unknown> = {
      AttachStdin: req.stdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: req.tty,
      Cmd: req.cmd,
      // The daemon would set TERM=xterm for a TTY: the session's choice goes first, -e still wins.
      Env: req.tty && req.term ? [`TERM=${req.term.value}`, ...req.env] : req.env,
      Privileged: req.privileged === true,
    };
    if (req.user !== '') body['User'] = req.user;
    if (req.workdir !== '') body['WorkingDir'] = req.workdir;
    // ConsoleSize exists from API 1.42; older daemons start at 0x0 until the first resize.
    if (req.tty && req.size && compareApiVersions(version, '1.42') >= 0) body['ConsoleSize'] = [req.size.rows, req.size.cols];

    const created = await this.client.json<{ Id: string }>('POST', `/containers/${c.id}/exec`, { body }).catch((err: unknown) => {
      throw explainCreateError(err, c);
    });
    if (req.detach) {
      // The daemon starts it and answers at once; the process is the daemon's to keep, not cx's.
      // A start failure comes back as the call's error: worded and coded as an attached start's is.
      await this.client.call('POST', `/exec/${created.Id}/start`, { body: { Detach: true, Tty: req.tty } }).catch((err: unknown) => {
        throw err instanceof EngineError && err.statusCode !== 404 && err.statusCode !== 409
          ? classifyStartFailure(err.message.replace(/^dockerd: /, ''))
          : explainCreateError(err, c);
      });
      return new StartedSession();
    }
    // The daemon's runc joins the container's cgroups some 15-20 ms after this start: as root, have the
    // kernel's grace period for that behind it by then (host/cgroup-join.ts).
    if (this.local) warmCgroupJoin();
    const { socket } = await this.client.hijack(`/exec/${created.Id}/start`, { Detach: false, Tty: req.tty });
    const session = new DockerSession(this.client, created.Id, socket, req.tty, (err) => diagnoseStartFailure(err, c));
    if (req.tty && req.size) void session.resizeWithRetry(req.size, 10);
    return session;
  }
}

function explainCreateError(err: unknown, c: Container): unknown {
  if (!(err instanceof EngineError)) return err;
  const name = sanitize(c.name);
  if (err.statusCode === 404) {
    return new NotFoundError(`container ${name} no longer exists`, { hint: 'run `cx ls --all`', cause: err });
  }
  if (err.statusCode === 409) {
    const paused = /paused/i.test(err.message);
    return new NotRunningError(`container ${name} is ${paused ? 'paused' : 'not running'}`, {
      hint: paused ? `unpause it first: docker unpause ${name}` : `start it first: docker start ${name}`,
      cause: err,
    });
  }
  return err;
}
