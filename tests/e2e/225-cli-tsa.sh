#!/bin/bash
# `signet tsa init|url|ca` and the TSA under `signet start|stop|status` in
# the embedded default: tsa.conf written once (policy OID under 2.25, the
# TSA's own token signet-tsa with its own PIN files — the TSA's PIN opens
# neither policyd's token nor any project key, and policyd's token holds no
# TSA key — a clock check that matches what adjtimex says
# now), key and local test CA made by signet-tsa on the token, a second run
# changes nothing; signet start starts signet-tsa, a token from openssl ts
# + curl verifies against `signet tsa ca` and is in the TSA's audit trail;
# signet stop ends both daemons and closes the port; a busy port fails the
# start with signet-tsa's reason; a stale pid file naming another program
# is never signalled.  Then the real-CA path in a second home: --csr, an
# openssl CA signs it (EKU timeStamping, critical), --cert/--ca imports it,
# and its tokens verify against that CA (with an intermediate: tsa.conf gains
# a chain line; without: it loses it).
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "   skip: curl not installed"; exit 0; }
[[ -f /usr/lib/softhsm/libsofthsm2.so ]] || { echo "   skip: no SoftHSM2"; exit 0; }
unset SIGNET_HOME
W=$(mktemp -d /tmp/sgXXXXXX)
chmod 755 "$W"
H=$W/h
H2=$W/h2
BUSY_PID=
DECOY_PID=
cleanup() {
	local rc=$? h
	set +e
	[[ -n $BUSY_PID ]] && kill "$BUSY_PID" 2>/dev/null
	[[ -n $DECOY_PID ]] && kill "$DECOY_PID" 2>/dev/null
	for h in "$H" "$H2"; do
		[[ -d $h ]] && signet --home "$h" stop >/dev/null 2>&1
	done
	if ((rc != 0)); then
		for l in "$H"/run/*.log "$H2"/run/*.log; do [[ -f $l ]] && { echo "---- $l"; tail -n 20 "$l"; }; done
	fi
	[[ -n ${KEEP_WORLD:-} ]] || rm -rf "$W"
	return $rc
}
trap cleanup EXIT
cd "$W"

port_open() { python3 -c 'import socket,sys; s=socket.socket(); s.settimeout(2); sys.exit(s.connect_ex(("127.0.0.1",int(sys.argv[1]))))' "$1"; }
# What signet-tsa's clock check would say now: synchronised (exit 0) or not.
clock_synced() {
	python3 - <<'PY'
import ctypes, ctypes.util, sys
class timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("pad", ctypes.c_char * 256)]
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
t = timex()
state = libc.adjtimex(ctypes.byref(t))
STA_UNSYNC, TIME_ERROR = 0x40, 5
sys.exit(0 if state >= 0 and state != TIME_ERROR and not (t.status & STA_UNSYNC)
         and 0 <= t.maxerror <= 1000000 else 1)
PY
}
# The TSA's token and policyd's token are apart: the TSA's PIN does not
# open policyd's token; logged in to its own token it sees only its keys
# (no project key, whatever projects exist); policyd's token holds no TSA
# key.  (An attacker who runs as the TSA has exactly its PIN file.)
# The slot id of the token labelled exactly $1 (pkcs11-tool's
# --token-label also takes a token whose label only starts so).
slot_of() {
	SOFTHSM2_CONF=$H/softhsm2.conf pkcs11-tool --module "$MOD" -L 2>/dev/null | awk -v want="$1" '
		/^Slot [0-9]+ \(0x[0-9a-f]+\)/ { slot = $3; gsub(/[()]/, "", slot) }
		/token label *:/ { l = $0; sub(/^[^:]*: /, "", l); sub(/ *$/, "", l); if (l == want) print slot }'
}
p11() { # SLOT PIN: list the token's objects after a login
	SOFTHSM2_CONF=$H/softhsm2.conf pkcs11-tool --module "$MOD" --slot "$1" --login --pin "$2" --list-objects
}
tsa_token_separate() {
	local tsapin pdpin pds tss
	MOD=$(sed -n 's/^module = //p' "$H/signet.conf")
	tsapin=$(cat "$H/secrets/tsa-user-pin")
	pdpin=$(cat "$H/secrets/user-pin")
	pds=$(slot_of signet)
	tss=$(slot_of signet-tsa)
	[[ -n $pds && -n $tss && $pds != "$tss" ]] || fail "tokens signet ($pds) and signet-tsa ($tss) not found apart"
	p11 "$pds" "$tsapin" >sep1.out 2>&1 && fail "the TSA's PIN opens policyd's token: $(cat sep1.out)"
	p11 "$tss" "$tsapin" >sep2.out 2>&1 || fail "the TSA's PIN does not open its token: $(cat sep2.out)"
	grep -q 'label: *signet-tsa$' sep2.out || fail "no TSA key on the TSA's token: $(cat sep2.out)"
	# Its key, its CA's, and its own audit key (checkpoints of tsa.jsonl).
	grep 'label:' sep2.out | grep -v 'label: *\(signet-tsa\(-ca\)\?\|#signet-audit\)$' &&
		fail "the TSA's token holds other objects: $(cat sep2.out)"
	p11 "$pds" "$pdpin" >sep3.out 2>&1 || fail "policyd's PIN does not open its token: $(cat sep3.out)"
	grep -q 'label: *signet-tsa' sep3.out && fail "a TSA key on policyd's token: $(cat sep3.out)"
	return 0
}

# token DATA URL CAFILE OUT: openssl ts query → curl → openssl ts -verify
token() {
	openssl ts -query -data "$1" -sha256 -cert -out "$4.tsq" 2>/dev/null
	curl -sS -f --data-binary @"$4.tsq" -H 'Content-Type: application/timestamp-query' "$2" -o "$4.tsr" ||
		fail "POST to $2"
	openssl ts -verify -data "$1" -in "$4.tsr" -CAfile "$3" >"$4.verify" 2>&1 ||
		{ cat "$4.verify"; openssl ts -reply -in "$4.tsr" -text; fail "token $4 does not verify against $3"; }
	grep -q '^Verification: OK' "$4.verify" || fail "token $4: $(cat "$4.verify")"
}

# ---- before signet tsa init
expect 0 signet --home "$H" init
expect 1 signet --home "$H" tsa url
grep -q "no time-stamp authority yet.*run \`signet --home $H tsa init\`" "$W/err" || fail "tsa url before init: $(cat "$W/err")"
expect 1 signet --home "$H" tsa ca
grep -q "run \`signet --home $H tsa init\`" "$W/err" || fail "tsa ca before init: $(cat "$W/err")"
expect 2 signet --home "$H" tsa init --cert x.pem
expect 2 signet --home "$H" tsa init --port 70000
expect 2 signet --home "$H" tsa frob
[[ -e $H/tsa.conf ]] && fail "a refused tsa init wrote tsa.conf"
expect 1 signet --home "$W/nohome" tsa init
grep -q "no Signet home at $W/nohome" "$W/err" || fail "tsa init without a home: $(cat "$W/err")"
expect 1 signet --home "$H" status
grep -q '^tsa: *not initialised' "$W/out" || fail "status before tsa init: $(cat "$W/out")"
note "tsa url/ca before tsa init, bad options and a missing home: clear errors"

# ---- signet tsa init, twice
PORT=$(free_port)
CONF_MODE=$(stat -c %a "$H/signet.conf")
expect 0 signet --home "$H" tsa init --port "$PORT"
cp "$W/out" init1.out
cp "$W/err" init1.err
C=$H/tsa.conf
[[ $(stat -c %a "$C") == 644 ]] || fail "tsa.conf mode $(stat -c %a "$C")"
grep -qx "listen = 127.0.0.1:$PORT" "$C" || fail "tsa.conf listen: $(cat "$C")"
grep -Eqx 'policies = 2\.25\.[1-9][0-9]{0,38}' "$C" || fail "tsa.conf policy OID: $(grep policies "$C")"
grep -qx "key = pkcs11:token=signet-tsa;object=signet-tsa" "$C" || fail "tsa.conf key"
grep -qx "pin_file = $H/secrets/tsa-user-pin" "$C" || fail "tsa.conf pin_file"
grep -qx "so_pin_file = $H/secrets/tsa-so-pin" "$C" || fail "tsa.conf so_pin_file"
for f in tsa-user-pin tsa-so-pin; do
	[[ $(stat -c %a "$H/secrets/$f") == 600 ]] || fail "$f mode $(stat -c %a "$H/secrets/$f")"
done
cmp -s "$H/secrets/tsa-user-pin" "$H/secrets/user-pin" && fail "the TSA's PIN is policyd's"
grep -qx "softhsm2_conf = $H/softhsm2.conf" "$C" || fail "tsa.conf softhsm2_conf"
grep -qx "pkcs11_module = $(sed -n 's/^module = //p' "$H/signet.conf")" "$C" || fail "tsa.conf pkcs11_module"
for kv in "cert = $H/tsa/tsa.pem" "ca = $H/tsa/ca.pem" "serial_file = $H/tsa/serial" \
	"audit = $H/audit/tsa.jsonl" "log = $H/run/tsa.log" "accuracy = 1s" "threads = 8"; do
	grep -qx "$kv" "$C" || fail "tsa.conf has no '$kv'"
done
if clock_synced; then
	grep -qx 'clock_check = adjtimex' "$C" || fail "clock synchronised but tsa.conf says $(grep clock_check "$C")"
	grep -q warning init1.err && fail "a clock warning with a synchronised clock: $(cat init1.err)"
	note "clock synchronised (adjtimex): clock_check = adjtimex"
else
	grep -qx 'clock_check = none' "$C" || fail "clock not synchronised but tsa.conf says $(grep clock_check "$C")"
	grep -q "warning: .*not synchronised.*set clock_check = adjtimex in $C" init1.err ||
		fail "no clock warning: $(cat init1.err)"
	note "clock not synchronised (adjtimex): clock_check = none, with a warning saying how to turn it on"
fi
[[ -s $H/tsa/tsa.pem && -s $H/tsa/ca.pem ]] || fail "no certificate files after tsa init"
openssl x509 -in "$H/tsa/tsa.pem" -noout -ext extendedKeyUsage >eku.txt 2>&1
grep -q 'critical' eku.txt && grep -q 'Time Stamping' eku.txt || fail "TSA certificate EKU: $(cat eku.txt)"
openssl verify -CAfile "$H/tsa/ca.pem" "$H/tsa/tsa.pem" >/dev/null || fail "TSA certificate does not verify against ca.pem"
for PIN in "$(cat "$H/secrets/user-pin")" "$(cat "$H/secrets/tsa-user-pin")" "$(cat "$H/secrets/tsa-so-pin")"; do
	grep -qF "$PIN" init1.out init1.err "$C" && fail "a PIN in tsa init's output or tsa.conf"
done
tsa_token_separate
note "separate tokens: the TSA's PIN opens only its own token (no project key there); policyd's token has no TSA key"
mkdir snap
cp -p "$C" "$H/tsa/tsa.pem" "$H/tsa/ca.pem" snap/
expect 0 signet --home "$H" tsa init --port "$PORT"
grep -q 'kept' "$W/out" || fail "second tsa init: $(cat "$W/out")"
for f in tsa.conf tsa.pem ca.pem; do
	case $f in tsa.conf) p=$C ;; *) p=$H/tsa/$f ;; esac
	cmp -s "snap/$f" "$p" || fail "second tsa init changed $f"
done
expect 1 signet --home "$H" tsa init --port "$((PORT == 65535 ? PORT - 1 : PORT + 1))"
grep -q "already exists with listen = 127.0.0.1:$PORT; to change the port, edit listen in $C" "$W/err" ||
	fail "tsa init with another port: $(cat "$W/err")"
cmp -s snap/tsa.conf "$C" || fail "a refused --port changed tsa.conf"
note "tsa init: tsa.conf (0644) with the home's token and paths; key and test CA on the token; second run changes nothing; another --port refused"

expect 0 signet --home "$H" tsa url
URL=http://127.0.0.1:$PORT/
[[ $(cat "$W/out") == "$URL" ]] || fail "tsa url: $(cat "$W/out"), expected $URL"
expect 0 signet --home "$H" tsa ca
cmp -s "$W/out" "$H/tsa/ca.pem" || fail "tsa ca is not ca.pem"
# policyd's checkpoints are time-stamped by the home's TSA from now on;
# once (the second init added nothing), and an admin's own choice is kept.
grep -qx "tsa_url = $URL" "$H/signet.conf" || fail "tsa init did not set [policyd] tsa_url: $(cat init1.out)"
grep -q "added tsa_url = $URL to \[policyd\]" init1.out || fail "tsa init did not say it set tsa_url: $(cat init1.out)"
[[ $(grep -c '^tsa_url' "$H/signet.conf") == 1 ]] || fail "tsa_url more than once: $(grep tsa_url "$H/signet.conf")"
[[ $(stat -c %a "$H/signet.conf") == "$CONF_MODE" ]] || fail "signet.conf mode $(stat -c %a "$H/signet.conf"), was $CONF_MODE"
sed -i "s|^tsa_url = .*|tsa_url = http://127.0.0.1:9/|" "$H/signet.conf"
expect 0 signet --home "$H" tsa init --port "$PORT"
grep -q "tsa_url = http://127.0.0.1:9/ kept" "$W/out" || fail "another tsa_url: $(cat "$W/out")"
grep -qx "tsa_url = http://127.0.0.1:9/" "$H/signet.conf" || fail "tsa init replaced the admin's tsa_url"
sed -i "s|^tsa_url = .*|tsa_url = $URL|" "$H/signet.conf"
note "tsa init sets [policyd] tsa_url to the TSA once, and keeps one the admin set"

# ---- signet start: policyd and signet-tsa
expect 0 signet --home "$H" start
grep -q "signet-tsa started (pid [0-9]*), serving $URL" "$W/out" || fail "start: $(cat "$W/out")"
PD=$(cat "$H/run/policyd.pid")
TP=$(cat "$H/run/tsa.pid")
alive "$PD" && alive "$TP" || fail "daemons not alive after start (policyd $PD, tsa $TP)"
[[ $(cat "/proc/$TP/comm") == signet-tsa ]] || fail "tsa.pid names $(cat "/proc/$TP/comm")"
grep -qF "$PIN" "/proc/$TP/cmdline" && fail "the PIN on signet-tsa's command line"
# With a project key on policyd's token, the TSA still cannot reach it.
signet --home "$H" project create acme --algo rsa2048 --uid 'Acme <acme@signet.test>' >acme.out 2>&1 ||
	fail "project create: $(cat acme.out)"
tsa_token_separate
grep -q 'label: *acme$' sep3.out || fail "no project key on policyd's token: $(cat sep3.out)"
grep -q 'acme' sep2.out && fail "the project key is visible on the TSA's token"
note "a project key on policyd's token is out of the TSA's reach (its PIN fails there; its token has no acme)"
echo "release 1.0" >data.txt
token data.txt "$(signet --home "$H" tsa url)" <(signet --home "$H" tsa ca) t1
SERIAL=$(openssl ts -reply -in t1.tsr -text 2>/dev/null | sed -n 's/^Serial number: 0x//p')
[[ -n $SERIAL ]] || fail "no serial in the token"
POL=$(openssl ts -reply -in t1.tsr -text 2>/dev/null | sed -n 's/^Policy OID: //p')
grep -qx "policies = $POL" "$C" || fail "token policy $POL is not the home's"
python3 "$TOOLS/audit-check.py" "$H/audit/tsa.jsonl" --count timestamp=1 >/dev/null || fail "tsa audit trail"
python3 - "$H/audit/tsa.jsonl" "$SERIAL" "$(sha256sum data.txt | cut -d' ' -f1)" <<'PY' || fail "audit record of the token"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
r = recs[-1]
ok = (r["event"] == "timestamp" and int(r["serial"], 16) == int(sys.argv[2], 16)
      and r["digest"].lower() == sys.argv[3] and r.get("result", "granted") == "granted")
sys.exit(0 if ok else f"record {r} is not serial {sys.argv[2]} / digest {sys.argv[3]}")
PY
expect 0 signet --home "$H" status
grep -q "^tsa: *running, pid $TP, $URL" "$W/out" || fail "status: $(cat "$W/out")"
expect 0 signet --home "$H" start
grep -q "signet-tsa is already running (pid $TP, $URL)" "$W/out" || fail "second start: $(cat "$W/out")"
[[ $(cat "$H/run/tsa.pid") == "$TP" ]] || fail "second start replaced signet-tsa"
note "start: signet-tsa serves $URL; token verifies against \`signet tsa ca\`, is in audit/tsa.jsonl; status; second start keeps it"

# ---- signet stop: both gone, port closed
expect 0 signet --home "$H" stop
grep -q "signet-tsa (pid $TP) stopped" "$W/out" || fail "stop: $(cat "$W/out")"
alive "$TP" && fail "signet-tsa $TP alive after stop"
alive "$PD" && fail "signet-policyd $PD alive after stop"
[[ -e $H/run/tsa.pid || -e $H/run/policyd.pid ]] && fail "pid file left after stop"
port_open "$PORT" && fail "port $PORT still open after stop"
expect 1 signet --home "$H" status
grep -q "^tsa: *not running" "$W/out" || fail "status after stop: $(cat "$W/out")"
expect 0 signet --home "$H" stop
grep -q "signet-tsa is not running" "$W/out" || fail "second stop: $(cat "$W/out")"
note "stop: policyd and signet-tsa gone, pid files removed, port closed"

# ---- a stale pid file naming some other program is never signalled
sleep 300 &
DECOY_PID=$!
echo "$DECOY_PID" >"$H/run/tsa.pid"
expect 0 signet --home "$H" stop
alive "$DECOY_PID" || fail "stop signalled pid $DECOY_PID, which is not signet-tsa"
grep -q "removed stale pid file $H/run/tsa.pid" "$W/out" || fail "stale pid file: $(cat "$W/out")"
kill "$DECOY_PID"
DECOY_PID=

# ---- a busy port: start fails with signet-tsa's reason
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); print("ready",flush=True); time.sleep(120)' "$PORT" >busy.out &
BUSY_PID=$!
for _ in $(seq 50); do grep -q ready busy.out 2>/dev/null && break; sleep 0.1; done
expect 1 signet --home "$H" start
grep -q "127.0.0.1:$PORT" "$W/err" && grep -q "start signet-tsa: it exited with status" "$W/err" ||
	fail "start on a busy port: $(cat "$W/err")"
[[ -e $H/run/tsa.pid ]] && alive "$(cat "$H/run/tsa.pid")" && fail "signet-tsa runs on a busy port"
kill "$BUSY_PID"
wait "$BUSY_PID" 2>/dev/null || true
BUSY_PID=
expect 0 signet --home "$H" start
grep -q "signet-policyd is already running" "$W/out" && grep -q "signet-tsa started" "$W/out" ||
	fail "start after the port is free: $(cat "$W/out")"
token data.txt "$URL" "$H/tsa/ca.pem" t2
expect 0 signet --home "$H" stop
note "a busy port: start exits 1 with signet-tsa's reason; once free, start adds signet-tsa to the running policyd; stale pid file left alone"

# ---- a real CA: --csr, sign, --cert/--ca
PORT2=$(free_port)
expect 0 signet --home "$H2" init
expect 0 signet --home "$H2" tsa init --port "$PORT2" --algo rsa3072 --clock-check none --csr "$W/tsa.csr"
grep -q warning "$W/err" && fail "--clock-check none still warned: $(cat "$W/err")"
grep -qx 'clock_check = none' "$H2/tsa.conf" || fail "--clock-check none not in tsa.conf"
grep -q "tsa init --cert CERT.pem --ca CA.pem" "$W/out" || fail "--csr does not say what next: $(cat "$W/out")"
openssl req -in tsa.csr -noout -verify >csr.verify 2>&1
grep -q 'verify OK' csr.verify || fail "the CSR does not verify: $(cat csr.verify)"
openssl req -in tsa.csr -noout -text >csr.txt
grep -q 'Public-Key: (3072 bit)' csr.txt || fail "the CSR is not for an RSA-3072 key"
[[ -e $H2/tsa/tsa.pem ]] && fail "--csr wrote a certificate"
expect 0 signet --home "$H2" start
grep -q "signet-tsa not started: its certificate .* is not there yet" "$W/out" || fail "start before --cert: $(cat "$W/out")"
expect 0 signet --home "$H2" status
grep -q "^tsa: *waiting for its certificate" "$W/out" || fail "status before --cert: $(cat "$W/out")"
expect 1 signet --home "$H2" tsa ca
grep -q "no CA certificate at $H2/tsa/ca.pem yet" "$W/err" || fail "tsa ca before --cert: $(cat "$W/err")"

# A real CA's shape: a root and an intermediate that issues the TSA certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-subj "/CN=Example Root CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -subj "/CN=Example Issuing CA" \
	-out int.csr 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.cnf
openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile int.cnf -out int.pem 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' >ext.cnf
openssl x509 -req -in tsa.csr -CA int.pem -CAkey int.key -CAcreateserial -days 30 -extfile ext.cnf \
	-out tsa-leaf.pem 2>/dev/null || fail "the CA does not sign the CSR"
cat tsa-leaf.pem int.pem >tsa-chain.pem
openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile ext.cnf \
	-out tsa-direct.pem 2>/dev/null
# A certificate for some other key is refused, and tsa.conf stays as it was.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout o.key -subj /CN=other -out o.csr 2>/dev/null
openssl x509 -req -in o.csr -CA int.pem -CAkey int.key -CAcreateserial -days 30 -extfile ext.cnf -out other.pem 2>/dev/null
cat int.pem >>other.pem
cp "$H2/tsa.conf" tsa2.conf.before
expect 1 signet --home "$H2" tsa init --cert other.pem --ca ca.pem
grep -q "is not for the key" "$W/err" || fail "another key's certificate: $(cat "$W/err")"
[[ -e $H2/tsa/tsa.pem ]] && fail "a certificate of another key was imported"
cmp -s tsa2.conf.before "$H2/tsa.conf" || fail "a refused import left tsa.conf changed"
expect 0 signet --home "$H2" tsa init --cert tsa-chain.pem --ca ca.pem
grep -qx "chain = $H2/tsa/chain.pem" "$H2/tsa.conf" || fail "no chain line after importing a certificate with an intermediate"
cmp -s "$H2/tsa/ca.pem" ca.pem || fail "the imported CA is not ca.pem"
cmp -s "$H2/tsa/chain.pem" int.pem || fail "chain.pem is not the intermediate"
expect 0 signet --home "$H2" start
grep -q "signet-tsa started (pid [0-9]*), serving http://127.0.0.1:$PORT2/" "$W/out" || fail "start after --cert: $(cat "$W/out")"
token data.txt "$(signet --home "$H2" tsa url)" ca.pem t3
openssl ts -reply -in t3.tsr -token_out -out t3.der 2>/dev/null
openssl pkcs7 -inform DER -in t3.der -print >t3.txt 2>/dev/null
grep -q 'rsaEncryption\|sha256WithRSAEncryption' t3.txt || fail "the token is not signed with the RSA key"
grep -q 'Example Issuing CA' t3.txt || fail "the token does not carry the intermediate"
token data.txt "$(signet --home "$H2" tsa url)" <(signet --home "$H2" tsa ca) t4
# The same key certified straight by the root, imported while signet-tsa runs.
TP2=$(cat "$H2/run/tsa.pid")
expect 0 signet --home "$H2" tsa init --cert tsa-direct.pem --ca ca.pem
grep -q "removed chain = $H2/tsa/chain.pem" "$W/out" || fail "chain line not removed: $(cat "$W/out")"
grep -q "runs with the certificate it started with" "$W/out" || fail "no restart note: $(cat "$W/out")"
grep -q '^chain' "$H2/tsa.conf" && fail "chain line left in tsa.conf"
expect 0 signet --home "$H2" stop
alive "$TP2" && fail "signet-tsa $TP2 alive after stop"
port_open "$PORT2" && fail "port $PORT2 still open after stop"
expect 0 signet --home "$H2" start
token data.txt "$(signet --home "$H2" tsa url)" ca.pem t5
openssl ts -reply -in t5.tsr -token_out -out t5.der 2>/dev/null
openssl pkcs7 -inform DER -in t5.der -print >t5.txt 2>/dev/null
grep -q 'Example Issuing CA' t5.txt && fail "the token still carries the intermediate"
expect 0 signet --home "$H2" stop
note "--csr (RSA-3072) → root + intermediate CA → --cert/--ca adds chain to tsa.conf (another key's certificate refused, tsa.conf kept); tokens carry the intermediate and verify against the root; a direct certificate drops the chain"
