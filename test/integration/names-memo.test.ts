import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { cx, text } from '../helpers/cx.js';
import { uniqueName } from '../helpers/engine.js';
import { suiteContainers } from '../helpers/suite.js';

/**
 * /run/cx/names.json: which id a name had when a daemon-less backend last resolved it. It only saves
 * the scan of every config.v2.json: an entry is believed only when that container's record still
 * carries the name, so a renamed, removed or replaced container is found as if there were no memo.
 */
const MEMO = '/run/cx/names.json';

async function hostnameVia(target: string): Promise<string> {
  const r = await cx(['exec', '--backend', 'nsenter', target, '--', 'hostname']);
  assert.equal(r.exitCode, 0, r.stderr);
  return text(r).trim();
}

async function memoEntry(name: string): Promise<string | undefined> {
  const memo = JSON.parse(await readFile(MEMO, 'utf8')) as Record<string, Record<string, string>>;
  return Object.values(memo).find((names) => name in names)?.[name];
}

describe('names memo (daemon-less resolution by name)', () => {
  const containers = suiteContainers();

  it('remembers a resolved name, root-only, and never answers for a container that no longer has it', async () => {
    const name = uniqueName('memo');
    const first = await containers.run({ name });
    assert.equal(await hostnameVia(name), first.id.slice(0, 12));
    assert.equal(await memoEntry(name), first.id);
    const st = await execa('stat', ['-c', '%u %a', MEMO, '/run/cx']);
    assert.deepEqual(st.stdout.split('\n'), ['0 600', '0 700']);

    // The remembered container renamed away and another one given the name: the new one answers.
    await execa('docker', ['rename', name, `${name}-old`]);
    const second = await containers.run({ name });
    assert.equal(await hostnameVia(name), second.id.slice(0, 12));
    assert.equal(await memoEntry(name), second.id);
    assert.equal(await hostnameVia(`${name}-old`), first.id.slice(0, 12));

    // An entry pointing at the wrong container (as a memo left by another run could) is checked, not believed.
    const memo = JSON.parse(await readFile(MEMO, 'utf8')) as Record<string, Record<string, string>>;
    for (const names of Object.values(memo)) if (name in names) names[name] = first.id;
    await writeFile(MEMO, JSON.stringify(memo));
    assert.equal(await hostnameVia(name), second.id.slice(0, 12));
  });

  it('a memo that is not root-only is not read, and is replaced whole rather than chmod-ed', async () => {
    const name = uniqueName('memo');
    const c = await containers.run({ name });
    assert.equal(await hostnameVia(name), c.id.slice(0, 12));
    await chmod(MEMO, 0o644);
    const before = (await stat(MEMO)).ino;
    try {
      assert.equal(await hostnameVia(name), c.id.slice(0, 12));
      const after = await stat(MEMO);
      assert.equal(after.mode & 0o777, 0o600);
      assert.notEqual(after.ino, before);
    } finally {
      await chmod(MEMO, 0o600);
    }
  });
});
