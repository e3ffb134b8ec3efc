/**
 * A caller who is neither root nor in the docker group: the socket refuses, and the on-disk state is
 * unreadable too. cx must say "permission denied" with the way out, never "no container named X" or an
 * empty listing.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { describe, it } from 'node:test';
import { CX_BIN } from '../helpers/cx.js';
import { suiteContainer } from '../helpers/suite.js';

/** Run bin/cx as nobody:nogroup with no supplementary groups. */
function asNobody(args: string[]) {
  return execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', 'HOME=/tmp', CX_BIN, ...args], {
    reject: false,
    timeout: 30_000,
    env: {},
  });
}

describe('not root and not in the docker group', () => {
  const c = suiteContainer();

  for (const args of [['ls'], ['exec', '<c>', '--', 'true'], ['env', '<c>']]) {
    it(`cx ${args[0]}: one line saying permission denied on the socket, with the way out, exit 1`, async () => {
      const r = await asNobody(args.map((a) => (a === '<c>' ? c.name : a)));
      assert.equal(r.exitCode, 1, r.stderr);
      assert.equal(r.stdout, '');
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('cx: ') && !l.startsWith('cx: warning'));
      assert.equal(errors.length, 1, r.stderr);
      assert.match(errors[0] ?? '', /^cx: permission denied on \/var\/run\/docker\.sock/);
      assert.match(r.stderr, /sudo cx .*docker/);
      assert.doesNotMatch(r.stderr, /no container named|no running containers/);
    });
  }
});
