import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cx, lsRows, text } from '../helpers/cx.js';
import { Containers, requireEngine } from '../helpers/engine.js';

/**
 * A slow but working daemon: the shared engine behind a proxy that holds back the first answer on
 * every connection (the engine itself is only read from, never touched).
 */
describe('a slow dockerd (answers, late)', () => {
  const containers = new Containers();
  let dir: string;
  const proxies: net.Server[] = [];
  let c: { id: string; name: string };

  async function slowProxy(name: string, delayMs: number): Promise<string> {
    const sock = path.join(dir, name);
    const server = net.createServer((client) => {
      const up = net.connect('/var/run/docker.sock');
      const close = (): void => {
        client.destroy();
        up.destroy();
      };
      client.on('error', close);
      up.on('error', close);
      client.pipe(up);
      up.once('data', (first: Buffer) => {
        up.pause();
        setTimeout(() => {
          if (client.destroyed) return;
          client.write(first);
          up.pipe(client);
          up.resume();
        }, delayMs);
      });
    });
    await new Promise<void>((r) => server.listen(sock, r));
    proxies.push(server);
    return sock;
  }

  before(async () => {
    await requireEngine();
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-slow-'));
    c = await containers.run({ args: ['--network', 'none'] });
  });
  after(async () => {
    for (const p of proxies) p.close();
    await containers.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('a ping answered after its deadline but within the second chance: the daemon is ok, not frozen', async () => {
    const sock = await slowProxy('slow.sock', 1500);
    const env = { DOCKER_HOST: `unix://${sock}`, CX_PING_TIMEOUT_MS: '1000', CX_API_TIMEOUT_MS: '20000' };
    const doctor = await cx(['doctor'], { env, timeoutMs: 60_000 });
    assert.match(text(doctor), /^ok\s+daemon\s+ok: \/_ping answered HTTP 200.*slowly/m, text(doctor));
    const ls = await cx(['ls', '--json'], { env, timeoutMs: 60_000 });
    assert.equal(ls.exitCode, 0, ls.stderr);
    assert.doesNotMatch(ls.stderr, /frozen/);
    const rows = lsRows(ls);
    assert.equal(rows.find((r) => r.id === c.id)?.source, 'docker-api');
  });

  it('--backend docker is still tried when the ping was too slow even for the second chance', async () => {
    const sock = await slowProxy('slower.sock', 2500);
    const env = { DOCKER_HOST: `unix://${sock}`, CX_PING_TIMEOUT_MS: '500', CX_API_TIMEOUT_MS: '20000' };
    const r = await cx(['exec', '--backend', 'docker', c.name, '--', 'echo', 'answered'], { env, timeoutMs: 90_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(text(r), 'answered\n');
  });
});
