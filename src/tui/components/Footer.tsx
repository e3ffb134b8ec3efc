import { Text } from 'ink';
import type { Scope } from '../keymap.js';
import { footerText } from '../presentation/help.js';

/** The main keys of the current scope, from the keymap. */
export function Footer({ scope, width }: { scope: Scope; width: number }) {
  return <Text dimColor>{footerText(scope, width)}</Text>;
}
