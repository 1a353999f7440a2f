#!/bin/bash
# cc-tool.sh SRC OUT [--with FILE.c]... PKG... — build a C test helper
# (tests/tools/*.c) against the common library of the build under test:
# the build folder above $SIGNET_BIN (made up to date first); build-san
# adds ASan+UBSan.  --with: a program's module compiled in too (a path
# under the source tree, e.g. policyd/auditts.c; its folder is added to
# the include path).  PKG... are the pkg-config packages it uses.
set -euo pipefail
src=$1 out=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
with=()
incs=()
while [[ ${1:-} == --with ]]; do
	with+=("$root/$2")
	incs+=(-I"$root/$(dirname "$2")")
	shift 2
done
bdir=$(cd "$SIGNET_BIN/.." && pwd)
san=0
sanflags=()
if [[ $(basename "$bdir") == build-san ]]; then
	san=1
	sanflags=(-fsanitize=address,undefined)
fi
make -s -C "$root" SANITIZE=$san "$(basename "$bdir")/libsignet-common.a" >/dev/null
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror "${sanflags[@]}" -I"$root/common" "${incs[@]}" \
	$(pkg-config --cflags "$@") -o "$out" "$src" "${with[@]}" "$bdir/libsignet-common.a" \
	$(pkg-config --libs "$@") -lpthread
