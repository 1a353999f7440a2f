#!/bin/bash
# signet-tsa (file keys, RSA-3072 and EC P-256): openssl ts -query → POST →
# openssl ts -verify against the test CA, with and without nonce and
# certReq; every bad-input case answers the right status; serial numbers
# stay distinct across a restart and a kill -9; one audit line per token.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "   skip: curl not installed"; exit 0; }
scratch_new
TSA=$SIGNET_BIN/signet-tsa
CLIENT=$TOOLS/tsa-client.py
POLICY=1.3.6.1.4.1.99999.1.1
POLICY2=1.3.6.1.4.1.99999.1.2

# ---- PKI: an EC test CA, TSA certificates with critical EKU timeStamping.
cd "$W"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-subj "/CN=Signet Test CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\n' >ext.cnf
mkcert() { # NAME KEYGEN-ARGS...
	local n=$1; shift
	openssl req -new "$@" -nodes -keyout "$n.key" -subj "/CN=Signet TSA $n" -out "$n.csr" 2>/dev/null
	openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
		-extfile ext.cnf -out "$n.pem" 2>/dev/null
}
mkcert rsa -newkey rsa:3072
mkcert ec -newkey ec -pkeyopt ec_paramgen_curve:P-256
note "PKI made (CA P-256; TSA RSA-3072 and P-256)"


# conf NAME PORT [extra lines]
conf() {
	local n=$1 port=$2; shift 2
	cat >"$n.conf" <<CONF
; signet-tsa test configuration
[tsa]
listen = 127.0.0.1:$port
threads = 4
policies = $POLICY $POLICY2
accuracy = 500ms
key = file:$W/$KEY.key
cert = $W/$KEY.pem
serial_file = $W/$n.serial
audit = $AUDITDIR/$n.jsonl
log = $W/$n.log
clock_check = none
CONF
	printf '%s\n' "$@" >>"$n.conf"
}

start() { # NAME → PORT_<NAME> set, pid in PIDS
	local n=$1
	"$TSA" --config "$W/$n.conf" --daemon --pidfile "$W/$n.pid" || fail "signet-tsa $n did not start"
	PIDS+=("$(cat "$W/$n.pid")")
}

# Stop NAME (SIGTERM, or the signal given) and wait until it is gone, so
# that the next start finds its port and serial file free.
stop_now() { # NAME [-SIGNAL]
	local pid
	pid=$(cat "$W/$1.pid")
	kill ${2:-} "$pid"
	wait_until 30 "signet-tsa $1 (pid $pid) ended" gone "$pid"
}

post() { # QUERY OUT [curl args] → prints the HTTP code
	local q=$1 out=$2; shift 2
	curl -s -o "$out" -w '%{http_code}' --data-binary @"$q" \
		-H 'Content-Type: application/timestamp-query' "$@" "$URL"
}

AUDITDIR=$W
echo hello >data.txt
for KEY in rsa ec; do
	PORT=$(free_port)
	conf "$KEY" "$PORT"
	"$TSA" --config "$W/$KEY.conf" --check-config >/dev/null || fail "--check-config $KEY"
	start "$KEY"
	URL=http://127.0.0.1:$PORT/
	n=0
	for nonce in "" -no_nonce; do
		for cert in "" -cert; do
			n=$((n + 1))
			openssl ts -query -data data.txt -sha256 $nonce $cert -out q$n.tsq 2>/dev/null
			code=$(post q$n.tsq r$n.tsr)
			[[ $code == 200 ]] || fail "$KEY: HTTP $code for query $n"
			untrusted=()
			[[ -z $cert ]] && untrusted=(-untrusted "$KEY.pem")
			openssl ts -verify -queryfile q$n.tsq -in r$n.tsr -CAfile ca.pem "${untrusted[@]}" >v$n.out 2>&1 ||
				{ cat v$n.out; fail "$KEY: token $n ($nonce $cert) does not verify"; }
			openssl ts -reply -in r$n.tsr -text >t$n.txt 2>/dev/null
			grep -q "Policy OID: $POLICY\$" t$n.txt || fail "$KEY: token $n: default policy missing"
			grep -q "Accuracy: unspecified seconds, 0x01F4 millis" t$n.txt ||
				grep -q "Accuracy: .*500 millis" t$n.txt || { cat t$n.txt; fail "$KEY: token $n: accuracy"; }
			if [[ -z $nonce ]]; then
				qn=$(openssl ts -query -in q$n.tsq -text 2>/dev/null | sed -n 's/^Nonce: //p')
				grep -q "Nonce: $qn\$" t$n.txt || fail "$KEY: token $n: nonce not echoed"
			else
				grep -q "Nonce: unspecified" t$n.txt || fail "$KEY: token $n: a nonce appeared"
			fi
		done
	done
	# ESSCertIDv2 (id-smime-aa-signingCertificateV2, 1.2.840.113549.1.9.16.2.47).
	openssl asn1parse -inform DER -in r1.tsr >a.txt
	grep -q "signingCertificateV2\|1.2.840.113549.1.9.16.2.47" a.txt || fail "$KEY: no ESSCertIDv2"
	note "$KEY: 4 tokens verify (nonce/no nonce × certReq/none); policy, nonce, accuracy, ESSCertIDv2 ok"

	# Requested policy: known → used; unknown → unacceptedPolicy (bit 15).
	openssl ts -query -data data.txt -sha256 -tspolicy $POLICY2 -out qp.tsq 2>/dev/null
	[[ $(post qp.tsq rp.tsr) == 200 ]] || fail "$KEY: policy query"
	openssl ts -reply -in rp.tsr -text 2>/dev/null | has "Policy OID: $POLICY2\$" || fail "$KEY: requested policy not used"
	openssl ts -query -data data.txt -sha256 -tspolicy 1.2.3.4.5 -out qu.tsq 2>/dev/null
	post qu.tsq ru.tsr >/dev/null
	[[ $(python3 "$CLIENT" status ru.tsr) == "2 15" ]] || fail "$KEY: unknown policy not unacceptedPolicy"
	# SHA-1 imprint → rejection badAlg (bit 0).
	openssl ts -query -data data.txt -sha1 -out q1.tsq 2>/dev/null
	post q1.tsq r1s.tsr >/dev/null
	[[ $(python3 "$CLIENT" status r1s.tsr) == "2 0" ]] || fail "$KEY: SHA-1 imprint not refused with badAlg"
	# SHA-512 accepted.
	openssl ts -query -data data.txt -sha512 -cert -out q5.tsq 2>/dev/null
	post q5.tsq r5.tsr >/dev/null
	openssl ts -verify -queryfile q5.tsq -in r5.tsr -CAfile ca.pem >/dev/null 2>&1 || fail "$KEY: sha512 token"
	note "$KEY: requested policy used; unknown policy → unacceptedPolicy; SHA-1 → badAlg"
	# 4 + policy + sha512 granted; 2 rejected.
	python3 "$TOOLS/audit-check.py" "$W/$KEY.jsonl" --count timestamp=6 >/dev/null ||
		fail "$KEY: audit trail"
done
python3 - "$W/ec.jsonl" <<'PY' || fail "audit records lack fields"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    assert r["event"] == "timestamp" and r["result"] == "granted", r
    for k in ("serial", "hash", "digest", "gen_time", "policy"):
        assert k in r, (k, r)
PY
note "audit: one timestamp record per granted token, with serial, imprint, time, policy"

# ---- Bad input (the EC instance).
head -c 100 /dev/urandom >junk.bin
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL"); [[ $code == 405 ]] || fail "GET gave $code"
curl -s -D hdr.txt -o /dev/null "$URL"; grep -qi '^Allow: POST' hdr.txt || fail "405 without Allow: POST"
code=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @q1.tsq -H 'Content-Type: text/plain' "$URL")
[[ $code == 415 ]] || fail "wrong type gave $code"
code=$(post q2.tsq rc.tsr -H 'Content-Type: Application/TimeStamp-Query; charset=binary')
[[ $code == 200 ]] || fail "type with parameters gave $code"
openssl ts -verify -queryfile q2.tsq -in rc.tsr -CAfile ca.pem >/dev/null 2>&1 || fail "type with parameters: token"
head -c 20000 /dev/zero >big.bin
code=$(post big.bin /dev/null); [[ $code == 413 ]] || fail "oversized body gave $code"
code=$(post big.bin /dev/null -H 'Transfer-Encoding: chunked'); [[ $code == 413 ]] || fail "oversized chunked body gave $code"
code=$(post q3.tsq rk.tsr -H 'Transfer-Encoding: chunked'); [[ $code == 200 ]] || fail "small chunked body gave $code"
openssl ts -verify -queryfile q3.tsq -in rk.tsr -CAfile ca.pem -untrusted ec.pem >/dev/null 2>&1 || fail "chunked: token"
code=$(post junk.bin rj.tsr); [[ $code == 200 ]] || fail "malformed DER gave HTTP $code"
[[ $(python3 "$CLIENT" status rj.tsr) == "2 5" ]] || fail "malformed DER not rejection/badDataFormat"
line=$(python3 "$CLIENT" raw "$PORT" q1.tsq); [[ $line == "HTTP/1."?" 200 OK" ]] || fail "POST without Content-Length: $line"
printf 'GARBAGE\r\n\r\n' | timeout 5 python3 -c 'import socket,sys; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(sys.stdin.buffer.read()); s.recv(100)' "$PORT" || true
code=$(post q4.tsq r4b.tsr); [[ $code == 200 ]] || fail "server did not serve after bad input ($code)"
kill -0 "$(cat ec.pid)" || fail "signet-tsa died"
note "GET 405 (Allow: POST), wrong type 415, type with parameters ok, 413 with and without length, no-length POST and junk handled"

