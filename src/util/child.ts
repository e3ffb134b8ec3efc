import type * as cp from 'node:child_process';

/**
 * node:child_process, loaded when a process is first started: commands that start none (`cx ls`, an
 * exec through the docker backend) do not pay for loading it (~1 ms, with dgram and the socket list
 * it brings). The functions are node:child_process's own, typed as they are there.
 */
let loaded: typeof cp | undefined;
const mod = (): typeof cp => (loaded ??= process.getBuiltinModule('node:child_process'));

export const spawn = ((...args: Parameters<typeof cp.spawn>) => mod().spawn(...args)) as typeof cp.spawn;
export const spawnSync = ((...args: Parameters<typeof cp.spawnSync>) => mod().spawnSync(...args)) as typeof cp.spawnSync;
export const execFile = ((...args: Parameters<typeof cp.execFile>) => mod().execFile(...args)) as typeof cp.execFile;
export const execFileSync = ((...args: Parameters<typeof cp.execFileSync>) => mod().execFileSync(...args)) as typeof cp.execFileSync;
