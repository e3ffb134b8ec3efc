import { Box, useApp, useInput, type Key } from 'ink';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import type { Container } from '../discovery/types.js';
import { isRunning } from '../discovery/container-state.js';
import { ContainerList } from './components/ContainerList.js';
import { DetailView } from './components/DetailView.js';
import { Footer } from './components/Footer.js';
import { Header } from './components/Header.js';
import { HelpView } from './components/HelpView.js';
import { SessionsView } from './components/SessionsView.js';
import { StatusLine } from './components/StatusLine.js';
import type { SessionRow, SessionsSource } from './data/sessions.js';
import type { EnterChoice, TuiSources } from './data/sources.js';
import { useContainers } from './hooks/use-containers.js';
import { useDetail } from './hooks/use-detail.js';
import { useTerminalSize, type ScreenSize } from './hooks/use-terminal-size.js';
import { actionFor, splitBurst, type Action, type Scope } from './keymap.js';
import { helpLines } from './presentation/help.js';
import { bannerText, headerText } from './presentation/status.js';
import { clean } from './presentation/text.js';
import { saveCodeCache } from '../util/code-cache.js';
import { initialState, reduce, selectedOf, snapshotOf, visibleOf, type UiEvent, type UiSnapshot, type UiState } from './state.js';

/** Why the app ended: quit, or hand the terminal to a shell in a container and come back. */
export type TuiResult =
  | { kind: 'quit' }
  | { kind: 'enter' | 'debug'; container: Container; choice: EnterChoice; record: boolean }
  | { kind: 'resume'; id: number };

export interface AppProps {
  sources: TuiSources;
  /** State carried over from before a handoff (selection, filter, sort, choice, last status). */
  initial?: Partial<UiSnapshot>;
  /** A fixed screen size (component tests); else the terminal's, following resizes. */
  size?: ScreenSize;
  onExit: (result: TuiResult, snapshot: UiSnapshot) => void;
  /** The sessions kept running while the list shows (none when absent). */
  sessions?: SessionsSource;
}

const NO_SESSIONS: SessionsSource = { rows: () => [], onChange: () => ({ dispose: () => undefined }) };

/** The live sessions, re-read whenever one opens, exits or is dismissed. */
function useSessions(source: SessionsSource): SessionRow[] {
  const [rows, setRows] = useState(() => source.rows());
  useEffect(() => {
    setRows(source.rows());
    const sub = source.onChange(() => setRows(source.rows()));
    return () => sub.dispose();
  }, [source]);
  return rows;
}

function scopeOf(s: UiState): Scope {
  if (s.confirmQuit) return 'confirm';
  if (s.prompt) return 'prompt';
  if (s.view.kind === 'sessions') return 'sessions';
  if (s.view.kind === 'help') return 'help';
  return s.view.kind === 'detail' ? 'detail' : 'list';
}

const MOVES: Partial<Record<Action, 'up' | 'down' | 'pageUp' | 'pageDown' | 'first' | 'last'>> = {
  up: 'up',
  down: 'down',
  pageUp: 'pageUp',
  pageDown: 'pageDown',
  first: 'first',
  last: 'last',
};

export function App({ sources, initial, size: fixedSize, onExit, sessions: sessionsSource = NO_SESSIONS }: AppProps) {
  const { exit } = useApp();
  const size = useTerminalSize(fixedSize);
  const [state, dispatchRaw] = useReducer(reduce, initial, initialState);
  const dispatch = useCallback((e: UiEvent) => dispatchRaw(e), []);
  const { now, refresh } = useContainers(sources, dispatch);
  const [nonce, setNonce] = useState(0);
  const latest = useRef(state);
  const sessionRows = useSessions(sessionsSource);
  // Once the list is painted, let the loader keep what compiling the TUI cost (nothing outside it).
  useEffect(() => {
    if (state.loaded) setTimeout(() => saveCodeCache('ui'), 0);
  }, [state.loaded]);
  const liveRows = useRef(sessionRows);
  liveRows.current = sessionRows;
  const liveMarks = new Map<string, 'running' | 'exited'>();
  for (const r of sessionRows)
    if (r.running || !liveMarks.has(r.containerId)) liveMarks.set(r.containerId, r.running ? 'running' : 'exited');
  const handler = useRef<(input: string, key: Key) => void>(() => undefined);

  const visible = visibleOf(state);
  const selected = selectedOf(state);
  const detailId = state.view.kind === 'detail' ? state.view.id : undefined;
  const detailContainer = detailId === undefined ? undefined : state.containers.find((c) => c.id === detailId);
  const detail = useDetail(
    sources,
    state.view.kind === 'detail' ? state.view.tab : undefined,
    detailContainer,
    state.choice,
    state.view.kind === 'detail' ? state.view.command : undefined,
    nonce,
  );
  // The container actions apply to: the one in the detail view, else the selected one.
  const target = detailContainer ?? selected;
  const enterVia = target ? (state.choice.backend === 'auto' ? sources.registry.usableFor(target)[0] : state.choice.backend) : undefined;
  const banner = bannerText(state.live, state.listError, enterVia, state.engine);
  // Height: one line short of the screen, or Ink clears the whole terminal on every frame.
  const bodyHeight = Math.max(2, size.rows - 1 - 1 - (banner ? 1 : 0) - 2);
  const listHeight = bodyHeight - 1;
  useEffect(() => dispatch({ type: 'resize', listHeight }), [listHeight, dispatch]);

  // Keys are handled against a local copy of the state, advanced by every event: a burst of keys
  // in one read ("/web" from a fast typist, a paste, a test) must act as if typed one by one.
  // Ink re-subscribes input handlers in an effect, so a key can reach a handler from an older
  // render: read the state from a ref that every render and every handled key bring up to date.
  latest.current = state;
  let s = state;
  const emit = (e: UiEvent): void => {
    s = reduce(s, e);
    latest.current = s;
    dispatch(e);
  };
  let finished = false;
  const finish = (result: TuiResult): void => {
    if (finished) return;
    finished = true;
    onExit(result, snapshotOf(s));
    exit();
  };
  const current = (): Container | undefined =>
    s.view.kind === 'detail' ? (s.containers.find((c) => c.id === detailId) ?? undefined) : selectedOf(s);
  const running = (c: Container | undefined): c is Container => {
    if (!c) {
      emit({ type: 'message', message: { text: 'no container selected', tone: 'error' } });
      return false;
    }
    if (!isRunning(c)) {
      emit({ type: 'message', message: { text: `${c.name} is ${c.state}: nothing to enter`, tone: 'error' } });
      return false;
    }
    return true;
  };

  const onAction = (action: Action | undefined): void => {
    const move = action ? MOVES[action] : undefined;
    if (move && s.view.kind === 'sessions') {
      emit({ type: 'sessionMove', move, count: liveRows.current.length });
      return;
    }
    if (move) {
      const lines = s.view.kind === 'help' ? helpLines().length : (detail?.lines.length ?? 0);
      emit(s.view.kind === 'list' ? { type: 'move', move } : { type: 'detailMove', move, lines, height: listHeight });
      return;
    }
    const c = current();
    switch (action) {
      case 'quit': {
        const live = liveRows.current.filter((r) => r.running).length;
        if (live === 0) return finish({ kind: 'quit' });
        const what = live === 1 ? '1 live session' : `${live} live sessions`;
        return emit({
          type: 'confirmQuit',
          asking: true,
          message: { text: `${what}: quit and hang up? (y quits, n stays)`, tone: 'error' },
        });
      }
      case 'yes':
        return finish({ kind: 'quit' });
      case 'no':
        return emit({ type: 'confirmQuit', asking: false });
      case 'sessions':
        return emit({ type: 'showSessions' });
      case 'record':
        return emit({ type: 'toggleRecording' });
      case 'dismiss': {
        const row = liveRows.current[Math.min(s.sessionIndex, liveRows.current.length - 1)];
        if (!row) return;
        if (row.running)
          return emit({
            type: 'message',
            message: { text: `${clean(row.containerName)}: still running (return to it and exit, or quit cx to hang up)`, tone: 'error' },
          });
        sessionsSource.dismiss?.(row.id);
        return;
      }
      case 'enter':
        if (s.view.kind === 'sessions') {
          const row = liveRows.current[Math.min(s.sessionIndex, liveRows.current.length - 1)];
          if (row) finish({ kind: 'resume', id: row.id });
          else emit({ type: 'message', message: { text: 'no live session selected', tone: 'error' } });
          return;
        }
        if (running(c)) finish({ kind: 'enter', container: c, choice: s.choice, record: s.recording });
        return;
      case 'debug':
        if (running(c)) finish({ kind: 'debug', container: c, choice: s.choice, record: s.recording });
        return;
      case 'filter':
        return emit({ type: 'openPrompt', kind: 'filter' });
      case 'user':
        return emit({ type: 'openPrompt', kind: 'user' });
      case 'command':
        if (running(c)) emit({ type: 'openPrompt', kind: 'command' });
        return;
      case 'toggleAll':
        return emit({ type: 'toggleAll' });
      case 'sort':
        return emit({ type: 'cycleSort' });
      case 'backend':
        return emit({ type: 'cycleBackend', names: c ? sources.registry.usableFor(c) : sources.backendNames });
      case 'env':
        if (running(c)) emit({ type: 'showDetail', tab: 'env' });
        return;
      case 'inspect':
        return emit({ type: 'showDetail', tab: 'inspect' });
      case 'processes':
        return emit({ type: 'showDetail', tab: 'processes' });
      case 'refresh':
        refresh();
        if (s.view.kind === 'detail') setNonce((n) => n + 1);
        return;
      case 'help':
        return emit({ type: 'help' });
      case 'back':
        return emit({ type: 'back' });
      case 'cancel':
        return emit({ type: 'clearFilter' });
      default:
        return;
    }
  };

  const onPromptKey = (input: string, key: Key): void => {
    switch (actionFor('prompt', input, key)) {
      case 'accept': {
        const command = s.prompt?.kind === 'command' ? s.prompt.text.trim() : '';
        emit({ type: 'promptAccept' });
        if (command !== '') emit({ type: 'showDetail', tab: 'output', command });
        return;
      }
      case 'cancel':
        return emit({ type: 'promptCancel' });
      case 'erase':
        return emit({ type: 'promptErase' });
      case 'quit':
        return finish({ kind: 'quit' });
      default:
        if (!key.ctrl && !key.meta && input !== '') emit({ type: 'promptInput', text: input });
    }
  };

  handler.current = (input: string, key: Key): void => {
    s = latest.current;
    const named = Object.entries(key).some(([k, v]) => v === true && k !== 'shift');
    // A burst of plain characters: one at a time, so '/' can open the prompt the rest goes into.
    const parts = !named && input.length > 1 ? splitBurst(input) : [{ input, key }];
    for (const part of parts) {
      if (finished) return;
      if (s.prompt) onPromptKey(part.input, { ...key, ...part.key });
      else onAction(actionFor(scopeOf(s), part.input, part.key));
    }
  };
  useInput((input, key) => handler.current(input, key));

  const scope = scopeOf(state);
  const title = headerText({
    total: state.all ? state.containers.length : visibleOf({ ...state, filter: '' }).length,
    shown: visible.length,
    all: state.all,
    filter: state.filter,
    sort: state.sort,
    choice: state.choice,
    live: state.live,
    recording: state.recording,
  });
  const empty = !state.loaded
    ? 'loading…'
    : state.filter !== ''
      ? `nothing matches "${clean(state.filter)}" (esc clears the filter)`
      : state.all
        ? 'no containers'
        : 'no running containers (a shows stopped ones)';
  return (
    <Box flexDirection="column" width={size.cols} height={size.rows - 1}>
      <Header title={title} banner={banner} width={size.cols} />
      {state.view.kind === 'sessions' ? (
        <SessionsView
          rows={sessionRows}
          selectedIndex={Math.min(state.sessionIndex, Math.max(0, sessionRows.length - 1))}
          height={listHeight}
          width={size.cols}
          now={now}
        />
      ) : state.view.kind === 'help' ? (
        <HelpView top={state.detailTop} height={listHeight} width={size.cols} />
      ) : state.view.kind === 'detail' ? (
        <DetailView
          title={detail?.title ?? ''}
          lines={detailContainer ? (detail?.lines ?? []) : [{ text: 'this container is gone', tone: 'error' }]}
          top={state.detailTop}
          height={listHeight}
          width={size.cols}
        />
      ) : (
        <ContainerList
          containers={visible}
          selectedIndex={state.selectedIndex}
          top={state.top}
          height={listHeight}
          width={size.cols}
          now={now}
          backendsFor={(c) => sources.registry.usableFor(c)}
          empty={empty}
          live={liveMarks}
        />
      )}
      <StatusLine prompt={state.prompt} message={state.message} filter={state.filter} width={size.cols} />
      <Footer scope={scope} width={size.cols} />
    </Box>
  );
}
