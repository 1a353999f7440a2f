#!/bin/bash
# Issue 7 §1, as the attack: a signer tries to make the project key bind a
# subkey of their own (gpg --quick-add-key) or certify another key
# (gpg --quick-sign-key), and asks policyd directly for a signature by the
# primary key.  Everything fails, nothing new appears in any exported
# certificate, the raw request is refused and audited, setup gave the
# project key no ultimate ownertrust, and ordinary signing still works and
# is made by the signing subkey.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
M=sk-mallory
user_new "$M"
trap 'world_cleanup; userdel "$M" 2>/dev/null; true' EXIT
world_new --public-bin
trap 'world_cleanup; userdel "$M" 2>/dev/null; true' EXIT
project_new atk rsa2048 "user:$M"
SOCK=$(sed -n 's/^socket = //p' "$SIGNET_HOME/signet.conf")
mkdir -p "$W/m" && chown "$M" "$W/m"
G=$W/m/g
gpghome_new "$G" --as "$M" --project atk
mg() { as_user "$M" env GNUPGHOME="$G" gpg --batch --no-tty "$@"; }

FPR=$(gpg --batch --with-colons --show-keys "$W/atk.asc" | awk -F: '/^fpr/{print $10; exit}')
SUBFPR=$(gpg --batch --with-colons --show-keys "$W/atk.asc" | awk -F: '/^sub/{s=1; next} s && /^fpr/{print $10; exit}')
PGRIP=$(gpg --batch --with-colons --with-keygrip --show-keys "$W/atk.asc" | awk -F: '/^grp/{print $10; exit}')
[[ -n $FPR && -n $SUBFPR && -n $PGRIP ]] || fail "cannot read primary, subkey and keygrip from the certificate"
gpg --batch --with-colons --show-keys "$W/atk.asc" | has '^pub:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:c[A-Z]*:' ||
	fail "the primary key has usage other than certify: $(gpg --batch --with-colons --show-keys "$W/atk.asc" | grep ^pub)"
subs_of() { gpg --batch --with-colons --show-keys "$1" 2>/dev/null | grep -c '^sub:'; }
[[ $(subs_of "$W/atk.asc") == 1 ]] || fail "a new project has $(subs_of "$W/atk.asc") subkeys"
note "primary $FPR certifies only; signing subkey $SUBFPR"

# ---- setup set no ownertrust: validity is the user's decision
mg --export-ownertrust >"$W/trust" 2>/dev/null
grep -qi "^$FPR:" "$W/trust" && fail "setup set ownertrust: $(grep -i "^$FPR:" "$W/trust")"
mg --with-colons --list-keys "$FPR" 2>/dev/null | has '^pub:u:' && fail "the project key is ultimately valid after setup"
note "no ownertrust after setup ($(wc -l <"$W/trust") trust lines, none for the project)"

# ---- the subkey trick: bind a key of the signer's own
if mg --quick-add-key "$FPR" rsa2048 sign 1y >"$W/addkey.out" 2>&1; then
	cat "$W/addkey.out"; fail "gpg --quick-add-key bound a new subkey to the project key"
fi
note "quick-add-key refused: $(grep -m1 'gpg:' "$W/addkey.out")"

# ---- the certification trick: certify a key of the signer's own
mg --passphrase '' --pinentry-mode loopback --quick-gen-key 'Mallory <m@evil.test>' rsa2048 sign,cert never \
	>"$W/gen.out" 2>&1 || { cat "$W/gen.out"; fail "mallory cannot make her own key"; }
MFPR=$(mg --with-colons --list-keys m@evil.test | awk -F: '/^fpr/{print $10; exit}')
for u in "$FPR" "$FPR!" "$SUBFPR!"; do
	if mg --yes -u "$u" --quick-sign-key "$MFPR" >"$W/sign-key.out" 2>&1 &&
		mg --with-colons --check-sigs "$MFPR" 2>/dev/null | grep -Eq "^sig:!:[^:]*:[^:]*:(${FPR:24}|${SUBFPR:24}):"; then
		cat "$W/sign-key.out"; fail "gpg -u $u --quick-sign-key certified mallory's key with the project key"
	fi
done
mg --with-colons --check-sigs "$MFPR" 2>/dev/null | grep -Eq ":(${FPR:24}|${SUBFPR:24}):" &&
	fail "mallory's key carries a signature by the project key"
note "quick-sign-key by the primary and by the subkey refused; no certification on mallory's key"

# ---- the certification trick by hand: a certification of mallory's key
# whose signature value comes from raw SIGN (so from the signing subkey).
# Even a keyring that trusts the project key ultimately rejects it.
cp "$TOOLS/forge.py" "$W/m/"
mg --export "$MFPR" >"$W/m/mkey.gpg"
as_user "$M" python3 "$W/m/forge.py" certify "$SOCK" atk "$SUBFPR" "$W/m/mkey.gpg" "$W/m/forged.gpg" ||
	fail "forge certify could not get a signature"
