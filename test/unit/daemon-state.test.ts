import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DockerClient } from '../../src/engine/docker-client.js';
import { CxError } from '../../src/errors.js';
import { engineLiveFeed, type LiveMode } from '../../src/tui/data/live.js';
import { bannerText } from '../../src/tui/presentation/status.js';

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<CxError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CxError, `a CxError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('the daemon state travels typed, from the socket to the TUI banner', () => {
  let dir = '';
  let silent: net.Server;
  const held: net.Socket[] = [];
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cx-daemon-state-'));
    // A socket that accepts and never answers: how a frozen dockerd looks from outside.
    silent = net.createServer((s) => held.push(s));
    await new Promise<void>((resolve) => silent.listen(path.join(dir, 'silent.sock'), resolve));
  });
  after(() => {
    for (const s of held) s.destroy();
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('no socket file: absent', async () => {
    const client = new DockerClient({ socketPath: path.join(dir, 'none.sock'), origin: 'default' }, { deadlineMs: 500 });
    const err = await rejection(client.ping());
    assert.equal(err.daemon, 'absent');
    client.close();
  });

  it('a socket that accepts but never answers: frozen', async () => {
    const client = new DockerClient({ socketPath: path.join(dir, 'silent.sock'), origin: 'default' }, { deadlineMs: 200 });
    const err = await rejection(client.ping());
    assert.equal(err.daemon, 'frozen');
    client.close();
  });

  it('the live feed falls back to polling with the typed state, and the banner words it from that', async () => {
    const client = new DockerClient({ socketPath: path.join(dir, 'silent.sock'), origin: 'default' }, { deadlineMs: 200 });
    const mode = await new Promise<LiveMode>((resolve) => {
      const sub = engineLiveFeed(client, { pollMs: 60_000, retryMs: 60_000 }).start(
        () => undefined,
        (m) => {
          if (m.kind !== 'polling') return;
          sub.dispose();
          resolve(m);
        },
      );
    });
    client.close();
    assert.equal(mode.kind === 'polling' ? mode.daemon : undefined, 'frozen');
    assert.match(bannerText(mode, undefined, 'runc') ?? '', /^dockerd is not responding: listing from disk/);
  });

  it('a failure that shows nothing about the daemon is reported as itself, whatever its words', () => {
    const text = bannerText(
      { kind: 'polling', reason: 'dockerd answered 500 to GET /events (not responding?)', everyMs: 3000 },
      undefined,
      undefined,
    );
    assert.equal(
      text,
      'the engine is unavailable (dockerd answered 500 to GET /events (not responding?)): listing from disk, refreshing every 3 s',
    );
  });
});
