import { Box, render, Text, useApp, useInput, type Instance } from 'ink';
import { useEffect, useState } from 'react';
import { UsageError } from '../errors.js';
import { listHosts, runRemote, type HostListing } from '../remote/run.js';
import type { RemoteHost } from '../remote/target.js';
import type { IO } from '../session/io.js';
import { FORWARDED_SIGNALS, signalExitCode } from '../util/signals.js';
import { clean } from './presentation/text.js';
import { drainStdin, Screen } from './screen.js';

/**
 * `cx -H a -H b` (several hosts, no command): a host picker. Every host is asked for its containers
 * at once, each under its own deadline; the list shows each host's count of running containers, or
 * why it cannot be reached. Enter opens that host's own TUI over ssh -tt (its list, its Enter into a
 * container, everything); quitting it comes back here.
 */
type Status = { kind: 'checking' } | { kind: 'ok'; running: number; total: number } | { kind: 'error'; text: string };

function statusOf(l: HostListing): Status {
  if (l.error) return { kind: 'error', text: l.error.message.replace(`${l.host.label}: `, '') };
  const records = l.records ?? [];
  return { kind: 'ok', running: records.filter((r) => r['state'] === 'running').length, total: records.length };
}

function Picker(props: {
  hosts: readonly RemoteHost[];
  io: IO;
  version: string;
  initial: number;
  onChoose: (index: number | undefined) => void;
}) {
  const { exit } = useApp();
  const [selected, setSelected] = useState(props.initial);
  const [statuses, setStatuses] = useState<Status[]>(props.hosts.map(() => ({ kind: 'checking' })));
  useEffect(() => {
    let live = true;
    // Each host reports as soon as it answers (or its deadline passes), not when the slowest does.
    props.hosts.forEach((host, i) => {
      void listHosts([host], true, props.io.env, props.version).then(([l]) => {
        if (live && l) setStatuses((prev) => prev.map((s, j) => (j === i ? statusOf(l) : s)));
      });
    });
    return () => {
      live = false;
    };
  }, [props.hosts, props.io.env, props.version]);
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) {
      props.onChoose(undefined);
      exit();
    } else if (key.upArrow || input === 'k') setSelected((s) => Math.max(0, s - 1));
    else if (key.downArrow || input === 'j') setSelected((s) => Math.min(props.hosts.length - 1, s + 1));
    else if (key.return) {
      props.onChoose(selected);
      exit();
    }
  });
  const width = Math.max(...props.hosts.map((h) => h.label.length), 4);
  return (
    <Box flexDirection="column">
      <Text bold>cx: {props.hosts.length} hosts</Text>
      <Text dimColor>{`  ${'HOST'.padEnd(width)}  CONTAINERS`}</Text>
      {props.hosts.map((h, i) => {
        const s = statuses[i] ?? { kind: 'checking' };
        const text =
          s.kind === 'checking'
            ? 'checking…'
            : s.kind === 'ok'
              ? `${s.running} running (${s.total} in all)`
              : `unreachable: ${clean(s.text)}`;
        return (
          <Text key={h.label} inverse={i === selected} color={s.kind === 'error' ? 'red' : undefined}>
            {`${i === selected ? '>' : ' '} ${clean(h.label).padEnd(width)}  ${text}`}
          </Text>
        );
      })}
      <Text dimColor>enter open the host's list ↑↓ move q quit</Text>
    </Box>
  );
}

export async function runHostPicker(io: IO, hosts: readonly RemoteHost[], version: string): Promise<number> {
  if (!io.stdinIsTTY || !io.stdoutIsTTY) {
    throw new UsageError('the cx TUI needs a terminal on stdin and stdout', 'for scripts use `cx ls -H ... -H ...`');
  }
  const stdout = io.stdout as NodeJS.WriteStream;
  const screen = new Screen(io.stdin, stdout, io.stdout === process.stdout ? 1 : undefined);
  let instance: Instance | undefined;
  let signalled: NodeJS.Signals | undefined;
  const handlers = FORWARDED_SIGNALS.map(
    (sig) =>
      [
        sig,
        () => {
          signalled = sig;
          instance?.unmount();
        },
      ] as const,
  );
  for (const [sig, h] of handlers) process.on(sig, h);
  let index = 0;
  let message = '';
  try {
    for (;;) {
      let chosen: number | undefined;
      screen.enter();
      instance = render(
        <Box flexDirection="column">
          <Picker hosts={hosts} io={io} version={version} initial={index} onChoose={(i) => (chosen = i)} />
          {message ? <Text>{message}</Text> : null}
        </Box>,
        { stdin: io.stdin as NodeJS.ReadStream, stdout, stderr: io.stderr as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: true },
      );
      await instance.waitUntilExit();
      instance = undefined;
      screen.leave();
      if (signalled) return signalExitCode(signalled);
      if (chosen === undefined) return 0;
      index = chosen;
      const host = hosts[chosen]!;
      // The remote TUI owns the terminal now, through ssh -tt (ssh reads fd 0 itself: this process
      // must not read it meanwhile); its q brings us back here.
      io.stdin.pause();
      for (const [sig, h] of handlers) process.off(sig, h);
      try {
        const code = await runRemote(host, ['ui'], io, version);
        message = `${clean(host.label)}: the list exited with status ${code}`;
      } catch (err) {
        message = `${clean(host.label)}: ${clean((err as Error).message)}`;
      } finally {
        for (const [sig, h] of handlers) process.on(sig, h);
      }
      await drainStdin(io.stdin, 30);
    }
  } finally {
    instance?.unmount();
    screen.leave();
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}
