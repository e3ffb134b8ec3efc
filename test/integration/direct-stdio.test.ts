import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { CX_BIN } from '../helpers/cx.js';
import { Containers, requireEngine, type TestContainer } from '../helpers/engine.js';

/**
 * Without a TTY, the daemon-less backends hand cx's own stdin/stdout pipes to the process (no copy
 * through cx), and feed a regular file through a pipe instead of handing over the host file.
 */
describe('stdin and stdout handed to the process directly (nsenter, runc)', () => {
  const containers = new Containers();
  let web: TestContainer;
  let dir: string;
  let file: string;
  let digest: string;

  before(async () => {
    await requireEngine();
    web = await containers.run();
    dir = mkdtempSync(path.join(os.tmpdir(), 'cx-direct-'));
    file = path.join(dir, 'input');
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 'direct');
    writeFileSync(file, data);
    digest = createHash('sha256').update(data).digest('hex');
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await containers.remove();
  });

  it("nsenter: the process reads cx's own stdin pipe and writes cx's own stdout pipe", async () => {
    // A shell pipeline around cx: each side says which pipe it shares with cx; the process in the
    // container must hold those very pipes as its fds 0 and 1 (not pipes of cx's own).
    const script = [
      'echo through | { echo "in=$(readlink /proc/self/fd/0)" >&2;',
      `"${CX_BIN}" exec -i --backend nsenter ${web.name} -- sh -c 'echo "got=$(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1)"; cat'; }`,
      '| { echo "out=$(readlink /proc/self/fd/0)" >&2; cat; }',
    ].join(' ');
    const r = await execa('sh', ['-c', script], { timeout: 30_000, reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    const cxIn = /^in=(pipe:\[\d+\])$/m.exec(r.stderr)?.[1];
    const cxOut = /^out=(pipe:\[\d+\])$/m.exec(r.stderr)?.[1];
    assert.ok(cxIn && cxOut, r.stderr);
    assert.equal(r.stdout, `got=${cxIn} ${cxOut}\nthrough`);
  });

  it('runc: cx hands its own stdin and stdout pipes to runc (which relays them itself)', async () => {
    const r = await execa('sh', ['-c', `echo through | "${CX_BIN}" exec --debug -i --backend runc ${web.name} -- cat | cat`], {
      timeout: 30_000,
      reject: false,
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stdout, 'through');
    assert.match(r.stderr, /^cx: debug: handing the process stdin, stdout directly/m);
  });

  for (const backend of ['nsenter', 'runc']) {
    it(`${backend}: a regular file on stdin is fed through a pipe, never handed over, and arrives whole`, async () => {
      const r = await execa(
        'sh',
        ['-c', `"${CX_BIN}" exec -i --backend ${backend} ${web.name} -- sh -c 'readlink /proc/self/fd/0; sha256sum' < "${file}"`],
        {
          timeout: 30_000,
          reject: false,
        },
      );
      assert.equal(r.exitCode, 0, r.stderr);
      const [fd0, sum] = r.stdout.split('\n');
      assert.match(fd0 ?? '', /^pipe:\[\d+\]$/, 'the container must not get the host file');
      assert.equal(sum?.split(/\s+/)[0], digest);
    });
  }
});
