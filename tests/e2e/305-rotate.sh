#!/bin/bash
# signet project rotate: a new signing subkey bound by the primary.
#  - signatures made before (gpgv with the new certificate, git verify-tag)
#    still verify; new ones are made by the new subkey (issuer keyid);
#  - a client set up before the rotation keeps signing during the overlap
#    without running setup again (the card still offers the old subkey);
#  - after its overlap the old subkey is refused (gpg and raw SIGN), and
#    the refusal is audited;
#  - only admins rotate; bad durations are refused.
. "$(dirname "$0")/lib.sh"
world_new
# A subkey's creation time is its identity (OpenPGP, the token label):
# policyd refuses a second one in the same second, so wait for the next.
next_second() { local t; t=$(date +%s); while (($(date +%s) <= t)); do sleep 0.05; done; }
project_new rot rsa2048 "user:$(id -un)"
SOCK=$(sed -n 's/^socket = //p' "$SIGNET_HOME/signet.conf")
FPR=$(gpg --batch --with-colons --show-keys "$W/rot.asc" | awk -F: '/^fpr/{print $10; exit}')
subfprs() { gpg --batch --with-colons --show-keys "$1" 2>/dev/null | awk -F: '/^sub/{s=1; next} s && /^fpr/{print $10; s=0}'; }
subgrips() { gpg --batch --with-colons --with-keygrip --show-keys "$1" 2>/dev/null | awk -F: '/^sub/{s=1; next} s && /^grp/{print $10; s=0}'; }
issuer() { gpg --batch --list-packets "$1" 2>/dev/null | sed -n 's/.*:signature packet: algo [0-9]*, keyid \([0-9A-F]*\).*/\1/p' | head -n1; }
SUB1=$(subfprs "$W/rot.asc")
[[ $(wc -l <<<"$SUB1") == 1 ]] || fail "a new project has subkeys: $SUB1"

# Client A, set up before any rotation; a git repository signing with it.
A=$W/a
gpghome_new "$A" --project rot
echo one >"$W/f1"
sign_detached "$(id -un)" "$A" "$FPR" "$W/f1"
[[ $(issuer "$W/f1.sig") == "${SUB1:24}" ]] || fail "first signature not by subkey 1"
R=$W/repo
repo_new "$R" rel@signet.test "$FPR"
GNUPGHOME=$A git -C "$R" tag -s -m "release 1.0" v1.0 || fail "git tag -s before the rotation"
note "client A signs with subkey 1 (${SUB1:24})"

# ---- only admins rotate; durations are checked
if [[ $(id -u) == 0 ]]; then
	user_new sk-rot-nobody
	trap 'world_cleanup; userdel sk-rot-nobody 2>/dev/null; true' EXIT
	out=$(as_user sk-rot-nobody gpg-connect-agent -S "$SOCK" 'ROTATE --overlap=60 rot' 'UPGRADE rot' /bye 2>&1)
	[[ $(grep -c '^ERR 32875 ' <<<"$out") == 2 ]] || fail "non-admin ROTATE/UPGRADE: $out"
fi
for bad in 7 7w -1d 0d 400d 1.5h; do
	expect 1 signet --home "$SIGNET_HOME" project rotate rot --overlap "$bad"
	grep -q "check --overlap '$bad'" "$W/err" || fail "overlap $bad: $(cat "$W/err")"
done
out=$(gpg-connect-agent -S "$SOCK" 'ROTATE --overlap=99999999 rot' 'ROTATE rot' 'UPGRADE rot' /bye 2>&1)
grep -q '^ERR 280 .*--overlap wants seconds' <<<"$out" || fail "ROTATE --overlap=99999999: $out"
grep -q '^ERR 280 .*ROTATE --overlap=<seconds> <project>' <<<"$out" || fail "ROTATE without --overlap: $out"
grep -q '^ERR 156 .*has signing subkeys already' <<<"$out" || fail "UPGRADE of a subkey project: $out"
cmp -s "$W/rot.gpg" "$SIGNET_HOME/certs/rot.pgp" || fail "a refused rotation changed the certificate"
note "non-admins, bad overlaps and UPGRADE of a subkey project refused; certificate unchanged"

