#!/bin/bash
# signet-tsa with its key on a SoftHSM2 token (key = pkcs11:…): RSA-3072 and
# EC P-256 keys generated on the token (sensitive), certificates from a test
# CA for their public keys; tokens verify with openssl ts -verify, also with
# 4 concurrent clients (one PKCS#11 session per worker thread); a PIN file
# readable by others, a wrong PIN and a missing key object are refused at
# start with a clear error.  Test PINs on argv of softhsm2-util/pkcs11-tool
# only (signet-tsa reads its PIN from pin_file).
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "   skip: curl not installed"; exit 0; }
MODULE=/usr/lib/softhsm/libsofthsm2.so
[[ -f $MODULE ]] || { echo "   skip: no SoftHSM2"; exit 0; }
scratch_new
TSA=$SIGNET_BIN/signet-tsa
POLICY=1.3.6.1.4.1.99999.1.1
cd "$W"
umask 077

# ---- The token.
mkdir -p tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' "$W" >softhsm2.conf
export SOFTHSM2_CONF=$W/softhsm2.conf
printf '73918264\n' >user-pin
printf '123456\n' >so-pin
printf '55560127\n' >wrong-pin
chmod 600 user-pin so-pin wrong-pin
softhsm2-util --init-token --free --label tsa --pin "$(cat user-pin)" --so-pin "$(cat so-pin)" >/dev/null
p11() { pkcs11-tool --module "$MODULE" --token-label tsa --login --pin "$(cat user-pin)" "$@"; }
p11 --keypairgen --key-type rsa:3072 --id 01 --label tsa-rsa --sensitive >/dev/null 2>&1 || fail "RSA keypairgen"
p11 --keypairgen --key-type EC:prime256v1 --id 02 --label tsa-ec --sensitive >/dev/null 2>&1 || fail "EC keypairgen"
note "SoftHSM2 token with RSA-3072 and P-256 key pairs (sensitive)"

# ---- PKI: test CA; a TSA certificate for each token public key.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-subj "/CN=Signet Test CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\n' >ext.cnf
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dummy.key -subj /CN=dummy -out dummy.csr 2>/dev/null
for k in rsa ec; do
	p11 --read-object --type pubkey --label "tsa-$k" -o "$k.pub.der" >/dev/null 2>&1 || fail "$k: read public key"
	openssl pkey -pubin -inform DER -in "$k.pub.der" -out "$k.pub.pem" || fail "$k: public key is not SPKI DER"
	openssl x509 -req -in dummy.csr -force_pubkey "$k.pub.pem" -subj "/CN=Signet TSA $k (HSM)" \
		-CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile ext.cnf -out "$k.pem" 2>/dev/null ||
		fail "$k: certificate"
done
# A certificate of some other key, to check that a mismatch is refused.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -subj /CN=other -out other.csr 2>/dev/null
openssl x509 -req -in other.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile ext.cnf -out other.pem 2>/dev/null
note "TSA certificates issued for the token keys"


# conf NAME PORT KEYLABEL CERT PINFILE [extra lines]
conf() {
	local n=$1 port=$2 label=$3 cert=$4 pin=$5; shift 5
	cat >"$n.conf" <<CONF
[tsa]
listen = 127.0.0.1:$port
threads = 4
policies = $POLICY
key = pkcs11:token=tsa;object=$label
pkcs11_module = $MODULE
pin_file = $W/$pin
softhsm2_conf = $W/softhsm2.conf
cert = $W/$cert
serial_file = $W/$n.serial
audit = $W/$n.jsonl
log = $W/$n.log
clock_check = none
CONF
	printf '%s\n' "$@" >>"$n.conf"
}

post() { # QUERY OUT → HTTP code
	curl -s -o "$2" -w '%{http_code}' --data-binary @"$1" -H 'Content-Type: application/timestamp-query' "$URL"
}

