import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ensurePrivateDir } from '../../src/util/private-dir.js';

describe('ensurePrivateDir: a directory only this user can touch, or a clear refusal', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'cx-private-'));
  after(() => rmSync(base, { recursive: true, force: true }));
  const mode = (p: string) => lstatSync(p).mode & 0o777;

  it('creates a missing directory 0700 and accepts it the next time', () => {
    const dir = path.join(base, 'new');
    ensurePrivateDir(dir);
    assert.equal(mode(dir), 0o700);
    ensurePrivateDir(dir);
  });

  it('refuses a directory others can enter, and does not chmod it', () => {
    const dir = path.join(base, 'open');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    assert.throws(() => ensurePrivateDir(dir), {
      message: `${dir} has mode 755, expected 700: remove it (or chmod 700 it if you made it) and run again`,
    });
    assert.equal(mode(dir), 0o755);
  });

  it("refuses another user's directory, and does not chown it", () => {
    const dir = path.join(base, 'theirs');
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 65534, 65534);
    assert.throws(() => ensurePrivateDir(dir), {
      message: `${dir} is owned by uid 65534, not ${process.getuid?.()}: remove it and run again`,
    });
    assert.equal(lstatSync(dir).uid, 65534);
  });

  it('refuses a symlink (even to a good directory) and a file in its place', () => {
    const target = path.join(base, 'target');
    mkdirSync(target, { mode: 0o700 });
    const link = path.join(base, 'link');
    symlinkSync(target, link);
    assert.throws(() => ensurePrivateDir(link), /link is not a directory \(a symlink or a file is in its place\)/);
    assert.ok(lstatSync(link).isSymbolicLink());
    const file = path.join(base, 'file');
    writeFileSync(file, '');
    assert.throws(() => ensurePrivateDir(file), /file is not a directory/);
  });
});
