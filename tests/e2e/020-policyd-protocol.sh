#!/bin/bash
# 020-policyd-protocol — signet-policyd's Assuan protocol (doc/policyd-protocol.md)
# against a real SoftHSM2 token, without the signet CLI: our own world,
# gpg-connect-agent as the client, openssl to verify signatures.
#   SIGNET_BIN   folder with signet-policyd (default build/bin)
#   BENCH=1      also print signatures/s for 1, 2 and 8 clients, rsa2048/3072
set -euo pipefail
has() { grep "$@" >/dev/null; }   # not grep -q in a pipe: see lib.sh
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "${SIGNET_BIN:-$HERE/../../build/bin}" && pwd)
PD=$BIN/signet-policyd
MODULE=/usr/lib/softhsm/libsofthsm2.so

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "   $*"; }
# The trail without the log's own checkpoints (as lib.sh's).
records() { grep -vc '"event":"checkpoint"' "$AUDIT" || true; }
last_record() { grep -v '"event":"checkpoint"' "$AUDIT" | tail -n 1; }
for t in gpg-connect-agent openssl python3 pkcs11-tool; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 0; }
done
[[ -f $MODULE ]] || { echo "SKIP: no SoftHSM2 module"; exit 0; }
[[ -x $PD ]] || fail "$PD not built"

W=$(mktemp -d /tmp/sgXXXX)
chmod 755 "$W"
PIDS=()
TESTUSER=signet-t1
MADE_USER=
cleanup() {
	local rc=$? p
	set +e
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[[ -f $W/run/policyd.pid ]] && kill "$(cat "$W/run/policyd.pid")" 2>/dev/null
	if ((rc != 0)); then
		echo "---- policyd log (tail)"
		tail -n 30 "$W/run/policyd.log" 2>/dev/null
	fi
	[[ -n $MADE_USER ]] && userdel "$TESTUSER" 2>/dev/null
	[[ -n ${KEEP_WORLD:-} ]] || rm -rf "$W"
	return $rc
}
trap cleanup EXIT

S=$W/run/policyd.sock
CONF=$W/signet.conf
AUDIT=$W/audit/audit.jsonl
mkdir -p "$W/tokens" "$W/secrets" "$W/run" "$W/certs" "$W/audit"
chmod 700 "$W/secrets" "$W/tokens"
chmod 755 "$W/run" "$W/certs"
(umask 077; echo 112233 >"$W/secrets/user-pin"; echo 445566 >"$W/secrets/so-pin")
cat >"$W/softhsm2.conf" <<EOF
directories.tokendir = $W/tokens
objectstore.backend = file
log.level = ERROR
EOF
cat >"$CONF" <<EOF
[policyd]
socket = $S
audit = $AUDIT
instance = 0A1B2C3D
log = $W/run/policyd.log

[hsm]
module = $MODULE
token = signet-e2e
pin_file = $W/secrets/user-pin
so_pin_file = $W/secrets/so-pin
softhsm2_conf = $W/softhsm2.conf
EOF
chmod 644 "$CONF"
export SOFTHSM2_CONF=$W/softhsm2.conf

ga() { gpg-connect-agent -S "$S" "$@" /bye; }
start_pd() { "$PD" --config "$CONF" --daemon --pidfile "$W/run/policyd.pid" || fail "policyd did not start"; }
pd_alive() { kill -0 "$(cat "$W/run/policyd.pid")" 2>/dev/null; }
expect() { # PATTERN OUTPUT WHAT
	grep -qE "$1" <<<"$2" || { echo "$2" >&2; fail "$3 (wanted /$1/)"; }
}

echo "-- config check, token, start"
out=$("$PD" --config "$CONF" --check-config) || fail "check-config: $out"
expect ': ok$' "$out" "check-config"
"$PD" --config "$CONF" --init-token >/dev/null || fail "init-token"
out=$("$PD" --config "$CONF" --init-token) || fail "second init-token"
expect 'already exists' "$out" "init-token is idempotent"
start_pd
# a second daemon on the same socket refuses
if out=$("$PD" --config "$CONF" 2>&1); then fail "a second policyd started"; fi
expect 'already listening' "$out" "second daemon refused"
[[ $(stat -c %a "$S") == 666 ]] || fail "socket mode is $(stat -c %a "$S")"

