import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { cx, lsRows, text } from '../helpers/cx.js';
import { containerPid, Containers, requireEngine, type TestContainer } from '../helpers/engine.js';
import { SshKeys, startSshdContainer, waitListening } from '../helpers/sshd.js';
import { backendContract } from './contract.js';

/**
 * --backend ssh against containers of cx-test/sshd:1 (the host's sshd in a busybox image), run with
 * --network none: the only way in is the connection the nsenter helper makes inside the container's
 * network namespace. Keys are throwaway; cx's known_hosts files for these containers are removed.
 */
const KNOWN = '/var/lib/cx/known_hosts';

let keys: SshKeys | undefined;
const started: string[] = [];
const knownExisted = existsSync('/var/lib/cx');
before(async () => {
  keys = await SshKeys.create();
});
after(async () => {
  await keys?.remove();
  for (const id of started) await rm(`${KNOWN}/${id}`, { force: true });
  if (!knownExisted) await rm('/var/lib/cx', { recursive: true, force: true });
});

function startSshd(containers: Containers, opts: { args?: string[]; cmd?: string[]; hostKey?: string } = {}): Promise<TestContainer> {
  return startSshdContainer(containers, keys!, opts).then((c) => {
    started.push(c.id);
    return c;
  });
}

const env = (): Record<string, string> => ({ CX_SSH_CONFIG: keys!.clientConfig });

backendContract('ssh', {
  start: (containers, opts) => startSshd(containers, opts),
  env,
  loginEnvironment: true,
  loginUserOnly: true,
  needsPasswd: true,
});

describe('--backend ssh: detection, identity, host keys', () => {
  const containers = new Containers();
  let c: TestContainer;
  let plain: TestContainer;
  before(async () => {
    await requireEngine();
    c = await startSshd(containers);
    plain = await containers.run();
  });
  after(() => containers.remove());

  it('ls lists ssh among the backends of a container whose sshd listens, and only there', async () => {
    const r = await cx(['ls', '--json']);
    const rows = lsRows(r);
    assert.ok(rows.find((x) => x.name === c.name)?.backends.includes('ssh'), text(r));
    assert.ok(!rows.find((x) => x.name === plain.name)?.backends.includes('ssh'));
  });

  it('doctor <target> says whether an sshd listens, and auto never picks ssh', async () => {
    const yes = await cx(['doctor', c.name]);
    assert.match(text(yes), /^ok +enter ssh +an sshd listens on port 22 in its network namespace$/m);
    const no = await cx(['doctor', plain.name]);
    assert.match(text(no), /enter ssh +nothing listens on port 22 in its network namespace \(no sshd\)$/m);
    const auto = await cx(['exec', '--debug', c.name, '--', 'true']);
    assert.doesNotMatch(auto.stderr, /backend auto: ssh/);
  });

  it('--ssh-user logs in as that user; it goes with --backend ssh only', async () => {
    const r = await cx(['exec', '--backend', 'ssh', '--ssh-user', 'app', c.name, '--', 'sh', '-c', 'id -un; echo $HOME'], { env: env() });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), 'app\n/home/app\n');
    const bad = await cx(['exec', '--ssh-user', 'app', c.name, '--', 'true']);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /^cx: --ssh-user goes with --backend ssh$/m);
  });

  it('env shows the login environment', async () => {
    const r = await cx(['env', '--backend', 'ssh', '--sources', c.name], { env: env() });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(text(r), /^SSH_CONNECTION=127\.0\.0\.1 \d+ 127\.0\.0\.1 22 +\[ssh-login\]$/m);
  });

  it('records the host key on first use, and a changed key is a hard error in one line', async () => {
    const d = await startSshd(containers);
    const first = await cx(['exec', '--backend', 'ssh', d.name, '--', 'true'], { env: env() });
    assert.equal(first.exitCode, 0, first.stderr);
    const recorded = await readFile(`${KNOWN}/${d.id}`, 'utf8');
    const hostPub = (await readFile(keys!.path('host_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    assert.ok(recorded.includes(hostPub), recorded);
    // Same container id, another host key.
    await execa('docker', ['stop', '-t', '1', d.name]);
    await execa('docker', ['cp', keys!.path('other_host_key'), `${d.name}:/etc/cx-ssh/host_key`]);
    await execa('docker', ['start', d.name]);
    await waitListening(await containerPid(d.id));
    const r = await cx(['exec', '--backend', 'ssh', d.name, '--', 'echo', 'must-not-run'], { env: env(), timeoutMs: 30_000 });
    assert.equal(r.exitCode, 255);
    assert.equal(text(r), '');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('cx: '));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /presented another host key than the one cx recorded/);
  });

  it('a key the sshd does not accept is one line, exit 255', async () => {
    const r = await cx(['exec', '--backend', 'ssh', c.name, '--', 'true'], { env: { CX_SSH_CONFIG: '/dev/null' }, timeoutMs: 30_000 });
    assert.equal(r.exitCode, 255);
    assert.match(r.stderr, /^cx: the sshd of .* refused the login \(ssh: .*Permission denied/m);
  });
});