# ---- Clock check: clock_check = adjtimex answers timeNotAvailable (bit 14)
# when the kernel says the clock is unsynchronised (TIME_ERROR), else grants.
clock_state=$(python3 -c 'import ctypes; b=ctypes.create_string_buffer(512); print(ctypes.CDLL(None).adjtimex(b))')
PORT=$(free_port)
conf clk "$PORT" "max_clock_error_ms = 60000"
sed -i 's/^clock_check = none/clock_check = adjtimex/' clk.conf
start clk
URL=http://127.0.0.1:$PORT/
post q2.tsq rt.tsr >/dev/null
got=$(python3 "$CLIENT" status rt.tsr)
if [[ $clock_state == 5 ]]; then
	[[ $got == "2 14" ]] || fail "unsynchronised clock: got status '$got', expected rejection/timeNotAvailable"
	grep -q "not synchronised" clk.log || fail "clock refusal not logged"
	note "clock_check = adjtimex: unsynchronised clock → rejection/timeNotAvailable"
else
	[[ $got == 0* ]] || fail "synchronised clock: got status '$got'"
	note "clock_check = adjtimex: clock synchronised here, token granted"
fi
kill "$(cat clk.pid)"

# ---- TLS (tls_cert/tls_key), when curl and libmicrohttpd can.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.pem \
	-subj /CN=127.0.0.1 -days 30 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
PORT=$(free_port)
conf tls "$PORT" "tls_cert = $W/tls.pem" "tls_key = $W/tls.key"
if "$TSA" --config "$W/tls.conf" --daemon --pidfile "$W/tls.pid" 2>tls.err; then
	PIDS+=("$(cat tls.pid)")
	URL=https://127.0.0.1:$PORT/
	code=$(post q2.tsq rtls.tsr --cacert tls.pem); [[ $code == 200 ]] || fail "HTTPS gave $code"
	openssl ts -verify -queryfile q2.tsq -in rtls.tsr -CAfile ca.pem >/dev/null 2>&1 || fail "HTTPS token"
	kill "$(cat tls.pid)"
	note "TLS: token over HTTPS verifies"
else
	grep -q "no TLS support" tls.err || { cat tls.err; fail "TLS instance did not start"; }
	note "skip TLS: libmicrohttpd without TLS"
fi

# ---- Configuration refusals.
conf bad 1 "digests = sha1"
{ "$TSA" --config bad.conf --check-config || true; } | has "sha1 is refused" || fail "sha1 accepted in config"
sed -i 's|^key = .*|key = pkcs11:token=x;object=y|; /^digests/d' bad.conf
{ "$TSA" --config bad.conf --check-config || true; } | has "needs pkcs11_module and pin_file" || fail "pkcs11 key without module/PIN not refused clearly"
sed -i 's|^key = .*|key = file:'"$W"'/ec.key|; s|^listen = .*|listen = 192.0.2.1:3161|' bad.conf
{ "$TSA" --config bad.conf --check-config || true; } | has "allow_remote" || fail "remote listen accepted"
note "config: sha1, a pkcs11 key without pkcs11_module/pin_file and non-loopback listen are refused"

