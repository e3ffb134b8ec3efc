import { UsageError } from '../errors.js';

/** Where the Docker Engine API listens. Only unix sockets: cx is a tool for the machine it runs on. */
export interface EngineEndpoint {
  socketPath: string;
  /** How the socket was chosen, for `cx doctor`. */
  origin: 'default' | 'DOCKER_HOST';
}

export const DEFAULT_SOCKET = '/var/run/docker.sock';

export function endpointFromEnv(env: NodeJS.ProcessEnv): EngineEndpoint {
  const host = env['DOCKER_HOST'];
  if (host === undefined || host === '') return { socketPath: DEFAULT_SOCKET, origin: 'default' };
  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) {
      throw new UsageError(`DOCKER_HOST=${host} is not an absolute unix socket path`, 'use DOCKER_HOST=unix:///var/run/docker.sock');
    }
    return { socketPath, origin: 'DOCKER_HOST' };
  }
  throw new UsageError(
    `DOCKER_HOST=${host} is not supported: cx talks to a local engine over a unix socket`,
    'unset DOCKER_HOST or set DOCKER_HOST=unix:///path/to/docker.sock',
  );
}
