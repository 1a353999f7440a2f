#!/bin/bash
# policyd/auditts.c, the time-stamp callback of the audit checkpoints
# (doc/audit-format.md §9.4), against a real signet-tsa: the token it
# returns is a DER TimeStampToken over SHA-256 of the whole note that
# `openssl ts -verify -token_in` accepts with the TSA's CA alone (certReq
# set), and not over a note with one byte changed; with a TSA CA that did
# not issue the TSA certificate the token is refused before it is kept.
# The attacks on the exchange: a server that replays a genuine reply of
# signet-tsa (to another note, or to this note under another nonce) is
# refused — the reply must echo this request's imprint and nonce; nothing
# listening fails fast; a server that never answers is given up after the
# deadline.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$E2E_DIR/../.." && pwd)
for tool in cc pkg-config make openssl python3; do
	command -v "$tool" >/dev/null || { echo "   skip: $tool not installed"; exit 0; }
done
scratch_new
TSA=$SIGNET_BIN/signet-tsa

# ---- The callback, against the common library of the build under test.
"$TOOLS/cc-tool.sh" "$ROOT/tests/tools/auditts-cli.c" "$W/auditts-cli" --with policyd/auditts.c \
	libssl libcrypto gpg-error libgcrypt || fail "cannot build tests/tools/auditts-cli"
cli() { ASAN_OPTIONS=log_path=$W/san UBSAN_OPTIONS=log_path=$W/san "$W/auditts-cli" "$@"; }

# ---- PKI and a signet-tsa with a file key.
cd "$W"
tsa_mkca ca
tsa_mkca otherca
tsa_mkcert tsa -newkey ec -pkeyopt ec_paramgen_curve:P-256 || fail "TSA certificate"
PORT=$(free_port)
tsa_conf tsa.conf "$PORT" 2
"$TSA" --config "$W/tsa.conf" --daemon --pidfile "$W/tsa.pid" || fail "signet-tsa did not start"
PIDS+=("$(cat tsa.pid)")
URL=http://127.0.0.1:$PORT/

# A checkpoint note as the trail holds it (the signature line need not
# verify here: the time-stamp covers whatever bytes the note has).
printf 'signet.0123abcd/policyd\n4242\nqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=\n\n\xe2\x80\x94 signet.0123abcd/policyd AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n' >note
sed 's/4242/4243/' note >note2
cmp -s note note2 && fail "note2 is note"

# ---- A token over the note, checked independently by openssl.
cli note tok "$URL" 2>ts.err || { cat ts.err; fail "time-stamp request"; }
openssl ts -verify -token_in -in tok -data note -CAfile ca.pem >ov.out 2>&1 ||
	{ cat ov.out; fail "openssl ts -verify refuses the token (imprint or certificate)"; }
openssl ts -verify -token_in -in tok -data note2 -CAfile ca.pem >ov2.out 2>&1 &&
	fail "the token verified over a changed note"
openssl ts -reply -token_in -in tok -token_out -text 2>/dev/null | has "Hash Algorithm: sha256" ||
	fail "the imprint is not SHA-256"
note "token over the whole note: openssl ts -verify accepts it with the CA alone, refuses it for a changed note"

# With the TSA's CA the token is verified before it is kept; with another
# CA it is refused and nothing is written.
cli note tok-ca "$URL" --tsa-ca ca.pem 2>ts.err || { cat ts.err; fail "request with --tsa-ca"; }
rm -f tok-other
cli note tok-other "$URL" --tsa-ca otherca.pem 2>other.err && fail "token kept though it does not verify"
[[ -e tok-other ]] && fail "a token was written for a refusal"
has "time-stamp from $URL" other.err || { cat other.err; fail "wrong CA: the log line does not name the TSA"; }
has -i "verify" other.err || { cat other.err; fail "wrong CA: unclear error"; }
note "a token that does not verify against the configured TSA CA is refused, with the reason logged"

# ---- Genuine replies of signet-tsa, replayed by a man in the middle.
post() { # QUERY-FILE REPLY-FILE
	python3 - "$URL" "$1" "$2" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=open(sys.argv[2], "rb").read(),
                             headers={"Content-Type": "application/timestamp-query"})
open(sys.argv[3], "wb").write(urllib.request.urlopen(req, timeout=10).read())
PY
}
openssl ts -query -data note2 -sha256 -cert -out q-other.tsq 2>/dev/null
openssl ts -query -data note -sha256 -cert -out q-same.tsq 2>/dev/null
post q-other.tsq other.tsr || fail "query for the replay"
post q-same.tsq same.tsr || fail "query for the replay"
SPORT=$(free_port)
python3 "$TOOLS/tsa-stub.py" "$SPORT" "$W" >stub.log 2>&1 &
PIDS+=($!)
wait_until 10 "the stub server" python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])))' "$SPORT"
replay() { # KIND REASON
	cli note r.tok "http://127.0.0.1:$SPORT/$1" 2>"replay-$1.err" && fail "a replayed reply ($1) was taken"
	has "$2" "replay-$1.err" || { cat "replay-$1.err"; fail "replay ($1): not refused for its $2"; }
	[[ -e r.tok ]] && fail "a token was written for a replay ($1)"
	return 0
}
replay other "message imprint"
replay same "nonce"
note "replayed genuine replies refused: another note's (imprint), this note's under another nonce"

# ---- Transport failures stay within the deadline.
DEAD=$(free_port)
t0=$(date +%s%N)
cli note d.tok "http://127.0.0.1:$DEAD/" --timeout 20 2>dead.err && fail "nothing listening: success?"
t1=$(date +%s%N)
(((t1 - t0) / 1000000 < 3000)) || fail "nothing listening: took $(((t1 - t0) / 1000000)) ms"
h0=$(date +%s%N)
cli note h.tok "http://127.0.0.1:$SPORT/hang" --timeout 2 2>hang.err && fail "silent server: success?"
h1=$(date +%s%N)
(((h1 - h0) / 1000000 < 5000)) || fail "a silent server held the checkpoint thread $(((h1 - h0) / 1000000)) ms (deadline 2 s)"
has -i "timeout\|timed out" hang.err || { cat hang.err; fail "silent server: unclear error"; }
cli note b.tok "ftp://127.0.0.1/" 2>url.err && fail "ftp URL accepted"
has "tsa_url" url.err || { cat url.err; fail "bad URL: unclear error"; }
cli note b.tok "$URL" --timeout 31 2>to.err && fail "a 31 s deadline accepted"
note "nothing listening: $(((t1 - t0) / 1000000)) ms; a silent server given up after $(((h1 - h0) / 1000000)) ms (deadline 2 s); bad URL and deadline refused"

if compgen -G "$W/san.*" >/dev/null; then
	cat "$W"/san.*
	fail "sanitizer reports from auditts-cli"
fi
