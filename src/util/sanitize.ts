/**
 * Text a container controls (names, labels, env values, file contents) must never reach a terminal
 * raw: an ESC could move the cursor, retitle the window or fake output. These turn every control
 * character (C0, DEL, C1) into a visible escape.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function sanitize(text: string): string {
  return text.replace(CONTROL, (ch) => {
    switch (ch) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    }
  });
}

/** Like sanitize, and also escapes backslashes so the result can be read back unambiguously. */
export function escapeValue(text: string): string {
  return sanitize(text.replace(/\\/g, '\\\\'));
}
