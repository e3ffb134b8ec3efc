#!/usr/bin/env bash
# Build cx's local test/demo image from Debian's busybox-static (no registry needed):
#   cx-test/busybox:1  busybox applets, /etc/passwd with root (ash) and app (uid 1000, sh), /etc/group
#   cx-test/noshell:1  distroless-like: only /busybox (no applet links, so no /bin/sh) and /etc/passwd
#   cx-test/sshd:1     cx-test/busybox:1 plus the host's /usr/sbin/sshd and its libraries (for --backend
#                      ssh); keys are not in the image: tests copy throwaway ones in before starting it
# Idempotent: each existing image is kept (never re-tagged under running tests) unless CX_REBUILD_IMAGES=1.
set -euo pipefail
image=cx-test/busybox:1
noshell=cx-test/noshell:1
sshd_image=cx-test/sshd:1
if [ "${CX_REBUILD_IMAGES:-0}" != 1 ] && docker image inspect "$image" >/dev/null 2>&1 \
  && docker image inspect "$noshell" >/dev/null 2>&1 && docker image inspect "$sshd_image" >/dev/null 2>&1; then
  exit 0
fi
bb=$(command -v busybox || true)
[ -n "$bb" ] || { echo "build-images: busybox not found (apt-get install busybox-static)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,root,home/app,proc,sys,dev,var/tmp,work}
cp "$bb" "$root/bin/busybox"
# Every applet as a symlink, except busybox itself (that would overwrite the binary with a self-link).
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] && continue
  ln -sf busybox "$root/bin/$applet"
done
cat >"$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/ash
app:x:1000:1000:app user:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$root/etc/group" <<'G'
root:x:0:
app:x:1000:
staff:x:50:app
nogroup:x:65534:
G
chmod 1777 "$root/tmp" "$root/var/tmp"
chown 1000:1000 "$root/home/app"
# need IMAGE: true when IMAGE is missing (or everything is to be rebuilt).
need() { [ "${CX_REBUILD_IMAGES:-0}" = 1 ] || ! docker image inspect "$1" >/dev/null 2>&1; }
if need "$image"; then
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$image" >/dev/null
  echo "build-images: built $image" >&2
fi


bare=$(mktemp -d)
trap 'rm -rf "$root" "$bare"' EXIT
mkdir -p "$bare"/{etc,tmp,proc,sys,dev}
cp "$bb" "$bare/busybox"
cp "$root/etc/passwd" "$root/etc/group" "$bare/etc/"
if need "$noshell"; then
  tar -C "$bare" -c . | docker import -c 'CMD ["/busybox", "sleep", "1000000"]' - "$noshell" >/dev/null
  echo "build-images: built $noshell" >&2
fi

# The same tree with an sshd: the host's binary and every library ldd names, a privilege-separation
# user and directory, and a config that reads keys from /etc/cx-ssh (copied in by the tests).
sshd_bin=/usr/sbin/sshd
[ -x "$sshd_bin" ] || { echo "build-images: $sshd_bin not found (apt-get install openssh-server)" >&2; exit 1; }
mkdir -p "$root/usr/sbin" "$root/run/sshd" "$root/var/empty" "$root/etc/cx-ssh" "$root/root/.ssh" "$root/var/log"
# sshd records logins there; without the file it complains on the session's terminal.
: >"$root/var/log/lastlog"
cp "$sshd_bin" "$root/usr/sbin/sshd"
for lib in $(ldd "$sshd_bin" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
echo 'sshd:x:100:65534:sshd privsep:/run/sshd:/bin/false' >>"$root/etc/passwd"
cat >"$root/etc/cx-ssh/sshd_config" <<'C'
HostKey /etc/cx-ssh/host_key
AuthorizedKeysFile /etc/cx-ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PidFile /run/sshd.pid
PrintLastLog no
PrintMotd no
C
chmod 700 "$root/root" "$root/root/.ssh"
if need "$sshd_image"; then
  tar -C "$root" -c . | docker import -c 'CMD ["/usr/sbin/sshd", "-D", "-e", "-f", "/etc/cx-ssh/sshd_config"]' - "$sshd_image" >/dev/null
  echo "build-images: built $sshd_image" >&2
fi
