#!/bin/bash
# Key types (issue 9): a project of each of p256, p384 and ed25519, made
# with `signet project create --algo X` as a user would, its primary and
# signing subkey generated on the token.  For each: signet setup, gpg
# --card-status shows the card's key attributes, then gpg --detach-sign +
# gpgv, --clearsign + gpg --verify, git tag -s / commit -S + verify-tag /
# verify-commit, rpmsign + rpmkeys (Ed25519 signs; ECDSA is refused by rpm
# 4.18 with a message naming the key type, and must sign where rpm is
# 4.19 or later), debsign + dscverify, and a rotation whose new subkey is
# of the project's type and signs.  Every signature is audited.  Bad
# --algo values are refused with the accepted ones named.
. "$(dirname "$0")/lib.sh"
for t in git rpmbuild rpmsign rpmkeys debsign dscverify dpkg-source dpkg-genchanges; do
	command -v "$t" >/dev/null || fail "$t is missing (tests/deps.sh installs git, rpm, devscripts, dpkg-dev)"
done
note "$(gpg --version | head -n1); $(rpm --version)"
world_new
ME=$(id -un)
# gpg --card-status shows the card's first key: each project hands its
# signer over to this user when its turn is done.
user_new signet-kt-done

# --- bad input -----------------------------------------------------------------
for bad in p521 foo; do
	expect 1 signet --home "$SIGNET_HOME" project create "bad$bad" --algo "$bad" \
		--uid "Bad <bad@signet.test>" --signer "user:$ME"
	has "check --algo '$bad': unknown key algorithm; use rsa2048, rsa3072, rsa4096, p256, p384 or ed25519" "$W/err" ||
		{ cat "$W/err"; fail "--algo $bad: no clear refusal naming the accepted values"; }
done
note "--algo p521 / foo: refused, the accepted values named"

