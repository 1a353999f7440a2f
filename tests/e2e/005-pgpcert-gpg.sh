#!/bin/bash
# pgpkey + pgpcert against real gpg: certificates for software RSA keys
# (tests/tools/mkcert-soft.c) must import, carry a good self-signature, and
# have the fingerprint, keygrip, creation time, user ID and preferences we
# computed; the armor must round-trip through gpg --dearmor.  A tampered
# certificate must be refused (so the checks can fail at all).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "   $*"; }

for tool in gpg cc pkg-config make; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 0; }
done

# The common library of the build under test (build/ or build-san/).
BDIR=$(cd "${SIGNET_BIN:-$ROOT/build/bin}/.." 2>/dev/null && pwd) || BDIR=$ROOT/build
SAN=0 SANFLAGS=()
if [[ $(basename "$BDIR") == build-san ]]; then
	SAN=1
	SANFLAGS=(-fsanitize=address,undefined)
fi
make -s -C "$ROOT" SANITIZE=$SAN "$(basename "$BDIR")/libsignet-common.a" >/dev/null ||
	fail "cannot build libsignet-common.a"

T=$(mktemp -d /tmp/sgXXXXXX)
HOMES=()
cleanup() {
	local h
	for h in "${HOMES[@]}"; do gpgconf --homedir "$h" --kill all >/dev/null 2>&1 || true; done
	rm -rf "$T"
}
trap cleanup EXIT

PKGS="gpg-error libgcrypt libcrypto"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror "${SANFLAGS[@]}" -I"$ROOT/common" \
	$(pkg-config --cflags $PKGS) -o "$T/mkcert-soft" "$ROOT/tests/tools/mkcert-soft.c" \
	"$BDIR/libsignet-common.a" $(pkg-config --libs $PKGS) -lpthread ||
	fail "cannot build tests/tools/mkcert-soft"

field() { # LINE N  → colon field N (1-based)
	cut -d: -f"$2" <<<"$1"
}

