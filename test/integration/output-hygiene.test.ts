/**
 * Whatever a container or the caller's environment controls reaches the terminal escaped: control
 * characters, bidi overrides and line separators, in `cx env`, in error lines built from daemon
 * answers, and in lines that echo DOCKER_HOST.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cx, text } from '../helpers/cx.js';
import { suiteContainer } from '../helpers/suite.js';

const RAW = /[\u001b\u202e\u2028\u2029]/;

describe('output hygiene', () => {
  const c = suiteContainer({ args: ['-e', 'TRICK=evil\u202etxt.sh', '-e', 'SEP=a\u2028b'] });

  it('cx env escapes bidi overrides and line separators in values', async () => {
    const r = await cx(['env', c.name]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.doesNotMatch(text(r), RAW);
    assert.match(text(r), /^TRICK=evil\\u202etxt\.sh$/m);
    assert.match(text(r), /^SEP=a\\u2028b$/m);
    const json = await cx(['env', c.name, '--json']);
    const vars = JSON.parse(text(json)) as { name: string; value: string }[];
    assert.equal(vars.find((v) => v.name === 'TRICK')?.value, 'evil\u202etxt.sh', '--json keeps exact values');
  });

  it("escapes a daemon's error answer that carries container-controlled text", async () => {
    const r = await cx(['exec', '-w', '/no/\u202e\u001b[2Jdir', c.name, '--', 'true']);
    assert.equal(r.exitCode, 126, r.stderr);
    assert.doesNotMatch(r.stderr, RAW);
    assert.match(r.stderr, /\\u202e\\x1b\[2Jdir/);
  });

  it('escapes DOCKER_HOST when it echoes it', async () => {
    const r = await cx(['ls'], { env: { DOCKER_HOST: 'unix:///tmp/no\u202e\u001b]0;x\u0007sock' } });
    assert.notEqual(r.stderr, '');
    assert.doesNotMatch(r.stderr, /[\u001b\u0007\u202e]/);
  });

  it('takes a CX_API_TIMEOUT_MS above what a timer holds as "very long", not as "fire at once"', async () => {
    const r = await cx(['ls'], { env: { CX_API_TIMEOUT_MS: String(2 ** 40) } });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.ok(text(r).includes(c.name), text(r));
  });
});
