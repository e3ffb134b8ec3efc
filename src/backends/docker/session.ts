import type net from 'node:net';
import type { DockerClient } from '../../engine/docker-client.js';
import { EngineError, type CxError } from '../../errors.js';
import { BaseSession } from '../session-base.js';
import { classifyStartFailure, DOCKER_START_FAILURE, StartFailureSniffer } from '../start-failure.js';
import type { ExitStatus, StreamName, TermSize } from '../types.js';
import { FrameDemuxer } from './demux.js';

interface ExecInspect {
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
}

/** A docker exec over a hijacked Engine API connection. */
export class DockerSession extends BaseSession {
  private readonly demux: FrameDemuxer;
  /** The first stdout bytes, held until we know whether they are a runtime start failure. */
  private readonly sniffer = new StartFailureSniffer('stdout', DOCKER_START_FAILURE, 32, (d, s) => this.emitData(d, s));
  private ended = false;

  constructor(
    private readonly client: DockerClient,
    readonly execId: string,
    private readonly socket: net.Socket,
    tty: boolean,
    private readonly diagnose: (err: CxError) => Promise<CxError> = (err) => Promise.resolve(err),
  ) {
    super(tty);
    this.demux = new FrameDemuxer((d, s) => this.deliver(d, s));
    socket.on('data', (chunk: Buffer) => (tty ? this.deliver(chunk, 'stdout') : this.demux.push(chunk)));
    socket.on('drain', () => this.emitDrain());
    socket.on('end', () => this.finish());
    socket.on('close', () => this.finish());
    // A reset after the process ended is normal; finish() reports the exit either way.
    socket.on('error', () => this.finish());
  }

  write(data: Buffer | string, written?: () => void): boolean {
    if (this.socket.destroyed || !this.socket.writable) {
      written?.();
      return true;
    }
    return this.socket.write(data, written === undefined ? undefined : () => written());
  }

  end(): void {
    // Half-close only without a TTY: on a TTY the daemon would close the output at once.
    if (!this.tty && this.socket.writable) this.socket.end();
  }

  resize(size: TermSize, attempts = 1): void {
    void this.resizeWithRetry(size, attempts);
  }

  /** The first resize may race the process start; retry like the docker CLI (10x, (n+1)*10 ms). */
  async resizeWithRetry(size: TermSize, attempts: number): Promise<boolean> {
    for (let n = 0; n < attempts; n++) {
      try {
        await this.client.call('POST', `/exec/${this.execId}/resize?h=${size.rows}&w=${size.cols}`);
        return true;
      } catch {
        if (this.ended) return false;
        await new Promise((r) => setTimeout(r, (n + 1) * 10));
      }
    }
    return false;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    // The API has no "kill exec"; the exec's host PID is in its inspect, and cx runs on that host.
    // On a loaded host the inspect can miss its deadline or come before the PID is recorded: try a
    // few times rather than lose the signal (the caller then waits its grace period for nothing).
    const attempt = async (n: number): Promise<void> => {
      try {
        const i = await this.inspect();
        if (!i.Running && i.ExitCode !== null) return;
        if (i.Pid > 0) {
          process.kill(i.Pid, signal);
          return;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ESRCH') return;
      }
      if (n < 5 && !this.ended) {
        await new Promise((r) => setTimeout(r, 100 * (n + 1)));
        await attempt(n + 1);
      }
    };
    void attempt(0);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  private deliver(chunk: Buffer, stream: StreamName): void {
    if (!this.sniffer.take(chunk, stream)) this.emitData(chunk, stream);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    void this.exitStatus().then((status) => {
      this.socket.destroy();
      this.emitExit(status);
    });
  }

  private async exitStatus(): Promise<ExitStatus> {
    let info: ExecInspect | undefined;
    try {
      info = await this.waitForExit();
    } catch (err) {
      this.sniffer.flush();
      const error = err instanceof EngineError ? err : new EngineError(`lost the exec's exit code: ${String(err)}`);
      return { exitCode: 1, error };
    }
    const code = info.ExitCode ?? 1;
    if (this.sniffer.suspicious && code !== 0) {
      const error = await this.diagnose(classifyStartFailure(this.sniffer.takeText()));
      return { exitCode: error.exitCode, error };
    }
    this.sniffer.flush();
    return { exitCode: code };
  }

  /** The stream can end a moment before the daemon records the exit code; poll briefly. */
  private async waitForExit(): Promise<ExecInspect> {
    for (let n = 0; ; n++) {
      const info = await this.inspect();
      if (!info.Running && info.ExitCode !== null) return info;
      if (n >= 100) return info;
      await new Promise((r) => setTimeout(r, Math.min(5 + n * 5, 50)));
    }
  }

  private inspect(): Promise<ExecInspect> {
    return this.client.json<ExecInspect>('GET', `/exec/${this.execId}/json`);
  }
}
