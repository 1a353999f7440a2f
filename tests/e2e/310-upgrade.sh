#!/bin/bash
# signet project upgrade: a home and project made by Signet 0.1 (commit
# e0a2a87, built here from the repository's history), whose primary key
# certified and signed.  After the software update the project keeps
# working as it was; `signet project upgrade` adds a signing subkey and
# keeps the primary self-signature byte for byte, so signatures made
# before still verify (gpgv, git verify-tag); from then on SIGN refuses the
# primary and new signatures come from the subkey.
. "$(dirname "$0")/lib.sh"
REV=e0a2a87
git -C "$E2E_DIR" cat-file -e "$REV^{commit}" 2>/dev/null ||
	{ echo "SKIP: Signet 0.1 ($REV) is not in this checkout's history"; exit 0; }
W=$(mktemp -d /tmp/sgXXXXXX)
chmod 755 "$W"
export SIGNET_HOME=$W/h
AUDIT=$SIGNET_HOME/audit/audit.jsonl
trap world_cleanup EXIT
OLD=$W/old
mkdir "$OLD"
git -C "$(git -C "$E2E_DIR" rev-parse --show-toplevel)" archive "$REV" | tar -x -C "$OLD"
# 0.1 as released, on the toolchain at hand: warnings a newer one has for
# it (OpenSSL 3.4 deprecated the TS_VERIFY_CTX_set_* it calls) are not
# errors here.  A plain build: under `make check SANITIZE=1` the variable
# would reach this make through MAKEFLAGS and send the binaries elsewhere.
MAKEFLAGS= make -s -C "$OLD" SANITIZE=0 WARN='-Wall -Wextra' build/bin/signet build/bin/signet-policyd build/bin/signet-scd \
	>"$W/old-build.log" 2>&1 ||
	{ tail -n 20 "$W/old-build.log"; fail "cannot build Signet 0.1"; }
OS=$OLD/build/bin/signet
issuer() { gpg --batch --list-packets "$1" 2>/dev/null | sed -n 's/.*:signature packet: algo [0-9]*, keyid \([0-9A-F]*\).*/\1/p' | head -n1; }

# ---- the 0.1 world: home, project, a client that signs a file and a tag
"$OS" --home "$SIGNET_HOME" init >"$W/init.out" || { cat "$W/init.out"; fail "0.1 init"; }
"$OS" --home "$SIGNET_HOME" start >"$W/start.out" || { cat "$W/start.out"; fail "0.1 start"; }
"$OS" --home "$SIGNET_HOME" project create leg --algo rsa2048 --uid 'Legacy <leg@signet.test>' \
	--signer "user:$(id -un)" >"$W/create.out" 2>&1 || { cat "$W/create.out"; fail "0.1 project create"; }
cp "$SIGNET_HOME/certs/leg.pgp" "$W/leg-old.pgp"
FPR=$(gpg --batch --with-colons --show-keys "$W/leg-old.pgp" | awk -F: '/^fpr/{print $10; exit}')
PGRIP=$(gpg --batch --with-colons --with-keygrip --show-keys "$W/leg-old.pgp" | awk -F: '/^grp/{print $10; exit}')
gpg --batch --with-colons --show-keys "$W/leg-old.pgp" | has '^sub:' && fail "0.1 made a subkey?"
O=$W/oldclient
mkdir -m 700 "$O"
_HOMES+=("$O")
"$OS" setup --gnupghome "$O" --project leg >"$W/osetup.out" 2>&1 || { cat "$W/osetup.out"; fail "0.1 setup"; }
# A second 0.1 client, whose signet-scd the update will replace (as a
# package upgrade does): its stub still names the 0.1 keyref.
O2=$W/oldclient2
mkdir -m 700 "$O2"
_HOMES+=("$O2")
"$OS" setup --gnupghome "$O2" --project leg >"$W/osetup2.out" 2>&1 || { cat "$W/osetup2.out"; fail "0.1 setup 2"; }
echo one >"$W/f1"
GNUPGHOME=$O gpg --batch --yes --no-tty -u "$FPR!" --detach-sign -o "$W/f1.sig" "$W/f1" || fail "0.1 sign"
[[ $(issuer "$W/f1.sig") == "${FPR:24}" ]] || fail "0.1 signature not by the primary"
R=$W/repo
repo_new "$R" leg@signet.test "$FPR!"
GNUPGHOME=$O git -C "$R" tag -s -m "release 0.9" v0.9 || fail "0.1 git tag -s"

