import type { Container } from '../discovery/types.js';
import type { LiveMode } from './data/live.js';
import type { EngineState, EnterChoice } from './data/sources.js';
import { scrollTop, SORT_KEYS, visibleContainers, type SortKey } from './presentation/containers.js';

/** The detail views: the session environment, the inspect summary, processes, a command's output. */
export type DetailTab = 'env' | 'inspect' | 'processes' | 'output';
export type View =
  | { kind: 'list' }
  | { kind: 'help'; back: View }
  | { kind: 'detail'; tab: DetailTab; id: string; command?: string }
  | { kind: 'sessions' };
export type PromptKind = 'filter' | 'user' | 'command';
export interface Prompt {
  kind: PromptKind;
  text: string;
}
export interface Message {
  text: string;
  tone: 'info' | 'error';
}

/** Everything the TUI shows, in one value; changed only by reduce(). */
export interface UiState {
  /** Every container the last listing returned (stopped ones included). */
  containers: Container[];
  loaded: boolean;
  listError: string | undefined;
  warnings: string[];
  /** The daemon's health from the last listing (undefined when the sources do not know it). */
  engine: EngineState | undefined;
  live: LiveMode;
  all: boolean;
  filter: string;
  sort: SortKey;
  /** The selection follows the container (by id) across refreshes and re-sorts. */
  selectedId: string | undefined;
  selectedIndex: number;
  top: number;
  /** Rows of the list viewport (set from the terminal size). */
  listHeight: number;
  view: View;
  detailTop: number;
  prompt: Prompt | undefined;
  choice: EnterChoice;
  message: Message | undefined;
  /** The selected row of the sessions view. */
  sessionIndex: number;
  /** Quit was asked for with live sessions running: waiting for y or n. */
  confirmQuit: boolean;
  /** Sessions opened from now on are recorded. */
  recording: boolean;
}

/** What survives a handoff to a session and back (the app is unmounted meanwhile). */
export type UiSnapshot = Pick<
  UiState,
  | 'containers'
  | 'loaded'
  | 'engine'
  | 'live'
  | 'all'
  | 'filter'
  | 'sort'
  | 'selectedId'
  | 'selectedIndex'
  | 'choice'
  | 'message'
  | 'view'
  | 'sessionIndex'
  | 'recording'
>;

export function initialState(snapshot?: Partial<UiSnapshot>): UiState {
  return {
    containers: [],
    loaded: false,
    listError: undefined,
    warnings: [],
    engine: undefined,
    live: { kind: 'connecting' },
    all: false,
    filter: '',
    sort: 'name',
    selectedId: undefined,
    selectedIndex: 0,
    top: 0,
    listHeight: 10,
    view: { kind: 'list' },
    detailTop: 0,
    prompt: undefined,
    choice: { backend: 'auto', user: '' },
    message: undefined,
    sessionIndex: 0,
    confirmQuit: false,
    recording: false,
    ...snapshot,
  };
}

export function snapshotOf(s: UiState): UiSnapshot {
  const { containers, loaded, engine, live, all, filter, sort, selectedId, selectedIndex, choice, message, sessionIndex, recording } = s;
  // Back from a session to the sessions view if that is where it was opened from; else the list.
  const view: View = s.view.kind === 'sessions' ? s.view : { kind: 'list' };
  return { containers, loaded, engine, live, all, filter, sort, selectedId, selectedIndex, choice, message, view, sessionIndex, recording };
}

export type Move = 'up' | 'down' | 'pageUp' | 'pageDown' | 'first' | 'last';

export type UiEvent =
  | { type: 'listed'; containers: Container[]; warnings: string[]; engine?: EngineState }
  | { type: 'listFailed'; error: string }
  | { type: 'live'; mode: LiveMode }
  | { type: 'resize'; listHeight: number }
  | { type: 'move'; move: Move }
  | { type: 'detailMove'; move: Move; lines: number; height: number }
  | { type: 'toggleAll' }
  | { type: 'cycleSort' }
  | { type: 'cycleBackend'; names: readonly string[] }
  | { type: 'openPrompt'; kind: PromptKind }
  | { type: 'promptInput'; text: string }
  | { type: 'promptErase' }
  | { type: 'promptCancel' }
  | { type: 'promptAccept' }
  | { type: 'showDetail'; tab: DetailTab; command?: string }
  | { type: 'help' }
  | { type: 'back' }
  | { type: 'message'; message: Message | undefined }
  | { type: 'clearFilter' }
  | { type: 'showSessions' }
  | { type: 'sessionMove'; move: Move; count: number }
  | { type: 'confirmQuit'; asking: boolean; message?: Message }
  | { type: 'toggleRecording' };

export function visibleOf(s: UiState): Container[] {
  return visibleContainers(s.containers, { all: s.all, filter: s.filter, sort: s.sort });
}

export function selectedOf(s: UiState): Container | undefined {
  const visible = visibleOf(s);
  return visible[s.selectedIndex];
}

/** Re-anchor the selection after anything that changes what is visible: same container if still shown, else the same position. */
function settle(s: UiState, preferIndex?: number): UiState {
  const visible = visibleOf(s);
  // Nothing to show (not listed yet, or filtered out): keep the selection for when it comes back.
  if (visible.length === 0) return { ...s, top: 0 };
  let index = preferIndex ?? visible.findIndex((c) => c.id === s.selectedId);
  if (index < 0) index = s.selectedIndex;
  index = Math.max(0, Math.min(index, visible.length - 1));
  const top = scrollTop(index, Math.min(s.top, Math.max(0, visible.length - s.listHeight)), s.listHeight);
  return { ...s, selectedIndex: index, selectedId: visible[index]?.id, top };
}

