#!/usr/bin/env bash
# Start-up of cx in its shapes: the npm package's loader and bundles (dist/bundle/cx.cjs) on Node 20,
# 22 (NODE22=<path to a node 22 binary>) and 24, with and without NODE_EXTRA_CA_CERTS, with its code
# cache written (warm: what every run after the first of a path gets) and without one (cold: the
# cache removed before each run, which then writes it again); the single-file executable warm, cold
# (it starts from the caches it carries) and built without any cache (CX_EXE_CODE_CACHE=0). Two
# commands: `--version` (answered by the loader) and `completion bash` (commander and every command
# module, no I/O). Needs hyperfine (apt-get install hyperfine) and `npm run build:exe`; run as root
# (the code cache is /run/cx/code, which the cold runs empty: it is only a cache, written again).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-40}
node24=$(node -p "require('./dist/exe/build-info.json').node")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CX_EXE_CODE_CACHE=0 CX_EXE_OUT="$tmp/cx-nocache" node scripts/build-exe.mjs >/dev/null
certs=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
cold='rm -rf /run/cx/code'
for args in '--version' 'completion bash'; do
  cmds=() preps=()
  add() { preps+=("$1"); cmds+=("$2"); }
  add true "env NODE_EXTRA_CA_CERTS=$certs node dist/bundle/cx.cjs $args"
  add true "env -u NODE_EXTRA_CA_CERTS node dist/bundle/cx.cjs $args"
  add "$cold" "env -u NODE_EXTRA_CA_CERTS node dist/bundle/cx.cjs $args"
  add true "env -u NODE_EXTRA_CA_CERTS $node24 dist/bundle/cx.cjs $args"
  add "$cold" "env -u NODE_EXTRA_CA_CERTS $node24 dist/bundle/cx.cjs $args"
  if [ -n "${NODE22:-}" ]; then
    add true "env -u NODE_EXTRA_CA_CERTS $NODE22 dist/bundle/cx.cjs $args"
    add "$cold" "env -u NODE_EXTRA_CA_CERTS $NODE22 dist/bundle/cx.cjs $args"
  fi
  add true "env NODE_EXTRA_CA_CERTS=$certs dist/cx-linux-x64 $args"
  add true "env -u NODE_EXTRA_CA_CERTS dist/cx-linux-x64 $args"
  add "$cold" "env -u NODE_EXTRA_CA_CERTS dist/cx-linux-x64 $args"
  add "$cold" "env -u NODE_EXTRA_CA_CERTS $tmp/cx-nocache $args"
  prep_args=()
  for p in "${preps[@]}"; do prep_args+=(--prepare "$p"); done
  hyperfine -N --warmup 5 --runs "$runs" --style none "${prep_args[@]}" --export-json "$tmp/out.json" "${cmds[@]}" >/dev/null 2>&1
  # Median and minimum: on a shared machine the mean mostly measures the neighbours.
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results;
    const preps = process.argv.slice(2);
    const ms = (x) => (x * 1000).toFixed(1);
    console.log("| command | cache | median ms | min ms |\n|:---|:---|---:|---:|");
    r.forEach((x, i) => console.log(`| \`${x.command}\` | ${preps[i] === "true" ? "warm" : "cold"} | ${ms(x.median)} | ${ms(x.min)} |`));
  ' "$tmp/out.json" "${preps[@]}" | sed -e "s#$tmp#\$tmp#g" -e "s#$node24#node24#g" -e "s#${NODE22:-/nonexistent}#node22#g" -e "s#$certs#\$certs#g"
  echo
done
