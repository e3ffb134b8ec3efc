import { readFile } from '../../util/fs-async.js';
import type { Container } from '../../discovery/types.js';
import { compareSources, composeExecEnv, type EnvReport } from '../exec-env.js';
import type { EnvSource, ExecRequest } from '../types.js';
import type { NsenterFiles } from './files.js';
import type { Target } from './target.js';
import { containerGroupAdd, resolveUser, type ExecUser } from '../exec-user.js';

/** baseimage-docker's record of the container's original environment: one file per variable. */
export const CONTAINER_ENVIRONMENT_DIR = '/etc/container_environment';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * The container files a session is planned with (its user's passwd and group entries, whether a
 * baseimage record is there): read as the session's helper starts (its --query-first).
 */
export const PLAN_FILES: readonly string[] = ['r:/etc/passwd', 'r:/etc/group', `r:${CONTAINER_ENVIRONMENT_DIR}`];
/** More variables than any real record holds; beyond it the rest are skipped, with a warning. */
export const MAX_RECORD_VARIABLES = 4096;

/** Everything a session needs that comes from the container's files, read in two helper runs at most. */
export interface SessionPlan {
  user: ExecUser;
  report: EnvReport;
}

/**
 * The environment docker exec would give, from what is available without the daemon. The container
 * env comes from the first of: the container's configuration (Engine API or its config on disk), the
 * runtime bundle's process.env, the init's /proc/PID/environ. /etc/container_environment/ (written by
 * baseimage-docker's my_init at boot) is applied over it. Every source is also compared, so
 * `cx env --sources` can show where they disagree.
 */
export async function planSession(
  c: Container,
  t: Target,
  files: NsenterFiles,
  req: ExecRequest,
  warn: (line: string) => void = () => undefined,
): Promise<SessionPlan> {
  const [passwd, group, record] = await files.batch(PLAN_FILES);
  const text = (r: typeof passwd): string | undefined => (r?.kind === 'file' ? r.data.toString('utf8') : undefined);
  const added = containerGroupAdd(c.config.groupAdd, t.bundle?.process?.user?.additionalGids, c.config.user, text(passwd), text(group));
  const user = execUser(req.user || c.config.user, req.user === '' ? t : undefined, text(passwd), text(group), added);

  const bundleEnv = bundleProcessEnv(t);
  const procEnv = await readEnviron(t.pid);
  const recordEnv = record?.kind === 'dir' ? await readRecord(files, record.names, warn) : [];
  const configEnv = c.config.env;
  const primary: { source: EnvSource; entries: string[] } =
    configEnv.length > 0
      ? { source: 'container-config', entries: configEnv }
      : bundleEnv
        ? { source: 'bundle', entries: bundleEnv }
        : { source: 'proc-environ', entries: procEnv ?? [] };

  const entries = composeExecEnv({
    hostname: c.config.hostname || t.bundle?.hostname || '',
    containerEnv: primary.entries,
    containerEnvSource: primary.source,
    extraLayers: recordEnv.length > 0 ? [{ source: 'container-environment', entries: recordEnv }] : [],
    tty: req.tty,
    overrides: req.env,
    home: user.home,
    term: req.term,
  });
  const compared: Array<{ source: EnvSource; entries: readonly string[] }> = [];
  if (configEnv.length > 0) compared.push({ source: 'container-config', entries: configEnv });
  if (bundleEnv) compared.push({ source: 'bundle', entries: bundleEnv });
  if (procEnv) compared.push({ source: 'proc-environ', entries: procEnv });
  if (recordEnv.length > 0) compared.push({ source: 'container-environment', entries: recordEnv });
  return { user, report: { entries, differing: compareSources(compared) } };
}

/** The container's configured user (no -u) is in the bundle exactly, --group-add included. */
function execUser(
  spec: string,
  fromBundle: Target | undefined,
  passwd: string | undefined,
  group: string | undefined,
  groupAdd: string[],
): ExecUser {
  const resolved = resolveUser(spec, passwd, group, groupAdd);
  const u = fromBundle?.bundle?.process?.user;
  if (!u || u.uid === undefined || u.gid === undefined) return resolved;
  const home = u.uid === resolved.uid ? resolved.home : '/';
  return { uid: u.uid, gid: u.gid, groups: [...new Set(u.additionalGids ?? [u.gid])], home };
}

/** The bundle's env is what the daemon composed at create; TERM there belongs to `run -t`, not to an exec. */
function bundleProcessEnv(t: Target): string[] | undefined {
  const env = t.bundle?.process?.env;
  if (!env) return undefined;
  return t.bundle?.process?.terminal ? env.filter((e) => e !== 'TERM=xterm') : env;
}

/** /proc/PID/environ: NUL-separated, split on the first '='. Undefined when unreadable. */
export async function readEnviron(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/environ`);
    return raw
      .toString('utf8')
      .split('\0')
      .filter((e) => e.indexOf('=') > 0);
  } catch {
    return undefined;
  }
}

async function readRecord(files: NsenterFiles, names: readonly string[], warn: (line: string) => void): Promise<string[]> {
  const all = names.filter((n) => ENV_NAME.test(n)).sort();
  const valid = all.slice(0, MAX_RECORD_VARIABLES);
  if (all.length > valid.length) {
    warn(
      `${CONTAINER_ENVIRONMENT_DIR} holds ${all.length} variables: only the first ${MAX_RECORD_VARIABLES} (by name) are applied, ` +
        `${all.length - valid.length} skipped from ${all[MAX_RECORD_VARIABLES] ?? ''} on`,
    );
  }
  const results = await files.batch(valid.map((n) => `r:${CONTAINER_ENVIRONMENT_DIR}/${n}`));
  const out: string[] = [];
  valid.forEach((n, i) => {
    const r = results[i];
    if (r?.kind === 'file') out.push(`${n}=${r.data.toString('utf8')}`);
  });
  return out;
}
