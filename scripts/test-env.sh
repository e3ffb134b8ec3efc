#!/usr/bin/env bash
# Everything the test suite needs on this machine: Debian's docker.io, busybox-static, runc, tmux and
# util-linux installed; a Docker engine answering on /var/run/docker.sock; the local test images.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/engine-up.sh"
bash "$here/build-images.sh"
