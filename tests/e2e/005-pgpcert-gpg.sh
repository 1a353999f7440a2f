#!/bin/bash
# pgpkey + pgpcert against real gpg: certificates for software RSA keys
# (tests/tools/mkcert-soft.c) must import, carry a good self-signature, and
# have the fingerprint, keygrip, creation time, user ID and preferences we
# computed; the armor must round-trip through gpg --dearmor.  A tampered
# certificate must be refused (so the checks can fail at all).
# The project key model: a certify-only primary with signing subkeys (one
# expired) imports with the right capabilities; gpgv with only the
# certificate accepts data signatures by the subkeys and refuses one by the
# primary; and a subkey bound by another subkey instead of the primary (what
# a signer could make through policyd) is dropped by gpg.
set -eu
has() { grep "$@" >/dev/null; }   # reads all of a pipe, unlike grep -q (see lib.sh)
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
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror "${SANFLAGS[@]}" -I"$ROOT/common" \
	$(pkg-config --cflags $PKGS) -o "$T/mkcert-ec" "$ROOT/tests/tools/mkcert-ec.c" \
	"$BDIR/libsignet-common.a" $(pkg-config --libs $PKGS) -lpthread ||
	fail "cannot build tests/tools/mkcert-ec"

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
	gpg --homedir "$h" --batch --check-signatures "$fpr" 2>/dev/null | has '^sig!' ||
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
	head -n1 "$T/$name.asc" | has -x -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' || fail "$name: armor header"
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
if gpg --homedir "$T/g-bad" --batch --with-colons --check-signatures 2>/dev/null | has '^sig:!'; then
	fail "tampered certificate still shows a good self-signature"
fi
note "tampered certificate: refused"

# --- subkeys -------------------------------------------------------------
T0=1577836800                                   # 2020-01-01
S1C=$((T0 + 86400)) S1E=$((T0 + 30 * 86400))    # expired long ago
S2C=$((T0 + 2 * 86400))                         # current, no expiry
SIGT=$((S2C + 60))                              # when the data signatures were made
echo "signet release 1.0" >"$T/data"
out=$("$T/mkcert-soft" subkeys "$T0" "Signet subkeys <sub@signet.test>" "$T/sk" "$T/data" \
	"$S1C:$S1E" "$S2C:0") || fail "subkeys: mkcert-soft failed"
val() { sed -n "s/^$1 //p" <<<"$out"; }
pfpr=$(val fpr) pkeyid=$(val keyid) s1fpr=$(val sub1-fpr) s2fpr=$(val sub2-fpr)
s1keyid=$(val sub1-keyid) s2keyid=$(val sub2-keyid) afpr=$(val attacker-fpr)
h=$T/g-sub
mkdir -m 700 "$h"
HOMES+=("$h")
gpg --homedir "$h" --batch --import "$T/sk.pgp" >"$T/sk.import" 2>&1 ||
	{ cat "$T/sk.import"; fail "subkeys: gpg --import refused the certificate"; }
cols=$(gpg --homedir "$h" --batch --with-colons --fixed-list-mode --list-keys "$pfpr") ||
	fail "subkeys: gpg does not know $pfpr"
