/**
 * Benchmark helpers: run commands repeatedly, interleaved (so machine noise hits both sides alike),
 * report medians and ratios, and record a section of bench/RESULTS.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CX = `${ROOT}bin/cx`;
export const RESULTS = `${ROOT}bench/RESULTS.md`;

export interface Sample {
  ms: number;
  /** Peak resident set size in KiB (from GNU time), when measured. */
  maxRssKiB?: number;
  exitCode: number;
}

/** Run argv once; stdin from a file when given; stdout/stderr discarded. */
export function runOnce(argv: string[], opts: { stdinFile?: string; rss?: boolean } = {}): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const fd = opts.stdinFile ? openSync(opts.stdinFile, 'r') : 'ignore';
    const full = opts.rss ? ['/usr/bin/time', '-f', '%M', ...argv] : argv;
    const start = process.hrtime.bigint();
    const child = spawn(full[0] ?? '', full.slice(1), { stdio: [fd, 'ignore', opts.rss ? 'pipe' : 'ignore'] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (typeof fd === 'number') closeSync(fd);
      const rss = opts.rss ? Number(err.trim().split('\n').pop()) : undefined;
      resolve({ ms, exitCode: code ?? -1, ...(rss !== undefined && Number.isFinite(rss) ? { maxRssKiB: rss } : {}) });
    });
  });
}

/** Interleave the variants run by run; returns samples per variant name. */
export async function interleave(
  variants: Record<string, { argv: string[]; stdinFile?: string; rss?: boolean }>,
  runs: number,
  warmup = 2,
): Promise<Record<string, Sample[]>> {
  const out: Record<string, Sample[]> = {};
  for (const name of Object.keys(variants)) out[name] = [];
  for (let i = -warmup; i < runs; i++) {
    for (const [name, v] of Object.entries(variants)) {
      const s = await runOnce(v.argv, v);
      if (s.exitCode !== 0) throw new Error(`${name} failed (exit ${s.exitCode}): ${v.argv.join(' ')}`);
      if (i >= 0) out[name]?.push(s);
    }
  }
  return out;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export function medianMs(samples: Sample[]): number {
  return median(samples.map((s) => s.ms));
}

export function machine(): string {
  const kernel = os.release();
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const docker = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).stdout.trim();
  return `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Linux ${kernel}, Node ${process.version}, dockerd ${docker}`;
}

/** Replace (or append) the section between `<!-- key:start -->` and `<!-- key:end -->`. */
export function recordSection(key: string, markdown: string): void {
  const start = `<!-- ${key}:start -->`;
  const end = `<!-- ${key}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const current = existsSync(RESULTS)
    ? readFileSync(RESULTS, 'utf8')
    : '# Benchmark results\n\nRecorded by the scripts under bench/ (`npm run bench`). Medians; ratios are cx / reference, measured in the same run.\n';
  const re = new RegExp(`${start}[\\s\\S]*?${end}`);
  writeFileSync(RESULTS, re.test(current) ? current.replace(re, block) : `${current.trimEnd()}\n\n${block}\n`);
}

export function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

/** Clock ticks per second in /proc/<pid>/stat (USER_HZ on Linux). */
const TICKS = 100;

/** CPU time (user + system) `pid` has used so far, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** The share of one core `pid` uses over the next `seconds`, in percent. */
export async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const before = cpuTicks(pid);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return ((cpuTicks(pid) - before) / TICKS / seconds) * 100;
}

/** Resident set size of `pid` now and at its peak, in MiB. */
export function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}
