import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { after, before } from 'node:test';
import { Sshd } from '../helpers/sshd.js';
import { enterContract } from './enter-contract.js';

/**
 * The pty contract through `cx -H ssh://...`: ssh -tt carries the first size, every resize, ^C, ^Z
 * and the exit code; the cx carried to the "remote" (this machine over loopback) runs the session.
 * Once with the docker backend there and once with runc, which needs no daemon on the remote.
 */
let sshd: Sshd | undefined;
let cacheExisted = false;
before(async () => {
  cacheExisted = existsSync('/var/lib/cx');
  sshd = await Sshd.start();
});
after(async () => {
  await sshd?.stop();
  if (!cacheExisted) await rm('/var/lib/cx', { recursive: true, force: true });
});

const via = {
  label: 'on a remote host over ssh',
  args: () => ['-H', sshd!.url],
  env: () => sshd!.env,
};
enterContract('docker', via);
enterContract('runc', via);