function moved(index: number, move: Move, count: number, page: number): number {
  switch (move) {
    case 'up':
      return index - 1;
    case 'down':
      return index + 1;
    case 'pageUp':
      return index - Math.max(1, page - 1);
    case 'pageDown':
      return index + Math.max(1, page - 1);
    case 'first':
      return 0;
    case 'last':
      return count - 1;
  }
}

const USER_SPEC = /^[^:\s]+(:[^:\s]+)?$/;

export function reduce(s: UiState, e: UiEvent): UiState {
  switch (e.type) {
    case 'listed':
      return settle({ ...s, containers: e.containers, warnings: e.warnings, engine: e.engine, loaded: true, listError: undefined });
    case 'listFailed':
      return { ...s, loaded: true, listError: e.error };
    case 'live':
      return { ...s, live: e.mode };
    case 'resize':
      return settle({ ...s, listHeight: Math.max(1, e.listHeight) });
    case 'move':
      return settle(s, moved(s.selectedIndex, e.move, visibleOf(s).length, s.listHeight));
    case 'detailMove': {
      const max = Math.max(0, e.lines - e.height);
      return { ...s, detailTop: Math.max(0, Math.min(max, moved(s.detailTop, e.move, e.lines, e.height))) };
    }
    case 'toggleAll':
      return settle({ ...s, all: !s.all });
    case 'cycleSort':
      return settle({ ...s, sort: SORT_KEYS[(SORT_KEYS.indexOf(s.sort) + 1) % SORT_KEYS.length] ?? 'name' });
    case 'cycleBackend': {
      const options = ['auto', ...e.names];
      const next = options[(options.indexOf(s.choice.backend) + 1) % options.length] ?? 'auto';
      return {
        ...s,
        choice: { ...s.choice, backend: next as EnterChoice['backend'] },
        message: { text: `entering with backend ${next}`, tone: 'info' },
      };
    }
    case 'openPrompt':
      return {
        ...s,
        prompt: { kind: e.kind, text: e.kind === 'filter' ? s.filter : e.kind === 'user' ? s.choice.user : '' },
        message: undefined,
      };
    case 'promptInput': {
      if (!s.prompt) return s;
      // Only printable text goes into a prompt (a paste may carry controls).
      const text = s.prompt.text + e.text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
      return promptChanged(s, text);
    }
    case 'promptErase':
      return s.prompt ? promptChanged(s, [...s.prompt.text].slice(0, -1).join('')) : s;
    case 'promptCancel':
      if (s.prompt?.kind === 'filter') return settle({ ...s, prompt: undefined, filter: '' });
      return { ...s, prompt: undefined };
    case 'promptAccept':
      return accept(s);
    case 'showDetail': {
      const c = selectedOf(s);
      if (!c) return { ...s, message: { text: 'no container selected', tone: 'error' } };
      return {
        ...s,
        view: { kind: 'detail', tab: e.tab, id: c.id, ...(e.command === undefined ? {} : { command: e.command }) },
        detailTop: 0,
      };
    }
    case 'help':
      return s.view.kind === 'help' ? s : { ...s, view: { kind: 'help', back: s.view }, detailTop: 0 };
    case 'back':
      return { ...s, view: s.view.kind === 'help' ? s.view.back : { kind: 'list' }, detailTop: 0 };
    case 'message':
      return { ...s, message: e.message };
    case 'clearFilter':
      return settle({ ...s, filter: '', message: undefined });
    case 'showSessions':
      return { ...s, view: { kind: 'sessions' }, message: undefined };
    case 'sessionMove':
      return { ...s, sessionIndex: Math.max(0, Math.min(e.count - 1, moved(s.sessionIndex, e.move, e.count, s.listHeight))) };
    case 'confirmQuit':
      return { ...s, confirmQuit: e.asking, message: e.message };
    case 'toggleRecording':
      return {
        ...s,
        recording: !s.recording,
        message: { text: s.recording ? 'recording off' : 'recording the sessions opened from now on (R stops)', tone: 'info' },
      };
  }
}

function promptChanged(s: UiState, text: string): UiState {
  if (!s.prompt) return s;
  const next = { ...s, prompt: { ...s.prompt, text } };
  // The filter applies as you type.
  return s.prompt.kind === 'filter' ? settle({ ...next, filter: text }) : next;
}

function accept(s: UiState): UiState {
  const p = s.prompt;
  if (!p) return s;
  const closed = { ...s, prompt: undefined };
  switch (p.kind) {
    case 'filter':
      return settle({ ...closed, filter: p.text.trim() });
    case 'user': {
      const user = p.text.trim();
      if (user !== '' && !USER_SPEC.test(user))
        return { ...s, message: { text: `invalid user '${user}': use name, uid, name:group or uid:gid`, tone: 'error' } };
      return {
        ...closed,
        choice: { ...s.choice, user },
        message: { text: user === '' ? "entering as the container's user" : `entering as ${user}`, tone: 'info' },
      };
    }
    case 'command':
      // The app runs it (a side effect); here the prompt just closes.
      return closed;
  }
}
