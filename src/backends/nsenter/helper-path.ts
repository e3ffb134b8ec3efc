import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { embeddedAssetPath, inExecutable } from '../../host/exe-assets.js';

const RELATIVE = path.join('native', 'build', 'cx-nsenter');

/**
 * Where the helper built at install time lives: native/build/ of the package cx runs from. The built
 * code sits at different depths (dist/src/backends/nsenter/ unbundled, dist/bundle/ bundled), so walk
 * up from this module to the package root instead of hard-coding one layout. Never from $PATH or the
 * environment: cx runs it as root. The single-file executable runs the copy it carries instead.
 */
export function findHelper(from?: string): string | undefined {
  if (inExecutable()) return embeddedHelper();
  if (from === undefined) return (found ??= { path: lookUp(import.meta.filename) }).path;
  return lookUp(from);
}

/** The package's helper is where it is for the whole run: looked up once (a command asks several times). */
let found: { path: string | undefined } | undefined;

function lookUp(from: string): string | undefined {
  let dir = path.dirname(from);
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(path.join(dir, 'package.json'))) {
      const candidate = path.join(dir, RELATIVE);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        return undefined;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

let embeddedError: string | undefined;

/** The single-file executable carries the helper and runs it from its private cache. */
function embeddedHelper(): string | undefined {
  try {
    return embeddedAssetPath('cx-nsenter');
  } catch (err) {
    // Said once: the nsenter backend is then unavailable, the others still work.
    if (embeddedError === undefined) process.stderr.write(`cx: ${(embeddedError = (err as Error).message)}\n`);
    return undefined;
  }
}

export const HELPER_BUILD_HINT = inExecutable()
  ? 'this executable carries it but could not place it in its cache (the line above says why), or use --backend docker'
  : 'build it with `npm run build:native` (needs a C compiler), or use --backend docker';