# This signet against the 0.1 policyd (a client updated before its
# server): why falls back to plain WHY, status leaves out the requests,
# the approval commands say policyd does not know them.
SOCK0=$(sed -n 's/^socket = //p' "$SIGNET_HOME/signet.conf")
gpg-connect-agent -S "$SOCK0" "SIGN --hash=sha256 leg abcd" /bye >"$W/sign0.out" 2>&1
grep -q '^ERR ' "$W/sign0.out" || fail "0.1 policyd: a 2-byte sha256 digest was not refused: $(cat "$W/sign0.out")"
expect 0 signet why --socket "$SOCK0"
grep -q '^last refused signature: .*, project leg (audit record [0-9]*)$' "$W/out" &&
	grep -q '^reason: a sha256 digest is 32 bytes, got 2$' "$W/out" || fail "why against 0.1: $(cat "$W/out")"
expect 1 signet why --json --socket "$SOCK0"
grep -q 'older than WHY --json' "$W/err" || fail "why --json against 0.1: $(cat "$W/err")"
expect 0 signet status --socket "$SOCK0"
grep -q '^  leg ' "$W/out" && ! grep -qi 'request' "$W/out" || fail "status against 0.1: $(cat "$W/out")"
expect 1 signet pending --socket "$SOCK0"
grep -q '^signet: pending: list the requests: .*Unknown IPC command.*; this signet-policyd is older than this signet' "$W/err" ||
	fail "pending against 0.1: $(cat "$W/err")"
note "this signet against the 0.1 policyd: why falls back to WHY, status shows no requests, pending: $(cat "$W/err")"
"$OS" --home "$SIGNET_HOME" stop >/dev/null
note "Signet 0.1: project leg (primary $FPR signs), a file and tag v0.9 signed"

# ---- the software update: the project works as before until upgraded
signet --home "$SIGNET_HOME" start >"$W/start2.out" || { cat "$W/start2.out"; fail "start after the update"; }
grep -q 'project leg: its certificate predates signing subkeys' "$SIGNET_HOME/run/policyd.log" ||
	fail "no warning about the 0.1 project in the log"
echo two >"$W/f2"
GNUPGHOME=$O gpg --batch --yes --no-tty -u "$FPR!" --detach-sign -o "$W/f2.sig" "$W/f2" ||
	fail "the 0.1 client cannot sign after the update (before upgrade)"
SOCK=$(sed -n 's/^socket = //p' "$SIGNET_HOME/signet.conf")
gpg-connect-agent -S "$SOCK" KEYLIST /bye | has "^S KEY leg $PGRIP " || fail "KEYLIST: the 0.1 project's key"
sed -i "s|^scdaemon-program .*|scdaemon-program $SIGNET_BIN/signet-scd|" "$O2/gpg-agent.conf"
gpgconf --homedir "$O2" --kill gpg-agent
GNUPGHOME=$O2 gpg --batch --yes --no-tty -u "$FPR!" --detach-sign -o "$W/f2b.sig" "$W/f2" 2>"$W/f2b.err" ||
	{ cat "$W/f2b.err"; fail "a 0.1 client with the new signet-scd cannot sign before upgrade"; }
[[ $(issuer "$W/f2b.sig") == "${FPR:24}" ]] || fail "f2b not by the primary"
out=$(gpg-connect-agent -S "$SOCK" 'ROTATE --overlap=60 leg' /bye 2>&1)
grep -q '^ERR 156 .*UPGRADE it' <<<"$out" || fail "ROTATE of a 0.1 project: $out"
note "after the update, before upgrade: the 0.1 client still signs; ROTATE says to upgrade first"

# The certification trick against a 0.1 project (the control: the forge
# works while the primary signs, so its failure after the upgrade means
# something): a key of the signer's own, certified through raw SIGN.
K=$W/mallory
mkdir -m 700 "$K"
_HOMES+=("$K")
gpg --homedir "$K" --batch --passphrase '' --pinentry-mode loopback --quick-gen-key 'Mallory <m@evil.test>' \
	rsa2048 sign,cert never 2>/dev/null || fail "cannot make mallory's key"