echo hello >data.txt
unset SOFTHSM2_CONF # signet-tsa must find the token through softhsm2_conf
for k in rsa ec; do
	PORT=$(free_port)
	conf "$k" "$PORT" "tsa-$k" "$k.pem" user-pin
	"$TSA" --config "$W/$k.conf" --check-config >"$k.check" 2>&1 || { cat "$k.check"; fail "$k: --check-config"; }
	"$TSA" --config "$W/$k.conf" --daemon --pidfile "$W/$k.pid" 2>"$k.err" || fail "$k: signet-tsa did not start"
	PIDS+=("$(cat "$k.pid")")
	URL=http://127.0.0.1:$PORT/
	n=0
	for nonce in "" -no_nonce; do
		for cert in "" -cert; do
			n=$((n + 1))
			openssl ts -query -data data.txt -sha256 $nonce $cert -out "q$k$n.tsq" 2>/dev/null
			code=$(post "q$k$n.tsq" "r$k$n.tsr")
			[[ $code == 200 ]] || fail "$k: HTTP $code for query $n"
			openssl ts -verify -queryfile "q$k$n.tsq" -in "r$k$n.tsr" -CAfile ca.pem -untrusted "$k.pem" >v.out 2>&1 ||
				{ cat v.out; openssl ts -reply -in "r$k$n.tsr" -text; fail "$k: token $n ($nonce $cert) does not verify"; }
		done
	done
	# The signature algorithm is the token key's.
	openssl ts -reply -in "r${k}2.tsr" -token_out -out "tok$k.der" 2>/dev/null
	openssl pkcs7 -inform DER -in "tok$k.der" -print 2>/dev/null >p7.txt
	if [[ $k == rsa ]]; then grep -q "rsaEncryption\|sha256WithRSAEncryption" p7.txt || fail "rsa: not an RSA signature"
	else grep -q "ecdsa-with-SHA256" p7.txt || fail "ec: not an ECDSA signature"; fi
	note "$k: 4 tokens signed on the token verify (nonce/no nonce × certReq/none)"

	# 4 concurrent clients, 10 requests each: all tokens valid.
	python3 - "$PORT" "$W" "$k" <<'PY' || fail "$k: concurrent clients"
import http.client, subprocess, sys, threading
port, w, k = int(sys.argv[1]), sys.argv[2], sys.argv[3]
errors = []
def client(i):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for j in range(10):
            q = f"{w}/c{k}{i}_{j}.tsq"
            subprocess.run(["openssl", "ts", "-query", "-data", f"{w}/data.txt", "-sha256", "-cert", "-out", q],
                           check=True, capture_output=True)
            c.request("POST", "/", open(q, "rb").read(), {"Content-Type": "application/timestamp-query"})
            r = c.getresponse()
            body = r.read()
            if r.status != 200:
                errors.append(f"client {i}: HTTP {r.status}"); return
            open(q[:-4] + ".tsr", "wb").write(body)
            v = subprocess.run(["openssl", "ts", "-verify", "-queryfile", q, "-in", q[:-4] + ".tsr",
                                "-CAfile", f"{w}/ca.pem"], capture_output=True, text=True)
            if v.returncode != 0:
                errors.append(f"client {i} request {j}: {v.stdout}{v.stderr}"); return
    except Exception as e:
        errors.append(f"client {i}: {e!r}")
ts = [threading.Thread(target=client, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
for e in errors: print(e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
	python3 "$TOOLS/audit-check.py" "$W/$k.jsonl" --count timestamp=44 >/dev/null || fail "$k: audit trail"
	# One session per thread that signed (start-up self-test + at most 4
	# workers), not one per request.
	ns=$(grep -c "PKCS#11 session .* opened for this thread" "$k.log" || true)
	((ns >= 2 && ns <= 5)) || fail "$k: $ns PKCS#11 sessions opened for 44 tokens (expected 2-5: one per thread)"
	note "$k: 4 concurrent clients × 10 requests, all 40 tokens verify; 44 audit records; $ns sessions (one per thread)"
	kill "$(cat "$k.pid")"
done

# ---- Start-up refusals, each with a clear message on stderr.
refused() { # NAME EXPECT
	if "$TSA" --config "$W/$1.conf" >"$1.err" 2>&1 & then
		local pid=$!
		PIDS+=("$pid")
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$pid" 2>/dev/null; then fail "$1: signet-tsa started"; fi
		wait "$pid" && fail "$1: exit status 0"
	fi
	grep -q -- "$2" "$1.err" || { cat "$1.err"; fail "$1: error does not say \"$2\""; }
	grep -q "73918264\|55560127" "$1.err" && fail "$1: a PIN in the error message"
	return 0
}
cp user-pin open-pin
chmod 644 open-pin
conf badmode 1 tsa-ec ec.pem open-pin
refused badmode "PIN file $W/open-pin: mode 644 lets group or others read it (chmod 600 it)"
conf badpin 1 tsa-ec ec.pem wrong-pin
refused badpin "login to the token failed: CKR_PIN_INCORRECT (wrong PIN)"
conf nokey 1 tsa-nosuch ec.pem user-pin
refused nokey "no private key object \"tsa-nosuch\" on token \"tsa\""
conf notoken 1 tsa-ec ec.pem user-pin
sed -i 's/token=tsa;/token=nosuch;/' notoken.conf
refused notoken "no initialised token labelled \"nosuch\""
conf mismatch 1 tsa-ec other.pem user-pin
refused mismatch "does not belong to the certificate"
conf wrongalg 1 tsa-rsa ec.pem user-pin
refused wrongalg "the token key is RSA, the certificate's is not"
note "refused at start: PIN file mode 644, wrong PIN, missing key object, missing token, other certificate, wrong key type"
