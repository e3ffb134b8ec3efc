/**
 * The bundle's side of the code cache that src/cli/loader.ts keeps (see there): code tells the loader
 * which paths a run took, and a run that took one the cache lacks writes a new cache when it ends.
 * Keys are few and stable (a command, a backend with or without a tty), so a cache is rewritten at
 * most a handful of times per build.
 */
export interface CodeCacheBoot {
  note(path: string): void;
  /** Write the cache now if this run took a path it lacks (else it is written when the run ends). */
  save(): void;
  /** Which bundle runs and what became of its code cache, for --debug. */
  state: string;
}

// The loader passes `__cxBoot` to the bundle as a parameter of the function it wraps it in; anywhere
// else (tsc's output that the tests import, a bundle run without the loader) it is not defined.
declare const __cxBoot: CodeCacheBoot | undefined;

/** Which bundle runs and what became of its code cache (for --debug), when the loader ran it. */
export function codeCacheState(): string | undefined {
  return typeof __cxBoot !== 'undefined' ? __cxBoot.state : undefined;
}

/** Record that this run took `path` (e.g. "exec", "session:nsenter:pipe"). */
export function noteCodePath(path: string): void {
  if (typeof __cxBoot !== 'undefined') __cxBoot.note(path);
}

/**
 * Record `path` and write the cache now rather than when the run ends: for runs that last (the TUI,
 * once its list is painted), which would otherwise end too late to write one.
 */
export function saveCodeCache(path: string): void {
  noteCodePath(path);
  if (typeof __cxBoot !== 'undefined') __cxBoot.save();
}
