/**
 * The TUI's one keymap: every binding is declared here once (action, keys, description, where it
 * applies) and drives both input handling (actionFor) and what help and the footer show
 * (lazydocker pkg/gui/keybindings.go, gemini-cli ui/key/keyBindings.ts).
 */

/**
 * Where a key applies: the container list, a detail view, the help screen, a text prompt, the
 * sessions view, the question before quitting, or inside a session (those keys are byte sequences
 * read by attachLive, not Ink keys: listed here so help and the docs show them).
 */
export type Scope = 'list' | 'detail' | 'help' | 'prompt' | 'sessions' | 'confirm' | 'session';

export type Action =
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'first'
  | 'last'
  | 'filter'
  | 'enter'
  | 'debug'
  | 'toggleAll'
  | 'sort'
  | 'backend'
  | 'user'
  | 'command'
  | 'env'
  | 'inspect'
  | 'processes'
  | 'refresh'
  | 'help'
  | 'back'
  | 'quit'
  | 'accept'
  | 'cancel'
  | 'erase'
  | 'sessions'
  | 'dismiss'
  | 'yes'
  | 'no'
  | 'detach'
  | 'nextSession'
  | 'previousSession'
  | 'record';

/** One binding. `footer` is the short label shown in the footer; bindings without one appear only in help. */
export interface Binding {
  action: Action;
  /** Key names as keyName() produces them: 'q', 'ctrl+c', 'enter', 'escape', 'up', 'pageup', ... */
  keys: readonly string[];
  description: string;
  scopes: readonly Scope[];
  footer?: string;
  /** The longer text of the key table in README.md and docs/tui.md (generated: scripts/keys-table.mjs). */
  doc?: string;
}

