// src/tui/entry.js in the one-liners' bundle (dist/bundle/cx-cli.cjs), which leaves the TUI (Ink,
// React, xterm: three quarters of cx's code) out. The loader (src/cli/loader.ts) runs every command
// line that may open the TUI with the whole bundle, so nothing here is ever called.
function notHere() {
  throw new Error("internal error: the TUI is not in cx's one-liners' bundle (the loader should have picked the whole one)");
}
export const startTui = notHere;
export const startHostPicker = notHere;
