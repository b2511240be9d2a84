#!/usr/bin/env bash
# ProFTPD and Pure-FTPd for the lab, beside vsftpd. Debian's FTP server packages conflict with each other
# (installing one removes the others), so their binaries are extracted from the Debian packages into a
# private prefix instead of installed, and only their shared libraries are installed. Idempotent; root.
# The lab finds them under $FTPSCOPE_LAB_SERVERS (default /opt/ftpscope-lab).
set -euo pipefail
PREFIX=${FTPSCOPE_LAB_SERVERS:-/opt/ftpscope-lab}
PKGS=(proftpd-core proftpd-mod-crypto pure-ftpd)
# Libraries the extracted binaries link against (ldd), plus busybox: the lab's Pure-FTPd logs to syslog,
# and busybox syslogd is the syslog daemon it runs in the server's own mount namespace.
LIBS=(libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23 libssl3 libcap2 busybox)
APT=(apt-get -o DPkg::Lock::Timeout=600)

missing=()
for pkg in "${LIBS[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if ((${#missing[@]})); then
  echo "setup: installing libraries for the lab's ProFTPD and Pure-FTPd: ${missing[*]}"
  "${APT[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# One apt-cache call for all three: "pkg=candidate-version ..." (re-extract when Debian updates one).
want=$(apt-cache policy "${PKGS[@]}" | awk '/^[^ ]/ {p=$1} /^  Candidate:/ {printf "%s%s ", p, "=" $2}')
if [[ -f "$PREFIX/.versions" && "$(cat "$PREFIX/.versions")" == "$want" && -x "$PREFIX/usr/sbin/proftpd" ]]; then
  exit 0
fi
echo "setup: extracting ${PKGS[*]} into $PREFIX (not installed: they would remove vsftpd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download writes into the current directory; _apt must be able to write it.
chmod 755 "$work"
(cd "$work" && "${APT[@]}" download "${PKGS[@]}" >/dev/null 2>&1) || {
  "${APT[@]}" update -qq
  (cd "$work" && "${APT[@]}" download "${PKGS[@]}" >/dev/null)
}
rm -rf "$PREFIX.new"
mkdir -p "$PREFIX.new"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$PREFIX.new"; done
echo "$want" >"$PREFIX.new/.versions"
rm -rf "$PREFIX"
mv "$PREFIX.new" "$PREFIX"
for bin in proftpd pure-ftpd; do
  if ldd "$PREFIX/usr/sbin/$bin" | grep -q 'not found'; then
    echo "setup: $PREFIX/usr/sbin/$bin misses libraries:" >&2
    ldd "$PREFIX/usr/sbin/$bin" | grep 'not found' >&2
    exit 1
  fi
done
