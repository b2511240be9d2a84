#!/usr/bin/env bash
# Builds the collector as it ships (bundle + native reader) from a git revision, for A/B runs (ab-load.ts):
#   bash bench/tools/bundle-rev.sh REV OUT_DIR     (REV: a commit, or "." for this checkout as it is)
# writes OUT_DIR/ftpscope-collector.mjs and OUT_DIR/ftpscope-ctreader. A revision is checked out in a temporary
# git worktree with its dependencies installed from pnpm's store (--offline: nothing is downloaded).
set -euo pipefail
rev=${1:?usage: bundle-rev.sh REV OUT_DIR}
out=$(realpath -m "${2:?usage: bundle-rev.sh REV OUT_DIR}")
root=$(cd "$(dirname "$0")/../.." && pwd)
src=$root
tree=""
cleanup() { if [[ -n "$tree" ]]; then git -C "$root" worktree remove --force "$tree"; fi; }
trap cleanup EXIT
if [[ "$rev" != "." ]]; then
  tree=$(mktemp -d /tmp/ftpscope-rev-XXXXXX)
  git -C "$root" worktree add -q --detach "$tree" "$rev"
  (cd "$tree" && pnpm install --offline --frozen-lockfile --ignore-scripts >/dev/null)
  src=$tree
fi
mkdir -p "$out"
(cd "$src" && node --import tsx -e "
  const { bundleCollector } = await import('./packages/packaging/src/bundle.ts');
  const { buildInfo } = await import('./packages/shared/src/build-info.ts');
  const info = { ...buildInfo(new URL('file://$src/apps/collector/package.json')), commit: '$rev' };
  await bundleCollector(info, process.argv[1]);
" "$out")
# shellcheck disable=SC2046 # pkg-config prints several flags
gcc -std=gnu11 -O2 -o "$out/ftpscope-ctreader" "$src/apps/collector/native/ctreader.c" $(pkg-config --cflags --libs libnetfilter_conntrack)
echo "bundle-rev: $rev -> $out"
