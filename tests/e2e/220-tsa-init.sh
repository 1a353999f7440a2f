#!/bin/bash
# signet-tsa --init / --import on a real SoftHSM2 token: the TSA key (EC
# P-256 and RSA-3072) generated in the token (sensitive, not extractable),
# a local test CA whose key is on the token too issues its certificate
# (openssl verify -purpose timestampsign), a second --init changes nothing,
# and the daemon started on the result issues tokens that openssl ts
# -verify accepts against the CA.  The --csr path: the request verifies and
# asks for critical EKU timeStamping, an openssl CA signs it (also through an
# intermediate), --import installs it, and tokens verify against that CA.
# Refused, each with its message: a certificate for another key, one
# without critical EKU or with more than timeStamping, one that does not
# verify against --ca, --init with a file: key or without ca =, an --algo
# that does not match the key, intermediates without chain =, and a start
# whose ca does not verify cert.  The PIN never shows in any output.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "   skip: curl not installed"; exit 0; }
command -v pkcs11-tool >/dev/null || { echo "   skip: pkcs11-tool not installed"; exit 0; }
MODULE=/usr/lib/softhsm/libsofthsm2.so
[[ -f $MODULE ]] || { echo "   skip: no SoftHSM2"; exit 0; }
scratch_new
TSA=$SIGNET_BIN/signet-tsa
POLICY=1.3.6.1.4.1.99999.1.1
PIN=48213970
cd "$W"
umask 077

# ---- The token (empty: --init makes the keys).
mkdir -p tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' "$W" >softhsm2.conf
export SOFTHSM2_CONF=$W/softhsm2.conf
printf '%s\n' "$PIN" >user-pin
chmod 600 user-pin
softhsm2-util --init-token --free --label tsa --pin "$PIN" --so-pin 123456 >/dev/null
p11() { pkcs11-tool --module "$MODULE" --token-label tsa --login --pin "$PIN" "$@" 2>/dev/null; }


# conf NAME OBJECT [extra lines]: key on the token, cert NAME.pem, ca NAME-ca.pem.
conf() {
	local n=$1 obj=$2; shift 2
	cat >"$n.conf" <<CONF
[tsa]
listen = 127.0.0.1:$(free_port)
threads = 2
policies = $POLICY
key = pkcs11:token=tsa;object=$obj
pkcs11_module = $MODULE
pin_file = $W/user-pin
softhsm2_conf = $W/softhsm2.conf
cert = $W/$n.pem
ca = $W/$n-ca.pem
serial_file = $W/$n.serial
audit = $W/$n.jsonl
log = $W/$n.log
clock_check = none
CONF
	printf '%s\n' "$@" >>"$n.conf"
}

# run NAME OUT ARGS...: signet-tsa --config NAME.conf ARGS; stdout+stderr in OUT.
run() {
	local n=$1 out=$2; shift 2
	timeout 30 "$TSA" --config "$W/$n.conf" "$@" >"$out" 2>&1
}

# refused NAME EXPECT ARGS...: exit status 1 and EXPECT in the message.
refused() {
	local n=$1 expect=$2 rc=0; shift 2
	run "$n" "$n.out" "$@" || rc=$?
	((rc == 1)) || { cat "$n.out"; fail "$n $*: exit status $rc, expected 1"; }
	grep -qF -- "$expect" "$n.out" || { cat "$n.out"; fail "$n $*: message does not say \"$expect\""; }
	grep -q "^signet-tsa: " "$n.out" || { cat "$n.out"; fail "$n $*: message not on stderr as signet-tsa: …"; }
	return 0
}

# serve NAME CA: start the daemon, get a token over HTTP (certReq), verify
# it against CA with openssl ts -verify, stop the daemon.
serve() {
	local n=$1 ca=$2 port
	port=$(sed -n 's/^listen = 127.0.0.1://p' "$n.conf")
	"$TSA" --config "$W/$n.conf" --daemon --pidfile "$W/$n.pid" 2>"$n.err" || fail "$n: signet-tsa did not start"
	PIDS+=("$(cat "$n.pid")")
	openssl ts -query -data data.txt -sha256 -cert -out "$n.tsq" 2>/dev/null
	code=$(curl -s -o "$n.tsr" -w '%{http_code}' --data-binary @"$n.tsq" \
		-H 'Content-Type: application/timestamp-query' "http://127.0.0.1:$port/")
	[[ $code == 200 ]] || fail "$n: HTTP $code"
	openssl ts -verify -queryfile "$n.tsq" -in "$n.tsr" -CAfile "$ca" >"$n.verify" 2>&1 ||
		{ cat "$n.verify"; fail "$n: token does not verify against $ca"; }
	kill "$(cat "$n.pid")"
	for _ in $(seq 50); do [[ -f $n.pid ]] || break; sleep 0.1; done
}

