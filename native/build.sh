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
"$cc" -O2 -Wall -Wextra -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -pie -Wl,-z,relro,-z,now \
  -o "$out/cx-nsenter.tmp" "$here/cx-nsenter.c"
chmod 0755 "$out/cx-nsenter.tmp"
mv -f "$out/cx-nsenter.tmp" "$out/cx-nsenter"
