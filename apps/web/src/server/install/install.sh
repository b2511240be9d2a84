#!/bin/sh
# ftpscope collector installer, served by the hub at /install.sh. The hub's "Add FTP host" shows the command:
#
#   curl -fsSL --insecure --pinnedpubkey sha256//PIN https://HUB:8443/install.sh |
#     sudo sh -s -- --hub https://HUB:8443 --fingerprint sha256//PIN --name ftp1 --token fsc_...
#
# It downloads the collector package from the same hub (pinned to the same certificate key), installs it with
# apt-get (which pulls conntrack, iptables, nftables and tcpdump), writes the hub address, pin and host name into
# /etc/ftpscope/collector.env and the token into /etc/ftpscope/collector.token (0600), and (re)starts
# ftpscope-collector. Running it again with a new token replaces the token and keeps your other settings.
#
#   --root DIR   unpack and configure under DIR instead, install and start nothing (images, containers, tests)
set -eu

say() { printf 'ftpscope install: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

hub='' fp='' name='' token='' root=''
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "$1 needs a value"
  case "$1" in
  --hub) hub=$2 ;;
  --fingerprint) fp=$2 ;;
  --name) name=$2 ;;
  --token) token=$2 ;;
  --root) root=$2 ;;
  *) die "unknown option $1 (options: --hub URL --token T [--fingerprint sha256//PIN] [--name HOST] [--root DIR])" ;;
  esac
  shift 2
done
hub=${hub%/}
[ -n "$hub" ] || die '--hub https://HUB:PORT is required (copy the whole command from the hub)'
[ -n "$token" ] || die '--token is required (copy the whole command from the hub)'
[ -n "$name" ] || name=$(hostname -s)
case "$hub" in
https://*) ;;
http://*) [ -z "$fp" ] || die "--fingerprint pins a TLS key, but --hub $hub is plain http" ;;
*) die "--hub must start with https:// (or http:// for a hub on this machine), got $hub" ;;
esac
if [ -z "$root" ] && [ "$(id -u)" != 0 ]; then die 'run as root (sudo sh -s -- ...)'; fi
command -v curl >/dev/null 2>&1 || die 'curl is missing (apt-get install curl)'

if command -v dpkg >/dev/null 2>&1; then
  arch=$(dpkg --print-architecture) format=deb
else
  case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
  esac
  format=tar.gz
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pkg="$tmp/ftpscope-collector.$format"
say "downloading the collector ($arch, .$format) from $hub"
set -- -fsS -o "$pkg"
[ -z "$fp" ] || set -- "$@" --insecure --pinnedpubkey "$fp"
if ! curl "$@" "$hub/downloads/collector/$arch?format=$format"; then
  die "could not download $hub/downloads/collector/$arch?format=$format (curl error 90 means the hub's key is not $fp)"
fi

if [ -n "$root" ]; then
  mkdir -p "$root"
  if [ "$format" = deb ]; then dpkg-deb -x "$pkg" "$root"; else tar -xzf "$pkg" -C "$root"; fi
elif [ "$format" = deb ] && command -v apt-get >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" >&2 ||
    die 'apt-get could not install the package (its dependencies come from your Debian mirrors)'
elif [ "$format" = deb ]; then
  dpkg -i "$pkg" >&2 || die 'dpkg -i failed: install conntrack iptables nftables tcpdump first'
else
  tar -xzf "$pkg" -C / && sh /opt/ftpscope-collector/share/maintainer/postinst configure >&2
fi

etc="$root/etc/ftpscope"
mkdir -p "$etc"
env="$etc/collector.env"
touch "$env"
umask 077
# Keep every other setting; replace what this hub decides.
grep -v -E '^(FTPSCOPE_HUB|FTPSCOPE_HUB_FINGERPRINT|FTPSCOPE_NAME)=' "$env" >"$tmp/env" || true
{
  cat "$tmp/env"
  printf 'FTPSCOPE_HUB=%s\n' "$hub"
  [ -z "$fp" ] || printf 'FTPSCOPE_HUB_FINGERPRINT=%s\n' "$fp"
  printf 'FTPSCOPE_NAME=%s\n' "$name"
} >"$tmp/env.new"
cat "$tmp/env.new" >"$env"
printf '%s\n' "$token" >"$etc/collector.token"
chmod 0600 "$etc/collector.token"

if [ -n "$root" ]; then
  say "unpacked into $root; start it with:"
  say "  set -a; . $env; set +a; FTPSCOPE_TOKEN_FILE=$etc/collector.token $root/opt/ftpscope-collector/bin/ftpscope-collector"
elif command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable ftpscope-collector >/dev/null 2>&1
  systemctl restart ftpscope-collector
  say "ftpscope-collector is running and reports as $name to $hub (journalctl -u ftpscope-collector -f)"
else
  say "installed; no systemd here: run /opt/ftpscope-collector/bin/ftpscope-collector with the settings in $env"
fi
