import { readdir as readdirCb, readFile as readFileCb, stat as statCb, type Stats } from 'node:fs';

/**
 * The three asynchronous file calls cx makes, over node:fs's callbacks: loading node:fs/promises
 * costs ~1.4 ms of every command's start-up (it brings node:readline's internals with it), and these
 * are all cx needs of it. Same arguments, results and errors as fs/promises' functions of the name.
 */
export function readFile(file: string): Promise<Buffer>;
export function readFile(file: string, encoding: BufferEncoding): Promise<string>;
export function readFile(file: string, encoding?: BufferEncoding): Promise<Buffer | string> {
  return new Promise((resolve, reject) => {
    if (encoding === undefined) readFileCb(file, (err, data) => (err ? reject(err) : resolve(data)));
    else readFileCb(file, encoding, (err, data) => (err ? reject(err) : resolve(data)));
  });
}

/** The names in a directory. */
export function readdir(dir: string): Promise<string[]> {
  return new Promise((resolve, reject) => readdirCb(dir, (err, names) => (err ? reject(err) : resolve(names))));
}

/** stat(2), following symlinks. */
export function stat(file: string): Promise<Stats> {
  return new Promise((resolve, reject) => statCb(file, (err, st) => (err ? reject(err) : resolve(st))));
}
