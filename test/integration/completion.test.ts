import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CX_BIN } from '../helpers/cx.js';
import { suiteContainer } from '../helpers/suite.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cx-completion-'));
const script = (shell: string): string => {
  const file = path.join(dir, `cx.${shell}`);
  writeFileSync(file, execFileSync(CX_BIN, ['completion', shell], { encoding: 'utf8', timeout: 30_000 }));
  return file;
};

/** What the generated bash function offers for `words` (the last one is the word being completed). */
function bashComplete(words: string[]): string[] {
  const out = execFileSync(
    'bash',
    [
      '-c',
      'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _cx; printf "%s\\n" "${COMPREPLY[@]}"',
      'bash',
      script('bash'),
      ...words,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return out.split('\n').filter(Boolean);
}

/** What fish offers for the command line `line`, after loading the generated script. */
function fishComplete(line: string): string[] {
  const env = { ...process.env, PATH: `${path.dirname(CX_BIN)}:${process.env['PATH'] ?? ''}` };
  const out = execFileSync('fish', ['-c', `source ${script('fish')}; complete -C '${line}'`], { encoding: 'utf8', timeout: 30_000, env });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t')[0]!);
}

after(() => rmSync(dir, { recursive: true, force: true }));

describe('cx completion: generated from the command definition', () => {
  it('bash: commands, options of exec, backends after --backend', () => {
    assert.deepEqual(bashComplete([CX_BIN, 'en']), ['enter', 'env']);
    assert.deepEqual(bashComplete([CX_BIN, 'ent']), ['enter']);
    assert.ok(bashComplete([CX_BIN, 'exec', '--']).includes('--backend'));
    const execOpts = bashComplete([CX_BIN, 'exec', '-']);
    for (const o of ['-i', '--interactive', '-u', '--user', '--workdir', '-e', '--backend', '--help']) assert.ok(execOpts.includes(o), o);
    assert.deepEqual(bashComplete([CX_BIN, 'exec', '--backend', '']).sort(), ['auto', 'docker', 'nsenter', 'runc', 'ssh']);
    assert.deepEqual(bashComplete([CX_BIN, 'enter', '-u', 'root', '--backend', 'n']), ['nsenter']);
    assert.deepEqual(bashComplete([CX_BIN, 'completion', '--h']), ['--help']);
    // A value of -u is free text, and so is the command after exec's target.
    assert.deepEqual(bashComplete([CX_BIN, 'exec', '-u', '']), []);
    assert.deepEqual(bashComplete([CX_BIN, 'exec', 'web', '--', 'l']), []);
  });

  it('zsh and fish scripts parse; fish completes commands and backends', () => {
    execFileSync('zsh', ['-n', script('zsh')], { timeout: 30_000 });
    execFileSync('fish', ['-n', script('fish')], { timeout: 30_000 });
    assert.deepEqual(fishComplete('cx en').sort(), ['enter', 'env']);
    assert.deepEqual(fishComplete('cx exec --backend ').sort(), ['auto', 'docker', 'nsenter', 'runc', 'ssh']);
  });

  it('cx man prints a man page naming every command and option', () => {
    const page = execFileSync(CX_BIN, ['man'], { encoding: 'utf8', timeout: 30_000 });
    assert.match(page, /^\.TH CX 1 /);
    for (const c of ['ls', 'exec', 'enter', 'env', 'doctor', 'ui', 'completion', 'man'])
      assert.match(page, new RegExp(`^\\.SS "cx ${c} `, 'm'), c);
    assert.match(page, /^\.B \\-u, \\-\\-user \\fI<user\[:group\]>\\fR$/m);
    // groff accepts it without a warning.
    const warnings = execFileSync('sh', ['-c', 'groff -man -Tutf8 -ww -z 2>&1 >/dev/null'], {
      input: page,
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(warnings, '');
  });
});

describe('cx completion: live container names', () => {
  const c = suiteContainer();

  it('cx ls --quiet prints the names; bash and fish offer them as targets', () => {
    const name = c.name;
    const names = execFileSync(CX_BIN, ['ls', '--quiet'], { encoding: 'utf8', timeout: 60_000 }).split('\n');
    assert.ok(names.includes(name), names.join(','));
    assert.deepEqual(bashComplete([CX_BIN, 'enter', name.slice(0, -2)]), [name]);
    assert.deepEqual(bashComplete([CX_BIN, 'exec', '--backend', 'docker', name.slice(0, -2)]), [name]);
    assert.ok(fishComplete(`cx enter ${name.slice(0, -2)}`).includes(name));
  });
});
