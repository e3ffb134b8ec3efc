import { readFileSync } from 'node:fs';

/** cx's version from package.json (read, not imported: no JSON module loader on the start-up path). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The part of argv before '--' (what follows belongs to the command run in the container). */
export function optionArgs(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}
