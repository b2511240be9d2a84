#!/usr/bin/env bash
# Builds the collector's native conntrack reader (apps/collector/native/ctreader.c) with gcc over Debian's
# libnetfilter-conntrack-dev into apps/collector/native/build/ftpscope-ctreader. Idempotent: rebuilds only
# when the source is newer. Needs build-essential, pkg-config and libnetfilter-conntrack-dev (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=apps/collector/native/ctreader.c
OUT=apps/collector/native/build/ftpscope-ctreader
if [[ -x "$OUT" && "$OUT" -nt "$SRC" && "${1:-}" != "--force" ]]; then exit 0; fi
if ! flags=$(pkg-config --cflags --libs libnetfilter_conntrack 2>/dev/null); then
  echo "build-native: libnetfilter_conntrack not found: apt-get install libnetfilter-conntrack-dev pkg-config" >&2
  exit 1
fi
version=$(node -p "require('./apps/collector/package.json').version" 2>/dev/null || echo dev)
mkdir -p "$(dirname "$OUT")"
# shellcheck disable=SC2086 # pkg-config prints several flags
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
  -DCTREADER_VERSION="\"$version\"" -o "$OUT.tmp" "$SRC" $flags
mv "$OUT.tmp" "$OUT"
echo "build-native: built $OUT"