pub=$(grep '^pub:' <<<"$cols")
caps=$(field "$pub" 12)
# lower case: what the primary itself may do; upper case: the whole key
[[ $(tr -d 'A-Z' <<<"$caps") == c ]] || fail "subkeys: primary capabilities '$caps', wanted c only"
[[ $caps == *S* ]] || fail "subkeys: key capabilities '$caps' lack S (a usable signing subkey)"
mapfile -t subs < <(grep '^sub:' <<<"$cols")
mapfile -t fprs < <(awk -F: '/^fpr:/ { print $10 }' <<<"$cols")
[[ ${#subs[@]} == 2 ]] || fail "subkeys: gpg lists ${#subs[@]} subkeys, wanted 2"
[[ ${fprs[1]} == "$s1fpr" && ${fprs[2]} == "$s2fpr" ]] ||
	fail "subkeys: subkey fingerprints ${fprs[1]} ${fprs[2]}, ours $s1fpr $s2fpr"
for i in 0 1; do
	[[ $(field "${subs[$i]}" 12) == s ]] || fail "subkeys: subkey $((i + 1)) capabilities '$(field "${subs[$i]}" 12)', wanted s"
done
[[ $(field "${subs[0]}" 5) == "$s1keyid" && $(field "${subs[0]}" 6) == "$S1C" ]] || fail "subkeys: subkey 1 id/time"
[[ $(field "${subs[0]}" 2) == e && $(field "${subs[0]}" 7) == "$S1E" ]] ||
	fail "subkeys: subkey 1 validity '$(field "${subs[0]}" 2)' expiry '$(field "${subs[0]}" 7)', wanted e $S1E"
[[ $(field "${subs[1]}" 5) == "$s2keyid" && $(field "${subs[1]}" 6) == "$S2C" ]] || fail "subkeys: subkey 2 id/time"
[[ $(field "${subs[1]}" 2) != [eri] && -z $(field "${subs[1]}" 7) ]] ||
	fail "subkeys: subkey 2 validity '$(field "${subs[1]}" 2)' expiry '$(field "${subs[1]}" 7)'"
n=$(gpg --homedir "$h" --batch --with-colons --check-signatures "$pfpr" 2>/dev/null |
	grep -c "^sig:!::1:$pkeyid:.*:18x:") || true
[[ $n == 2 ]] || fail "subkeys: $n good subkey binding signatures by the primary, wanted 2"
gpg --homedir "$h" --batch --list-packets "$T/sk.pgp" >"$T/sk.packets" 2>&1 || fail "subkeys: --list-packets"
n=$(grep -c 'hashed subpkt 32 len .* (signature: v4, class 0x19' "$T/sk.packets") || true
[[ $n == 2 ]] || { cat "$T/sk.packets"; fail "subkeys: $n embedded back-signatures, wanted 2"; }
grep -qF '(key flags: 01)' "$T/sk.packets" || fail "subkeys: the primary's self-signature lacks key flags 01"
n=$(grep -cF '(key flags: 02)' "$T/sk.packets") || true
[[ $n == 2 ]] || fail "subkeys: $n bindings with key flags 02, wanted 2"
note "subkeys: primary [$caps], subkeys [s] (one expired), bindings and back-signatures good"

# gpgv with nothing but the certificate as its keyring.
gpgv_st() { # SIG KEYRING → status lines in $st, exit code in $rc
	rc=0
	st=$(gpgv --keyring "$2" --status-fd 1 "$1" "$T/data" 2>"$T/gpgv.err") || rc=$?
}
gpgv_st "$T/sk.s2.sig" "$T/sk.pgp"
[[ $rc == 0 ]] && grep -q "^\[GNUPG:\] GOODSIG $s2keyid " <<<"$st" &&
	grep -q "^\[GNUPG:\] VALIDSIG $s2fpr .* $pfpr\$" <<<"$st" ||
	{ cat "$T/gpgv.err"; fail "subkeys: gpgv refused the current subkey's signature"; }
# made while subkey 1 was valid: still verifies (old signatures survive a
# rotation), flagged as by an expired key
gpgv_st "$T/sk.s1.sig" "$T/sk.pgp"
[[ $rc == 0 ]] && grep -q "^\[GNUPG:\] EXPKEYSIG $s1keyid " <<<"$st" &&
	grep -q "^\[GNUPG:\] VALIDSIG $s1fpr " <<<"$st" ||
	{ cat "$T/gpgv.err"; fail "subkeys: gpgv on the expired subkey's old signature: rc $rc"; }
# gpg refuses a data signature by a key without the sign flag, exit 2:
# 2.2 finds the key and says "Wrong key usage" (ERRSIG code 125), 2.4.7
# does not take it for the signer and says "No public key" (9).
gpgv_st "$T/sk.p.sig" "$T/sk.pgp"
[[ $rc != 0 ]] || fail "subkeys: gpgv accepted a data signature by the certify-only primary"
grep -q "^\[GNUPG:\] \(GOODSIG\|VALIDSIG\|EXPKEYSIG\)" <<<"$st" &&
	fail "subkeys: gpgv reported the certify-only primary's signature as good"
grep -Eq "^\[GNUPG:\] ERRSIG $pkeyid [0-9]+ [0-9]+ [0-9a-f]{2} [0-9]+ (125|9)( |\$)" <<<"$st" ||
	{ echo "$st"; fail "subkeys: no 'wrong key usage' (2.2) or 'no public key' (2.4) ERRSIG for the primary's signature"; }
note "subkeys: gpgv accepts the subkeys' signatures (expired one as EXPKEYSIG), refuses the primary's (ERRSIG $(sed -n 's/^\[GNUPG:\] ERRSIG [^ ]* [^ ]* [^ ]* [^ ]* [^ ]* \([0-9]*\).*/\1/p' <<<"$st"))"

# The attack at the format level: a key bound by subkey 1 (the one a signer
# can have policyd sign with) instead of the primary.
h=$T/g-attack
mkdir -m 700 "$h"
HOMES+=("$h")
gpg --homedir "$h" --batch --import "$T/sk.pgp" >/dev/null 2>&1 || fail "attack: importing the certificate"
gpg --homedir "$h" --batch --import "$T/sk.attack.pgp" >"$T/attack.import" 2>&1 || true
for what in --list-keys --export; do
	gpg --homedir "$h" --batch --with-colons "$what" >"$T/attack.out" 2>&1 || true
	if [[ $what == --export ]]; then
		gpg --homedir "$h" --batch --with-colons --list-packets "$T/attack.out" >"$T/attack.list" 2>&1 || true
		grep -q "keyid: $s2keyid" "$T/attack.list" || fail "attack: control: the export lacks subkey 2"
		grep -q "keyid: ${afpr: -16}" "$T/attack.list" && fail "attack: the exported certificate carries the attacker's subkey"
	else
		grep -q "$afpr" "$T/attack.out" && fail "attack: gpg lists the subkey bound by a subkey"
	fi
done
gpgv_st "$T/sk.a.sig" "$T/sk.attack.pgp"
[[ $rc != 0 ]] || fail "attack: gpgv accepted a signature by the subkey bound by a subkey"
grep -q "^\[GNUPG:\] \(GOODSIG\|VALIDSIG\|EXPKEYSIG\)" <<<"$st" &&
	fail "attack: gpgv reported the attacker's signature as good"
gpgv_st "$T/sk.s2.sig" "$T/sk.attack.pgp"
[[ $rc == 0 ]] || fail "attack: control: the current subkey's signature no longer verifies"
note "attack: a subkey bound by a subkey is dropped on import and refused by gpgv"

# An upgraded project: the primary keeps certify+sign (its old signatures
# stay valid) and gains a signing subkey.  The control for the refusal
# above: the same kind of primary signature verifies when the flag is there.
out=$("$T/mkcert-soft" subkeys-legacy "$T0" "Signet upgraded <up@signet.test>" "$T/up" "$T/data" \
	"$S2C:0") || fail "upgrade: mkcert-soft failed"
pfpr=$(val fpr) s1fpr=$(val sub1-fpr)
gpg --homedir "$T/g-sub" --batch --import "$T/up.pgp" >/dev/null 2>&1 || fail "upgrade: gpg --import"
cols=$(gpg --homedir "$T/g-sub" --batch --with-colons --fixed-list-mode --list-keys "$pfpr") ||
	fail "upgrade: gpg does not know $pfpr"
caps=$(field "$(grep '^pub:' <<<"$cols")" 12)
[[ $(tr -d 'A-Z' <<<"$caps") == sc || $(tr -d 'A-Z' <<<"$caps") == cs ]] ||
	fail "upgrade: primary capabilities '$caps', wanted s and c"
[[ $(field "$(grep '^sub:' <<<"$cols")" 12) == s ]] || fail "upgrade: subkey capabilities"
gpgv_st "$T/up.p.sig" "$T/up.pgp"
[[ $rc == 0 ]] && grep -q "^\[GNUPG:\] VALIDSIG $pfpr " <<<"$st" ||
	{ cat "$T/gpgv.err"; fail "upgrade: gpgv refused the certify+sign primary's signature"; }
gpgv_st "$T/up.s1.sig" "$T/up.pgp"
[[ $rc == 0 ]] && grep -q "^\[GNUPG:\] VALIDSIG $s1fpr .* $pfpr\$" <<<"$st" ||
	{ cat "$T/gpgv.err"; fail "upgrade: gpgv refused the subkey's signature"; }
note "upgrade: primary [$caps] and subkey [s]; both the primary's and the subkey's signatures verify"

# --- EC keys: ECDSA P-256/P-384 (algorithm 19) and EdDSA Ed25519 (22) ------
# Keys generated by libgcrypt, encoded by pgpkey and signed through
# pgpsig: gpg must accept every self-signature, agree on algorithm, curve,
# fingerprint and keygrip (libgcrypt's own, of the generated key), and
# gpgv must accept the subkey's data signature and refuse the primary's.
for type in p256 p384 ed25519; do
	case $type in
	p256) want_algo=19 want_curve=nistp256 ;;
	p384) want_algo=19 want_curve=nistp384 ;;
	ed25519) want_algo=22 want_curve=ed25519 ;;
	esac
	out=$("$T/mkcert-ec" "$type" "$T0" "Signet $type <$type@signet.test>" "$T/$type" "$T/data") ||
		fail "$type: mkcert-ec failed"
	h=$T/g-$type
	mkdir -m 700 "$h"
	HOMES+=("$h")
	gpg --homedir "$h" --batch --import "$T/$type.pgp" >"$T/$type.import" 2>&1 ||
		{ cat "$T/$type.import"; fail "$type: gpg --import refused the certificate"; }
	cols=$(gpg --homedir "$h" --batch --with-colons --fixed-list-mode --with-keygrip \
		--check-signatures "$(val fpr)" 2>"$T/$type.err") ||
		{ cat "$T/$type.err"; fail "$type: gpg does not know $(val fpr)"; }
	pub=$(grep '^pub:' <<<"$cols") sub=$(grep '^sub:' <<<"$cols")
	[[ $(field "$pub" 4) == "$want_algo" && $(field "$sub" 4) == "$want_algo" ]] ||
		fail "$type: algorithms $(field "$pub" 4)/$(field "$sub" 4), wanted $want_algo"
	[[ $(field "$pub" 17) == "$want_curve" && $(field "$sub" 17) == "$want_curve" ]] ||
		fail "$type: curves $(field "$pub" 17)/$(field "$sub" 17), wanted $want_curve"
	[[ $(grep -c '^fpr:' <<<"$cols") == 2 ]] && has "^fpr:::::::::$(val fpr):" <<<"$cols" &&
		has "^fpr:::::::::$(val sub-fpr):" <<<"$cols" || fail "$type: fingerprints differ from gpg's"
	has "^grp:::::::::$(val grip):" <<<"$cols" && has "^grp:::::::::$(val sub-grip):" <<<"$cols" ||
		fail "$type: keygrips differ from gpg's"
	[[ $(grep -c '^sig:!:' <<<"$cols") == 2 ]] ||
		{ echo "$cols"; fail "$type: gpg does not find the self-certification and the binding good"; }
	grep -q '^sig:!:.*:13x:' <<<"$cols" && grep -q '^sig:!:.*:18x:' <<<"$cols" ||
		fail "$type: good signatures are not a 0x13 and a 0x18"
	[[ $(field "$sub" 12) == s ]] || fail "$type: subkey capabilities '$(field "$sub" 12)', wanted s"
	gpgv_st "$T/$type.s.sig" "$T/$type.pgp"
	[[ $rc == 0 ]] && grep -q "^\[GNUPG:\] VALIDSIG $(val sub-fpr) .* $(val fpr)\$" <<<"$st" ||
		{ cat "$T/gpgv.err"; fail "$type: gpgv refused the subkey's data signature"; }
	gpgv_st "$T/$type.p.sig" "$T/$type.pgp"
	[[ $rc != 0 ]] || fail "$type: gpgv accepted a data signature by the certify-only primary"
	note "$type: algorithm $want_algo $want_curve, self-signatures good, keygrips equal, gpgv ok"
done
echo "005-pgpcert-gpg: ok"
