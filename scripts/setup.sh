#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine with Node 20 and root: Debian packages, pnpm, node modules, UI build.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=10.34.8
DEBS=(iptables conntrack nftables vsftpd lftp curl tcpdump iproute2 chromium procps util-linux libcap2-bin kmod python3 openssl)

missing=()
for pkg in "${DEBS[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi
echo "setup: installing node modules"
CI=true pnpm install --frozen-lockfile
