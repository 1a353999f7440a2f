#!/bin/sh
# Install the Debian packages Signet builds, tests and demos with.
# --if-missing: do nothing when all are installed (make check / make demo).
set -eu
PKGS="build-essential pkg-config clang libassuan-dev libgpg-error-dev libgcrypt20-dev
libssl-dev libp11-dev libp11-kit-dev libinih-dev libjansson-dev libsqlite3-dev
libmicrohttpd-dev libcmocka-dev softhsm2 opensc libengine-pkcs11-openssl gnupg
gpg-agent gpgv git rpm devscripts dpkg-dev python3 passwd util-linux procps
ca-certificates openssl libclang-rt-14-dev curl osslsigncode default-jdk-headless qrencode"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	[ "${1:-}" = "--if-missing" ] || echo "deps: all packages installed"
	exit 0
fi
echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install:$missing" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing
