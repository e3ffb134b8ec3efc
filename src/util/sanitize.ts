/**
 * Text a container controls (names, labels, env values, file contents) must never reach a terminal
 * raw: an ESC could move the cursor, retitle the window or fake output, a bidi override (U+202E)
 * makes `evil\u202Etxt.sh` read as `evilhs.txt`, and U+2028/U+2029 break a line where none is shown.
 * These turn every control character (C0, DEL, C1), the bidi embedding/override/isolate marks and
 * the line and paragraph separators into a visible escape.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

export function sanitize(text: string): string {
  return text.replace(CONTROL, (ch) => {
    switch (ch) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default: {
        const code = ch.charCodeAt(0);
        return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
      }
    }
  });
}

/** Like sanitize, and also escapes backslashes so the result can be read back unambiguously. */
export function escapeValue(text: string): string {
  return sanitize(text.replace(/\\/g, '\\\\'));
}