echo "-- GETINFO, KEYGEN, RELOAD"
out=$(ga 'GETINFO version' 'GETINFO serialno')
expect '^D D276000124010304FFFE0A1B2C3D0000$' "$out" "serialno"
out=$(ga 'KEYGEN --algo=rsa2048 acme' 'KEYGEN --algo=rsa3072 big' 'KEYGEN --algo=rsa2048 acme')
expect '^S KEYURI pkcs11:token=signet-e2e;object=acme$' "$out" "keygen acme"
expect '^S KEYURI pkcs11:token=signet-e2e;object=big$' "$out" "keygen big"
expect '^ERR 32803 ' "$out" "keygen of an existing label refused (EEXIST)"
out=$(ga 'KEYGEN --algo=rsa2048 signet-tsa' 'KEYGEN --algo=rsa2048 signet-tsa-ca')
[[ $(grep -c 'ERR .*kept for signet-tsa' <<<"$out") == 2 ]] || { echo "$out"; fail "KEYGEN of signet-tsa labels not refused"; }
echo "   ok: KEYGEN refuses the labels of signet-tsa's keys"
# Two KEYGENs of one new label at the same moment: exactly one key.
ga 'KEYGEN --algo=rsa2048 twin' >"$W/twin1" & t1=$!
ga 'KEYGEN --algo=rsa2048 twin' >"$W/twin2" & t2=$!
wait $t1; wait $t2
[[ $(cat "$W/twin1" "$W/twin2" | grep -c '^S KEYURI') == 1 && $(cat "$W/twin1" "$W/twin2" | grep -c '^ERR 32803 ') == 1 ]] ||
	{ cat "$W/twin1" "$W/twin2"; fail "concurrent KEYGEN of one label: not exactly one key"; }
echo "   ok: concurrent KEYGEN of one label makes one key"
objs=$(pkcs11-tool --module "$MODULE" --token-label signet-e2e --login --pin 112233 --list-objects --type privkey 2>/dev/null)
# Three made here, and policyd's audit key (#signet-audit, made at start).
[[ $(grep -c 'Access:.*sensitive, always sensitive, never extractable' <<<"$objs") == 4 &&
   $(grep -c 'label: *#signet-audit$' <<<"$objs") == 1 ]] ||
	{ echo "$objs"; fail "private keys are not sensitive/never extractable"; }
for p in acme:rsa2048 big:rsa3072; do
	cat >>"$CONF" <<EOF

