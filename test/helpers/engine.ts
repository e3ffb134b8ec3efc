import { execa } from 'execa';
import { randomBytes } from 'node:crypto';

/** The image scripts/build-images.sh builds: busybox applets, root (ash) and app (uid 1000, sh). */
export const TEST_IMAGE = 'cx-test/busybox:1';

/**
 * Fail loudly when the engine is not there: `npm test` brings it up (scripts/test-env.sh); a test run
 * without it must not pass by skipping.
 */
export async function requireEngine(): Promise<void> {
  const r = await execa('docker', ['version', '--format', '{{.Server.APIVersion}}'], { reject: false, timeout: 10_000 });
  if (r.exitCode !== 0) {
    throw new Error(`no Docker engine answers (${r.stderr.trim()}): run \`bash scripts/test-env.sh\` or \`npm test\``);
  }
  const img = await execa('docker', ['image', 'inspect', TEST_IMAGE], { reject: false });
  if (img.exitCode !== 0) throw new Error(`test image ${TEST_IMAGE} is missing: run \`bash scripts/build-images.sh\``);
}

export interface TestContainer {
  id: string;
  name: string;
}

/** What Containers.run starts: args go before the image, cmd after it (default: sleep). */
export interface RunOptions {
  args?: string[];
  cmd?: string[];
  image?: string;
  name?: string;
}

/** Containers started by one test file; remove() cleans them all up. */
export class Containers {
  private readonly started: string[] = [];

  /** `docker run -d` with a unique name; args go before the image, cmd after it. */
  async run(opts: RunOptions = {}): Promise<TestContainer> {
    const name = opts.name ?? uniqueName();
    const r = await execa('docker', [
      'run',
      '-d',
      '--name',
      name,
      '--label',
      'cx-test=1',
      ...(opts.args ?? []),
      opts.image ?? TEST_IMAGE,
      ...(opts.cmd ?? ['sleep', '100000']),
    ]);
    const id = r.stdout.trim();
    this.started.push(id);
    return { id, name };
  }

  /** A container started another way (docker create + start) that remove() must clean up too. */
  adopt(id: string): void {
    this.started.push(id);
  }

  async remove(): Promise<void> {
    if (this.started.length > 0) await execa('docker', ['rm', '-f', ...this.started], { reject: false });
  }
}

export function uniqueName(prefix = 'cxt'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The PID of a container's init process, as docker reports it. */
export async function containerPid(id: string): Promise<number> {
  const r = await execa('docker', ['inspect', '--format', '{{.State.Pid}}', id]);
  return Number(r.stdout.trim());
}

/** The processes docker sees in a container (docker top), one command line each, without PIDs. */
export async function containerProcesses(id: string): Promise<string[]> {
  const r = await execa('docker', ['top', id, '-o', 'pid,args']);
  return r.stdout
    .split('\n')
    .slice(1)
    .map((l) => l.trim().replace(/^\d+\s+/, ''));
}
