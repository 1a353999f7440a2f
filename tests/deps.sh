#!/bin/sh
# Install the Debian packages Signet builds, tests and demos with (Debian 12
# and 13).  Idempotent: installs only what is missing.
# --if-missing: do nothing when all are installed (make check / make demo).
set -eu
PKGS="build-essential pkg-config clang libassuan-dev libgpg-error-dev libgcrypt20-dev
libssl-dev libp11-kit-dev libinih-dev libjansson-dev libsqlite3-dev
libmicrohttpd-dev libcmocka-dev softhsm2 opensc libengine-pkcs11-openssl gnupg
gpg-agent gpgv git rpm devscripts dpkg-dev python3 passwd util-linux procps
ca-certificates openssl curl osslsigncode default-jdk-headless qrencode
python3-cryptography"

# The fuzz targets (clang -fsanitize=fuzzer) need the compiler-rt of the
# release's default clang, and its package carries clang's major version:
# libclang-rt-14-dev on Debian 12, libclang-rt-19-dev on Debian 13.  The
# version is read from what `clang` depends on: installed, else in the
# package lists.  Prints nothing when neither knows.
clang_rt_pkg() {
	v=$(dpkg-query -W -f='${Depends}\n' clang 2>/dev/null | sed -n 's/^clang-\([0-9][0-9]*\).*/\1/p')
	[ -n "$v" ] || v=$(apt-cache depends clang 2>/dev/null | sed -n 's/^ *Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -n 1)
	[ -z "$v" ] || echo "libclang-rt-$v-dev"
}

# gpg-card (GnuPG 2.3 and later: e2e 078 runs it) comes in Debian's
# scdaemon package.  GnuPG 2.2 (Debian 12) has no gpg-card, and its own
# scdaemon is not wanted there.  Prints nothing for 2.2 or when unknown.
card_tool_pkg() {
	v=$(dpkg-query -W -f='${Version}' gpg 2>/dev/null) ||
		v=$(apt-cache policy gpg 2>/dev/null | sed -n 's/^ *Candidate: //p')
	case $v in 2.2.* | "" | "(none)") ;; *) echo scdaemon ;; esac
}

missing_of() { # PACKAGES... → the ones not installed
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			printf ' %s' "$p"
	done
}

rt=$(clang_rt_pkg)
card=$(card_tool_pkg)
# shellcheck disable=SC2086
missing=$(missing_of $PKGS $rt $card)
if [ -z "$missing" ] && [ -n "$rt" ]; then
	[ "${1:-}" = "--if-missing" ] || echo "deps: all packages installed"
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root (or sudo) to install:$missing ${rt:-libclang-rt-N-dev}" >&2; exit 1; }
	SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
if [ -z "$rt" ]; then
	rt=$(clang_rt_pkg)
	[ -n "$rt" ] || { echo "deps: apt knows no 'clang' package here; cannot choose its libclang-rt-N-dev (check /etc/apt/sources.list)" >&2; exit 1; }
	missing="$missing $rt"
fi
if [ -z "$card" ]; then   # gpg's version may be known only now
	card=$(card_tool_pkg)
	missing="$missing$(missing_of $card)"
fi
echo "deps: installing:$missing"
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing
