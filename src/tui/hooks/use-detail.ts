import { useEffect, useState } from 'react';
import type { Container } from '../../discovery/types.js';
import { runCommand, sessionEnvironment, shellOf, type EnterChoice, type TuiSources } from '../data/sources.js';
import { envLines, inspectLines, outputLines, processLines, shellLine, type Line } from '../presentation/details.js';
import { clean } from '../presentation/text.js';
import type { DetailTab } from '../state.js';

export interface DetailContent {
  title: string;
  lines: Line[];
  loading: boolean;
}

function titleOf(tab: DetailTab, c: Container, command: string | undefined): string {
  const name = clean(c.name);
  switch (tab) {
    case 'env':
      return `environment of a session in ${name}`;
    case 'inspect':
      return `inspect ${name}`;
    case 'processes':
      return `processes of ${name}`;
    case 'output':
      return `${name}: ${clean(command ?? '')}`;
  }
}

async function load(
  sources: TuiSources,
  tab: DetailTab,
  c: Container,
  choice: EnterChoice,
  command: string | undefined,
  signal: AbortSignal,
): Promise<Line[]> {
  switch (tab) {
    case 'env': {
      const env = await sessionEnvironment(sources, c, choice);
      return [
        { text: `as ${clean(choice.user || c.config.user || 'root')} via ${env.backend} (${clean(env.why)})`, tone: 'dim' },
        ...envLines(env.entries),
      ];
    }
    case 'inspect': {
      const [summary, shell] = await Promise.all([
        sources.inspect(c),
        c.state === 'running' ? shellOf(sources, c, choice) : Promise.resolve(undefined),
      ]);
      const line = shellLine(shell);
      return [...(line ? [line] : []), ...inspectLines(summary)];
    }
    case 'processes':
      return processLines(await sources.processes(c));
    case 'output':
      return outputLines(command ?? '', await runCommand(sources, c, choice, command ?? '', signal));
  }
}

/**
 * Loads what a detail view shows for one container; `nonce` reloads it (r). Leaving the view aborts
 * a command still running.
 */
export function useDetail(
  sources: TuiSources,
  tab: DetailTab | undefined,
  c: Container | undefined,
  choice: EnterChoice,
  command: string | undefined,
  nonce: number,
): DetailContent | undefined {
  const [content, setContent] = useState<DetailContent | undefined>(undefined);
  const id = c?.id;
  useEffect(() => {
    if (!tab || !c) {
      setContent(undefined);
      return;
    }
    const title = titleOf(tab, c, command);
    const abort = new AbortController();
    setContent({ title, lines: [{ text: tab === 'output' ? 'running…' : 'loading…', tone: 'dim' }], loading: true });
    load(sources, tab, c, choice, command, abort.signal).then(
      (lines) => !abort.signal.aborted && setContent({ title, lines, loading: false }),
      (err: unknown) =>
        !abort.signal.aborted &&
        setContent({ title, lines: [{ text: clean(err instanceof Error ? err.message : String(err)), tone: 'error' }], loading: false }),
    );
    return () => abort.abort();
    // The container record changes on every refresh; the view depends on which container, not the record.
  }, [sources, tab, id, choice.backend, choice.user, command, nonce]);
  return content;
}
