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
	((rc == 0)) || echo "demo FAILED (logs: $HOME_DIR/run/policyd.log, $HOME_DIR/run/tsa.log)" >&2
}
trap cleanup EXIT

# The demo's time-stamp authority listens on 3161 unless something else
# has that port.  A home from an earlier run keeps its port, and `signet
# start` below starts its TSA already; if the port has been taken since,
# listen is edited first, as `signet tsa init` says to.
port_free() { python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1])))' "$1" 2>/dev/null; }
any_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [[ -f $HOME_DIR/tsa.conf ]]; then
	PORT=$(sed -n 's/^listen = .*:\([0-9]*\)$/\1/p' "$HOME_DIR/tsa.conf")
	signet --home "$HOME_DIR" status >"$T/status" 2>&1 || true
	if [[ -n $PORT ]] && ! grep -q '^tsa: *running' "$T/status" && ! port_free "$PORT"; then
		NEW=$(any_port)
		echo "port $PORT is taken; the demo TSA moves to $NEW (listen in $HOME_DIR/tsa.conf)"
		sed -i "s/^listen = .*/listen = 127.0.0.1:$NEW/" "$HOME_DIR/tsa.conf"
	fi
fi

step "signet init --home var/demo   (SoftHSM2 token, PINs in 0600 files, policyd config)"
signet --home "$HOME_DIR" init
step "signet start                 (signet-policyd in the background; signet-tsa too once \`signet tsa init\` has run)"
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
git -C "$T/repo" -c user.name=Demo -c user.email=release@demo.signet.test -c user.signingkey="$FPR" \
	-c gpg.program=gpg tag -s -m "Demo release 1.0" v1.0
git -C "$T/repo" verify-tag v1.0

step "gpg --detach-sign a release tarball, then gpgv with only the exported certificate"
tar -C "$TOP" -czf "$T/signet-demo.tar.gz" README.md Makefile
gpg --batch --yes --no-tty -u "$FPR" --detach-sign -o "$T/signet-demo.tar.gz.sig" "$T/signet-demo.tar.gz"
gpgv --keyring "$T/demo.gpg" "$T/signet-demo.tar.gz.sig" "$T/signet-demo.tar.gz"

step "the audit records of those two signatures ($AUDIT)"
tail -n +"$((before + 1))" "$AUDIT" | grep '"event":"sign"' |
	if command -v python3 >/dev/null; then python3 -m json.tool --json-lines; else cat; fi

step "signet tsa init   (time-stamp authority: its own token, its key and a local test CA on it; tsa.conf)"
if [[ -f $HOME_DIR/tsa.conf ]]; then
	signet --home "$HOME_DIR" tsa init
else
	PORT=3161
	port_free "$PORT" || PORT=$(any_port)
	signet --home "$HOME_DIR" tsa init --port "$PORT"
fi
step "signet start   (policyd and now signet-tsa)"
signet --home "$HOME_DIR" start
URL=$(signet --home "$HOME_DIR" tsa url)

step "timestamp the tarball's signature at $URL (openssl ts + curl), then openssl ts -verify"
SIG=$T/signet-demo.tar.gz.sig
openssl ts -query -data "$SIG" -sha256 -cert -out "$T/sig.tsq"
curl -sS -f --data-binary @"$T/sig.tsq" -H 'Content-Type: application/timestamp-query' "$URL" -o "$T/sig.tsr"
openssl ts -reply -in "$T/sig.tsr" -text 2>/dev/null | grep -E '^(Status|Policy OID|Serial number|Time stamp|Accuracy):'
openssl ts -verify -data "$SIG" -in "$T/sig.tsr" -CAfile <(signet --home "$HOME_DIR" tsa ca)

step "the time-stamp token's audit record ($HOME_DIR/audit/tsa.jsonl)"
grep '"event":"timestamp"' "$HOME_DIR/audit/tsa.jsonl" | tail -n 1 |
	if command -v python3 >/dev/null; then python3 -m json.tool --json-lines; else cat; fi

step "signet stop   (policyd and signet-tsa; each signs a last checkpoint of its trail)"
signet --home "$HOME_DIR" stop

step "signet audit verify   (both trails: every record, the Merkle tree, every signed checkpoint)"
VKEY=$(signet --home "$HOME_DIR" audit key)
echo "audit key: $VKEY"
signet --home "$HOME_DIR" audit verify --key "$VKEY"
step "signet audit prove + check-receipt   (which record issued the tarball's signature)"
signet --home "$HOME_DIR" audit prove "$SIG" -o "$T/receipt.json"
signet --home "$HOME_DIR" audit check-receipt "$T/receipt.json" --key "$VKEY" "$SIG"
echo
echo "Demo done: git tag and tarball signed with key $FPR, which never left the HSM;"
echo "the signature time-stamped by signet-tsa, whose key is on a token of its own in the same HSM."
