/** What discovery knows about one container, whatever source it came from. */
export interface Container {
  /** Full 64-hex id. */
  id: string;
  /** Name without the leading '/'. Untrusted: sanitize before printing. */
  name: string;
  image: string;
  command: string;
  state: ContainerState;
  createdAt: string | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  exitCode: number | undefined;
  /** Host PID of the container's init process, when running. */
  pid: number | undefined;
  runtime: 'docker';
  /** Where this record came from. */
  source: ContainerSource;
  labels: Record<string, string>;
  config: ContainerConfig;
}

export type ContainerState = 'running' | 'paused' | 'restarting' | 'created' | 'exited' | 'dead' | 'removing' | 'unknown';
export type ContainerSource = 'docker-api';

/** The parts of the container's configuration a session inherits, as docker exec applies them. */
export interface ContainerConfig {
  user: string;
  env: string[];
  workingDir: string;
  hostname: string;
  tty: boolean;
}

export function isRunning(c: Container): boolean {
  return c.state === 'running' || c.state === 'restarting';
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}
