#!/usr/bin/env bash
# Make sure a Docker engine answers on /var/run/docker.sock, installing Debian's docker.io and the
# tools cx's tests use (busybox-static, strace, runc, tmux, util-linux, curl, podman, gcc with a static libc,
# zsh, fish, hyperfine) when they are missing. Idempotent: does nothing when an engine already answers.
# The engine runs with --bridge=none --iptables=false so the machine's network is left untouched.
set -euo pipefail

log() { printf 'engine-up: %s\n' "$*" >&2; }

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
# busybox-static, strace: cx debug's default toolbox (a dynamic busybox cannot run in a scratch image).
dpkg -s busybox-static >/dev/null 2>&1 || need_pkgs+=(busybox-static)
command -v strace >/dev/null 2>&1 || need_pkgs+=(strace)
command -v runc >/dev/null 2>&1 || need_pkgs+=(runc)
command -v tmux >/dev/null 2>&1 || need_pkgs+=(tmux)
command -v nsenter >/dev/null 2>&1 || need_pkgs+=(util-linux)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
# gcc + static libc: the nsenter security test builds a static watcher (test/fixtures/fd-race.c) to run as a container's init.
printf 'int main(void){return 0;}\n' | gcc -static -x c -o /dev/null - >/dev/null 2>&1 || need_pkgs+=(gcc libc6-dev)
# podman: the discovery tests run real podman containers beside Docker's.
command -v podman >/dev/null 2>&1 || need_pkgs+=(podman)
# zsh, fish: the completion tests check the generated scripts with the shells themselves.
command -v zsh >/dev/null 2>&1 || need_pkgs+=(zsh)
command -v fish >/dev/null 2>&1 || need_pkgs+=(fish)
# hyperfine: bench/startup.sh (start-up of the npm package and of the executable).
command -v hyperfine >/dev/null 2>&1 || need_pkgs+=(hyperfine)
# openssh: the remote-host tests start their own sshd on 127.0.0.1 (own config and throwaway keys).
command -v ssh >/dev/null 2>&1 || need_pkgs+=(openssh-client)
[ -x /usr/sbin/sshd ] || need_pkgs+=(openssh-server)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

sock=/var/run/docker.sock
ping() { curl -s --max-time 2 --unix-socket "$sock" http://localhost/_ping 2>/dev/null | grep -q OK; }

if ping; then
  exit 0
fi

# A pid from a pidfile is alive only if the process exists and is not a zombie (on machines whose
# PID 1 does not reap orphans, a killed dockerd/containerd stays a zombie and its pidfile would make
# the next dockerd believe it is still running).
alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  [ "$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" != Z ]
}

if alive /var/run/docker.pid; then
  log "dockerd $(cat /var/run/docker.pid) runs but does not answer; waiting"
else
  rm -f /var/run/docker.pid
  alive /var/run/docker/containerd/containerd.pid || rm -f /var/run/docker/containerd/containerd.pid
  log "starting dockerd (log: /var/log/cx-dockerd.log)"
  # setsid: the daemon must outlive the shell (and the test run) that started it.
  setsid dockerd --bridge=none --iptables=false --ip-masq=false >/var/log/cx-dockerd.log 2>&1 < /dev/null &
fi

# A daemon killed with its containers running (a machine's processes ended under it) cleans up at its
# next start before it answers: Debian's dockerd 20.10 removes one "stale sandbox" per container it
# ever ran since its last clean start (~0.1 s each; this engine leaves one behind for every container,
# even one removed normally), so after a long day of tests it can take minutes. Wait while it lives
# and says so; give up at once if it dies, and after 10 minutes if it never answers.
started=$(date +%s)
next_note=$((started + 15))
while :; do
  if ping; then log "engine ready ($(($(date +%s) - started)) s)"; exit 0; fi
  now=$(date +%s)
  if ! alive /var/run/docker.pid && ! pgrep -x dockerd >/dev/null; then
    log "dockerd exited before it answered; see /var/log/cx-dockerd.log"
    break
  fi
  if [ $((now - started)) -ge 600 ]; then
    log "dockerd did not answer within 600 s; see /var/log/cx-dockerd.log"
    break
  fi
  if [ "$now" -ge "$next_note" ]; then
    cleaned=$(grep -c 'Removing stale sandbox' /var/log/cx-dockerd.log 2>/dev/null || true)
    log "dockerd still starting after $((now - started)) s (${cleaned:-0} stale sandboxes cleaned so far)"
    next_note=$((now + 15))
  fi
  sleep 0.5
done
tail -n 20 /var/log/cx-dockerd.log >&2 || true
exit 1
