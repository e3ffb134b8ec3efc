import type { IO } from '../session/io.js';
import type { SessionObserver } from '../session/observer.js';
import { KeySequenceMatcher } from '../util/detach-keys.js';
import type { ExitStatus, Session } from '../backends/types.js';
import { FORWARDED_SIGNALS, signalExitCode } from '../util/signals.js';
import { RawModeGuard } from './raw-mode.js';
import { pumpStdin } from './stdin-pump.js';

export interface AttachOptions {
  /** Forward cx's stdin to the session. */
  stdin: boolean;
  /** With a TTY: this key sequence ends the attach and leaves the session running (docker's detach keys). */
  detachKeys?: Buffer;
  /** Follow the session (a recording, the audit log). */
  observers?: readonly SessionObserver[];
}

/** How an attach ended: the session's exit status, or a detach (the process still runs). */
export type AttachResult = ExitStatus & { detached?: boolean };

const SIGPIPE_EXIT = signalExitCode('SIGPIPE');
/**
 * How long a signalled cx waits for the session to end before leaving anyway: a hung-up shell goes
 * at once; a command given the signal itself may need time to clean up.
 */
const SIGNAL_GRACE_MS = { tty: 2000, pipes: 10_000 };

/**
 * Drive a session from cx's terminal until it exits: raw mode when the session has a TTY and stdin
 * is one, stdin -> session (EOF included), output -> stdout/stderr with backpressure, live resize,
 * and the terminal restored on every path.
 */
