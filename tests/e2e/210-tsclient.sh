#!/bin/bash
# common/tsclient.c against a real signet-tsa (file keys, RSA-3072 and EC
# P-256): request + verify with and without certReq (without it the TSA
# certificate comes in as untrusted input), cross-checked by `openssl ts
# -verify`; the failures: wrong digest, a CA that did not issue the TSA
# certificate, PKIStatus rejections (SHA-1, unknown policy: the status and
# failInfo named), nothing listening (fast), HTTP 413, HTTPS when
# libmicrohttpd has TLS.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$E2E_DIR/../.." && pwd)
for tool in cc pkg-config make openssl; do
	command -v "$tool" >/dev/null || { echo "   skip: $tool not installed"; exit 0; }
done
scratch_new
TSA=$SIGNET_BIN/signet-tsa
POLICY=1.3.6.1.4.1.99999.1.1

# ---- The client, against the common library of the build under test.
"$TOOLS/cc-tool.sh" "$ROOT/tests/tools/tsclient-cli.c" "$W/tsclient-cli" libssl libcrypto gpg-error ||
	fail "cannot build tests/tools/tsclient-cli"
# Sanitizer reports (build-san) go to files checked at the end: the
# failure cases exit non-zero anyway, so a leak on an error path would
# otherwise pass unseen.
cli() { ASAN_OPTIONS=log_path=$W/san UBSAN_OPTIONS=log_path=$W/san "$W/tsclient-cli" "$@"; }

# ---- PKI: a test CA, TSA certificates with critical EKU timeStamping, and
# a second CA that issued none of them.
cd "$W"
tsa_mkca ca
tsa_mkca otherca
tsa_mkcert rsa -newkey rsa:3072
tsa_mkcert ec -newkey ec -pkeyopt ec_paramgen_curve:P-256


conf() { # NAME PORT KEY [extra lines]
	local n=$1 port=$2 key=$3; shift 3
	cat >"$n.conf" <<CONF
[tsa]
listen = 127.0.0.1:$port
threads = 2
policies = $POLICY
key = file:$W/$key.key
cert = $W/$key.pem
serial_file = $W/$n.serial
audit = $W/$n.jsonl
log = $W/$n.log
clock_check = none
CONF
	printf '%s\n' "$@" >>"$n.conf"
}
start() { # NAME
	"$TSA" --config "$W/$1.conf" --daemon --pidfile "$W/$1.pid" || fail "signet-tsa $1 did not start"
	PIDS+=("$(cat "$W/$1.pid")")
}

echo "the data to stamp" >data.txt
echo "other data" >other.txt
DIGEST=$(openssl dgst -sha256 -r data.txt | cut -d' ' -f1)