[project ${p%%:*}]
key = pkcs11:token=signet-e2e;object=${p%%:*}
algo = ${p#*:}
uid = Project ${p%%:*} <${p%%:*}@signet.test>
created = 1732579200
cert = $W/certs/${p%%:*}.pgp
signers = user:root group:signet-e2e-nobody
EOF
done
out=$(ga RELOAD)
expect '^OK' "$out" "reload"

echo "-- KEYLIST, READKEY, MKCERT, CERT"
# No certificate yet: no signing subkey, so nothing to list or read.
out=$(ga KEYLIST 'READKEY acme')
grep -q '^S KEY' <<<"$out" && fail "KEYLIST lists a project that has no signing subkey yet"
expect '^ERR 17 .*no certificate yet' "$out" "READKEY before MKCERT"
out=$(ga 'CERT acme')
expect '^ERR 27 ' "$out" "CERT before MKCERT is NOT_FOUND"
ga '/datafile '"$W/acme.mk" 'MKCERT acme' >/dev/null
ga '/datafile '"$W/big.mk" 'MKCERT big' >/dev/null
out=$(ga KEYLIST)
expect '^S KEY acme [0-9A-F]{40} rsa2048 [0-9]{10} [0-9A-F]{40}$' "$out" "keylist acme"
expect '^S KEY big [0-9A-F]{40} rsa3072 [0-9]{10} [0-9A-F]{40}$' "$out" "keylist big"
grep -q ' 1732579200 ' <<<"$out" && fail "KEYLIST lists a primary key (created 1732579200)"
fpr=$(awk '$3 == "acme" {print $7}' <<<"$out")
created=$(awk '$3 == "acme" {print $6}' <<<"$out")
[[ $(grep -c '^S KEY acme ' <<<"$out") == 1 ]] || fail "acme has more than one signing key"
ga '/datafile '"$W/acme.sexp" 'READKEY acme' >/dev/null
head -c 40 "$W/acme.sexp" | has '^(10:public-key(3:rsa(1:n' || fail "READKEY is not a public-key S-expression"
[[ -s $W/acme.mk && $(stat -c %a "$W/certs/acme.pgp") == 644 ]] || fail "MKCERT wrote no 0644 certificate"
cmp -s "$W/acme.mk" "$W/certs/acme.pgp" || fail "MKCERT answer differs from the file"
out=$(ga 'MKCERT acme')
expect '^ERR 32803 ' "$out" "MKCERT refuses to overwrite"
ga '/datafile '"$W/acme.cert" 'CERT acme' >/dev/null
cmp -s "$W/acme.cert" "$W/certs/acme.pgp" || fail "CERT differs from the file"
if command -v gpg >/dev/null; then
	G=$W/gnupg
	mkdir -m 700 "$G"
	gpg --homedir "$G" --batch --quiet --import "$W/acme.cert" 2>/dev/null || fail "gpg cannot import the certificate"
	gpg --homedir "$G" --batch --with-colons --fingerprint | has "^fpr:::::::::$fpr:" ||
		fail "the KEYLIST key ($fpr) is not in the certificate"
	gpg --homedir "$G" --batch --with-colons --list-keys | has "^sub:.*:$created:.*:s:" ||
		fail "the KEYLIST key is not a signing subkey of the certificate"
	gpgconf --homedir "$G" --kill all 2>/dev/null || true
fi

echo "-- SIGN and verify with openssl"
pkcs11-tool --module "$MODULE" --token-label signet-e2e --read-object --type pubkey --label "acme:sign:$created" \
	-o "$W/acme.der" >/dev/null 2>&1 || fail "cannot export the public key"
printf 'release tarball\n' >"$W/msg"
openssl dgst -sha256 -binary "$W/msg" >"$W/msg.sha256"
dig=$(od -An -tx1 -v "$W/msg.sha256" | tr -d ' \n')
out=$(ga '/datafile '"$W/msg.sig" "SIGN --hash=sha256 acme $dig")
expect '^OK' "$out" "sign"
[[ $(stat -c %s "$W/msg.sig") == 256 ]] || fail "signature is not 256 bytes"
openssl pkeyutl -verify -pubin -keyform DER -inkey "$W/acme.der" -pkeyopt digest:sha256 \
	-in "$W/msg.sha256" -sigfile "$W/msg.sig" >/dev/null || fail "openssl does not verify the signature"
openssl dgst -sha512 -binary "$W/msg" >"$W/msg.sha512"
dig512=$(od -An -tx1 -v "$W/msg.sha512" | tr -d ' \n')
ga '/datafile '"$W/msg.sig512" "SIGN --hash=sha512 acme $dig512" >/dev/null
openssl pkeyutl -verify -pubin -keyform DER -inkey "$W/acme.der" -pkeyopt digest:sha512 \
	-in "$W/msg.sha512" -sigfile "$W/msg.sig512" >/dev/null || fail "sha512 signature does not verify"

echo "-- refusals"
n0=$(records)
out=$(ga "SIGN --hash=sha1 acme $(printf '%040d' 0)")
expect '^ERR 5 .*sha1 is never allowed' "$out" "sha1 refused"
out=$(ga "SIGN --hash=md5 acme $(printf '%032d' 0)")
expect '^ERR 5 ' "$out" "md5 refused"
out=$(ga "SIGN --hash=sha256 acme ${dig}00")
expect '^ERR 280 .*32 bytes' "$out" "wrong digest length refused"
out=$(ga "SIGN --hash=sha256 acme zz${dig:2}")
expect '^ERR 280 ' "$out" "bad hex refused"
out=$(ga "SIGN --hash=sha256 nosuch $dig")
expect '^ERR 17 .*no project nosuch' "$out" "unknown project"
out=$(ga "SIGN --hash=sha256 acme")
expect '^ERR 280 ' "$out" "missing digest"
out=$(ga "SIGN --frob --hash=sha256 acme $dig")
expect '^ERR 174 ' "$out" "unknown option"
out=$(ga "FROB")
expect '^ERR [0-9]+ Unknown IPC command' "$out" "unknown command"
# Refusals are coalesced (signet-policyd(8) AUDIT TRAIL): seven kinds in
# one second make at most DENYLOG_KINDS (4) records of their own plus one
# for the rest, whose count goes out within two seconds; the counts add up
# (the seven may straddle a second, so up to seven records).
n1=$(records)
(( n1 - n0 >= 5 && n1 - n0 <= 7 )) || fail "7 refused SIGNs made $((n1 - n0)) audit records"
me=$(id -un)
for _ in $(seq 50); do
	python3 "$HERE/../tools/audit-check.py" "$AUDIT" --requests "deny:$me=7" >/dev/null 2>&1 && break
	sleep 0.1
done
python3 "$HERE/../tools/audit-check.py" "$AUDIT" --requests "deny:$me=7" >/dev/null ||
	fail "the deny records do not account for 7 refused SIGNs"

echo "-- non-admin and non-signer"
if [[ $(id -u) == 0 ]]; then
	id "$TESTUSER" >/dev/null 2>&1 || { useradd --no-create-home --shell /usr/sbin/nologin "$TESTUSER"; MADE_USER=1; }
	out=$(runuser -u "$TESTUSER" -- gpg-connect-agent -S "$S" 'KEYGEN --algo=rsa2048 evil' 'RELOAD' 'MKCERT big' KEYLIST "SIGN --hash=sha256 acme $dig" 'READKEY acme' /bye | tr -d '\0')
	expect '^ERR 32875 .*KEYGEN is an admin command' "$out" "non-admin KEYGEN refused (EPERM)"
	expect '^ERR 32875 .*RELOAD' "$out" "non-admin RELOAD refused"
	expect '^ERR 32875 .*MKCERT' "$out" "non-admin MKCERT refused"
	grep -q '^S KEY' <<<"$out" && fail "KEYLIST shows projects to a non-signer"
	expect "^ERR 116 .*user $TESTUSER is not a signer of project acme \\(signers: user:root group:signet-e2e-nobody\\)" \
		"$out" "non-signer SIGN refused"
	expect '^D \(10:public-key' "$out" "READKEY for any caller"
	last_record | has "\"result\":\"denied\".*\"user\":\"$TESTUSER\"" || fail "non-signer denial not audited"
else
	note "not root: skipping the unprivileged-user checks"
fi

echo "-- malformed and oversized lines"
python3 - "$S" <<'EOF' || fail "wire checks"
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rwb')
assert f.readline().startswith(b'OK signet-policyd'), 'greeting'
def ask(line):
    f.write(line + b'\n'); f.flush()
    out = []
    while True:
        l = f.readline()
        assert l, 'connection closed after %r' % line[:40]
        out.append(l)
        if l.startswith(b'OK') or l.startswith(b'ERR'):
            return out
for bad in [b'SIGN --hash=sha256 acme ' + b'A' * 2500, b'X' * 5000, b'\x00\xff\xfe',
            b'SIGN --hash=' + b'%' * 900, b'SIGN --hash=sha256 ' + b'a' * 200 + b' 00',
            b'GETINFO ' + b'\x01' * 50, b'KEYGEN --algo=rsa2048 ../../etc/passwd']:
    r = ask(bad)
    assert r[-1].startswith(b'ERR'), (bad[:30], r)
r = ask(b'GETINFO version')
assert r[-1] == b'OK\n' and r[0].startswith(b'D '), r
EOF
pd_alive || fail "policyd died on bad input"
out=$(ga 'GETINFO pid')
expect '^OK' "$out" "policyd answers after bad input"

echo "-- concurrent signers"
LOAD=$W/load.py
cat >"$LOAD" <<'EOF'
import socket, sys, threading, time
sock, project, hexdig, nclients, nsigs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
ok = [0] * nclients
def client(i):
    s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile('rwb')
    f.readline()
    for _ in range(nsigs):
        f.write(b'SIGN --hash=sha256 %s %s\n' % (project.encode(), hexdig.encode())); f.flush()
        while True:
            l = f.readline()
            if not l or l.startswith(b'ERR'):
                print('client %d: %r' % (i, l), file=sys.stderr); return
            if l.startswith(b'OK'):
                ok[i] += 1; break
t0 = time.time()
ts = [threading.Thread(target=client, args=(i,)) for i in range(nclients)]
[t.start() for t in ts]; [t.join() for t in ts]
dt = time.time() - t0
print('%d %.1f' % (sum(ok), sum(ok) / dt))
EOF
for n in 2 8; do
	before=$(records)
	read -r got rate < <(python3 "$LOAD" "$S" acme "$dig" "$n" 100)
	((got == n * 100)) || fail "$n clients: $got of $((n * 100)) signatures"
	after=$(records)
	((after - before == n * 100)) || fail "$n clients: $((after - before)) audit records for $((n * 100)) signatures"
	note "$n clients x 100: all signed, $rate signatures/s"
done
python3 - "$AUDIT" <<'EOF' || fail "audit sequence"
import json, sys
seqs = [json.loads(l)['seq'] for l in open(sys.argv[1])]
assert seqs == list(range(1, len(seqs) + 1)), 'seq not 1..n without gaps'
EOF
if [[ -n ${BENCH:-} ]]; then
	for p in acme big; do
		for n in 1 2 8; do
			read -r got rate < <(python3 "$LOAD" "$S" "$p" "$dig" "$n" $((400 / n)))
			note "bench $p ($([[ $p == acme ]] && echo rsa2048 || echo rsa3072)) $n client(s): $rate signatures/s"
		done
	done
fi

echo "-- reload with a broken configuration keeps the old one"
cp "$CONF" "$W/good.conf"
printf '\n[project broken]\nkey = pkcs11:object=broken\nalgo = rsa1024\n' >>"$CONF"
out=$(ga RELOAD)
expect "^ERR .*signet.conf:[0-9]+: " "$out" "reload of a broken config names file:line"
out=$(ga KEYLIST)
expect '^S KEY acme ' "$out" "old configuration still in force"
cp "$W/good.conf" "$CONF"
printf '\n[project ghost]\nkey = pkcs11:object=ghost\nalgo = rsa2048\nuid = G <g@x>\ncreated = 1\ncert = %s/certs/g.pgp\nsigners = user:root\n' "$W" >>"$CONF"
out=$(ga RELOAD)
expect "^ERR .*project ghost: key pkcs11:object=ghost" "$out" "reload with a missing key names the project"
cp "$W/good.conf" "$CONF"

echo "-- SIGTERM removes socket and pidfile"
pid=$(cat "$W/run/policyd.pid")
kill "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "policyd still running after SIGTERM"
[[ ! -e $S && ! -e $W/run/policyd.pid ]] || fail "socket or pidfile left behind"

echo "-- config errors stop the start with file:line"
printf '[policyd]\nsocket = %s\nfrobnicate = 1\n' "$S" >"$W/bad.conf"
if out=$("$PD" --config "$W/bad.conf" 2>&1); then fail "started with a bad config"; fi
expect "^signet-policyd: configuration: $W/bad.conf:3: " "$out" "bad config names file:line"
if out=$("$PD" --config "$W/bad.conf" --check-config 2>&1); then fail "check-config passed a bad config"; fi
expect "$W/bad.conf:3: " "$out" "check-config names file:line"
chmod 644 "$W/secrets/user-pin"
if out=$("$PD" --config "$CONF" --daemon 2>&1); then fail "started with a world-readable PIN file"; fi
expect 'PIN file .*user-pin: mode 644 lets group or others read it \(chmod 600 it\)' "$out" "PIN file mode checked"
chmod 600 "$W/secrets/user-pin"
[[ ! -e $S ]] || fail "a failed start left a socket"
# a stale socket is replaced
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$S"
start_pd
out=$(ga 'GETINFO version')
expect '^OK' "$out" "start over a stale socket"
echo "ok"