export const KEYMAP: readonly Binding[] = [
  { action: 'up', keys: ['up', 'k'], description: 'move up', scopes: ['list', 'detail', 'help', 'sessions'] },
  { action: 'down', keys: ['down', 'j'], description: 'move down', scopes: ['list', 'detail', 'help', 'sessions'] },
  { action: 'pageUp', keys: ['pageup', 'ctrl+b'], description: 'one page up', scopes: ['list', 'detail', 'help', 'sessions'] },
  { action: 'pageDown', keys: ['pagedown', 'ctrl+f'], description: 'one page down', scopes: ['list', 'detail', 'help', 'sessions'] },
  { action: 'first', keys: ['home', 'g'], description: 'go to the top', scopes: ['list', 'detail', 'help', 'sessions'] },
  { action: 'last', keys: ['end', 'G'], description: 'go to the bottom', scopes: ['list', 'detail', 'help', 'sessions'] },
  {
    action: 'enter',
    keys: ['enter'],
    description: 'open a shell in the container (as `cx enter`)',
    scopes: ['list', 'detail'],
    footer: 'shell',
    doc:
      "open a shell in the selected container, exactly as `cx enter` (login shell from the container's passwd, else bash, ash, sh;" +
      " your TERM; the terminal's size from the first prompt, following resizes). Exit the shell to come back: the selection is" +
      ' kept and the exit status is shown. The detach keys leave it running instead',
  },
  {
    action: 'filter',
    keys: ['/'],
    description: 'filter by name, image, id or label',
    scopes: ['list'],
    footer: 'filter',
    doc: 'filter as you type over name, image, id and labels (`key=value`); every word must match; enter keeps it, esc clears it',
  },
  {
    action: 'command',
    keys: ['x', '!'],
    description: 'run a one-off command and show its output',
    scopes: ['list', 'detail'],
    footer: 'run',
    doc:
      "run a one-off command through the container's shell (no TTY) and show its output and exit status (output over 256 KiB is" +
      ' cut; use `cx exec` for bulk)',
  },
  {
    action: 'debug',
    keys: ['d'],
    description: 'a shell with a toolbox, also in images without one (as `cx debug`)',
    scopes: ['list', 'detail'],
    footer: 'debug',
    doc:
      "a shell in the selected container with cx's toolbox (busybox, strace) at /.cx/bin, exactly as `cx debug`: works in images" +
      ' without a shell and with the daemon down (nsenter); the container is not changed',
  },
  {
    action: 'env',
    keys: ['e'],
    description: 'the session environment, with where each variable comes from',
    scopes: ['list', 'detail'],
    footer: 'env',
    doc:
      'the environment a session gets, each variable with the layer that set it (docker default, hostname, container config,' +
      " user's passwd, tty, cx option)",
  },
  {
    action: 'inspect',
    keys: ['i'],
    description: 'inspect summary: image, command, mounts, ports, caps, cgroup, limits',
    scopes: ['list', 'detail'],
    footer: 'inspect',
    doc:
      'inspect summary (first line: the shell Enter would start, or "none in this image: press d"): image, command, user, workdir,' +
      ' mounts, ports, capabilities, security options, namespaces, cgroup, limits,' +
      ' restart policy (from the Engine API; when it does not answer, what is known from disk and a line saying what is missing)',
  },
  {
    action: 'processes',
    keys: ['p'],
    description: "the container's processes",
    scopes: ['list', 'detail'],
    footer: 'procs',
    doc: "the container's processes (host /proc: processes whose cgroup names the container; the Engine API's top as a fallback)",
  },
  {
    action: 'backend',
    keys: ['b'],
    description: 'choose the backend used to enter (cycles auto and the usable ones)',
    scopes: ['list', 'detail'],
    footer: 'backend',
  },
  {
    action: 'user',
    keys: ['u'],
    description: "choose the user to enter as (empty: the container's user)",
    scopes: ['list', 'detail'],
    footer: 'user',
    doc: "choose the user (`name`, `uid`, `name:group`, `uid:gid`; empty = the container's configured user)",
  },
  // a and s are in help (?) only: the footer keeps to the keys that act on a container.
  { action: 'toggleAll', keys: ['a'], description: 'show or hide stopped containers', scopes: ['list'] },
  {
    action: 'sort',
    keys: ['s'],
    description: 'sort by name, age or state',
    scopes: ['list'],
    doc: 'sort by name, age (newest first) or state (running first)',
  },
  {
    action: 'sessions',
    keys: ['w'],
    description: 'the live sessions (running and exited)',
    scopes: ['list', 'detail'],
    footer: 'sessions',
    doc:
      'the live sessions: container, backend, user, command, started, last output, running or exited with its status;' +
      ' enter returns to one (an exited one shows its last screen), x dismisses an exited one',
  },
  { action: 'enter', keys: ['enter'], description: 'return to the session', scopes: ['sessions'], footer: 'return' },
  {
    action: 'record',
    keys: ['R'],
    description: 'record the sessions opened from now on (toggle)',
    scopes: ['list', 'detail', 'sessions'],
    doc:
      'toggle recording: each session opened from then on is written as an asciicast v2 file (output only) to' +
      ' `$CX_RECORD_DIR`, else `~/.local/state/cx/recordings`; play one with `cx replay`',
  },
  { action: 'dismiss', keys: ['x', 'delete'], description: 'dismiss an exited session', scopes: ['sessions'], footer: 'dismiss' },
  {
    action: 'detach',
    keys: ['ctrl+p ctrl+q'],
    description: 'detach: back to the list, the session keeps running',
    scopes: ['session'],
    doc:
      'detach: back to the list while the session keeps running, ' +
      'its screen kept for when you return (`--detach-keys` changes these keys)',
  },
  { action: 'nextSession', keys: ['ctrl+p ctrl+n'], description: 'switch to the next live session', scopes: ['session'] },
  { action: 'previousSession', keys: ['ctrl+p ctrl+b'], description: 'switch to the previous live session', scopes: ['session'] },
  { action: 'refresh', keys: ['r', 'ctrl+l'], description: 'refresh now', scopes: ['list', 'detail'] },
  { action: 'help', keys: ['?'], description: 'show this help', scopes: ['list', 'detail'], footer: 'help' },
  {
    action: 'back',
    keys: ['escape', 'q', 'backspace', 'delete', 'left', 'h'],
    description: 'back to the list',
    scopes: ['detail', 'sessions'],
    footer: 'back',
  },
  { action: 'back', keys: ['escape', 'q', '?'], description: 'close help', scopes: ['help'], footer: 'close' },
  { action: 'cancel', keys: ['escape'], description: 'clear the filter and messages', scopes: ['list'] },
  { action: 'quit', keys: ['q', 'ctrl+c'], description: 'quit cx', scopes: ['list'], footer: 'quit' },
  { action: 'quit', keys: ['ctrl+c'], description: 'quit cx', scopes: ['detail', 'help', 'prompt', 'sessions'] },
  {
    action: 'yes',
    keys: ['y'],
    description: 'quit and hang up the live sessions',
    scopes: ['confirm'],
    footer: 'quit',
    doc: 'quitting with live sessions asks first; y hangs them up (as a closing terminal would) and quits',
  },
  { action: 'no', keys: ['n', 'escape', 'q'], description: 'do not quit', scopes: ['confirm'], footer: 'stay' },
  { action: 'accept', keys: ['enter'], description: 'accept', scopes: ['prompt'], footer: 'accept' },
  { action: 'cancel', keys: ['escape'], description: 'cancel (the filter prompt: clear it)', scopes: ['prompt'], footer: 'cancel' },
  { action: 'erase', keys: ['backspace', 'delete'], description: 'delete the last character', scopes: ['prompt'] },
];