# key_on_token LABEL: a private key that is sensitive and never extractable.
key_on_token() {
	p11 --list-objects --type privkey >objs.txt
	grep -A4 "label: *$1\$" objs.txt | has "sensitive.*never extractable" ||
		{ cat objs.txt; fail "no sensitive, non-extractable private key \"$1\" on the token"; }
	p11 --list-objects --type pubkey | has "label: *$1\$" || fail "no public key \"$1\" on the token"
}

echo hello >data.txt

# ---- --init with the default algorithm (EC P-256) and a local test CA.
conf ec tsa-ec
run ec init1.out --init || { cat init1.out; fail "ec: --init"; }
grep -qx "key: generated ecp256 pkcs11:token=tsa;object=tsa-ec" init1.out || { cat init1.out; fail "ec: key line"; }
grep -qF "ca: $W/ec-ca.pem (local test CA" init1.out || { cat init1.out; fail "ec: ca line"; }
grep -qx "cert: $W/ec.pem" init1.out || { cat init1.out; fail "ec: cert line"; }
openssl verify -purpose timestampsign -CAfile ec-ca.pem ec.pem >v.out 2>&1 || { cat v.out; fail "ec: openssl verify"; }
[[ $(stat -c %a ec.pem) == 644 && $(stat -c %a ec-ca.pem) == 644 ]] || fail "ec: cert/ca not mode 0644"
openssl x509 -in ec.pem -noout -text >ec.txt
grep -q "ASN1 OID: prime256v1" ec.txt || fail "ec: certificate key is not P-256"
grep -A1 "Extended Key Usage: critical" ec.txt | has "Time Stamping" || fail "ec: no critical EKU timeStamping"
grep -A1 "Basic Constraints: critical" ec.txt | has "CA:FALSE" || fail "ec: basicConstraints"
grep -q "Subject: CN *= *Signet TSA (" ec.txt || fail "ec: subject"
openssl x509 -in ec-ca.pem -noout -text | grep -A1 "Basic Constraints: critical" | has "CA:TRUE, pathlen:0" ||
	fail "ec: CA basicConstraints"
key_on_token tsa-ec
key_on_token tsa-ec-ca
note "ec: --init generated the P-256 key and a test CA key on the token (sensitive, not extractable); cert verifies (timestampsign)"

cp ec.pem ec.save; cp ec-ca.pem ec-ca.save
run ec init2.out --init || { cat init2.out; fail "ec: second --init"; }
grep -q "already initialised" init2.out || { cat init2.out; fail "ec: second --init did not say already initialised"; }
grep -qx "key: kept existing ecp256 pkcs11:token=tsa;object=tsa-ec" init2.out || { cat init2.out; fail "ec: kept line"; }
cmp -s ec.pem ec.save && cmp -s ec-ca.pem ec-ca.save || fail "ec: second --init changed cert or ca"
n=$(p11 --list-objects --type privkey | grep -c "label:")
((n == 2)) || fail "ec: $n private keys on the token after two --init (expected 2)"
# cert gone, ca kept: the CA (same token key) is reused, a new cert issued.
rm ec.pem
run ec init3.out --init || { cat init3.out; fail "ec: --init without cert"; }
cmp -s ec-ca.pem ec-ca.save || fail "ec: --init re-made the CA although its certificate was there"
openssl verify -purpose timestampsign -CAfile ec-ca.save ec.pem >/dev/null 2>&1 || fail "ec: new cert does not verify against the kept CA"
note "ec: --init again: already initialised, nothing changed; without cert: CA reused, new cert"

serve ec ec-ca.pem
note "ec: signet-tsa started on the --init result; token verifies against ca (openssl ts -verify)"

