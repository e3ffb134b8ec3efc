#!/usr/bin/env bash
# Start-up of cx in its shapes: the npm package's bin/cx (ESM bundle) on Node 20/22/24, with and
# without NODE_EXTRA_CA_CERTS and Node's module compile cache; a CommonJS bundle; the single-file
# executable with and without a V8 code cache. Two commands: `--version` (answered before commander
# loads) and `completion bash` (loads commander and every command module, no I/O). Needs hyperfine
# (apt-get install hyperfine), `npm run build:exe`, and NODE22=<path to a node 22 binary> to include 22.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-40}
node24=$(node -p "require('./dist/exe/build-info.json').node")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The same executable without a code cache, and the executable's CommonJS bundle run by plain Node.
CX_EXE_CODE_CACHE=0 CX_EXE_OUT="$tmp/cx-nocache" node scripts/build-exe.mjs >/dev/null
cp dist/exe/cx.cjs "$tmp/cx.cjs"
certs=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
for args in '--version' 'completion bash'; do
  cmds=(
    "env NODE_EXTRA_CA_CERTS=$certs node dist/bundle/cx.js $args"
    "env -u NODE_EXTRA_CA_CERTS node dist/bundle/cx.js $args"
    "env -u NODE_EXTRA_CA_CERTS node $tmp/cx.cjs $args"
    "env -u NODE_EXTRA_CA_CERTS $node24 dist/bundle/cx.js $args"
    "env -u NODE_EXTRA_CA_CERTS NODE_COMPILE_CACHE=$tmp/cc $node24 dist/bundle/cx.js $args"
    "env -u NODE_EXTRA_CA_CERTS $node24 $tmp/cx.cjs $args"
    "env NODE_EXTRA_CA_CERTS=$certs dist/cx-linux-x64 $args"
    "env -u NODE_EXTRA_CA_CERTS dist/cx-linux-x64 $args"
    "env -u NODE_EXTRA_CA_CERTS $tmp/cx-nocache $args"
  )
  if [ -n "${NODE22:-}" ]; then
    cmds+=("env -u NODE_EXTRA_CA_CERTS $NODE22 dist/bundle/cx.js $args" "env -u NODE_EXTRA_CA_CERTS NODE_COMPILE_CACHE=$tmp/cc22 $NODE22 dist/bundle/cx.js $args")
  fi
  hyperfine -N --warmup 5 --runs "$runs" --style none --export-json "$tmp/out.json" "${cmds[@]}" >/dev/null 2>&1
  # Median and minimum: on a shared machine the mean mostly measures the neighbours.
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
    const ms = (x) => (x * 1000).toFixed(1);
    console.log("| command | median ms | min ms |\n|:---|---:|---:|");
    for (const x of r) console.log(`| \`${x.command}\` | ${ms(x.median)} | ${ms(x.min)} |`);
  ' "$tmp/out.json" | sed -e "s#$tmp#\$tmp#g" -e "s#$node24#node24#g" -e "s#${NODE22:-/nonexistent}#node22#g" -e "s#$certs#\$certs#g"
  echo
done
