#!/bin/bash
# signet-tsa with the code-signing tools people use (file keys):
#  - osslsigncode signs a small PE file, RFC 3161 timestamp (-ts) from
#    signet-tsa, and `osslsigncode verify` reports the timestamp verified
#    against signet-tsa's CA — and failed against another CA.  Wording of
#    both Debian 12's 2.5 and bookworm-backports' 2.9 (OSSLSIGNCODE=path
#    runs another build).
#  - jarsigner -tsa timestamps a small jar; jarsigner -verify -strict shows
#    "Timestamped by" the TSA certificate and accepts the TSA chain only
#    once signet-tsa's CA is in the keystore.
# Each token is then taken out of the signature: it verifies with openssl
# over the SHA-256 of the signature value it stamps, and its serial and
# imprint are in signet-tsa's audit trail.
. "$(dirname "$0")/lib.sh"
OSSL=${OSSLSIGNCODE:-osslsigncode}
# tests/deps.sh installs the tools: in CI a missing one is a failure.
have() { # TOOL... → 0 when all are there
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null && continue
		[[ ${CI:-} == true ]] && fail "$t not installed (tests/deps.sh installs it)"
		note "skip: $t not installed (run tests/deps.sh)"
		return 1
	done
}
W=$(mktemp -d /tmp/sgXXXXXX)
TSA_PID=
cleanup() {
	local rc=$? l
	set +e
	[[ -n $TSA_PID ]] && kill "$TSA_PID" 2>/dev/null
	if ((rc != 0)); then
		for l in "$W"/*.log "$W"/*.out; do [[ -f $l ]] && { echo "---- $l"; tail -n 30 "$l"; }; done
	fi
	[[ -n ${KEEP_WORLD:-} ]] || rm -rf "$W"
	return $rc
}
trap cleanup EXIT
# The tools honour proxy variables; signet-tsa is on loopback.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
cd "$W" || fail "cd $W"

# ---- PKI: signet-tsa's CA and TSA certificate (RSA-3072, EKU timeStamping
# critical, as jarsigner demands); a code-signing CA and signer for
# Authenticode.  Fixed certificate serials: the tools print them.
selfsigned() { # NAME CN
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.pem" \
		-subj "/CN=$2" -days 30 -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
issue() { # NAME CN CA SERIAL KEYBITS EXT
	openssl req -new -newkey "rsa:$5" -nodes -keyout "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
	printf 'basicConstraints=CA:FALSE\n%s\n' "$6" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial "0x$4" -days 30 \
		-extfile "$1.ext" -out "$1.pem" 2>/dev/null
}
TSA_SERIAL=5157A0
selfsigned tsaca "Signet Test TSA CA"
issue tsa "Signet TSA" tsaca $TSA_SERIAL 3072 \
	"$(printf 'keyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping')"
selfsigned csca "Signet Test Code-Signing CA"
issue cs "Signet Test Code Signer" csca 5157C5 2048 \
	"$(printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning')"

PORT=$(free_port)
URL=http://127.0.0.1:$PORT/
tsa_conf tsa.conf "$PORT" 2
"$SIGNET_BIN/signet-tsa" --config "$W/tsa.conf" --daemon --pidfile "$W/tsa.pid" || fail "signet-tsa did not start"
TSA_PID=$(cat tsa.pid)
note "signet-tsa on $URL (RSA-3072 file key)"

# check_token LABEL SIG N: the token in SIG (a DER signature or a jar)
# verifies with openssl over the SHA-256 of the signature value it
# stamps, and is the one granted audit record with its serial and that
# imprint; the trail holds N timestamp records.
check_token() {
	local label=$1 sig=$2 n=$3 digest serial
	digest=$(python3 "$TOOLS/tstoken.py" "$sig" "$label.tst") || fail "$label: no timestamp token in the signature"
	openssl ts -verify -token_in -in "$label.tst" -digest "$digest" -CAfile tsaca.pem >"$label-tst.out" 2>&1 ||
		fail "$label: the token does not verify (openssl ts, imprint = SHA-256 of the signature value)"
	serial=$(openssl ts -reply -token_in -in "$label.tst" -token_out -text 2>/dev/null | sed -n 's/^Serial number: 0x//p')
	[[ -n $serial ]] || fail "$label: no serial number in the token"
	python3 - audit.jsonl "$serial" "$digest" <<'PY' || fail "$label: token $serial (imprint $digest) not in signet-tsa's audit trail"
import json, sys
path, serial, digest = sys.argv[1], int(sys.argv[2], 16), sys.argv[3]
hits = [r for r in map(json.loads, open(path))
        if r.get("event") == "timestamp" and int(r.get("serial", "0"), 16) == serial]
sys.exit(not (len(hits) == 1 and hits[0].get("result") == "granted" and hits[0].get("digest") == digest))
PY
	python3 "$TOOLS/audit-check.py" audit.jsonl --count "timestamp=$n" >/dev/null || fail "$label: audit trail"
	note "$label: token serial 0x$serial verifies over the signature and is in the audit trail"
}

# ---- osslsigncode: Authenticode (file key) with an RFC 3161 timestamp.
# `verify` exits 0 even when the timestamp fails: the verdict is a line.
ts_verified() { # VERIFY-OUTPUT
	grep -qx 'Timestamp Server Signature verification: ok' "$1" &&
		! grep -q 'Timestamp Server Signature verification: failed' "$1" &&
		grep -Eq "Serial ?: $TSA_SERIAL\$" "$1"
}
N=0
if have "$OSSL"; then
	ver=$("$OSSL" --version 2>/dev/null | head -n 1 | sed "s/,.*//")
	python3 "$TOOLS/mkpe.py" small.exe
	"$OSSL" sign -certs cs.pem -key cs.key -h sha256 -n "Signet e2e" -ts "$URL" \
		-in small.exe -out signed.exe >osslsign.out 2>&1 || fail "osslsigncode sign -ts $URL"
	N=$((N + 1))
	"$OSSL" verify -CAfile csca.pem -TSA-CAfile tsaca.pem -in signed.exe >osslverify.out 2>&1 ||
		fail "osslsigncode verify"
	ts_verified osslverify.out || fail "osslsigncode verify: timestamp not verified (see osslverify.out)"
	grep -qx 'Signature verification: ok' osslverify.out || fail "osslsigncode verify: signature not ok"
	# Against a CA that did not issue the TSA certificate: reported failed.
	"$OSSL" verify -CAfile csca.pem -TSA-CAfile csca.pem -in signed.exe >osslwrongca.out 2>&1 || true
	grep -qx 'Timestamp Server Signature verification: failed' osslwrongca.out ||
		fail "osslsigncode verify: wrong TSA CA not reported as failed"
	! ts_verified osslwrongca.out || fail "osslsigncode verify: timestamp accepted with the wrong TSA CA"
	# Without a timestamp the check above must not pass either.
	"$OSSL" sign -certs cs.pem -key cs.key -h sha256 -in small.exe -out nots.exe >/dev/null 2>&1 ||
		fail "osslsigncode sign without -ts"
	"$OSSL" verify -CAfile csca.pem -TSA-CAfile tsaca.pem -in nots.exe >osslnots.out 2>&1 || true
	! ts_verified osslnots.out || fail "osslsigncode verify: unstamped file passes the timestamp check"
	note "$ver: sign -ts → verify: timestamp verified by signet-tsa's CA; failed with another CA"
	"$OSSL" extract-signature -pem -in signed.exe -out authenticode.p7 >/dev/null 2>&1 ||
		fail "osslsigncode extract-signature"
	check_token authenticode authenticode.p7 "$N"
fi

# ---- jarsigner: a small jar timestamped by signet-tsa.  The keystore
# password goes through the environment, not argv.
if have keytool jarsigner; then
	SIGNET_STOREPASS=$(head -c 18 /dev/urandom | base64)
	export SIGNET_STOREPASS
	JKS=(-keystore ks.p12 -storetype PKCS12 -storepass:env SIGNET_STOREPASS)
	keytool -genkeypair "${JKS[@]}" -alias signer -keyalg RSA -keysize 2048 -sigalg SHA256withRSA \
		-dname "CN=Signet Test Jar Signer" -validity 30 >keytool.out 2>&1 || fail "keytool -genkeypair"
	python3 - small.jar <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: signet e2e\r\n\r\n")
    z.writestr("hello.txt", "hello\n")
PY
	# The imprint's algorithm named: jarsigner's default is SHA-256 in
	# Java 17 (Debian 12) but SHA-384 in Java 21 (Debian 13), and the
	# checks below are over a SHA-256 imprint.
	jarsigner "${JKS[@]}" -tsa "$URL" -tsadigestalg SHA-256 small.jar signer >jarsign.out 2>&1 ||
		fail "jarsigner -tsa $URL"
	grep -qx 'jar signed.' jarsign.out || fail "jarsigner: no 'jar signed.'"
	N=$((N + 1))
	# Before signet-tsa's CA is trusted, -strict refuses the TSA chain.
	if jarsigner -verify -strict "${JKS[@]}" small.jar >jarnotrust.out 2>&1; then
		fail "jarsigner -verify -strict accepted a TSA chain it cannot trust"
	fi
	grep -q 'TSA certificate chain is invalid' jarnotrust.out ||
		fail "jarsigner -verify -strict: no 'TSA certificate chain is invalid' without the TSA CA"
	keytool -importcert -noprompt "${JKS[@]}" -alias signet-tsa-ca -file tsaca.pem >keytool.out 2>&1 ||
		fail "keytool -importcert tsaca.pem"
	jarsigner -verify -strict -verbose -certs "${JKS[@]}" small.jar >jarverify.out 2>&1 ||
		fail "jarsigner -verify -strict with signet-tsa's CA trusted"
	grep -qx 'jar verified.' jarverify.out || fail "jarsigner -verify: no 'jar verified.'"
	grep -Eq '^  Timestamped by "CN=Signet TSA" on ' jarverify.out || fail "jarsigner -verify: no 'Timestamped by \"CN=Signet TSA\"'"
	grep -A1 '>>> TSA' jarverify.out | has 'X.509, CN=Signet TSA$' || fail "jarsigner -verify -certs: TSA certificate not shown"
	grep -q 'Timestamp digest algorithm: SHA-256' jarverify.out || fail "jarsigner -verify: timestamp digest not SHA-256"
	! grep -qi 'invalid' jarverify.out || fail "jarsigner -verify: a chain reported invalid"
	note "jarsigner -tsa → -verify -strict: Timestamped by \"CN=Signet TSA\", TSA chain valid with signet-tsa's CA only"
	check_token jar small.jar "$N"
fi
