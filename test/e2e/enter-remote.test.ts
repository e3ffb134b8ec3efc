import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { after, before } from 'node:test';
import { Sshd } from '../helpers/sshd.js';
import { enterContract } from './enter-contract.js';

/**
 * The pty contract through `cx -H ssh://...` ("remote": this machine over loopback), both ways cx
 * gets in there. With the docker backend the remote dockerd answers, so the session runs here through
 * its Engine API forwarded by the ssh connection (remote/forward.ts). With runc the cx carried to the
 * remote runs it, over ssh -tt, which carries the first size, every resize, ^C, ^Z and the exit code.
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