MFPR=$(gpg --homedir "$K" --batch --with-colons --list-keys m@evil.test | awk -F: '/^fpr/{print $10; exit}')
gpg --homedir "$K" --batch --export "$MFPR" >"$W/mkey.gpg"
python3 "$TOOLS/forge.py" certify "$SOCK" leg "$FPR" "$W/mkey.gpg" "$W/forged-old.gpg" || fail "forge (0.1)"
v=$(validity_under_trust "$W/leg-old.pgp" "$FPR" "$W/forged-old.gpg" "$MFPR")
[[ $v == f ]] || fail "control: the forged certification by a 0.1 primary gives validity '$v', not f"
note "control: on a 0.1 project a certification forged through SIGN makes any key fully valid"
# The subkey trick the same way: mallory's key bound as a signing subkey
# of the project (the binding through SIGN, the back-signature by her own
# key); then she signs offline, unaudited, and gpgv says "Good signature".
MGRIP=$(gpg --homedir "$K" --batch --with-colons --with-keygrip --list-keys "$MFPR" | awk -F: '/^grp/{print $10; exit}')
echo "evil release" >"$W/evil"
gpg --homedir "$K" --batch --yes -u "$MFPR!" --detach-sign -o "$W/evil.sig" "$W/evil" 2>/dev/null || fail "mallory cannot sign"
GNUPGHOME=$K python3 "$TOOLS/forge.py" bind "$SOCK" leg "$FPR" "$W/leg-old.pgp" "$W/mkey.gpg" "$MGRIP" "$W/bound-old.gpg" ||
	fail "forge bind (0.1)"
gpgv --keyring "$W/bound-old.gpg" "$W/evil.sig" "$W/evil" 2>/dev/null ||
	fail "control: a subkey bound through a 0.1 primary's SIGN does not verify"
note "control: on a 0.1 project a subkey bound through SIGN verifies mallory's offline signatures"

# ---- upgrade
expect 0 signet --home "$SIGNET_HOME" project upgrade leg
grep -q "upgraded" "$W/out" || fail "upgrade output: $(cat "$W/out")"
NEW=$SIGNET_HOME/certs/leg.pgp
oldlen=$(stat -c %s "$W/leg-old.pgp")
cmp -s -n "$oldlen" "$W/leg-old.pgp" "$NEW" || fail "the primary key's packets and self-signature changed"
SUB=$(gpg --batch --with-colons --show-keys "$NEW" | awk -F: '/^sub/{s=1; next} s && /^fpr/{print $10; exit}')
[[ -n $SUB ]] || fail "no subkey after upgrade"
gpg --batch --with-colons --show-keys "$NEW" | has "^sub:.*:s:" || fail "the new subkey does not sign"
grep -q '^primary legacy$' "$NEW.keys" || fail "key state: $(cat "$NEW.keys")"
for f in f1 f2; do
	gpgv --keyring "$NEW" "$W/$f.sig" "$W/$f" 2>"$W/gpgv.out" || { cat "$W/gpgv.out"; fail "$f.sig (by the primary) no longer verifies"; }
done
V=$W/v
mkdir -m 700 "$V"
_HOMES+=("$V")
gpg --homedir "$V" --batch --import "$NEW" 2>/dev/null
GNUPGHOME=$V git -C "$R" verify-tag v0.9 2>"$W/vt.out" || { cat "$W/vt.out"; fail "git verify-tag v0.9 after upgrade"; }
note "upgraded: subkey ${SUB:24}; the 0.1 certificate is a byte-for-byte prefix; old file and tag verify"

# ---- SIGN refuses the primary from now on; new signatures by the subkey
DIG=$(printf x | sha256sum | cut -c1-64)
out=$(gpg-connect-agent -S "$SOCK" "SIGN --hash=sha256 --key=$PGRIP leg $DIG" /bye 2>&1)
grep -q '^ERR 125 .*primary key of project leg' <<<"$out" || fail "SIGN with the primary after upgrade: $out"
gpg-connect-agent -S "$SOCK" KEYLIST /bye | has "$PGRIP" && fail "KEYLIST still lists the primary"
echo three >"$W/f3"
if GNUPGHOME=$O gpg --batch --yes --no-tty -u "$FPR!" --detach-sign -o "$W/f3.sig" "$W/f3" 2>"$W/f3.err" &&
	gpgv --keyring "$NEW" "$W/f3.sig" "$W/f3" 2>/dev/null && [[ $(issuer "$W/f3.sig") == "${FPR:24}" ]]; then
	fail "the 0.1 client made a primary-key signature after the upgrade"
fi
# The 0.1 client runs setup again: the ultimate ownertrust 0.1 gave the
# project key is taken back; it then signs with the subkey.
GNUPGHOME=$O gpg --batch --export-ownertrust 2>/dev/null | has "^$FPR:6:" ||
	fail "0.1 setup did not set ultimate ownertrust (the test's premise)"