# ---- RSA-3072.
conf rsa tsa-rsa
run rsa init.out --init --algo rsa3072 || { cat init.out; fail "rsa: --init"; }
grep -qx "key: generated rsa3072 pkcs11:token=tsa;object=tsa-rsa" init.out || { cat init.out; fail "rsa: key line"; }
openssl verify -purpose timestampsign -CAfile rsa-ca.pem rsa.pem >v.out 2>&1 || { cat v.out; fail "rsa: openssl verify"; }
openssl x509 -in rsa.pem -noout -text | has "Public-Key: (3072 bit)" || fail "rsa: not a 3072-bit key"
key_on_token tsa-rsa
cp rsa.pem rsa.save
run rsa init2.out --init --algo rsa3072 || { cat init2.out; fail "rsa: second --init"; }
grep -q "already initialised" init2.out && cmp -s rsa.pem rsa.save || fail "rsa: second --init not idempotent"
serve rsa rsa-ca.pem
note "rsa: --init --algo rsa3072: key on the token, cert verifies, idempotent, tokens verify"

# ---- --algo that does not match the key on the token.
refused ec "the key pkcs11:token=tsa;object=tsa-ec on the token is ecp256, not rsa3072 as --algo asks" --init --algo rsa3072
refused rsa "is rsa3072, not ecp256 as --algo asks" --init --algo ecp256
refused ec "unknown key algorithm" --init --algo dsa
note "refused: --algo rsa3072 on the P-256 key, ecp256 on the RSA key, an unknown --algo"

# ---- A private key whose public key object is gone: an error, not a second key.
p11 --keypairgen --key-type EC:prime256v1 --id 0a --label tsa-nopub --sensitive >/dev/null || fail "nopub: keypairgen"
p11 --delete-object --type pubkey --label tsa-nopub >/dev/null || fail "nopub: delete public key"
conf nopub tsa-nopub
refused nopub "no public key object \"tsa-nopub\" with the private key's CKA_ID on token \"tsa\"" --init
n=$(p11 --list-objects --type privkey | grep -c "label: *tsa-nopub$" || true)
((n == 1)) || fail "nopub: $n private keys tsa-nopub after --init (expected 1: none generated)"
note "refused: a private key without its public key object (no second key generated)"

# ---- --init with a file: key, and without ca.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out file.key 2>/dev/null
cat >file.conf <<CONF
[tsa]
policies = $POLICY
key = file:$W/file.key
cert = $W/file.pem
ca = $W/file-ca.pem
serial_file = $W/file.serial
audit = $W/file.jsonl
CONF
refused file "--init needs key = pkcs11:" --init
conf noca tsa-noca
sed -i '/^ca = /d' noca.conf
refused noca "needs ca = /abs/path.pem" --init
p11 --list-objects | has "tsa-noca" && fail "noca: a key was generated although the configuration was refused"
[[ ! -e file.pem && ! -e file-ca.pem ]] || fail "file: files written"
note "refused: --init with key = file:…, --init without ca = (no key made)"

# ---- --csr for a real CA, then --import.
conf real tsa-real
run real csr.out --init --csr "$W/real.csr" || { cat csr.out; fail "real: --init --csr"; }
grep -qx "key: generated ecp256 pkcs11:token=tsa;object=tsa-real" csr.out || { cat csr.out; fail "real: key line"; }
grep -qF "csr: $W/real.csr — have a CA issue it" csr.out || { cat csr.out; fail "real: csr line"; }
[[ ! -e real.pem && ! -e real-ca.pem ]] || fail "real: --csr wrote cert or ca"
[[ ! -e real.csr.tmp ]] || fail "real: temporary CSR left behind"
[[ $(stat -c %a real.csr) == 644 ]] || fail "real: CSR not mode 0644"
openssl req -in real.csr -verify -noout >v.out 2>&1 || { cat v.out; fail "real: CSR signature"; }
openssl req -in real.csr -noout -text >csr.txt
grep -A1 "Extended Key Usage: critical" csr.txt | has "Time Stamping" || { cat csr.txt; fail "real: CSR asks for no critical EKU"; }
grep -A1 "Key Usage: critical" csr.txt | has "Digital Signature" || fail "real: CSR asks for no keyUsage"
grep -q "Subject: CN *= *Signet TSA " csr.txt || fail "real: CSR subject"
p11 --read-object --type pubkey --label tsa-real -o real.pub.der >/dev/null || fail "real: read public key"
openssl pkey -pubin -inform DER -in real.pub.der -outform PEM >real.pub.pem
openssl req -in real.csr -noout -pubkey | cmp -s - real.pub.pem || fail "real: CSR key is not the token key"
note "real: --csr wrote a request signed on the token for the token key, asking for critical EKU timeStamping"

