import { KEYMAP, keyLabel, type Binding, type Scope } from '../keymap.js';

const SCOPE_TITLE: Record<Scope, string> = {
  list: 'Container list',
  detail: 'Detail views (env, inspect, processes, command output)',
  help: 'This help',
  prompt: 'Typing (filter, user, command)',
  sessions: 'Sessions view',
  confirm: 'Quitting with live sessions',
  session: 'Inside a session',
};

/** Help text generated from the keymap: one section per scope, one line per binding. */
export function helpLines(keymap: readonly Binding[] = KEYMAP): Array<{ text: string; heading: boolean }> {
  const lines: Array<{ text: string; heading: boolean }> = [];
  for (const scope of Object.keys(SCOPE_TITLE) as Scope[]) {
    const bindings = keymap.filter((b) => b.scopes.includes(scope));
    if (bindings.length === 0) continue;
    if (lines.length > 0) lines.push({ text: '', heading: false });
    lines.push({ text: SCOPE_TITLE[scope], heading: true });
    const keysW = Math.max(...bindings.map((b) => keyLabel(b.keys).length)) + 2;
    for (const b of bindings) lines.push({ text: `  ${keyLabel(b.keys).padEnd(keysW)}${b.description}`, heading: false });
  }
  return lines;
}

/** The footer for a scope: the bindings that have a footer label, first key only ("/ filter"). */
export function footerItems(scope: Scope, keymap: readonly Binding[] = KEYMAP): Array<{ key: string; label: string }> {
  return keymap
    .filter((b) => b.scopes.includes(scope) && b.footer !== undefined)
    .map((b) => ({ key: keyLabel(b.keys.slice(0, 1)), label: b.footer ?? '' }));
}

/**
 * The footer as one string that fits `width`: the last two items (? help, q quit) always stay; the
 * others are kept from the first while they fit.
 */
export function footerText(scope: Scope, width: number, keymap: readonly Binding[] = KEYMAP): string {
  const items = footerItems(scope, keymap).map((i) => `${i.key} ${i.label}`);
  const tail = items.slice(-2);
  const head = items.slice(0, -2);
  const join = (parts: string[]): string => parts.join('  ');
  const kept: string[] = [];
  for (const item of head) {
    if (join([...kept, item, ...tail]).length > width) break;
    kept.push(item);
  }
  return join([...kept, ...tail]);
}

const SCOPE_SHORT: Record<Scope, string> = {
  list: 'list',
  detail: 'details',
  help: 'help',
  prompt: 'typing',
  sessions: 'sessions',
  confirm: 'quitting',
  session: 'in a session',
};

/**
 * The key table of README.md and docs/tui.md, as Markdown, from the keymap: one row per binding,
 * with where it applies and its longer doc text when it has one. scripts/keys-table.mjs writes it
 * between the `<!-- keys:begin -->` and `<!-- keys:end -->` markers and checks it in `npm run lint`.
 */
export function keyTableMarkdown(keymap: readonly Binding[] = KEYMAP): string {
  const rows = keymap.map((b) => {
    const keys = b.keys.map((k) => `\`${keyLabel([k])}\``).join(', ');
    const where = b.scopes.map((sc) => SCOPE_SHORT[sc]).join(', ');
    return `| ${keys} | ${where} | ${(b.doc ?? b.description).replace(/\|/g, '\\|')} |`;
  });
  return ['| key | where | does |', '|---|---|---|', ...rows, ''].join('\n');
}
