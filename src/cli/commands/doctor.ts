import { Command, Option } from 'commander';
import type { Context } from '../context.js';
import type { Done } from '../program.js';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export function doctorCommand(ctx: Context, done: Done): Command {
  const cmd = new Command('doctor')
    .summary('show what cx can use on this machine')
    .description('Check the engine socket and API version, and each backend: available, or why not.')
    .option('--json', 'print the checks as JSON', false);
  cmd.addOption(new Option('--debug').hideHelp());
  cmd.action(async (raw: Record<string, unknown>) => {
    done(await runDoctor({ json: raw['json'] === true }, ctx));
  });
  return cmd;
}

export async function runDoctor(opts: { json: boolean }, ctx: Context): Promise<number> {
  const checks: DoctorCheck[] = [];
  const docker = ctx.docker();
  const endpoint = docker.endpoint;
  try {
    const ping = await docker.ping();
    checks.push({
      name: 'engine',
      ok: true,
      detail: `${endpoint.socketPath} (${endpoint.origin}) answers: API ${ping.serverApiVersion}, cx uses ${ping.apiVersion}`,
    });
  } catch (err) {
    checks.push({ name: 'engine', ok: false, detail: `${endpoint.socketPath} (${endpoint.origin}): ${(err as Error).message}` });
  }
  for (const backend of ctx.registry().all()) {
    const a = await backend.probe();
    checks.push({ name: `backend ${backend.name}`, ok: a.ok, detail: a.reason });
  }
  if (opts.json) {
    ctx.io.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
  } else {
    for (const c of checks) ctx.io.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(16)} ${c.detail}\n`);
  }
  // Doctor reports; it fails only when nothing at all can enter a container.
  return checks.some((c) => c.name.startsWith('backend') && c.ok) ? 0 : 1;
}
