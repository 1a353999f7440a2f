#!/bin/bash
# cc-tool.sh SRC OUT PKG... — build a C test helper (tests/tools/*.c)
# against the common library of the build under test: the build folder
# above $SIGNET_BIN (made up to date first); build-san adds ASan+UBSan.
# PKG... are the pkg-config packages it uses.
set -euo pipefail
src=$1 out=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=$(cd "$SIGNET_BIN/.." && pwd)
san=0
sanflags=()
if [[ $(basename "$bdir") == build-san ]]; then
	san=1
	sanflags=(-fsanitize=address,undefined)
fi
make -s -C "$root" SANITIZE=$san "$(basename "$bdir")/libsignet-common.a" >/dev/null
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror "${sanflags[@]}" -I"$root/common" \
	$(pkg-config --cflags "$@") -o "$out" "$src" "$bdir/libsignet-common.a" \
	$(pkg-config --libs "$@") -lpthread