v=$(validity_under_trust "$W/atk.asc" "$FPR" "$W/m/forged.gpg" "$MFPR")
[[ -n $v && $v != f && $v != u ]] || fail "a certification made through SIGN made mallory's key valid ($v)"
note "a certification forged through raw SIGN leaves mallory's key at validity '$v' for a victim trusting the project"

# ---- the subkey trick by hand: mallory's key bound as a signing subkey
# of the project, the binding's value from raw SIGN (so from the signing
# subkey), the back-signature by her own key; she signs offline.
MGRIP=$(mg --with-colons --with-keygrip --list-keys "$MFPR" 2>/dev/null | awk -F: '/^grp/{print $10; exit}')
echo "evil release" >"$W/m/evil" && chown "$M" "$W/m/evil"
mg --yes -u "$MFPR!" --detach-sign -o "$W/m/evil.sig" "$W/m/evil" 2>/dev/null || fail "mallory cannot sign"
as_user "$M" env GNUPGHOME="$G" python3 "$W/m/forge.py" bind "$SOCK" atk "$SUBFPR" "$W/atk.gpg" \
	"$W/m/mkey.gpg" "$MGRIP" "$W/m/bound.gpg" || fail "forge bind could not get its signatures"
gpgv --keyring "$W/m/bound.gpg" "$W/m/evil.sig" "$W/m/evil" 2>/dev/null &&
	fail "a subkey bound through raw SIGN verifies mallory's offline signature"
gpg --batch --with-colons --show-keys "$W/m/bound.gpg" 2>/dev/null | has "$MFPR" &&
	fail "gpg accepts a subkey binding made through raw SIGN"
note "a subkey binding forged through raw SIGN is rejected: mallory's offline signature does not verify"

# ---- nothing new in any exported certificate
mg --export "$FPR" >"$W/mallory-export.gpg"
[[ $(subs_of "$W/mallory-export.gpg") == 1 ]] || fail "mallory's keyring export has $(subs_of "$W/mallory-export.gpg") subkeys"
signet --home "$SIGNET_HOME" project export atk >"$W/atk2.asc"
cmp -s "$W/atk.asc" "$W/atk2.asc" || fail "the project's certificate changed"
gpg --batch --list-packets "$W/mallory-export.gpg" | grep -c ':signature packet:' | has -x 2 ||
	fail "mallory's export carries signatures beyond the self-signature and the binding"
note "signet project export unchanged; mallory's own export has 1 subkey and 2 signatures"

# ---- raw protocol: a signature by the primary key is refused and audited
DIG=$(printf 'subkey binding' | sha256sum | cut -c1-64)
pg() { as_user "$M" gpg-connect-agent -S "$SOCK" "$@" /bye 2>&1 | tr -d '\0'; }
out=$(pg "SIGN --hash=sha256 --key=$PGRIP atk $DIG")
grep -q '^ERR 125 ' <<<"$out" || fail "SIGN --key=<primary grip>: $out"
grep -q 'primary key of project atk, which only certifies' <<<"$out" || fail "no reason for the refusal: $out"
last_record | grep '"event":"deny"' | grep "\"user\":\"$M\"" | has "\"key_fpr\":\"$FPR\"" ||
	fail "the refusal is not audited with the primary's fingerprint: $(last_record)"
out=$(pg "SIGN --hash=sha256 --key=${PGRIP,,} atk $DIG")
grep -q '^ERR 125 ' <<<"$out" || fail "SIGN --key=<primary grip, lower case>: $out"
out=$(pg "READKEY --key=$PGRIP atk")
grep -q '^ERR 125 ' <<<"$out" || fail "READKEY --key=<primary grip>: $out"
out=$(pg "SIGN --hash=sha256 --key=$(printf '%040d' 7) atk $DIG")
grep -q '^ERR 125 .*not a signing key of project atk' <<<"$out" || fail "SIGN --key=<unknown grip>: $out"
out=$(pg "SIGN --hash=sha256 --key=xyz atk $DIG")
grep -q '^ERR 280 ' <<<"$out" || fail "SIGN --key=xyz: $out"
out=$(pg "SIGN --hash=sha256 atk $DIG")
grep -q '^OK' <<<"$out" || fail "SIGN without --key (the current subkey): $out"
note "raw SIGN/READKEY with the primary's keygrip refused (Wrong key usage) and audited"

# ---- ordinary signing works and is made by the subkey
echo "release" >"$W/m/file" && chown "$M" "$W/m/file"
sign_detached "$M" "$G" "$FPR" "$W/m/file" || fail "mallory cannot sign data"
gpgv --keyring "$W/atk.gpg" "$W/m/file.sig" "$W/m/file" 2>"$W/gpgv.out" || { cat "$W/gpgv.out"; fail "gpgv"; }
gpg --batch --list-packets "$W/m/file.sig" | has "keyid ${SUBFPR:24}" ||
	fail "the data signature is not by the subkey: $(gpg --batch --list-packets "$W/m/file.sig" | head -3)"
note "data signature by subkey ${SUBFPR:24} verified by gpgv"

audit_check --has "deny:denied:$M:atk" --has "sign:granted:$M:atk" --has-sig "$(sig_mpi "$W/m/file.sig")"