for KEY in rsa ec; do
	PORT=$(free_port)
	conf "$KEY" "$PORT" "$KEY"
	start "$KEY"
	URL=http://127.0.0.1:$PORT/
	for cert in --cert ""; do
		tag=$KEY${cert:+-cert}
		# shellcheck disable=SC2086
		cli request "$URL" data.txt "$tag.tok" $cert >/dev/null 2>"$tag.err" ||
			{ cat "$tag.err"; fail "$tag: request"; }
		untrusted=()
		[[ -z $cert ]] && untrusted=("$KEY.pem")
		cli verify "$tag.tok" data.txt ca.pem "${untrusted[@]}" >"$tag.info" 2>"$tag.err" ||
			{ cat "$tag.err"; fail "$tag: verify"; }
		grep -q "^policy $POLICY\$" "$tag.info" || fail "$tag: policy not reported"
		grep -Eq '^serial [0-9A-F]+$' "$tag.info" || fail "$tag: serial not reported"
		t=$(sed -n 's/^gen_time //p' "$tag.info"); now=$(date +%s)
		((t > now - 300 && t <= now + 5)) || fail "$tag: gen_time $t is not now ($now)"
		grep -Eq '^time [0-9]{14}(\.[0-9]+)?Z$' "$tag.info" || fail "$tag: time string"
		# The same token, independently: openssl ts -verify.
		ouv=()
		[[ -z $cert ]] && ouv=(-untrusted "$KEY.pem")
		openssl ts -verify -token_in -in "$tag.tok" -digest "$DIGEST" -CAfile ca.pem "${ouv[@]}" \
			>"$tag.ov" 2>&1 || { cat "$tag.ov"; fail "$tag: openssl ts -verify refuses the token"; }
		# The serial the client read is the one openssl reads.
		oserial=$(openssl ts -reply -token_in -in "$tag.tok" -token_out -text 2>/dev/null |
			sed -n 's/^Serial number: 0x//p')
		[[ -n $oserial && ${oserial^^} == $(sed -n 's/^serial //p' "$tag.info") ]] ||
			fail "$tag: serial '$oserial' (openssl) vs client"
		# Wrong digest at verify time → refused.
		cli verify "$tag.tok" other.txt ca.pem "${untrusted[@]}" >/dev/null 2>"$tag.bad" &&
			fail "$tag: verified over the wrong digest"
		grep -q "does not verify" "$tag.bad" || { cat "$tag.bad"; fail "$tag: wrong digest: unclear error"; }
		# A CA that did not issue the TSA certificate → refused.
		cli verify "$tag.tok" data.txt otherca.pem "${untrusted[@]}" >/dev/null 2>"$tag.bad" &&
			fail "$tag: verified against the wrong CA"
		grep -q "does not verify" "$tag.bad" || { cat "$tag.bad"; fail "$tag: wrong CA: unclear error"; }
	done
	# Without certReq and without the TSA certificate: cannot verify.
	cli verify "$KEY.tok" data.txt ca.pem >/dev/null 2>"$KEY.bad" &&
		fail "$KEY: a token without certificate verified without one"
	# SHA-384 and SHA-512 digests.
	for h in sha384 sha512; do
		cli request "$URL" data.txt "$KEY-$h.tok" --cert --hash "$h" >/dev/null 2>"$KEY.err" ||
			{ cat "$KEY.err"; fail "$KEY: $h request"; }
		cli verify "$KEY-$h.tok" data.txt ca.pem --hash "$h" >/dev/null 2>"$KEY.err" ||
			{ cat "$KEY.err"; fail "$KEY: $h verify"; }
		# Verified as another algorithm over the same bytes' digest → refused.
		cli verify "$KEY-$h.tok" data.txt ca.pem >/dev/null 2>&1 && fail "$KEY: $h token passed as sha256"
	done
	note "$KEY: tokens with and without certReq (and SHA-384/512) verify, openssl agrees; wrong digest, wrong CA, missing TSA cert refused"
done

# ---- Rejections by the server: the PKIStatus and failInfo are named.
cli request "$URL" data.txt r.tok --hash sha1 >/dev/null 2>rej.err && fail "SHA-1 imprint granted"
grep -q "PKIStatus rejection (2), failInfo badAlg" rej.err || { cat rej.err; fail "SHA-1: status not named"; }
[[ -e r.tok ]] && fail "a token file was written for a rejection"
# Unknown policy: the client never asks for one (the TSA's default
# applies), so the other refusal is the clock, where it is unsynchronised.
clock_state=$(python3 -c 'import ctypes; b=ctypes.create_string_buffer(512); print(ctypes.CDLL(None).adjtimex(b))')
if [[ $clock_state == 5 ]]; then
	PORT=$(free_port)
	conf clk "$PORT" ec "max_clock_error_ms = 60000"
	sed -i 's/^clock_check = none/clock_check = adjtimex/' clk.conf
	start clk
	cli request "http://127.0.0.1:$PORT/" data.txt c.tok >/dev/null 2>clk.err && fail "unsynchronised clock: token granted"
	grep -q "PKIStatus rejection (2), failInfo timeNotAvailable" clk.err || { cat clk.err; fail "clock: status not named"; }
	note "rejections named: SHA-1 → rejection/badAlg; unsynchronised clock → rejection/timeNotAvailable"
else
	note "rejections named: SHA-1 → rejection/badAlg (clock synchronised here: no clock refusal to test)"
fi