# rpm below 4.19 has no ECDSA (rpmpgp: only RSA, DSA and EdDSA).
rpm_ecdsa=0
rpmv=$(rpm --version | sed -n 's/^RPM version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r rmaj rmin <<<"$rpmv"
((rmaj > 4 || (rmaj == 4 && rmin >= 19))) && rpm_ecdsa=1

# A tiny noarch package, built once and copied for each key type.
RPM0=$(rpm_tiny "$W/rpmbuild" signet-kt)

for type in p256 p384 ed25519; do
	case $type in
	p256) algo=19 curve=nistp256 attr="NIST P-256" ;;
	p384) algo=19 curve=nistp384 attr="NIST P-384" ;;
	ed25519) algo=22 curve=ed25519 attr="Ed25519" ;;
	esac
	P=kt$type
	project_new "$P" "$type" "user:$ME"
	has "key          $type " "$W/create-$P.out" || { cat "$W/create-$P.out"; fail "$type: create did not say the type"; }
	cols=$(gpg --batch --with-colons --fixed-list-mode --show-keys "$W/$P.gpg")
	pub=$(grep '^pub:' <<<"$cols") sub=$(grep '^sub:' <<<"$cols")
	[[ $(cut -d: -f4 <<<"$pub") == "$algo" && $(cut -d: -f17 <<<"$pub") == "$curve" ]] ||
		{ echo "$cols"; fail "$type: primary is not algorithm $algo $curve"; }
	[[ $(cut -d: -f4 <<<"$sub") == "$algo" && $(cut -d: -f17 <<<"$sub") == "$curve" ]] ||
		{ echo "$cols"; fail "$type: subkey is not algorithm $algo $curve"; }

	H=$W/g-$type
	gpghome_new "$H" --project "$P"
	FPR=$(fpr_of "$H" "$P@signet.test")
	[[ -n $FPR ]] || fail "$type: no key after setup"
	# every self-signature (certification, binding, back-signature) good
	gpg --homedir "$H" --batch --with-colons --check-signatures "$FPR" >"$W/$type.sigs" 2>&1
	[[ $(grep -c '^sig:!:' "$W/$type.sigs") == 2 ]] && ! has '^sig:[-?%]:' "$W/$type.sigs" ||
		{ cat "$W/$type.sigs"; fail "$type: gpg does not find both self-signatures good"; }

	# --- the virtual card ---------------------------------------------------
	GNUPGHOME=$H gpg --batch --card-status >"$W/$type.card" 2>&1 || { cat "$W/$type.card"; fail "$type: --card-status"; }
	has "^Key attributes \.*: $curve\$" "$W/$type.card" ||
		{ cat "$W/$type.card"; fail "$type: --card-status does not show key attributes $curve"; }
	GNUPGHOME=$H gpg-connect-agent "SCD LEARN --force" "SCD GETATTR KEY-ATTR" /bye >"$W/$type.learn" 2>&1
	has "^S KEY-ATTR 1 $algo $attr\$" "$W/$type.learn" ||
		{ cat "$W/$type.learn"; fail "$type: KEY-ATTR is not '1 $algo $attr'"; }
	sgrip=$(gpg --homedir "$H" --batch --with-colons --with-keygrip --list-keys "$FPR" |
		awk -F: '/^sub/{s=1} s && /^grp/{print $10; exit}')
	has "^S KEYPAIRINFO $sgrip SIGNET\.$P\.[0-9A-F]* sc [0-9]* $curve\$" "$W/$type.learn" ||
		{ cat "$W/$type.learn"; fail "$type: KEYPAIRINFO does not carry gpg's keygrip $sgrip and $curve"; }
	note "$type: certificate algorithm $algo $curve, card KEY-ATTR '1 $algo $attr', keygrip = gpg's"

	# --- gpg ----------------------------------------------------------------
	echo "release $type" >"$W/f-$type"
	sign_detached "$ME" "$H" "$FPR" "$W/f-$type"
	gpgv --keyring "$W/$P.gpg" "$W/f-$type.sig" "$W/f-$type" 2>"$W/gpgv.err" ||
		{ cat "$W/gpgv.err"; fail "$type: gpgv refused the detached signature"; }
	gpg --batch --list-packets "$W/f-$type.sig" | has "algo $algo," ||
		fail "$type: the signature is not of algorithm $algo"
	audit_check --has-sig "$(sig_mpi "$W/f-$type.sig")" >/dev/null
	GNUPGHOME=$H gpg --batch --yes --no-tty -u "$FPR" --clearsign -o "$W/c-$type.asc" "$W/f-$type" ||
		fail "$type: clearsign"
	GNUPGHOME=$H gpg --batch --verify "$W/c-$type.asc" 2>"$W/verify.err" ||
		{ cat "$W/verify.err"; fail "$type: gpg --verify refused the clearsigned text"; }
	# A hash longer than the curve: ECDSA signs its leftmost bytes, as
	# gpg verifies; Ed25519 signs all of it.
	GNUPGHOME=$H gpg --batch --yes --no-tty -u "$FPR" --digest-algo SHA512 --detach-sign \
		-o "$W/f-$type.512.sig" "$W/f-$type" || fail "$type: sign with SHA-512"
	gpgv --keyring "$W/$P.gpg" "$W/f-$type.512.sig" "$W/f-$type" 2>"$W/gpgv.err" ||
		{ cat "$W/gpgv.err"; fail "$type: gpgv refused the SHA-512 signature"; }
	gpg --batch --list-packets "$W/f-$type.512.sig" | has "digest algo 10," ||
		fail "$type: the SHA-512 signature does not name SHA-512"
	note "$type: detached + gpgv (SHA-256 and SHA-512), clearsign + gpg --verify"

	# --- git ----------------------------------------------------------------
	G=$W/repo-$type
	GNUPGHOME=$H repo_new "$G" "$P@signet.test" "$FPR" --empty
	echo one >"$G/a.txt"
	git -C "$G" add a.txt
	GNUPGHOME=$H git -C "$G" commit -q -S -m "signed by $type" || fail "$type: git commit -S"
	GNUPGHOME=$H git -C "$G" tag -s -m "v1 $type" v1 || fail "$type: git tag -s"
	GNUPGHOME=$H git -C "$G" verify-commit HEAD 2>"$W/git.err" || { cat "$W/git.err"; fail "$type: verify-commit"; }
	GNUPGHOME=$H git -C "$G" verify-tag v1 2>"$W/git.err" || { cat "$W/git.err"; fail "$type: verify-tag"; }
	note "$type: git commit -S / tag -s verified"

	# --- rpm ----------------------------------------------------------------
	RPM=$W/signet-kt-$type.rpm
	cp "$RPM0" "$RPM"
	rc=0
	before=$(grep -c '"event":"sign"' "$AUDIT" || true)
	# Signet's rpm macros (conf/rpm/macros.signet): the clear refusal of
	# ECDSA where rpm cannot take it; nothing otherwise.
	GNUPGHOME=$H rpmsign --load "$E2E_DIR/../../conf/rpm/macros.signet" --define "__gpg $(command -v gpg)" \
		--define "_gpg_path $H" --define "_gpg_name $FPR" --addsign "$RPM" </dev/null >"$W/rpmsign-$type.log" 2>&1 ||
		rc=$?
	if [[ $type == ed25519 || $rpm_ecdsa == 1 ]]; then
		[[ $rc == 0 ]] || { cat "$W/rpmsign-$type.log"; fail "$type: rpmsign --addsign"; }
		mkdir -p "$W/rpmdb-$type"
		rpmkeys --dbpath "$W/rpmdb-$type" --import "$W/$P.asc" >"$W/rpmimport.log" 2>&1 ||
			{ cat "$W/rpmimport.log"; fail "$type: rpmkeys --import"; }
		rpmkeys --dbpath "$W/rpmdb-$type" -Kv "$RPM" >"$W/checksig.log" 2>&1 ||
			{ cat "$W/checksig.log"; fail "$type: rpmkeys -K"; }
		has -E 'Header V4 (EdDSA|ECDSA)/SHA(256|384|512) Signature, key ID [0-9a-f]+: OK' "$W/checksig.log" ||
			{ cat "$W/checksig.log"; fail "$type: no verified EdDSA/ECDSA header signature"; }
		note "$type: rpmsign + rpmkeys: $(grep -m1 'Header V4' "$W/checksig.log" | sed 's/^ *//')"
	else
		# rpm 4.18 cannot sign with ECDSA: the user is told so, by key
		# type, before anything is signed, and the package stays unsigned.
		[[ $rc != 0 ]] || { cat "$W/rpmsign-$type.log"; fail "$type: rpmsign succeeded on rpm $rmaj.$rmin"; }
		has "signet: key $FPR is an ECDSA key ($curve): rpm $rmaj.$rmin cannot sign with ECDSA" \
			"$W/rpmsign-$type.log" || { cat "$W/rpmsign-$type.log"; fail "$type: rpmsign's failure does not name the key type"; }
		[[ $(grep -c '"event":"sign"' "$AUDIT") == "$before" ]] ||
			fail "$type: the refused rpmsign still had a signature made"
		rpm -qp --qf '%{SIGPGP:pgpsig}%{RSAHEADER:pgpsig}\n' "$RPM" 2>/dev/null | has '^(none)(none)$' ||
			fail "$type: the package carries a signature after the refusal"
		note "$type: rpm $rmaj.$rmin: $(grep -m1 -o 'signet: key .*cannot sign with ECDSA' "$W/rpmsign-$type.log")"
	fi

	# --- Debian -------------------------------------------------------------
	D=$W/deb-$type
	deb_tiny "$D" "$P@signet.test"
	GNUPGHOME=$H debsign --no-conf -p gpg -k"$FPR" --re-sign "$D/signet-src_1.0_source.changes" \
		</dev/null >"$W/debsign.log" 2>&1 || { cat "$W/debsign.log"; fail "$type: debsign"; }
	dscverify --no-default-keyrings --keyring "$W/$P.gpg" "$D/signet-src_1.0_source.changes" \
		>"$W/dscverify.log" 2>&1 || { cat "$W/dscverify.log"; fail "$type: dscverify"; }
	note "$type: debsign + dscverify"

	# --- rotation: the new subkey is of the same type and signs ------------
	signet --home "$SIGNET_HOME" project rotate "$P" >"$W/rotate-$type.out" 2>&1 ||
		{ cat "$W/rotate-$type.out"; fail "$type: rotate"; }
	signet --home "$SIGNET_HOME" project export "$P" >"$W/$P.asc"
	gpg --dearmor <"$W/$P.asc" >"$W/$P-2.gpg"
	cols=$(gpg --batch --with-colons --fixed-list-mode --show-keys "$W/$P-2.gpg")
	[[ $(grep -c "^sub:.*:$algo:.*:$curve:" <<<"$cols") == 2 ]] ||
		{ echo "$cols"; fail "$type: after rotate, not two $curve subkeys"; }
	gpghome_new "$H" --project "$P"
	echo "after rotation $type" >"$W/r-$type"
	sign_detached "$ME" "$H" "$FPR" "$W/r-$type"
	gpgv --keyring "$W/$P-2.gpg" --status-fd 1 "$W/r-$type.sig" "$W/r-$type" >"$W/gpgv.st" 2>"$W/gpgv.err" ||
		{ cat "$W/gpgv.err"; fail "$type: gpgv after rotation"; }
	newsub=$(grep '^fpr:' <<<"$cols" | tail -n1 | cut -d: -f10)
	has "VALIDSIG $newsub " "$W/gpgv.st" || { cat "$W/gpgv.st"; fail "$type: not signed by the new subkey $newsub"; }
	note "$type: rotated; the new $curve subkey signs"
	policy_set "$P" "signers=user:signet-kt-done"
done
echo "075-key-types: ok"
