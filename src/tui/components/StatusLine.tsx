import { Text } from 'ink';
import type { Message, Prompt } from '../state.js';
import { clean, truncate } from '../presentation/text.js';

const PROMPT_LABEL: Record<Prompt['kind'], string> = {
  filter: '/',
  user: "enter as user (empty: the container's): ",
  command: 'run in the container: ',
};

/** The line above the footer: the prompt being typed, else the last message, else the active filter. */
export function StatusLine({
  prompt,
  message,
  filter,
  width,
}: {
  prompt: Prompt | undefined;
  message: Message | undefined;
  filter: string;
  width: number;
}) {
  if (prompt) {
    return (
      <Text>
        <Text color="cyan">{PROMPT_LABEL[prompt.kind]}</Text>
        {truncate(clean(prompt.text), Math.max(1, width - PROMPT_LABEL[prompt.kind].length - 1))}
        <Text inverse> </Text>
      </Text>
    );
  }
  if (message) return <Text color={message.tone === 'error' ? 'red' : 'green'}>{truncate(clean(message.text), width)}</Text>;
  if (filter !== '') return <Text dimColor>{truncate(`filter: ${clean(filter)}  (esc clears)`, width)}</Text>;
  return <Text> </Text>;
}