# check_cert NAME BITS CREATED EXPONENT WANT_TOPBIT
check_cert() {
	local name=$1 bits=$2 created=$3 exp=$4 want_top=$5
	local uid="Signet test $name <$name@signet.test>"
	local h=$T/g-$name out fpr grip keyid topbit cols pub sig line
	mkdir -m 700 "$h"
	HOMES+=("$h")
	out=$("$T/mkcert-soft" "$bits" "$created" "$uid" "$T/$name" "$exp") ||
		fail "$name: mkcert-soft failed"
	fpr=$(sed -n 's/^fpr //p' <<<"$out")
	grip=$(sed -n 's/^grip //p' <<<"$out")
	keyid=$(sed -n 's/^keyid //p' <<<"$out")
	topbit=$(sed -n 's/^topbit //p' <<<"$out")
	[[ $topbit == "$want_top" ]] || fail "$name: modulus top bit is $topbit, wanted $want_top"

	gpg --homedir "$h" --batch --import "$T/$name.pgp" >"$T/$name.import" 2>&1 ||
		{ cat "$T/$name.import"; fail "$name: gpg --import refused the certificate"; }

	cols=$(gpg --homedir "$h" --batch --with-colons --fixed-list-mode --with-keygrip \
		--check-signatures "$fpr" 2>"$T/$name.err") ||
		{ cat "$T/$name.err"; fail "$name: gpg does not know fingerprint $fpr"; }
	pub=$(grep '^pub:' <<<"$cols" | head -n1)
	[[ $(field "$pub" 3) == "$bits" ]] || fail "$name: gpg says $(field "$pub" 3) bits, wanted $bits"
	[[ $(field "$pub" 4) == 1 ]] || fail "$name: algorithm $(field "$pub" 4), wanted 1 (RSA)"
	[[ $(field "$pub" 5) == "$keyid" ]] || fail "$name: gpg key id $(field "$pub" 5), ours $keyid"
	[[ $(field "$pub" 6) == "$created" ]] || fail "$name: gpg creation time $(field "$pub" 6), wanted $created"
	[[ $(field "$pub" 12) == *s* && $(field "$pub" 12) == *c* ]] ||
		fail "$name: key capabilities '$(field "$pub" 12)', wanted sign+certify"
	line=$(grep '^fpr:' <<<"$cols" | head -n1)
	[[ $(field "$line" 10) == "$fpr" ]] || fail "$name: gpg fingerprint $(field "$line" 10), ours $fpr"
	line=$(grep '^grp:' <<<"$cols" | head -n1)
	[[ $(field "$line" 10) == "$grip" ]] || fail "$name: gpg keygrip $(field "$line" 10), ours $grip"
	line=$(grep '^uid:' <<<"$cols" | head -n1)
	[[ $(field "$line" 10) == "$uid" ]] || fail "$name: user ID '$(field "$line" 10)'"
	sig=$(grep '^sig:' <<<"$cols" | head -n1)
	[[ $(field "$sig" 2) == '!' ]] || fail "$name: self-signature status '$(field "$sig" 2)', wanted '!'"
	[[ $(field "$sig" 5) == "$keyid" ]] || fail "$name: signature issuer $(field "$sig" 5)"
	[[ $(field "$sig" 6) == "$created" ]] || fail "$name: signature time $(field "$sig" 6)"
	[[ $(field "$sig" 11) == 13x ]] || fail "$name: signature class $(field "$sig" 11), wanted 13x"
	[[ $(field "$sig" 16) == 8 ]] || fail "$name: signature hash $(field "$sig" 16), wanted 8 (SHA-256)"
	# The human form the brief of this test names.
	gpg --homedir "$h" --batch --check-signatures "$fpr" 2>/dev/null | grep -q '^sig!' ||
		fail "$name: gpg --check-signatures shows no 'sig!'"

	gpg --homedir "$h" --batch --list-packets "$T/$name.pgp" >"$T/$name.packets" 2>&1 ||
		fail "$name: gpg --list-packets"
	for want in 'key flags: 03' 'pref-hash-algos: 10 9 8' 'pref-sym-algos: 9 8 7' \
		'pref-zip-algos: 2 3 1' 'features: 01' "issuer fpr v4 $fpr" "issuer key ID $keyid"; do
		grep -qF "($want)" "$T/$name.packets" || { cat "$T/$name.packets"; fail "$name: no '$want' in the signature"; }
	done

	gpg --homedir "$h" --batch --dearmor <"$T/$name.asc" >"$T/$name.dearmored" 2>"$T/$name.err" ||
		{ cat "$T/$name.err"; fail "$name: gpg --dearmor refused the armor"; }
	cmp -s "$T/$name.dearmored" "$T/$name.pgp" || fail "$name: dearmored armor differs from the binary"
	head -n1 "$T/$name.asc" | grep -qx -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' || fail "$name: armor header"
	awk 'length($0) > 64 { bad = 1 } END { exit bad }' "$T/$name.asc" || fail "$name: armor line over 64 chars"
	mkdir -m 700 "$h.asc"
	HOMES+=("$h.asc")
	gpg --homedir "$h.asc" --batch --import "$T/$name.asc" >/dev/null 2>&1 ||
		fail "$name: gpg --import refused the armored certificate"

	note "$name: $bits bits, e=$exp, top bit $topbit: fpr $fpr, grip, time, self-sig, armor ok"
}

check_cert rsa2048 2048 1577836800 65537 1       # 2020-01-01
check_cert rsa4096 4096 1700000000 65537 1
check_cert rsa3072 3072 1600000000 3 1
check_cert rsa2047 2047 1500000000 65537 0       # no 0x00 prefix in the sexp

# Negative control: a certificate whose signature does not match must not
# pass as a good self-signature.
cp "$T/rsa2048.pgp" "$T/bad.pgp"
size=$(stat -c %s "$T/bad.pgp")
# flip every bit of one signature byte (a fixed value would be a no-op
# whenever the byte already had it)
b=$(od -An -tu1 -j $((size - 5)) -N1 "$T/bad.pgp" | tr -d ' ')
printf "\\x$(printf %02x $((b ^ 0xff)))" | dd of="$T/bad.pgp" bs=1 seek=$((size - 5)) conv=notrunc status=none
cmp -s "$T/rsa2048.pgp" "$T/bad.pgp" && fail "the tampered copy is unchanged"
mkdir -m 700 "$T/g-bad"
HOMES+=("$T/g-bad")
gpg --homedir "$T/g-bad" --batch --import "$T/bad.pgp" >/dev/null 2>&1 || true
if gpg --homedir "$T/g-bad" --batch --with-colons --check-signatures 2>/dev/null | grep -q '^sig:!'; then
	fail "tampered certificate still shows a good self-signature"
fi
note "tampered certificate: refused"
echo "005-pgpcert-gpg: ok"
