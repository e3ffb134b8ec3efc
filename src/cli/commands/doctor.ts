import { Command, Option } from 'commander';
import { shortId, sourcesOf, type Container } from '../../discovery/types.js';
import { describeHealth } from '../../engine/health.js';
import { describeDefaultToolbox } from '../../host/toolbox.js';
import { sanitize } from '../../util/sanitize.js';
import type { Context } from '../../session/context.js';
import type { Done } from './done.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export function doctorCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('doctor')
    .summary('show what cx can use on this machine')
    .description(
      'Check the engine: its state (ok, frozen, dead, absent) with the evidence, where it keeps its state,\n' +
        'and each backend: available, or why not. With a target, also how cx sees that container and which\n' +
        'backend `--backend auto` would use for it, and why.',
    )
    .argument('[target]', 'a container to explain the backend choice for')
    .option('--json', 'print the checks as JSON', false);
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(async (target: string | undefined, raw: Record<string, unknown>) => {
    done(await runDoctor({ json: raw['json'] === true, target }, ctx));
  });
  return cmd;
}

export async function runDoctor(opts: { json: boolean; target?: string | undefined }, ctx: Context): Promise<number> {
  const checks: DoctorCheck[] = [];
  const docker = ctx.docker();
  const endpoint = docker.endpoint;
  // The whole check: the daemon's process is looked up even when it answers at once.
  const health = await ctx.health({ complete: true });
  let engineDetail = `${endpoint.socketPath} (${endpoint.origin}): ${describeHealth(health)}`;
  if (health.state === 'ok') {
    const ping = await docker.ping().catch(() => undefined);
    if (ping)
      engineDetail = `${endpoint.socketPath} (${endpoint.origin}) answers: API ${ping.serverApiVersion}, cx uses ${ping.apiVersion}`;
  }
  checks.push({ name: 'engine', ok: health.state === 'ok', detail: engineDetail });
  checks.push({ name: 'daemon', ok: health.state === 'ok', detail: `${health.state}: ${health.evidence.join('; ')}` });
  checks.push({
    name: 'state dirs',
    ok: health.roots !== undefined,
    detail: health.roots
      ? `data-root ${health.roots.dataRoot}, exec-root ${health.roots.execRoot} (${health.roots.how})`
      : 'unknown: no dockerd serves this socket and cx has not seen one there',
  });
  for (const backend of ctx.registry().all()) {
    // The docker backend's probe would wait out the API deadline on a frozen daemon: health already knows.
    const a = backend.name === 'docker' && health.state !== 'ok' ? { ok: false, reason: describeHealth(health) } : await backend.probe();
    checks.push({ name: `backend ${backend.name}`, ok: a.ok, detail: a.reason });
  }
  const toolbox = describeDefaultToolbox();
  checks.push({ name: 'debug toolbox', ok: toolbox.ok, detail: toolbox.detail });
  if (opts.target !== undefined) checks.push(...(await explainTarget(opts.target, ctx)));
  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
  } else {
    for (const c of checks) ctx.io.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(16)} ${sanitize(c.detail)}\n`);
  }
  if (opts.target !== undefined) return checks.find((c) => c.name === 'choice')?.ok ? 0 : 1;
  // Doctor reports; it fails only when nothing at all can enter a container.
  return checks.some((c) => c.name.startsWith('backend') && c.ok) ? 0 : 1;
}

/** How cx sees one container, each backend's verdict on it, and what auto would pick. */
async function explainTarget(target: string, ctx: Context): Promise<DoctorCheck[]> {
  let c: Container;
  try {
    c = await ctx.inventory().resolve(target);
  } catch (err) {
    return [{ name: 'container', ok: false, detail: err instanceof Error ? err.message : String(err) }];
  }
  const out: DoctorCheck[] = [];
  const stale = c.stale ? ` (stale: ${c.stale})` : '';
  const where = c.oci ? `; ${c.oci.binary} root ${c.oci.root}${c.oci.bundle ? `, bundle ${c.oci.bundle}` : ''}` : '';
  out.push({
    name: 'container',
    ok: c.stale === undefined,
    detail: `${c.name} ${shortId(c.id)}: ${c.state}${stale}, pid ${c.pid ?? '-'}, ${c.runtime}, from ${sourcesOf(c).join(' + ')}${where}`,
  });
  const registry = ctx.registry();
  let choice: string | undefined;
  const refused: string[] = [];
  for (const b of registry.all()) {
    const can = registry.canEnter(b, c);
    out.push({ name: `enter ${b.name}`, ok: can.ok, detail: can.reason });
    if (can.ok && choice === undefined)
      choice = `--backend auto uses ${b.name}: ${can.reason}${refused.length ? ` (not ${refused.join('; not ')})` : ''}`;
    if (!can.ok && choice === undefined) refused.push(`${b.name}: ${can.reason}`);
  }
  out.push({ name: 'choice', ok: choice !== undefined, detail: choice ?? `no backend can enter it (${refused.join('; ')})` });
  return out;
}
