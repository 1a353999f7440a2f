#!/bin/bash
# make demo: the embedded default, end to end, from a clean checkout.
# Signet home var/demo; a throw-away repository and GnuPG home under a short
# temporary folder; everything started here is stopped at the end.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=${SIGNET_BIN:-$TOP/build/bin}
export PATH=$BIN:$PATH
HOME_DIR=$TOP/var/demo
T=$(mktemp -d /tmp/sgdemoXXXX)
G=$T/gnupg
if [[ -t 1 ]]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi
cleanup() {
	local rc=$?
	gpgconf --homedir "$G" --kill all >/dev/null 2>&1 || true
	signet --home "$HOME_DIR" stop >/dev/null 2>&1 || true
	rm -rf "$T"
	((rc == 0)) || echo "demo FAILED (policyd log: $HOME_DIR/run/policyd.log)" >&2
}
trap cleanup EXIT

step "signet init --home var/demo   (SoftHSM2 token, PINs in 0600 files, policyd config)"
signet --home "$HOME_DIR" init
step "signet start                 (signet-policyd in the background)"
signet --home "$HOME_DIR" start
step "signet project create demo --algo rsa3072   (key generated inside the HSM; certificate self-signed on the HSM)"
if signet --home "$HOME_DIR" project list 2>/dev/null | grep -q '^demo\b'; then
	echo "project demo exists already (kept from an earlier run)"
else
	signet --home "$HOME_DIR" project create demo --algo rsa3072 \
		--uid "Signet Demo Release <release@demo.signet.test>" --signer "user:$(id -un)"
fi
signet --home "$HOME_DIR" project export demo >"$T/demo.asc"
gpg --dearmor <"$T/demo.asc" >"$T/demo.gpg"
AUDIT=$HOME_DIR/audit/audit.jsonl
before=$(wc -l <"$AUDIT")

step "signet setup --gnupghome $G   (gpg-agent → signet-scd; certificate imported; card learned)"
mkdir -m 700 "$G"
signet --home "$HOME_DIR" setup --gnupghome "$G" --project demo
FPR=$(gpg --homedir "$G" --batch --with-colons --list-keys release@demo.signet.test | awk -F: '/^fpr/{print $10; exit}')
export GNUPGHOME=$G

step "git tag -s in a throw-away repository, then git verify-tag"
git init -q "$T/repo"
git -C "$T/repo" -c user.name=Demo -c user.email=release@demo.signet.test commit -q --allow-empty -m "demo release"
git -C "$T/repo" -c user.name=Demo -c user.email=release@demo.signet.test -c user.signingkey="$FPR!" \
	-c gpg.program=gpg tag -s -m "Demo release 1.0" v1.0
git -C "$T/repo" verify-tag v1.0

step "gpg --detach-sign a release tarball, then gpgv with only the exported certificate"
tar -C "$TOP" -czf "$T/signet-demo.tar.gz" README.md Makefile
gpg --batch --yes --no-tty -u "$FPR!" --detach-sign -o "$T/signet-demo.tar.gz.sig" "$T/signet-demo.tar.gz"
gpgv --keyring "$T/demo.gpg" "$T/signet-demo.tar.gz.sig" "$T/signet-demo.tar.gz"

step "the audit records of those two signatures ($AUDIT)"
tail -n +"$((before + 1))" "$AUDIT" | grep '"event":"sign"' |
	if command -v python3 >/dev/null; then python3 -m json.tool --json-lines; else cat; fi

step "signet stop"
signet --home "$HOME_DIR" stop
echo
echo "Demo done: git tag and tarball signed with key $FPR, which never left the HSM."
