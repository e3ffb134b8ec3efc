import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** An image with one static program (/sleeper) and nothing else: no shell, no libc, no tools. */
export const SCRATCH_IMAGE = 'cx-test/scratch-sleeper:1';

const SOURCE = fileURLToPath(new URL('../../../test/fixtures/sleeper.c', import.meta.url));

/** Compile test/fixtures/sleeper.c statically to `out` (also a static program for --toolbox tests). */
export async function buildSleeper(out: string): Promise<void> {
  await execa('gcc', ['-static', '-O2', '-o', out, SOURCE]);
}

/** Build and import SCRATCH_IMAGE into the engine at `host` (default: the shared one); idempotent. */
export async function scratchImage(host?: string): Promise<string> {
  const docker = (args: string[]) => execa('docker', [...(host ? ['-H', host] : []), ...args], { reject: false });
  if ((await docker(['image', 'inspect', SCRATCH_IMAGE])).exitCode === 0) return SCRATCH_IMAGE;
  const dir = mkdtempSync(path.join(tmpdir(), 'cx-scratch-'));
  try {
    mkdirSync(path.join(dir, 'root'));
    await buildSleeper(path.join(dir, 'root/sleeper'));
    const r = await execa(
      'bash',
      [
        '-c',
        `tar -C "$1" -c . | docker ${host ? `-H ${host}` : ''} import -c 'CMD ["/sleeper"]' -c 'ENV GREETING=hello-from-target' - ${SCRATCH_IMAGE}`,
        '_',
        path.join(dir, 'root'),
      ],
      { reject: false },
    );
    if (r.exitCode !== 0) throw new Error(`cannot import ${SCRATCH_IMAGE}: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return SCRATCH_IMAGE;
}
