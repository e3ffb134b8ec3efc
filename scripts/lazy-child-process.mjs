// node:child_process as commander sees it in cx's bundles (scripts/bundle-config.mjs): commander
// requires it when it loads, for executable subcommands, which cx has none of; it is loaded here on
// first use instead, so a command that starts no process never loads it (~1 ms).
let loaded;
export function spawn(...args) {
  loaded ??= process.getBuiltinModule('node:child_process');
  return loaded.spawn(...args);
}
