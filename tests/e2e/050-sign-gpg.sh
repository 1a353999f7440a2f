#!/bin/bash
# gpg --detach-sign verified by gpgv with only the exported certificate;
# gpg --clearsign; every signature is in the audit trail, byte for byte.
. "$(dirname "$0")/lib.sh"
world_new
project_new rel rsa3072 "user:$(id -un)"
H=$W/g
gpghome_new "$H" --project rel
FPR=$(fpr_of "$H" rel@signet.test)
[[ -n $FPR ]] || fail "no key for rel in $H"
note "fingerprint $FPR"

# The fingerprint the card, the certificate and policyd agree on.
CFPR=$(gpg --batch --with-colons --show-keys "$W/rel.asc" | awk -F: '/^fpr/{print $10; exit}')
[[ $CFPR == "$FPR" ]] || fail "exported cert fpr $CFPR != keyring fpr $FPR"

head -c 4096 /dev/urandom >"$W/payload.bin"
sign_detached "$(id -un)" "$H" "$FPR" "$W/payload.bin"
gpgv --keyring "$W/rel.gpg" "$W/payload.bin.sig" "$W/payload.bin" 2>"$W/gpgv.out" ||
	{ cat "$W/gpgv.out"; fail "gpgv rejected the detached signature"; }
grep -q 'Good signature' "$W/gpgv.out" || fail "gpgv: no good signature"
note "detached signature verified by gpgv with the exported certificate only"

# A modified file must not verify (the test can fail).
printf x >>"$W/payload.bin"
if gpgv --keyring "$W/rel.gpg" "$W/payload.bin.sig" "$W/payload.bin" 2>/dev/null; then
	fail "gpgv accepted a signature over modified data"
fi

echo "release notes" >"$W/notes.txt"
GNUPGHOME=$H gpg --batch --yes --no-tty -u "$FPR" --clearsign -o "$W/notes.txt.asc" "$W/notes.txt"
gpgv --keyring "$W/rel.gpg" "$W/notes.txt.asc" 2>"$W/gpgv2.out" || { cat "$W/gpgv2.out"; fail "clearsign did not verify"; }
GNUPGHOME=$H gpg --batch --verify "$W/notes.txt.asc" 2>&1 | has 'Good signature' || fail "gpg --verify clearsign"
note "clearsigned message verified"

audit_check --has-sig "$(sig_mpi "$W/payload.bin.sig")" --has-sig "$(sig_mpi "$W/notes.txt.asc")" \
	--has "sign:granted:$(id -un):rel" --count certify=1 --count keygen=1
