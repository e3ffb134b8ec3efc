// Write the man page and the shell completion scripts into dist/ from the built CLI, so the npm
// package installs cx.1 (package.json "man") and ships completions generated from the one command
// definition rather than kept by hand.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

const cx = (...args) => execFileSync(process.execPath, ['bin/cx', ...args], { encoding: 'utf8' });
mkdirSync('dist/man', { recursive: true });
mkdirSync('dist/completions', { recursive: true });
writeFileSync('dist/man/cx.1', cx('man'));
writeFileSync('dist/completions/cx.bash', cx('completion', 'bash'));
writeFileSync('dist/completions/_cx', cx('completion', 'zsh'));
writeFileSync('dist/completions/cx.fish', cx('completion', 'fish'));