# A CA and an intermediate made with openssl.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
	-subj "/CN=Real Root CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.cnf
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -subj "/CN=Real Intermediate" -out int.csr 2>/dev/null
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 -extfile int.cnf -out int.pem 2>/dev/null
issue() { # OUT EKU-LINE [CA KEY]
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n%s\n' "$2" >"$1.cnf"
	openssl x509 -req -in real.csr -CA "${3:-root.pem}" -CAkey "${4:-root.key}" -CAcreateserial -days 30 \
		-extfile "$1.cnf" -out "$1" 2>/dev/null || fail "issue $1"
}
issue issued.pem "extendedKeyUsage=critical,timeStamping"
issue noncrit.pem "extendedKeyUsage=timeStamping"
issue twoeku.pem "extendedKeyUsage=critical,timeStamping,codeSigning"
issue noeku.pem "subjectAltName=DNS:tsa.example"

refused real "issued.pem does not verify against ec-ca.pem" --import issued.pem --ca ec-ca.pem
refused real "ec.pem is not for the key pkcs11:token=tsa;object=tsa-real (run --init --csr and have that CSR issued)" \
	--import ec.pem --ca ec-ca.pem
refused real "noncrit.pem: its extendedKeyUsage timeStamping is not marked critical" --import noncrit.pem --ca root.pem
refused real "twoeku.pem: its extendedKeyUsage must hold timeStamping and nothing else" --import twoeku.pem --ca root.pem
refused real "noeku.pem: it has no extendedKeyUsage" --import noeku.pem --ca root.pem
[[ ! -e real.pem && ! -e real-ca.pem ]] || fail "real: a refused --import wrote files"
note "refused --import: other CA, another key's cert, EKU not critical, EKU with codeSigning, no EKU (nothing written)"

run real import.out --import issued.pem --ca root.pem || { cat import.out; fail "real: --import"; }
grep -qx "cert: $W/real.pem" import.out && grep -qF "ca: $W/real-ca.pem" import.out || { cat import.out; fail "real: import lines"; }
cmp -s real.pem issued.pem || fail "real: cert is not the imported certificate"
openssl x509 -in real-ca.pem -noout -subject | has "Real Root CA" || fail "real: ca is not the root"
serve real root.pem
note "real: --import installed the CA's certificate; signet-tsa tokens verify against that CA"

# Through an intermediate: chain = is needed, and filled.
issue viaint.pem "extendedKeyUsage=critical,timeStamping" int.pem int.key
cat viaint.pem int.pem >viaint-full.pem
refused real "holds 1 intermediate certificate(s) but [tsa] names no chain" --import viaint-full.pem --ca root.pem
cmp -s real.pem issued.pem || fail "real: a refused --import changed cert"
echo "chain = $W/real-chain.pem" >>real.conf
run real import2.out --import viaint-full.pem --ca root.pem || { cat import2.out; fail "real: --import with chain"; }
grep -qx "chain: $W/real-chain.pem (1 certificate(s))" import2.out || { cat import2.out; fail "real: chain line"; }
cmp -s real-chain.pem int.pem || fail "real: chain is not the intermediate"
serve real root.pem
# --init on an installed real certificate leaves it alone.
cp real.pem real.save; cp real-ca.pem real-ca.save
run real init-real.out --init || { cat init-real.out; fail "real: --init after --import"; }
grep -q "already initialised" init-real.out || { cat init-real.out; fail "real: --init after --import did not say already initialised"; }
cmp -s real.pem real.save && cmp -s real-ca.pem real-ca.save || fail "real: --init replaced the imported certificate"
note "real: certificate via an intermediate: refused without chain =, installed with it; tokens verify against the root"

# ---- A normal start whose ca does not verify cert.
cp real.conf wrongca.conf
sed -i "s|^ca = .*|ca = $W/ec-ca.pem|; s|^log = .*|log = $W/wrongca.log|" wrongca.conf
refused wrongca "cert: $W/real.pem does not verify against $W/ec-ca.pem" 
refused wrongca "does not verify against" --check-config
note "refused at start (and --check-config): ca does not verify cert"

# ---- Options.
refused ec "--import CERT.pem needs --ca CA.pem" --import issued.pem
refused ec "--init and --import go alone" --init --daemon
refused ec "--algo and --csr go with --init" --csr x.csr

# The PIN never shows.
if grep -l "$PIN" ./*.out ./*.err ./*.log 2>/dev/null; then fail "the PIN shows in an output"; fi
note "options checked; the PIN shows in no output or log"
