import type { ContainerFiles } from '../types.js';
import { query, type QueryResult } from './helper.js';
import type { Target } from './target.js';

/** Container files read by the helper inside the container's root, as the container, memoized per cx run. */
export interface NsenterFiles extends ContainerFiles {
  /** Several reads in one helper run (r:/path or s:/path specs). */
  batch(specs: readonly string[]): Promise<QueryResult[]>;
  /** Answers to `specs` that another run is reading (the session helper's --query-first). */
  prime(specs: readonly string[], answers: Promise<QueryResult[]>): void;
}

/**
 * Never /proc/<pid>/root/...: there the container's absolute symlinks resolve against the HOST root
 * (an /etc/passwd -> /etc/shadow symlink would make cx read the host's shadow file). The helper
 * resolves them below the container's own root, refuses /proc magic links (which in a --pid host
 * container lead to host processes' roots) and reads with the container's identity, not host root's.
 */
export function nsenterFiles(target: () => Promise<Target>, containerName: string): NsenterFiles {
  const cache = new Map<string, Promise<QueryResult>>();
  const prime = (specs: readonly string[], answers: Promise<QueryResult[]>): void => {
    specs.forEach((s, i) => {
      const answer = answers.then((r) => r[i] ?? ({ kind: 'missing' } as const));
      // Whoever reads it gets the error (unread, it is no crash), and the next read tries again.
      answer.catch(() => {
        if (cache.get(s) === answer) cache.delete(s);
      });
      cache.set(s, answer);
    });
  };
  const batch = async (specs: readonly string[]): Promise<QueryResult[]> => {
    const todo = specs.filter((s) => !cache.has(s));
    if (todo.length > 0)
      prime(
        todo,
        target().then((t) => query(t, containerName, todo)),
      );
    return Promise.all(specs.map((s) => cache.get(s) as Promise<QueryResult>));
  };
  return {
    batch,
    prime,
    async readFile(p) {
      const [r] = await batch([`r:${p}`]);
      return r?.kind === 'file' ? r.data : undefined;
    },
    async exists(p) {
      const [r] = await batch([`s:${p}`]);
      return r?.kind === 'stat';
    },
    async existing(paths) {
      return (await batch(paths.map((p) => `s:${p}`))).map((r) => r.kind === 'stat');
    },
  };
}