# ---- Serial numbers: 10,000 requests, a restart and a kill -9 in between.
KEY=ec
AUDITDIR=$(mktemp -d /dev/shm/sgXXXXXX 2>/dev/null || echo "$W")
PORT=$(free_port)
conf ser "$PORT"
URL=http://127.0.0.1:$PORT/
start ser
python3 "$CLIENT" serials "$URL" q1.tsq 1 serials.txt 2>/dev/null && fail "sha1 query got a token"
openssl ts -query -data data.txt -sha256 -no_nonce -out qs.tsq 2>/dev/null
python3 "$CLIENT" serials "$URL" qs.tsq 4000 serials.txt || fail "serial run 1"
stop_now ser
start ser
python3 "$CLIENT" serials "$URL" qs.tsq 3000 serials.txt || fail "serial run 2"
stop_now ser -9
start ser
# Four keep-alive clients at once: the context pool and the serial store
# under concurrency.
cpids=()
for c in 1 2 3 4; do
	python3 "$CLIENT" serials "$URL" qs.tsq 750 serials-$c.txt & cpids+=($!)
done
for p in "${cpids[@]}"; do wait "$p" || fail "serial run 3 (concurrent)"; done
cat serials-[1-4].txt >>serials.txt
total=$(wc -l <serials.txt); uniq=$(sort -u serials.txt | wc -l)
((total == 10000 && uniq == 10000)) || fail "serials: $total issued, $uniq distinct"
python3 "$TOOLS/audit-check.py" "$AUDITDIR/ser.jsonl" --count timestamp=10000 >/dev/null || fail "serial audit"
[[ $AUDITDIR != "$W" ]] && rm -rf "$AUDITDIR"
note "10000 tokens over a restart and a kill -9 (the last 3000 from 4 clients at once): all serials distinct, 10000 audit records"

# ---- audit_sync = each under load (tokens wait, suspended, for the
# committer's fdatasync), stopped in the middle: the stop does not hang
# on suspended connections, every token a client received has its record
# in the trail, and the trail is whole.
AUDITDIR=$W
PORT=$(free_port)
conf stop "$PORT"
URL=http://127.0.0.1:$PORT/
start stop
cpids=()
for c in 1 2 3 4 5 6 7 8; do
	python3 "$CLIENT" serials "$URL" qs.tsq 100000 stop-$c.txt 2>/dev/null & cpids+=($!)
done
# Stop once every client has its first token (a condition, not a fixed
# time: on a loaded machine eight pythons take seconds just to start).
all_got_one() { local c; for c in 1 2 3 4 5 6 7 8; do [[ -s stop-$c.txt ]] || return 1; done; }
wait_until 120 "each of the 8 clients received a token" all_got_one
spid=$(cat stop.pid)
t0=$SECONDS
kill "$spid"
wait_until 30 "signet-tsa stopped after SIGTERM under load" gone "$spid"
((SECONDS - t0 <= 5)) || fail "signet-tsa took $((SECONDS - t0)) s to stop under load (at most 5)"
for p in "${cpids[@]}"; do wait "$p" && fail "a client got all its tokens from a stopped TSA"; done
cat stop-[1-8].txt >stop-all.txt
python3 "$TOOLS/audit-check.py" "$W/stop.jsonl" >/dev/null || fail "trail after a stop under load"
python3 - "$W/stop.jsonl" stop-all.txt <<'PY' || fail "a token handed out has no audit record"
import json, sys
audited = {int(json.loads(l)["serial"], 16) for l in open(sys.argv[1]) if '"timestamp"' in l}
got = [int(x, 16) for x in open(sys.argv[2]).read().split()]
missing = [g for g in got if g not in audited]
if not got or missing:
    sys.exit("%d tokens received, %d without a record" % (len(got), len(missing)))
print("   %d tokens from 8 clients before the stop, all in the trail" % len(got))
PY
note "audit_sync = each: SIGTERM under load from 8 clients stops in time, every token received is in the trail"

# ---- audit_sync = 20ms: the record is written before the reply, so a
# kill -9 (a crash of the process, not of the machine) loses none.
AUDITDIR=$W
PORT=$(free_port)
conf def "$PORT" "audit_sync = 20ms"
URL=http://127.0.0.1:$PORT/
start def
: >serials-def.txt
python3 "$CLIENT" serials "$URL" qs.tsq 300 serials-def.txt || fail "deferred-sync run 1"
stop_now def
start def
python3 "$CLIENT" serials "$URL" qs.tsq 300 serials-def.txt || fail "deferred-sync run 2"
stop_now def -9
python3 "$TOOLS/audit-check.py" "$W/def.jsonl" --count timestamp=600 >/dev/null || fail "deferred-sync audit"
note "audit_sync = 20ms: 600 tokens over a stop and a kill -9, 600 audit records"
