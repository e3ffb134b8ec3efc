import { existsSync, readFileSync } from 'node:fs';

/**
 * cx's version from package.json (read, not imported: no JSON module loader on the start-up path).
 * Found by walking up from this file, which lives at dist/src/cli/ or, bundled, at dist/bundle/.
 */
export function version(): string {
  // The bundles (npm's and the executable's, which has no package.json beside it) have it written in
  // at build time: no file is read on every start. tsc's output (the tests' imports) reads it.
  if (typeof __CX_VERSION__ !== 'undefined') return __CX_VERSION__;
  for (let up = '../'; up.length <= 12; up += '../') {
    const url = new URL(`${up}package.json`, import.meta.url);
    if (existsSync(url)) return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

declare const __CX_VERSION__: string | undefined;

/** The part of argv before '--' (what follows belongs to the command run in the container). */
export function optionArgs(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}