export async function attach(session: Session, io: IO, opts: AttachOptions): Promise<AttachResult> {
  // Only a terminal stdin is touched here: creating process.stdin for a pipe would make it non-blocking.
  const raw = session.tty && opts.stdin && io.stdinIsTTY ? new RawModeGuard(io.stdin) : undefined;
  const cleanups: Array<() => void> = [];
  try {
    raw?.enter();

    const observers = opts.observers ?? [];
    const exited = new Promise<AttachResult>((resolve) => {
      const sub = session.onExit((status) => {
        sub.dispose();
        for (const o of observers) o.exit?.(status);
        resolve(status);
      });
    });
    let detach: () => void = () => undefined;
    const detached = new Promise<AttachResult>((resolve) => (detach = () => resolve({ exitCode: 0, detached: true })));

    // Backpressure: one pause per full buffer, one 'drain' listener at a time (not one per write).
    let waitingForDrain = false;
    let outputClosed = false;
    const dataSub = session.onData((data, stream) => {
      if (outputClosed) return;
      for (const o of observers) o.output?.(data);
      const out = stream === 'stderr' ? io.stderr : io.stdout;
      if (!out.write(data) && !waitingForDrain) {
        waitingForDrain = true;
        session.pause();
        out.once('drain', () => {
          waitingForDrain = false;
          session.resume();
        });
      }
    });
    cleanups.push(() => dataSub.dispose());

    if (session.tty) {
      const resizeSub = io.onResize((size) => {
        session.resize(size);
        for (const o of observers) o.resize?.(size);
      });
      cleanups.push(() => resizeSub.dispose());
    }

    if (opts.stdin) {
      const keys =
        session.tty && opts.detachKeys && opts.detachKeys.length > 0
          ? new KeySequenceMatcher([['detach', opts.detachKeys] as const])
          : undefined;
      const toSession = (chunk: Buffer): boolean => {
        for (const o of observers) o.input?.(chunk);
        return session.write(chunk);
      };
      const filter = (chunk: Buffer): boolean => {
        if (!keys) return toSession(chunk);
        const m = keys.feed(chunk);
        const ok = m.forward.length > 0 ? toSession(m.forward) : true;
        if (m.action) detach();
        return ok;
      };
      const stream = (): (() => void) =>
        pipeStdin(
          io,
          filter,
          () => session.end(),
          (l) => session.onDrain(l),
        );
      // Without a terminal on either side, read fd 0 directly (fast, flat memory); else the stream.
      cleanups.push(!session.tty && io.stdinFd === 0 && !io.stdinIsTTY ? pumpStdin(session, stream) : stream());
    }

    // A signal to cx itself: the session's process gets it too (restoring the terminal happens in
    // finally). An interactive shell ignores SIGTERM, so a TTY session gets a hangup, as when a
    // terminal closes, and cx stops waiting for it after a grace period. In raw mode Ctrl-C arrives
    // as a byte on stdin instead, and goes to the container's foreground process.
    let signalled: NodeJS.Signals | undefined;
    let gaveUp: (status: ExitStatus) => void = () => undefined;
    const abandoned = new Promise<ExitStatus>((resolve) => (gaveUp = resolve));
    for (const sig of FORWARDED_SIGNALS) {
      const handler = (): void => {
        signalled = sig;
        raw?.restore();
        session.kill(session.tty ? 'SIGHUP' : sig);
        const timer = setTimeout(
          () => gaveUp({ exitCode: signalExitCode(sig) }),
          session.tty ? SIGNAL_GRACE_MS.tty : SIGNAL_GRACE_MS.pipes,
        );
        cleanups.push(() => clearTimeout(timer));
      };
      process.on(sig, handler);
      cleanups.push(() => process.off(sig, handler));
    }

    // The reader of cx's output went away (`cx exec c -- yes | head -1`): like any command in a
    // pipeline, the session ends with SIGPIPE: the command gets it, and cx exits 128+13, as docker
    // exec does, without a stack trace.
    const onOutputError = (err: NodeJS.ErrnoException): void => {
      if (outputClosed) return;
      outputClosed = true;
      session.kill(err.code === 'EPIPE' ? 'SIGPIPE' : 'SIGHUP');
      // A process started by the runtime may inherit SIGPIPE ignored (docker exec then leaves `yes`
      // running for ever): make sure it goes, and wait briefly so nothing is left in the container.
      const force = setTimeout(() => session.kill('SIGKILL'), 500);
      const timer = setTimeout(() => gaveUp({ exitCode: SIGPIPE_EXIT }), SIGNAL_GRACE_MS.tty);
      cleanups.push(
        () => clearTimeout(force),
        () => clearTimeout(timer),
      );
    };
    for (const out of [io.stdout, io.stderr]) {
      out.on('error', onOutputError);
      cleanups.push(() => out.off('error', onOutputError));
    }

    session.resume();
    const status: AttachResult = await Promise.race([exited, abandoned, detached]);
    if (status.detached) return status;
    if (outputClosed) return { exitCode: SIGPIPE_EXIT };
    await flush(io);
    if (signalled && status.exitCode === 0) return { exitCode: signalExitCode(signalled) };
    return status;
  } finally {
    for (const c of cleanups.reverse()) c();
    raw?.restore();
  }
}

function pipeStdin(
  io: IO,
  write: (chunk: Buffer) => boolean,
  end: () => void,
  onDrain: (l: () => void) => { dispose(): void },
): () => void {
  const onData = (chunk: Buffer | string): void => {
    if (!write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) io.stdin.pause();
  };
  const onEnd = (): void => end();
  const drainSub = onDrain(() => io.stdin.resume());
  io.stdin.on('data', onData);
  io.stdin.once('end', onEnd);
  io.stdin.resume();
  return () => {
    drainSub.dispose();
    io.stdin.off('data', onData);
    io.stdin.off('end', onEnd);
    io.stdin.pause();
  };
}

/** Resolve once everything written so far has been handed to the OS. */
function flush(io: IO): Promise<void> {
  const one = (s: NodeJS.WritableStream): Promise<void> =>
    new Promise((resolve) => {
      if (!s.write('', () => resolve())) s.once('drain', () => resolve());
    });
  return Promise.all([one(io.stdout), one(io.stderr)]).then(() => undefined);
}
