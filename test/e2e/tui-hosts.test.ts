import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { CX_BIN } from '../helpers/cx.js';
import { Containers, requireEngine, type TestContainer } from '../helpers/engine.js';
import { PtyRun } from '../helpers/pty.js';
import { freePort, Sshd } from '../helpers/sshd.js';

/**
 * `cx -H a -H b -H dead` on a terminal: the host picker lists every host with its containers or why
 * it cannot be reached, Enter opens that host's own TUI over ssh, and Enter there enters a container
 * on that host; q goes back, q again quits with the terminal restored.
 */
describe('the TUI over several hosts', () => {
  let a: Sshd;
  let b: Sshd;
  let dead: string;
  const containers = new Containers();
  let c: TestContainer;
  const cacheExisted = existsSync('/var/lib/cx');

  before(async () => {
    await requireEngine();
    [a, b] = await Promise.all([Sshd.start(), Sshd.start()]);
    await writeFile(b.path('authorized_keys'), await readFile(a.path('user_key.pub')), { mode: 0o600 });
    dead = `ssh://root@127.0.0.1:${await freePort()}`;
    c = await containers.run();
  });
  after(async () => {
    await containers.remove();
    await Promise.all([a?.stop(), b?.stop()]);
    if (!cacheExisted) await rm('/var/lib/cx', { recursive: true, force: true });
  });

  it('lists the hosts, says which is unreachable, and enters a container on the chosen one', async () => {
    const p = new PtyRun(CX_BIN, ['-H', a.url, '-H', b.url, '-H', dead], {
      cols: 160,
      rows: 40,
      env: { ...a.env, CX_SSH_TIMEOUT_MS: '4000' },
    });
    try {
      await p.expect(/cx: 3 hosts/, { timeoutMs: 30_000 });
      await p.expect(new RegExp(`${dead.replace(/[.]/g, '\\.')} +unreachable: host unreachable \\(ssh: .*Connection refused`), {
        timeoutMs: 30_000,
      });
      await p.expect(/\d+ running \(\d+ in all\)[\s\S]*\d+ running \(\d+ in all\)/, { timeoutMs: 60_000 });
      p.type('\r');
      // The first host's own list, over ssh: find the container and enter it.
      await p.expect(c.name, { timeoutMs: 30_000 });
      p.type('/');
      p.type(c.name);
      p.type('\r');
      await new Promise((r) => setTimeout(r, 300));
      p.type('\r');
      await p.expect(/# $/m, { timeoutMs: 30_000 });
      await p.ask('hostname', new RegExp(c.id.slice(0, 12)));
      p.type('exit\r');
      await p.expect(/shell exited with status 0/, { timeoutMs: 15_000 });
      p.type('q');
      await p.expect(/the list exited with status 0/, { timeoutMs: 15_000 });
      p.type('q');
      assert.equal((await p.waitExit(15_000)).exitCode, 0);
    } finally {
      p.kill();
    }
  });
});