# ---- rotation 1, overlap 30 minutes
next_second
expect 0 signet --home "$SIGNET_HOME" project rotate rot --overlap 30m
grep -q "signing subkey" "$W/out" || fail "rotate output: $(cat "$W/out")"
signet --home "$SIGNET_HOME" project export rot >"$W/rot2.asc"
gpg --dearmor <"$W/rot2.asc" >"$W/rot2.gpg"
mapfile -t SUBS < <(subfprs "$W/rot2.asc")
[[ ${#SUBS[@]} == 2 && ${SUBS[0]} == "$SUB1" ]] || fail "after rotation: subkeys ${SUBS[*]}"
SUB2=${SUBS[1]}
[[ $(gpg --batch --with-colons --show-keys "$W/rot2.asc" | awk -F: '/^fpr/{print $10; exit}') == "$FPR" ]] ||
	fail "the primary fingerprint changed"
gpg --batch --with-colons --show-keys "$W/rot2.asc" | grep '^sub:' | head -n1 | awk -F: '{exit !($7 != "")}' ||
	fail "the old subkey has no expiry"
gpgv --keyring "$W/rot2.gpg" "$W/f1.sig" "$W/f1" 2>"$W/gpgv1.out" || { cat "$W/gpgv1.out"; fail "old signature no longer verifies"; }
note "rotated: subkey 2 ${SUB2:24}; subkey 1 kept with an expiry; old signature verifies with the new certificate"

# Client A keeps signing, setup not re-run: the card offers the old subkey.
echo two >"$W/f2"
sign_detached "$(id -un)" "$A" "$FPR" "$W/f2" || fail "client A cannot sign during the overlap"
[[ $(issuer "$W/f2.sig") == "${SUB1:24}" ]] || fail "client A's signature during the overlap is not by subkey 1"
gpgv --keyring "$W/rot2.gpg" "$W/f2.sig" "$W/f2" 2>/dev/null || fail "overlap signature does not verify"
note "client A (set up before) still signs with subkey 1 during the overlap"

# Client B, set up after: signs with the new subkey.
B=$W/b
gpghome_new "$B" --project rot
grep -qF "git config user.signingkey $FPR" "$B.setup.out" || fail "setup does not name the primary"
echo three >"$W/f3"
sign_detached "$(id -un)" "$B" "$FPR" "$W/f3"
[[ $(issuer "$W/f3.sig") == "${SUB2:24}" ]] || fail "new signature not by subkey 2 ($(issuer "$W/f3.sig"))"
gpgv --keyring "$W/rot2.gpg" "$W/f3.sig" "$W/f3" 2>/dev/null || fail "new signature does not verify"
# git: the tag made before the rotation verifies in a home with the new certificate.
V=$W/v
mkdir -m 700 "$V"
_HOMES+=("$V")
gpg --homedir "$V" --batch --import "$W/rot2.asc" 2>/dev/null
GNUPGHOME=$V git -C "$R" verify-tag v1.0 2>"$W/vt.out" || { cat "$W/vt.out"; fail "git verify-tag of the old tag"; }
grep -q 'Good signature' "$W/vt.out" || fail "verify-tag: no good signature"
GNUPGHOME=$B git -C "$R" tag -s -m "release 2.0" v2.0 || fail "git tag -s after the rotation"
GNUPGHOME=$V git -C "$R" verify-tag v2.0 2>/dev/null || fail "git verify-tag of the new tag"
git -C "$R" cat-file tag v2.0 | sed -n '/-----BEGIN PGP SIGNATURE-----/,$p' >"$W/v2.sig"
[[ $(issuer "$W/v2.sig") == "${SUB2:24}" ]] || fail "new tag not signed by subkey 2"
note "client B signs with subkey 2; old and new tags verify (git verify-tag)"

# ---- rotation 2 with a 1 s overlap: subkey 2 expires
G2=$(subgrips "$W/rot2.asc" | tail -n1)
next_second
expect 0 signet --home "$SIGNET_HOME" project rotate rot --overlap 1s
signet --home "$SIGNET_HOME" project export rot >"$W/rot3.asc"
gpg --dearmor <"$W/rot3.asc" >"$W/rot3.gpg"
mapfile -t SUBS < <(subfprs "$W/rot3.asc")
[[ ${#SUBS[@]} == 3 && ${SUBS[0]} == "$SUB1" && ${SUBS[1]} == "$SUB2" ]] || fail "after rotation 2: ${SUBS[*]}"
SUB3=${SUBS[2]}
end=$(awk '/^subkey /{n++; if (n == 2) print $4}' "$SIGNET_HOME/certs/rot.pgp.keys")
while (( $(date +%s) < end )); do sleep 0.2; done
out=$(gpg-connect-agent -S "$SOCK" "SIGN --hash=sha256 --key=$G2 rot $(printf x | sha256sum | cut -c1-64)" /bye 2>&1)
grep -q '^ERR 153 .*rotated out' <<<"$out" || fail "SIGN with subkey 2 after its overlap: $out"
last_record | grep '"event":"deny"' | has "\"key_fpr\":\"$SUB2\"" ||
	fail "the expired-subkey refusal is not audited with its fingerprint: $(last_record)"
gpg-connect-agent -S "$SOCK" KEYLIST /bye | has "$G2" && fail "KEYLIST still lists the expired subkey"
echo four >"$W/f4"
if GNUPGHOME=$B gpg --batch --yes --no-tty -u "$FPR" --detach-sign -o "$W/f4.sig" "$W/f4" 2>"$W/f4.err"; then
	fail "client B signed with subkey 2 after its overlap"
fi
for f in f1 f2 f3; do
	gpgv --keyring "$W/rot3.gpg" "$W/$f.sig" "$W/$f" 2>/dev/null || fail "$f.sig no longer verifies after rotation 2"
done
gpgconf --homedir "$B" --kill all >/dev/null 2>&1 || true
gpghome_new "$B" --project rot
sign_detached "$(id -un)" "$B" "$FPR" "$W/f4" || fail "client B cannot sign after running setup again"
[[ $(issuer "$W/f4.sig") == "${SUB3:24}" ]] || fail "f4 not by subkey 3"
note "subkey 2 refused after its 1 s overlap (gpg and raw SIGN, audited); setup again moves B to subkey 3"

# A lost key state must not turn the project back into one whose primary
# signs: the reload is refused and names the file; the old state stays.
mv "$SIGNET_HOME/certs/rot.pgp.keys" "$W/keys.bak"
out=$(gpg-connect-agent -S "$SOCK" RELOAD /bye 2>&1 | tr -d '\0')
grep -q "has 3 subkey(s) but the key state $SIGNET_HOME/certs/rot.pgp.keys is missing" <<<"$out" ||
	fail "reload without key state: $out"
gpg-connect-agent -S "$SOCK" KEYLIST /bye | has "^S KEY rot $(subgrips "$W/rot3.asc" | tail -n1) " ||
	fail "the refused reload changed the keys in force"
mv "$W/keys.bak" "$SIGNET_HOME/certs/rot.pgp.keys"
gpg-connect-agent -S "$SOCK" RELOAD /bye | has '^OK' || fail "reload with the key state back"
note "a missing key state is refused at reload (the primary never signs again)"

audit_check --count rotate=2 --has "deny:denied:$(id -un):rot" --has-sig "$(sig_mpi "$W/f2.sig")" \
	--has-sig "$(sig_mpi "$W/f3.sig")" --has-sig "$(sig_mpi "$W/f4.sig")"
