import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandWord } from '../../src/cli/loader.js';

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
      assert.equal(commandWord(argv).tui, true, argv.join(' '));
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
      assert.equal(commandWord(argv).tui, false, argv.join(' '));
    }
  });

  it('a command line it cannot read goes to the whole bundle (which reports the error)', () => {
    assert.equal(commandWord(['-H']).tui, true);
  });
});

/** Each command has its own code cache, named after it: only ever a command's name. */
describe("the name of a command line's code cache", () => {
  it('is the command (ui for the TUI), whatever options and hosts come first', () => {
    assert.equal(commandWord([]).key, 'ui');
    assert.equal(commandWord(['-H', 'ssh://a']).key, 'ui');
    assert.equal(commandWord(['--debug', 'exec', '--backend', 'nsenter', 'web', '--', 'ls']).key, 'exec');
    assert.equal(commandWord(['-H', 'ssh://a', 'ls']).key, 'ls');
  });

  it('is none for a line without a command, or a word no command has', () => {
    for (const argv of [['--help'], ['-H'], ['../../etc'], ['Exec'], ['a'.repeat(30)]]) {
      assert.equal(commandWord(argv).key, undefined, argv.join(' '));
    }
  });
});
