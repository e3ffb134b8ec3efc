#!/usr/bin/env bash
# Build cx's local test/demo image from Debian's busybox-static (no registry needed):
#   cx-test/busybox:1  busybox applets, /etc/passwd with root (ash) and app (uid 1000, sh), /etc/group
#   cx-test/noshell:1  distroless-like: only /busybox (no applet links, so no /bin/sh) and /etc/passwd
# Idempotent: existing images are kept unless CX_REBUILD_IMAGES=1.
set -euo pipefail
image=cx-test/busybox:1
noshell=cx-test/noshell:1
if [ "${CX_REBUILD_IMAGES:-0}" != 1 ] && docker image inspect "$image" >/dev/null 2>&1 \
  && docker image inspect "$noshell" >/dev/null 2>&1; then
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
tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$image" >/dev/null
echo "build-images: built $image" >&2

bare=$(mktemp -d)
trap 'rm -rf "$root" "$bare"' EXIT
mkdir -p "$bare"/{etc,tmp,proc,sys,dev}
cp "$bb" "$bare/busybox"
cp "$root/etc/passwd" "$root/etc/group" "$bare/etc/"
tar -C "$bare" -c . | docker import -c 'CMD ["/busybox", "sleep", "1000000"]' - "$noshell" >/dev/null
echo "build-images: built $noshell" >&2
