/**
 * A small in-memory world for the TUI's component tests: containers, a Backend whose sessions
 * answer from a script, a registry over it, and a live feed the test drives. It implements the same
 * interfaces as the real ones (Backend, Session, TuiSources); the real engine is exercised by the
 * e2e tests in test/e2e/tui.test.ts.
 */
import { createHash } from 'node:crypto';
import type { BackendChoice, Selection } from '../../src/backends/registry.js';
import { composeExecEnv } from '../../src/backends/exec-env.js';
import { BaseSession } from '../../src/backends/session-base.js';
import type {
  Availability,
  Backend,
  BackendName,
  ContainerFiles,
  Disposable,
  EnvEntry,
  ExecRequest,
  Session,
} from '../../src/backends/types.js';
import { isUp } from '../../src/discovery/container-state.js';
import type { ContainerLookup } from '../../src/discovery/inventory.js';
import { resolveTarget } from '../../src/discovery/resolve.js';
import type { Container } from '../../src/discovery/types.js';
import { BackendUnavailableError } from '../../src/errors.js';
import type { LiveFeed, LiveMode } from '../../src/tui/data/live.js';
import type { TuiSources } from '../../src/tui/data/sources.js';

export function container(over: Partial<Container> & { name: string }): Container {
  return {
    id: createHash('sha256').update(over.name).digest('hex'),
    image: 'cx-test/busybox:1',
    command: 'sleep 100000',
    state: 'running',
    createdAt: '2026-01-01T00:00:00Z',
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: undefined,
    exitCode: undefined,
    pid: 4242,
    runtime: 'docker',
    source: 'docker-api',
    labels: {},
    config: { user: '', env: ['APP_MODE=test'], workingDir: '/', hostname: 'host1', tty: false },
    ...over,
  };
}

/** A session that writes `output` then exits with `exitCode` once resumed. */
class ScriptedSession extends BaseSession {
  private started = false;
  constructor(
    private readonly reply: { output: string; exitCode: number },
    tty: boolean,
  ) {
    super(tty);
  }
  write(_data: Buffer | string, written?: () => void): boolean {
    written?.();
    return true;
  }
  end(): void {}
  resize(): void {}
  kill(): void {
    this.emitExit({ exitCode: 137 });
  }
  pause(): void {}
  resume(): void {
    if (this.started) return;
    this.started = true;
    setImmediate(() => {
      this.emitData(Buffer.from(this.reply.output), 'stdout');
      this.emitExit({ exitCode: this.reply.exitCode });
    });
  }
}

/** A backend over the in-memory containers: files from a map, commands answered by `reply`. */
export class MemoryBackend implements Backend {
  readonly summary = 'in-memory test backend';
  readonly opened: Array<{ container: string; request: ExecRequest }> = [];
  constructor(
    readonly name: BackendName,
    private readonly reply: (cmd: string[]) => { output: string; exitCode: number } = (cmd) => ({
      output: `ran: ${cmd.join(' ')}\n`,
      exitCode: 0,
    }),
    private readonly files_: Record<string, string> = {
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/ash\napp:x:1000:1000::/home/app:/bin/sh\n',
      '/bin/ash': '',
      '/bin/sh': '',
    },
  ) {}
  async probe(): Promise<Availability> {
    return { ok: true, reason: 'always' };
  }
  canEnter(c: Container): Availability {
    return c.state === 'running' ? { ok: true, reason: 'in memory' } : { ok: false, reason: `container is ${c.state}` };
  }
  async open(c: Container, request: ExecRequest): Promise<Session> {
    this.opened.push({ container: c.name, request });
    return new ScriptedSession(this.reply(request.cmd), request.tty);
  }
  files(): ContainerFiles {
    return {
      readFile: async (p) => (p in this.files_ ? Buffer.from(this.files_[p] ?? '') : undefined),
      exists: async (p) => p in this.files_,
    };
  }
  async environment(c: Container, req: ExecRequest): Promise<EnvEntry[]> {
    return composeExecEnv({
      hostname: c.config.hostname,
      containerEnv: c.config.env,
      tty: req.tty,
      overrides: req.env,
      home: req.user === 'app' ? '/home/app' : '/root',
      term: req.term,
    });
  }
}

/** The registry's selection rules over in-memory backends (auto: the first that can enter). */
export function memoryRegistry(backends: Backend[]): {
  usableFor(c: Container): BackendName[];
  select(choice: BackendChoice, c: Container): Selection;
} {
  return {
    usableFor: (c) => backends.filter((b) => b.canEnter(c).ok).map((b) => b.name),
    select(choice, c) {
      const b = backends.find((x) => (choice === 'auto' || x.name === choice) && x.canEnter(c).ok);
      if (!b) throw new BackendUnavailableError(`no backend can enter ${c.name}`);
      return { backend: b, why: choice === 'auto' ? `auto: ${b.name}` : `--backend ${choice}` };
    },
  };
}

/** A live feed the test fires by hand. */
export class ManualFeed implements LiveFeed {
  private change: (why: string) => void = () => undefined;
  private mode: (m: LiveMode) => void = () => undefined;
  start(onChange: (why: string) => void, onMode: (m: LiveMode) => void): Disposable {
    this.change = onChange;
    this.mode = onMode;
    onMode({ kind: 'events' });
    return { dispose: () => undefined };
  }
  fire(): void {
    this.change('test');
  }
  setMode(m: LiveMode): void {
    this.mode(m);
  }
}

export interface World {
  sources: TuiSources;
  containers: Container[];
  feed: ManualFeed;
  backends: MemoryBackend[];
  listCalls: number;
}

export function world(containers: Container[], backends: MemoryBackend[] = [new MemoryBackend('docker')]): World {
  const feed = new ManualFeed();
  const w: World = {
    containers,
    feed,
    backends,
    listCalls: 0,
    sources: {
      list: async () => {
        w.listCalls++;
        return { containers: [...w.containers], warnings: [] };
      },
      registry: memoryRegistry(backends),
      backendNames: backends.map((b) => b.name),
      inspect: async (c) => ({
        fields: [
          { label: 'image', values: [c.image] },
          { label: 'mounts', values: ['bind /srv -> /data', 'volume logs -> /logs (ro)'] },
        ],
        unavailable: undefined,
      }),
      processes: async () => ({
        processes: [{ pid: 4242, ppid: 1, user: '0', state: 'S', rssKiB: 512, cmd: 'sleep 100000' }],
        from: 'proc',
        note: undefined,
      }),
      live: feed,
      env: { TERM: 'xterm-256color' },
    },
  };
  return w;
}

/** The inventory's part the commands use, over in-memory containers (targets resolve as in cx). */
export function memoryInventory(containers: readonly Container[]): ContainerLookup {
  return {
    list: async ({ all }) => containers.filter((c) => all || isUp(c.state)),
    resolve: async (target) => resolveTarget(target, containers),
  };
}