signet setup --gnupghome "$O" --project leg >"$W/o2.out" 2>&1 || { cat "$W/o2.out"; fail "setup again"; }
grep -q "removed the ultimate ownertrust" "$W/o2.out" || fail "setup does not say it removed the ownertrust"
GNUPGHOME=$O gpg --batch --export-ownertrust 2>/dev/null | has "^$FPR:6:" && fail "ultimate ownertrust left"
GNUPGHOME=$O gpg --batch --with-colons --list-keys "$FPR" 2>/dev/null | has '^pub:u:' && fail "project key still ultimately valid"
echo 3b >"$W/f3b"
sign_detached "$(id -un)" "$O" "$FPR" "$W/f3b" || fail "the 0.1 client cannot sign after setup again"
[[ $(issuer "$W/f3b.sig") == "${SUB:24}" ]] || fail "the 0.1 client's new signature is not by the subkey"
# The 0.1 client with the new signet-scd: its old stub reaches policyd as
# the primary's keygrip, which is refused now.
if GNUPGHOME=$O2 gpg --batch --yes --no-tty -u "$FPR!" --detach-sign -o "$W/f3c.sig" "$W/f3" 2>"$W/f3c.err"; then
	fail "a 0.1 stub signed with the primary after the upgrade"
fi
grep -q 'Wrong key usage' "$W/f3c.err" || { cat "$W/f3c.err"; fail "the refused 0.1 stub does not say Wrong key usage"; }
N=$W/newclient
gpghome_new "$N" --project leg
grep -qF "git config user.signingkey $FPR" "$N.setup.out" || fail "setup does not name the primary"
sign_detached "$(id -un)" "$N" "$FPR" "$W/f3" || fail "signing after setup again"
[[ $(issuer "$W/f3.sig") == "${SUB:24}" ]] || fail "new signature not by the subkey ($(issuer "$W/f3.sig"))"
gpgv --keyring "$NEW" "$W/f3.sig" "$W/f3" 2>/dev/null || fail "new signature does not verify"
GNUPGHOME=$N git -C "$R" -c user.signingkey="$FPR" tag -s -m "release 1.0" v1.0 || fail "git tag -s after upgrade"
GNUPGHOME=$V git -C "$R" verify-tag v1.0 2>/dev/null || fail "git verify-tag v1.0"
note "SIGN refuses the primary; after setup again gpg signs with the subkey; tag v1.0 verifies"
for issuer in "$SUB" "$FPR"; do
	python3 "$TOOLS/forge.py" certify "$SOCK" leg "$issuer" "$W/mkey.gpg" "$W/forged.gpg" || fail "forge"
	v=$(validity_under_trust "$NEW" "$FPR" "$W/forged.gpg" "$MFPR")
	[[ -n $v && $v != f && $v != u ]] || fail "after upgrade a certification forged through SIGN (issuer $issuer) gives '$v'"
done
note "after upgrade the same forgery (in the subkey's or the primary's name) leaves the key invalid"
for issuer in "$SUB" "$FPR"; do
	GNUPGHOME=$K python3 "$TOOLS/forge.py" bind "$SOCK" leg "$issuer" "$NEW" "$W/mkey.gpg" "$MGRIP" "$W/bound.gpg" ||
		fail "forge bind"
	gpgv --keyring "$W/bound.gpg" "$W/evil.sig" "$W/evil" 2>/dev/null &&
		fail "after upgrade a subkey bound through SIGN (issuer $issuer) verifies mallory's signature"
	gpg --batch --with-colons --show-keys "$W/bound.gpg" 2>/dev/null | has "${MFPR}" &&
		fail "gpg accepts the forged subkey binding (issuer $issuer)"
done
note "after upgrade the subkey binding forged through SIGN is rejected (gpgv, gpg --show-keys)"

# ---- upgrade once; rotation afterwards keeps the 0.1 self-signature
out=$(gpg-connect-agent -S "$SOCK" 'UPGRADE leg' /bye 2>&1)
grep -q '^ERR 156 ' <<<"$out" || fail "second UPGRADE: $out"
# A rotation in the second the current subkey was made is refused (EAGAIN).
made=$(awk '/^subkey /{print $2}' "$NEW.keys" | tail -n1)
while (( $(date +%s) <= made )); do sleep 0.2; done
expect 0 signet --home "$SIGNET_HOME" project rotate leg --overlap 1h
cmp -s -n "$oldlen" "$W/leg-old.pgp" "$NEW" || fail "rotation changed the 0.1 self-signature"
gpgv --keyring "$NEW" "$W/f1.sig" "$W/f1" 2>/dev/null || fail "f1.sig after rotation"
note "a second UPGRADE is refused; ROTATE keeps the primary's packets"

audit_check --count upgrade=1 --count rotate=1 --has "deny:denied:$(id -un):leg" --has-sig "$(sig_mpi "$W/f3.sig")"