/** The subset of Ink's Key that naming needs (kept structural so tests and Ink both fit). */
export interface KeyInfo {
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  pageUp: boolean;
  pageDown: boolean;
  home: boolean;
  end: boolean;
  return: boolean;
  escape: boolean;
  ctrl: boolean;
  tab: boolean;
  backspace: boolean;
  delete: boolean;
}

const SPECIAL: ReadonlyArray<[keyof KeyInfo, string]> = [
  ['upArrow', 'up'],
  ['downArrow', 'down'],
  ['leftArrow', 'left'],
  ['rightArrow', 'right'],
  ['pageUp', 'pageup'],
  ['pageDown', 'pagedown'],
  ['home', 'home'],
  ['end', 'end'],
  ['return', 'enter'],
  ['escape', 'escape'],
  ['tab', 'tab'],
  ['backspace', 'backspace'],
  ['delete', 'delete'],
];

/** The key name a keypress has in KEYMAP, or undefined for text with no name (a paste, say). */
export function keyName(input: string, key: KeyInfo): string | undefined {
  for (const [flag, name] of SPECIAL) if (key[flag]) return name;
  if (key.ctrl && input.length === 1) return `ctrl+${input.toLowerCase()}`;
  return input.length === 1 ? input : undefined;
}

export function actionFor(scope: Scope, input: string, key: KeyInfo): Action | undefined {
  const name = keyName(input, key);
  if (name === undefined) return undefined;
  return KEYMAP.find((b) => b.scopes.includes(scope) && b.keys.includes(name))?.action;
}

/** "↑/k", "ctrl+c", "enter": how a binding's keys are written in help and the footer. */
export function keyLabel(keys: readonly string[]): string {
  const pretty: Record<string, string> = {
    up: '↑',
    down: '↓',
    left: '←',
    right: '→',
    escape: 'esc',
    pageup: 'pgup',
    pagedown: 'pgdn',
  };
  return keys.map((k) => pretty[k] ?? k).join('/');
}

/** A keypress with no special key held: what plain input looks like (tests build keys from it). */
export const NO_KEY: KeyInfo = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  tab: false,
  backspace: false,
  delete: false,
};

const BURST_KEYS: Record<string, Partial<KeyInfo>> = {
  '\r': { return: true },
  '\n': { return: true },
  '\t': { tab: true },
  '\x7f': { delete: true },
  '\b': { backspace: true },
};

/**
 * A burst of input read at once (a fast typist, a paste, a test typing "/web\r") as the keypresses
 * it stands for, so each one acts as if typed alone. Only used when the terminal sent no named key.
 */
export function splitBurst(input: string): Array<{ input: string; key: KeyInfo }> {
  return [...input].map((ch) => {
    const special = BURST_KEYS[ch];
    return special ? { input: '', key: { ...NO_KEY, ...special } } : { input: ch, key: NO_KEY };
  });
}
