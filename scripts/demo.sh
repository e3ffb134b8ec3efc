#!/usr/bin/env bash
# The main job: from a fresh clone, install what is missing, bring up a Docker engine (if none answers)
# with a few demo containers, and open cx. Extra arguments go to cx (e.g. `bash scripts/demo.sh ls`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
[ -f dist/src/cli/main.js ] || npm run build >&2
bash scripts/engine-up.sh
bash scripts/build-images.sh

# Demo containers (label cx-demo=1), started once and left running between demo runs.
demo() {
  local name=$1; shift
  if [ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" != true ]; then
    docker rm -f "$name" >/dev/null 2>&1 || true
    docker run -d --name "$name" --label cx-demo=1 --network none "$@" >/dev/null
    echo "demo: started $name" >&2
  fi
}
demo cx-demo-web -e APP_MODE=web -e 'GREETING=hello from cx' -w /tmp cx-test/busybox:1 httpd -f -p 8080 -h /
demo cx-demo-worker -u app -e APP_MODE=worker --pids-limit 64 cx-test/busybox:1 sh -c 'while sleep 5; do :; done'
demo cx-demo-locked --cap-drop ALL --security-opt no-new-privileges cx-test/busybox:1 sleep 1000000

exec ./bin/cx "$@"
