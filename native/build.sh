#!/bin/sh
# Build cx's nsenter helper (native/cx-nsenter.c) into native/build/. Run by `npm run build:native`
# (and so by `prepare`). A missing compiler is not fatal: cx works without the nsenter backend, and
# `cx doctor` says how to get it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "cx: no C compiler ($cc): the nsenter backend will be unavailable (apt-get install gcc, then npm run build:native)" >&2
  exit 0
fi
mkdir -p "$out"
flags="-O2 -Wall -Wextra -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -Wl,-z,relro,-z,now"
# Statically linked where the C library's static archive is there (Debian: libc6-dev, which gcc pulls
# in): the helper runs as root with no dynamic loader and no shared library looked up, and on any
# host's glibc, old or new (the single-file executable carries it). Else an ordinary PIE.
link=-static-pie
if ! printf 'int main(void){return 0;}\n' | "$cc" -static-pie -x c -o /dev/null - >/dev/null 2>&1; then
  echo "cx: no static C library (libc6-dev, glibc-static): the nsenter helper is linked dynamically" >&2
  link=-pie
fi
# shellcheck disable=SC2086
"$cc" $flags $link -o "$out/cx-nsenter.tmp" "$here/cx-nsenter.c"
chmod 0755 "$out/cx-nsenter.tmp"
mv -f "$out/cx-nsenter.tmp" "$out/cx-nsenter"
