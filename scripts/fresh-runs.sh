#!/usr/bin/env bash
# Checks the suite the way CI sees it (issue 11): clean clones of one commit, each run by `.ci/run` on a machine
# with nothing of ftpscope installed. For a throwaway test machine only: `purge` removes Debian packages.
#
#   bash scripts/fresh-runs.sh record          on a new machine, before setup: its packages and sysctls
#   bash scripts/fresh-runs.sh purge           remove what setup installed since `record`, pnpm, lab leftovers
#   bash scripts/fresh-runs.sh runs COMMIT     4 runs: 1 as the machine is, 2 and 3 after a purge, 4 after a purge
#                                              beside `taskset -c 0 sha256sum /dev/zero`; stops at the first failure
#   On a machine that ran setup before `record` could be taken, rebuild the record (packages installed since boot
#   are in /var/log/dpkg.log) and run `purge` before `runs`, so that run 1 is fresh too.
#
# Results: $FRESH_DIR/summary.log (one line per run) and $FRESH_DIR/run<N>.log. The four runs take about 80
# minutes on 2 cores: start them detached, e.g. `setsid nohup bash scripts/fresh-runs.sh runs HEAD &`.
set -uo pipefail
FRESH_DIR=${FRESH_DIR:-/var/tmp/ftpscope-fresh}
REPO=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$FRESH_DIR"

packages() { dpkg-query -W -f '${Package}\n' | sort; }

record() {
  packages >"$FRESH_DIR/dpkg.txt"
  sysctl -a 2>/dev/null | sort >"$FRESH_DIR/sysctl.txt"
  echo "recorded $(wc -l <"$FRESH_DIR/dpkg.txt") packages and the sysctls in $FRESH_DIR"
}

purge() {
  [[ -s "$FRESH_DIR/dpkg.txt" ]] || { echo "no record: run '$0 record' on the new machine first" >&2; exit 2; }
  pkill -9 -f 'vsftpd|proftpd|pure-ftpd|firewalld|conntrack -E|nft monitor|prometheus|postgres|chromium|lftp|vitest'
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9
    ip netns del "$ns"
  done
  rm -rf /tmp/ftpscope-*
  local extra
  extra=$(comm -13 "$FRESH_DIR/dpkg.txt" <(packages))
  # shellcheck disable=SC2086 # one word per package
  [[ -z "$extra" ]] || DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $extra >/dev/null
  echo "purge: packages beyond the record: [$(comm -13 "$FRESH_DIR/dpkg.txt" <(packages) | tr '\n' ' ')]"
  rm -rf /opt/ftpscope-* /etc/firewalld /etc/ufw
  npm uninstall -g pnpm >/dev/null 2>&1
  rm -rf /root/.local/share/pnpm /root/.cache/pnpm /root/.cache/node-gyp
  echo "purge: sysctls that differ from the record (counters aside):"
  diff <(sysctl -a 2>/dev/null | sort) "$FRESH_DIR/sysctl.txt" | grep '^[<>]' |
    grep -vE 'dentry|file-nr|inode|ns_last_pid|random|fs-[0-9a-z]+-' || true
}

runs() {
  local commit=$1 n rc t0 hog
  for n in 1 2 3 4; do
    ((n == 1)) || purge >>"$FRESH_DIR/summary.log" 2>&1
    rm -rf "/tmp/fresh$n" && git clone -q "$REPO" "/tmp/fresh$n" && git -C "/tmp/fresh$n" checkout -q "$commit"
    hog=""
    if ((n == 4)); then
      taskset -c 0 sha256sum /dev/zero &
      hog=$!
    fi
    t0=$(date +%s)
    (cd "/tmp/fresh$n" && bash .ci/run) >"$FRESH_DIR/run$n.log" 2>&1
    rc=$?
    [[ -z "$hog" ]] || kill "$hog"
    echo "run $n: $commit rc=$rc $(($(date +%s) - t0)) s, ended $(date -u +%H:%M)" >>"$FRESH_DIR/summary.log"
    ((rc == 0)) || break
  done
}

case "${1:-}" in
  record) record ;;
  purge) purge ;;
  runs) [[ -n "${2:-}" ]] || { echo "usage: $0 runs COMMIT" >&2; exit 2; }; runs "$2" ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
