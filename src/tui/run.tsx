import { render, type Instance } from 'ink';
import type { Context } from '../session/context.js';
import { UsageError } from '../errors.js';
import { FORWARDED_SIGNALS, signalExitCode } from '../util/signals.js';
import { App, type TuiResult } from './app.js';
import { engineSources, freshContext } from './data/engine-sources.js';
import type { TuiSources } from './data/sources.js';
import { handoff } from './handoff.js';
import { drainStdin, Screen } from './screen.js';
import type { UiSnapshot } from './state.js';


/**
 * `cx` / `cx ui`: show the app until the user quits; each Enter unmounts it, hands the terminal to
 * a shell (handoff.ts), and shows it again with the selection kept and the exit status. A signal
 * unmounts it (or, during a session, ends the TUI once attach has ended the session) and the
 * terminal is restored before cx leaves with 128+n. Returns the exit code.
 */
export async function runTui(ctx: Context, sources: TuiSources = engineSources(ctx)): Promise<number> {
  const io = ctx.io;
  if (!io.stdinIsTTY || !io.stdoutIsTTY) {
    throw new UsageError('the cx TUI needs a terminal on stdin and stdout', 'for scripts use `cx ls` and `cx exec`; `cx --help` lists the commands');
  }
  const stdout = io.stdout as NodeJS.WriteStream;
  const screen = new Screen(io.stdin, stdout, io.stdout === process.stdout ? 1 : undefined);
  let instance: Instance | undefined;
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    signalled = sig;
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
      const message = await handoff(ctx, freshContext, screen, chosen.container, chosen.choice, chosen.kind === 'debug');
      if (signalled) return signalExitCode(signalled);
      await drainStdin(io.stdin, 30);
      snapshot = { ...snapshot, message };
    }
  } finally {
    stdout.off('resize', onResize);
    instance?.unmount();
    screen.leave();
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}
