#!/bin/bash
# rpmsign --addsign and debsign, with their usual command lines, through
# Signet: the RPM header signature verifies with rpmkeys against the exported
# certificate; the .dsc and .changes verify with gpgv.  Both signatures are
# in the audit trail.
. "$(dirname "$0")/lib.sh"
for t in rpmbuild rpmsign rpmkeys debsign dpkg-source dpkg-genchanges; do
	command -v "$t" >/dev/null || fail "$t is missing (tests/deps.sh installs rpm, devscripts, dpkg-dev)"
done
world_new
project_new pkg rsa3072 "user:$(id -un)"
H=$W/g
gpghome_new "$H"
FPR=$(fpr_of "$H" pkg@signet.test)
before=$(grep -c '"event":"sign"' "$AUDIT" || true)

# --- RPM ---------------------------------------------------------------------
mkdir -p "$W/rpmdb"
RPM=$(rpm_tiny "$W/rpmbuild" signet-tiny)
# Debian's rpm macros name /usr/bin/gpg2, which GnuPG 2.2 does not ship.
GNUPGHOME=$H rpmsign --define "__gpg $(command -v gpg)" --define "_gpg_path $H" \
	--define "_gpg_name $FPR" --addsign "$RPM" </dev/null >"$W/rpmsign.log" 2>&1 ||
	{ cat "$W/rpmsign.log"; fail "rpmsign --addsign"; }
rpmkeys --dbpath "$W/rpmdb" --import "$W/pkg.asc" >"$W/rpmimport.log" 2>&1 || { cat "$W/rpmimport.log"; fail "rpmkeys --import"; }
rpmkeys --dbpath "$W/rpmdb" --checksig -v "$RPM" >"$W/checksig.log" 2>&1 || { cat "$W/checksig.log"; fail "rpmkeys --checksig"; }
grep -Eq 'Header V4 RSA/SHA(256|384|512) Signature, key ID [0-9a-f]+: OK' "$W/checksig.log" ||
	{ cat "$W/checksig.log"; fail "the RPM carries no verified RSA header signature"; }
note "rpmsign: $(grep -m1 'Header V4' "$W/checksig.log" | sed 's/^ *//')"

# --- Debian source upload ------------------------------------------------------
deb_tiny "$W/deb"
D=$W/deb
GNUPGHOME=$H debsign --no-conf -p gpg -k"$FPR" --re-sign "$D/signet-src_1.0_source.changes" \
	</dev/null >"$W/debsign.log" 2>&1 || { cat "$W/debsign.log"; fail "debsign"; }
for f in signet-src_1.0.dsc signet-src_1.0_source.changes; do
	gpgv --keyring "$W/pkg.gpg" "$D/$f" >"$W/gpgv-$f.log" 2>&1 || { cat "$W/gpgv-$f.log"; fail "gpgv $f"; }
done
note "debsign: .dsc and .changes verified by gpgv with the exported certificate"

after=$(grep -c '"event":"sign"' "$AUDIT")
# rpmsign: one signature (header); debsign: .dsc and .changes.
((after - before == 3)) || fail "expected 3 new sign records, got $((after - before))"
audit_check --has-sig "$(sig_mpi "$D/signet-src_1.0.dsc")" --has-sig "$(sig_mpi "$D/signet-src_1.0_source.changes")"
