import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayOpenTui } from '../../src/cli/loader.js';

/** The loader runs a command line with the whole bundle when it may open the TUI, else without it. */
describe('which bundle a command line needs', () => {
  it('the TUI: no command, or ui, whatever options and hosts come first', () => {
    for (const argv of [
      [],
      ['ui'],
      ['--debug'],
      ['--debug', 'ui'],
      ['-H', 'ssh://a'],
      ['-H', 'ssh://a', '-H', 'ssh://b', 'ui'],
      ['--host=ssh://a'],
      ['-Hssh://a', 'ui', '--detach-keys', 'ctrl-x'],
    ]) {
      assert.equal(mayOpenTui(argv), true, argv.join(' '));
    }
  });

  it('a one-liner: any other command, even with a container called ui', () => {
    for (const argv of [
      ['ls'],
      ['--debug', 'exec', 'ui', '--', 'ui'],
      ['-H', 'ui', 'ls'],
      ['--host', 'ssh://a', 'enter', 'web'],
      ['exec', 'web', '--', 'cx', 'ui'],
      ['--help'],
    ]) {
      assert.equal(mayOpenTui(argv), false, argv.join(' '));
    }
  });

  it('a command line it cannot read goes to the whole bundle (which reports the error)', () => {
    assert.equal(mayOpenTui(['-H']), true);
  });
});
