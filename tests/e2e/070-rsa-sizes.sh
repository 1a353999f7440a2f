#!/bin/bash
# RSA 2048, 3072 and 4096: sign and verify each, one GnuPG home for all three.
. "$(dirname "$0")/lib.sh"
world_new
for a in rsa2048 rsa3072 rsa4096; do project_new "k$a" "$a" "user:$(id -un)"; done
H=$W/g
gpghome_new "$H"
echo data >"$W/f"
for a in rsa2048 rsa3072 rsa4096; do
	FPR=$(fpr_of "$H" "k$a@signet.test")
	[[ -n $FPR ]] || fail "no key k$a after setup"
	cp "$W/f" "$W/f-$a"
	sign_detached "$(id -un)" "$H" "$FPR" "$W/f-$a"
	gpgv --keyring "$W/k$a.gpg" "$W/f-$a.sig" "$W/f-$a" 2>/dev/null || fail "$a signature does not verify"
	bits=$(gpg --batch --list-packets "$W/f-$a.sig" | sed -n 's/.*data: \[\([0-9]*\) bits\].*/\1/p')
	# A valid signature is a number below the modulus: short by a few bits
	# now and then, by 64 practically never.
	((bits > ${a#rsa} - 64 && bits <= ${a#rsa})) || fail "$a signature has $bits bits"
	audit_check --has-sig "$(sig_mpi "$W/f-$a.sig")" >/dev/null
	note "$a: signed, verified, audited"
done
audit_check --count sign=3
