#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine with Node 20 and root: Debian packages, pnpm, node modules, the
# lab's FTP servers and the native conntrack reader. The UI is built by `pnpm start`/`pnpm build` when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=10.34.8
# build-essential, pkg-config, libnetfilter-conntrack-dev: the collector's native conntrack reader (scripts/build-native.sh)
DEBS=(iptables conntrack nftables vsftpd lftp curl tcpdump iproute2 chromium procps util-linux libcap2-bin kmod python3 openssl binutils
  firewalld ufw dbus-daemon postgresql build-essential pkg-config libnetfilter-conntrack-dev)
# netfilter-persistent conflicts with ufw, so the lab runs it from its packages extracted here (never installed).
# Its own prefix: scripts/setup-ftp-servers.sh replaces /opt/ftpscope-lab whole when it extracts the FTP servers.
NFP_ROOT=/opt/ftpscope-netfilter-persistent

missing=()
for pkg in "${DEBS[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  # The lab runs firewalld and ufw only inside its own namespaces: keep their services from starting on this
  # machine while they are installed (policy-rc.d 101 = "do not start"), unless the machine already has a policy.
  own_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  if [[ -n "$own_policy" ]]; then rm -f /usr/sbin/policy-rc.d; fi
fi
if [[ ! -x "$NFP_ROOT/usr/sbin/netfilter-persistent" ]]; then
  echo "setup: extracting netfilter-persistent and iptables-persistent into $NFP_ROOT"
  tmp="$(mktemp -d)"
  get() { (cd "$tmp" && chmod 777 . && apt-get -o DPkg::Lock::Timeout=600 download netfilter-persistent iptables-persistent >/dev/null); }
  get || { apt-get -o DPkg::Lock::Timeout=600 update -qq && get; }
  mkdir -p "$NFP_ROOT"
  for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$NFP_ROOT"; done
  rm -rf "$tmp"
fi
# Debian's prometheus (promtool too) for the /metrics test, unpacked into a private prefix: installing the package
# would start a prometheus service on this machine.
PROMETHEUS_ROOT=/opt/ftpscope-test/prometheus
if [[ ! -x "$PROMETHEUS_ROOT/usr/bin/prometheus" ]]; then
  echo "setup: unpacking Debian's prometheus into $PROMETHEUS_ROOT"
  tmp=$(mktemp -d)
  chmod 755 "$tmp"
  (cd "$tmp" && { apt-get download prometheus 2>/dev/null || { apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get download prometheus; }; })
  mkdir -p "$PROMETHEUS_ROOT"
  dpkg-deb -x "$tmp"/prometheus_*.deb "$PROMETHEUS_ROOT"
  rm -rf "$tmp"
fi
if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi
echo "setup: installing node modules"
CI=true pnpm install --frozen-lockfile
bash scripts/setup-ftp-servers.sh
echo "setup: building the native conntrack reader"
bash scripts/build-native.sh
