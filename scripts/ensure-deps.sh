#!/usr/bin/env bash
# Install the npm dependencies (and build cx) when node_modules is missing or older than the lock file,
# so `npm test` and scripts/demo.sh work from a fresh clone. Needs g++/make/python3 for node-pty.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
    echo "ensure-deps: installing build tools for node-pty (g++, make, python3)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential python3 >/dev/null
  fi
  echo "ensure-deps: npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi
