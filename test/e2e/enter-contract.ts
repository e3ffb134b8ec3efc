/**
 * `cx enter` in a real pty, the way a person uses it: the same checks for every backend. A backend's
 * e2e file calls enterContract('<name>').
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { after, before, describe, it } from 'node:test';
import { CX_BIN } from '../helpers/cx.js';
import { Containers, requireEngine, type TestContainer } from '../helpers/engine.js';
import { PtyRun } from '../helpers/pty.js';

/**
 * `via` runs the same checks through another way of reaching the host: options put before the
 * command (cx -H ssh://... for a remote host) and the environment those need, both read at run time.
 */
export interface EnterVia {
  label: string;
  args: () => string[];
  env: () => Record<string, string>;
  /** Starts the container (the ssh backend needs one with an sshd). */
  start?: (containers: Containers) => Promise<TestContainer>;
  /** The shell is a login shell started by an sshd: $0 is "-ash", as with any ssh login. */
  loginShell?: boolean;
}

export function enterContract(backend: string, via?: EnterVia): void {
  describe(`cx enter in a real pty: ${backend}${via ? ` (${via.label})` : ''}`, () => {
    const containers = new Containers();
    let c: TestContainer;
    let dir: string;
    const argv = (): string[] => [...(via?.args() ?? []), 'enter', '--backend', backend, c.name];
    const env = (): Record<string, string> => via?.env() ?? {};
    /** `cx enter` in a pty; `body` runs at the shell's first prompt, then `exit` must end cx with 0. */
    const inShell = async (body: (p: PtyRun) => Promise<void>, opts: { cols?: number; rows?: number } = {}): Promise<void> => {
      const p = new PtyRun(CX_BIN, argv(), { cols: opts.cols ?? 100, rows: opts.rows ?? 30, env: env() });
      try {
        await p.expect(/# $/m);
        await body(p);
        p.type('exit\r');
        assert.equal((await p.waitExit()).exitCode, 0);
      } finally {
        p.kill();
      }
    };
    /** Start a command that keeps the terminal: wait for its echo, then give it a moment to start. */
    const startCommand = async (p: PtyRun, cmd: string): Promise<void> => {
      const from = p.mark();
      p.type(`${cmd}\r`);
      await p.expect(cmd, { from });
      await new Promise((r) => setTimeout(r, 300));
    };
    /** `cx enter` run by a shell that saves the terminal settings (stty -g) before and after it and prints its exit code. */
    const enterUnderStty = (tag: string): PtyRun => {
      const script = `stty -g > ${dir}/${tag}-before; ${CX_BIN} ${argv().join(' ')}; echo "cx-exit=$?"; stty -g > ${dir}/${tag}-after`;
      return new PtyRun('/bin/sh', ['-c', script], { env: env() });
    };
    /** What stty -g said before and after the cx that enterUnderStty(tag) ran. */
    const sttyAround = (tag: string): Promise<[string, string]> =>
      Promise.all([readFile(`${dir}/${tag}-before`, 'utf8'), readFile(`${dir}/${tag}-after`, 'utf8')]);

    before(async () => {
      await requireEngine();
      c = via?.start ? await via.start(containers) : await containers.run();
      dir = await mkdtemp(path.join(os.tmpdir(), 'cx-e2e-'));
    });
    after(async () => {
      await containers.remove();
      await rm(dir, { recursive: true, force: true });
    });

    it('opens the login shell with the right size from the first prompt, and follows resizes', () =>
      inShell(
        async (p) => {
          const first = await p.ask('stty size', /(\d+) (\d+)\r?\n/);
          assert.deepEqual([first[1], first[2]], ['37', '117']);
          p.resize(90, 25);
          const second = await p.ask('sleep 0.2; stty size', /(\d+) (\d+)\r?\n/);
          assert.deepEqual([second[1], second[2]], ['25', '90']);
          await p.ask('echo $0', via?.loginShell ? /-ash/ : /\/bin\/ash/);
          // Output reaches the terminal untouched: no extra CR from the outer terminal's output processing.
          assert.ok(!p.screen.includes('\r\r\n'), JSON.stringify(p.screen.slice(-200)));
        },
        { cols: 117, rows: 37 },
      ));

    it('carries UTF-8 typed at the terminal byte-exact, both ways', () =>
      inShell(async (p) => {
        // Not the shell's `read`: a resize arriving meanwhile (SIGWINCH) would interrupt it.
        await startCommand(p, 'head -n1 | od -An -tx1');
        const from = p.mark();
        p.type('é€😀\r');
        await p.expect(/c3 a9 e2 82 ac f0 9f 98 80/, { from });
        await p.ask('printf "\\303\\251\\n"', /\r\né\r\n/);
      }));

    it('starts every time when the terminal is resized right as the session starts (20 sessions)', async () => {
      for (let i = 0; i < 20; i++) {
        const p = new PtyRun(CX_BIN, ['exec', '-t', '--backend', backend, c.name, '--', 'sh', '-c', 'stty size; echo done'], {
          cols: 80,
          rows: 24,
          env: env(),
        });
        try {
          // While cx is still starting the session: resizes land before, during and after the start.
          for (let k = 0; k < 5; k++) p.resize(81 + k, 25 + k);
          setImmediate(() => p.resize(100, 40));
          const exit = await p.waitExit();
          assert.equal(exit.exitCode, 0, `session ${i}: ${p.screen.slice(-400)}`);
          // (What stty says depends on the backend: docker before API 1.42 starts the pty at 0x0.)
          assert.match(p.screen, /\r?\ndone/, `session ${i}`);
        } finally {
          p.kill();
        }
      }
    });

    it('Ctrl-C interrupts the command inside, not cx', () =>
      inShell(async (p) => {
        await startCommand(p, 'sleep 100');
        p.type('\x03');
        await p.ask('echo "status=$?"', /status=130/);
      }));

    it('Ctrl-Z suspends the command inside, and fg resumes it', () =>
      inShell(async (p) => {
        await startCommand(p, 'sleep 100');
        let from = p.mark();
        p.type('\x1a');
        await p.expect(/Stopped/i, { from });
        await p.ask('jobs', /sleep 100/);
        from = p.mark();
        p.type('fg\r');
        await p.expect('sleep 100', { from });
        p.type('\x03');
        await p.ask('echo "after=$?"', /after=130/);
      }));

    it('SIGTERM to cx ends the session and restores the terminal', async () => {
      const p = enterUnderStty('term');
      try {
        await p.expect(/# $/m);
        // The shell's one child is cx (bin/cx execs Node in place): never a remote cx on this same machine.
        const pgrep = await execa('pgrep', ['-P', String(p.pid)], { reject: false });
        const pid = Number(pgrep.stdout.trim().split('\n')[0]);
        assert.ok(pid > 0, `cx not found: ${pgrep.stdout}`);
        process.kill(pid, 'SIGTERM');
        await p.expect(/cx-exit=(\d+)/);
        await p.waitExit();
        const [before, afterSettings] = await sttyAround('term');
        assert.equal(afterSettings, before);
      } finally {
        p.kill();
      }
    });

    it("exit 7 makes cx exit 7, and the outer terminal's settings are as before", async () => {
      const p = enterUnderStty('exit');
      try {
        await p.expect(/# $/m);
        p.type('exit 7\r');
        await p.expect(/cx-exit=7/);
        await p.waitExit();
        const [before, afterSettings] = await sttyAround('exit');
        assert.ok(before.length > 10);
        assert.equal(afterSettings, before);
      } finally {
        p.kill();
      }
    });
  });
}
