import { rm } from 'node:fs/promises';
import { after, before } from 'node:test';
import { SshKeys, startSshdContainer } from '../helpers/sshd.js';
import { enterContract } from './enter-contract.js';

/**
 * The pty contract with --backend ssh: a container's own sshd (cx-test/sshd:1, --network none),
 * reached through the helper's connection inside its network namespace. The shell is the sshd's
 * login shell ($0 is "-ash"); everything else is the same contract.
 */
let keys: SshKeys | undefined;
const ids: string[] = [];
before(async () => {
  keys = await SshKeys.create();
});
after(async () => {
  await keys?.remove();
  for (const id of ids) await rm(`/var/lib/cx/known_hosts/${id}`, { force: true });
});

enterContract('ssh', {
  label: "the container's own sshd",
  args: () => [],
  env: () => ({ CX_SSH_CONFIG: keys!.clientConfig }),
  start: async (containers) => {
    const c = await startSshdContainer(containers, keys!);
    ids.push(c.id);
    return c;
  },
  loginShell: true,
});