# ---- Transport failures.
DEAD=$(free_port)
t0=$(date +%s%N)
cli request "http://127.0.0.1:$DEAD/" data.txt d.tok --timeout 20 >/dev/null 2>dead.err && fail "nothing listening: success?"
t1=$(date +%s%N)
(((t1 - t0) / 1000000 < 3000)) || fail "nothing listening: took $(((t1 - t0) / 1000000)) ms"
grep -qi "127.0.0.1:$DEAD/.*connect" dead.err || { cat dead.err; fail "nothing listening: unclear error"; }
cli request "ftp://127.0.0.1/" data.txt d.tok >/dev/null 2>url.err && fail "ftp URL accepted"
grep -q "not a usable http" url.err || { cat url.err; fail "bad URL: unclear error"; }
# OpenSSL names an HTTP error status "code=413" (3.0) or "http code 413"
# (3.5, in a content-type complaint when the error body is text).
has_code() { grep -Eq "code[= ]$1([^0-9]|\$)" "$2"; }
PORT=$(free_port)
conf small "$PORT" ec "max_body = 64"
start small
for _ in $(seq "${N413:-1}"); do
	cli request "http://127.0.0.1:$PORT/" data.txt s.tok >/dev/null 2>413.err && fail "413: success?"
	has_code 413 413.err || { cat 413.err; fail "HTTP 413: status not named"; }
done
# What signet-tsa never sends our client (it always sends the right type)
# comes from a stub HTTP server: 415, a 200 that is not a timestamp-reply,
# a reply over TSCLIENT_MAX_RESP, a reply that is not DER.
PORT=$(free_port)
python3 "$TOOLS/tsa-stub.py" "$PORT" >stub.log 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])))' "$PORT" 2>/dev/null && break; sleep 0.1; done
stub() { # PATH PATTERN WHAT
	cli request "http://127.0.0.1:$PORT/$1" data.txt x.tok >/dev/null 2>stub.err && fail "$3: success?"
	grep -q "$2" stub.err || { cat stub.err; fail "$3: unclear error"; }
}
stub 415 "415" "HTTP 415"
has_code 415 stub.err || { cat stub.err; fail "HTTP 415: status not named"; }
stub html "content type" "a text/html reply"
stub big "max\\|length\\|large" "an oversized reply"
stub junk "not a DER TimeStampResp" "a reply that is not a TimeStampResp"
# A server that takes the request and never answers: the timeout holds.
h0=$(date +%s%N)
cli request "http://127.0.0.1:$PORT/hang" data.txt x.tok --timeout 2 >/dev/null 2>hang.err && fail "hang: success?"
h1=$(date +%s%N)
(((h1 - h0) / 1000000 < 5000)) || fail "a silent server held the client $(((h1 - h0) / 1000000)) ms (timeout 2 s)"
grep -qi "timeout\|timed out" hang.err || { cat hang.err; fail "silent server: unclear error"; }
note "nothing listening → fast clear error ($(((t1 - t0) / 1000000)) ms); bad URL; HTTP 413 and 415 named; wrong reply type, oversized and non-DER replies refused; a silent server times out"

# ---- HTTPS, when libmicrohttpd has TLS.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.pem \
	-subj /CN=127.0.0.1 -days 30 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
PORT=$(free_port)
conf tls "$PORT" ec "tls_cert = $W/tls.pem" "tls_key = $W/tls.key"
if "$TSA" --config "$W/tls.conf" --daemon --pidfile "$W/tls.pid" 2>tls.err; then
	PIDS+=("$(cat tls.pid)")
	cli request "https://127.0.0.1:$PORT/" data.txt tls.tok --cert --tls-ca tls.pem >/dev/null 2>tlsr.err ||
		{ cat tlsr.err; fail "HTTPS request"; }
	cli verify tls.tok data.txt ca.pem >/dev/null || fail "HTTPS token"
	cli request "https://127.0.0.1:$PORT/" data.txt tls2.tok --tls-ca ca.pem >/dev/null 2>tlsr.err &&
		fail "HTTPS: server certificate not checked"
	note "HTTPS: token verifies; a server certificate not from the TLS CA file is refused"
else
	grep -q "no TLS support" tls.err || { cat tls.err; fail "TLS instance did not start"; }
	note "skip HTTPS: libmicrohttpd without TLS"
fi

if compgen -G "$W/san.*" >/dev/null; then
	cat "$W"/san.*
	fail "sanitizer reports from tsclient-cli"
fi
