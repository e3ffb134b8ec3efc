import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { cx } from '../helpers/cx.js';

/**
 * The engine socket misbehaving, without touching any real daemon: a listener that accepts and never
 * answers (what a SIGSTOPped dockerd looks like from the client), a socket file nobody listens on, none.
 */
describe('engine failures become one clear line, never a hang', () => {
  let dir: string;
  let silent: net.Server;
  const held: net.Socket[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cx-engine-'));
    silent = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(path.join(dir, 'silent.sock'), r));
    // A socket file nobody listens on (a daemon that died): bound, never listened, process gone.
    await execa('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path.join(dir, 'dead.sock')]);
  });
  after(async () => {
    for (const s of held) s.destroy();
    silent.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a daemon that accepts and never answers: error naming the hang, exit 1', async () => {
    const r = await cx(['ls'], { env: { DOCKER_HOST: `unix://${dir}/silent.sock` }, timeoutMs: 15_000 });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /^cx: dockerd is frozen \(dockerd accepted the connection on .*silent\.sock but did not answer \/_ping within 2\.4 s \(a second chance included\)/m,
    );
    assert.match(r.stderr, /cx cannot tell where that engine keeps its state$/m);
  });

  it('a socket file nobody listens on: the daemon is not running', async () => {
    const r = await cx(['ls'], { env: { DOCKER_HOST: `unix://${dir}/dead.sock` } });
    assert.equal(r.exitCode, 1);
    assert.match(
      r.stderr,
      /^cx: dockerd is not running: .*dead\.sock refuses connections, and cx cannot tell where that engine keeps its state$/m,
    );
  });

  it('no socket: error naming the path', async () => {
    const r = await cx(['exec', 'x', '--', 'true'], { env: { DOCKER_HOST: `unix://${dir}/none.sock` } });
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /^cx: no Docker engine socket at .*none\.sock$/m);
  });

  it('DOCKER_HOST over tcp is refused with a hint', async () => {
    const r = await cx(['ls'], { env: { DOCKER_HOST: 'tcp://127.0.0.1:2375' } });
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /^cx: DOCKER_HOST=tcp:\/\/127\.0\.0\.1:2375 is not supported/m);
  });

  it('cx doctor reports the unresponsive engine instead of hanging, and what still works', async () => {
    const r = await cx(['doctor'], { env: { DOCKER_HOST: `unix://${dir}/silent.sock` }, timeoutMs: 15_000 });
    const out = r.stdout.toString();
    assert.match(out, /^FAIL\s+engine\s+.*did not answer/m);
    assert.match(out, /^FAIL\s+daemon\s+frozen: /m);
    assert.match(out, /^FAIL\s+backend docker\s+dockerd is frozen/m);
    assert.match(out, /^ok\s+backend nsenter\s+/m);
    assert.equal(r.exitCode, 0, 'doctor fails only when no backend at all can work');
  });
});
