import { render, type Instance } from 'ink';
import type { Context } from '../session/context.js';
import { UsageError } from '../errors.js';
import { FORWARDED_SIGNALS, signalExitCode } from '../util/signals.js';
import { App, type TuiResult } from './app.js';
import { engineSources, freshContext } from './data/engine-sources.js';
import type { TuiSources } from './data/sources.js';
import { LiveSessions, type LiveKeys, type LiveSession } from '../attach/live.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../util/detach-keys.js';
import type { SessionRow, SessionsSource } from './data/sessions.js';
import { handoff, resume } from './handoff.js';
import { drainStdin, Screen } from './screen.js';
import type { UiSnapshot } from './state.js';

/**
 * `cx` / `cx ui`: show the app until the user quits; each Enter unmounts it, hands the terminal to
 * a shell (handoff.ts), and shows it again with the selection kept and the exit status. A signal
 * unmounts it (or, during a session, ends the TUI once attach has ended the session) and the
 * terminal is restored before cx leaves with 128+n. Returns the exit code.
 */
export interface TuiOptions {
  /** docker's syntax (ctrl-p,ctrl-q); the keys that leave a session running and come back. */
  detachKeys?: string;
}

/** The keys read inside a session: detach as given, next and previous after docker's ctrl-p. */
export function liveKeys(detachKeys: string = DEFAULT_DETACH_KEYS): LiveKeys {
  return { detach: parseDetachKeys(detachKeys), next: Buffer.from([0x10, 0x0e]), previous: Buffer.from([0x10, 0x02]) };
}

function rowOf(s: LiveSession): SessionRow {
  return {
    id: s.id,
    containerId: s.meta.containerId,
    containerName: s.meta.containerName,
    backend: s.meta.backend,
    user: s.meta.user,
    command: s.meta.command.join(' '),
    started: s.started,
    lastOutput: s.lastOutput,
    running: s.running,
    exitCode: s.status?.exitCode,
  };
}

export async function runTui(ctx: Context, sources: TuiSources = engineSources(ctx), opts: TuiOptions = {}): Promise<number> {
  const io = ctx.io;
  if (!io.stdinIsTTY || !io.stdoutIsTTY) {
    throw new UsageError(
      'the cx TUI needs a terminal on stdin and stdout',
      'for scripts use `cx ls` and `cx exec`; `cx --help` lists the commands',
    );
  }
  const keys = liveKeys(opts.detachKeys);
  const live = new LiveSessions();
  const sessions: SessionsSource = {
    rows: () => live.list().map(rowOf),
    onChange: (l) => live.onChange(l),
    dismiss: (id) => {
      const s = live.get(id);
      if (s && !s.running) live.remove(s);
    },
  };
  const stdout = io.stdout as NodeJS.WriteStream;
  const screen = new Screen(io.stdin, stdout, io.stdout === process.stdout ? 1 : undefined);
  let instance: Instance | undefined;
  let signalled: NodeJS.Signals | undefined;
  const stopSessions = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    signalled = sig;
    stopSessions.abort();
    instance?.unmount();
  };
  const handlers = FORWARDED_SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  // In the alternate screen a resize must repaint from a clean screen (Ink only clears when narrowing).
  const onResize = (): void => {
    instance?.clear();
    screen.clear();
  };
  stdout.on('resize', onResize);

  let snapshot: Partial<UiSnapshot> | undefined;
  try {
    for (;;) {
      let result: TuiResult = { kind: 'quit' };
      screen.enter();
      instance = render(
        <App
          sources={sources}
          initial={snapshot}
          sessions={sessions}
          onExit={(r, s) => {
            result = r;
            snapshot = s;
          }}
        />,
        { stdin: io.stdin as NodeJS.ReadStream, stdout, stderr: io.stderr as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: true },
      );
      await instance.waitUntilExit();
      instance = undefined;
      if (signalled) return signalExitCode(signalled);
      // TS cannot see the callback's assignment.
      const chosen = result as TuiResult;
      if (chosen.kind === 'quit') return 0;
      const message =
        chosen.kind === 'resume'
          ? await resume(ctx, screen, chosen.id, live, keys, stopSessions.signal)
          : await handoff(
              ctx,
              freshContext,
              screen,
              chosen.container,
              chosen.choice,
              live,
              keys,
              chosen.record,
              stopSessions.signal,
              chosen.kind === 'debug',
            );
      if (signalled) return signalExitCode(signalled);
      await drainStdin(io.stdin, 30);
      snapshot = { ...snapshot, message };
    }
  } finally {
    stdout.off('resize', onResize);
    instance?.unmount();
    // Whatever way the TUI ends (quit confirmed, a signal), no session is left behind in a container.
    await live.hangUpAll();
    screen.leave();
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}
