#!/bin/bash
# signet-policyd's trail as a verifiable log, end to end: with
# checkpoint_every = 4 and tsa_url naming the home's signet-tsa, real gpg
# signatures make checkpoints that are C2SP signed notes by the audit key
# (made once on the HSM, the same after a restart, written to
# audit.jsonl.vkey), each over the root of the records before it and
# carrying an RFC 3161 token over the note that `openssl ts -verify`
# accepts against `signet tsa ca`; a clean stop writes a last checkpoint
# over everything; with the TSA stopped, signatures go on and the
# checkpoints simply carry no token.
. "$(dirname "$0")/lib.sh"
for tool in curl openssl python3; do
	command -v "$tool" >/dev/null || { echo "   skip: $tool not installed"; exit 0; }
done
world_new
ME=$(id -un)
project_new rel p256 "user:$ME"
signet --home "$SIGNET_HOME" tsa init --clock-check none >"$W/tsa-init.out" 2>&1 ||
	{ cat "$W/tsa-init.out"; fail "signet tsa init"; }
signet --home "$SIGNET_HOME" stop >/dev/null
URL=$(signet --home "$SIGNET_HOME" tsa url)
CONF=$SIGNET_HOME/signet.conf
grep -qx "tsa_url = $URL" "$CONF" || fail "signet tsa init did not set [policyd] tsa_url"
sed -i "/^\[policyd\]/a checkpoint_every = 4" "$CONF"
signet --home "$SIGNET_HOME" start >"$W/start2.out" 2>&1 || { cat "$W/start2.out"; fail "signet start"; }
VKEY_FILE=$AUDIT.vkey
[[ -s $VKEY_FILE ]] || fail "no verifier key at $VKEY_FILE"
VKEY=$(cat "$VKEY_FILE")
[[ $VKEY =~ ^signet\.[0-9a-f]{8}/policyd\+[0-9a-f]{8}\+A[Q-Za-f][A-Za-z0-9+/]{42}$ ]] ||
	fail "verifier key not in the signed-note vkey form: $VKEY"

H=$W/g
gpghome_new "$H" --project rel
FPR=$(fpr_of "$H" rel@signet.test)
for i in 1 2 3 4 5 6 7 8 9; do
	echo "file $i" >"$W/f$i"
	sign_detached "$ME" "$H" "$FPR" "$W/f$i"
done
count_ckpt() { grep -c '"event":"checkpoint"' "$AUDIT" || true; }
wait_until 20 "two checkpoints" test "$(count_ckpt)" -ge 2
signet --home "$SIGNET_HOME" stop >/dev/null
tail -n 1 "$AUDIT" | has '"event":"checkpoint"' || fail "a clean stop wrote no last checkpoint"

# Every checkpoint: a note signed by the vkey over the root of the first
# tree_size records, and (the TSA was up) a token over the note.
python3 - "$AUDIT" "$VKEY" "$W" <<'PY' || fail "checkpoints do not check out"
import base64, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
trail, vkey, w = sys.argv[1:4]
name, khash, kb64 = vkey.split("+", 2)   # base64 may hold "+"
raw = base64.b64decode(kb64)
assert raw[0] == 1 and len(raw) == 33
assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == khash
pub = Ed25519PublicKey.from_public_bytes(raw[1:])
lines = open(trail, "rb").read().split(b"\n")[:-1]
def leaf(b): return hashlib.sha256(b"\0" + b).digest()
def node(l, r): return hashlib.sha256(b"\1" + l + r).digest()
def mth(hs):
    if not hs: return hashlib.sha256(b"").digest()
    if len(hs) == 1: return hs[0]
    k = 1
    while k * 2 < len(hs): k *= 2
    return node(mth(hs[:k]), mth(hs[k:]))
leaves = [leaf(l) for l in lines]
n = tokens = 0
for i, l in enumerate(lines):
    r = json.loads(l)
    if r["event"] != "checkpoint":
        continue
    note = r["note"].encode()
    text, sigs = note.split(b"\n\n", 1)
    text += b"\n"
    origin, size, root = text.decode().split("\n")[:3]
    assert origin == name and int(size) == r["tree_size"] <= i, (origin, size, i)
    assert base64.b64decode(root) == mth(leaves[:int(size)]), "root of size %s" % size
    prefix = "\u2014 %s " % name
    line = [s for s in sigs.decode().split("\n") if s.startswith(prefix)][0]
    blob = base64.b64decode(line[len(prefix):])
    assert blob[:4].hex() == khash
    pub.verify(blob[4:], text)
    if "tsa_token" in r:
        open("%s/tok%d.der" % (w, n), "wb").write(base64.b64decode(r["tsa_token"]))
        open("%s/note%d" % (w, n), "wb").write(note)
        tokens += 1
    n += 1
assert n >= 3, "only %d checkpoints" % n
assert tokens >= 1, "no checkpoint carries a time-stamp token"
print(n, tokens)
PY
signet --home "$SIGNET_HOME" tsa ca >"$W/tsa-ca.pem" || fail "signet tsa ca"
for tok in "$W"/tok*.der; do
	k=${tok##*/tok}; k=${k%.der}
	openssl ts -verify -data "$W/note$k" -in "$tok" -token_in -CAfile "$W/tsa-ca.pem" >"$W/tsv.out" 2>&1 ||
		{ cat "$W/tsv.out"; fail "the time-stamp token of checkpoint $k does not verify over its note"; }
done
note "checkpoints are signed notes over the right roots; their tokens verify"

# The same key after a restart; with the TSA down, signatures go on and
# the checkpoints carry no token.
signet --home "$SIGNET_HOME" start >/dev/null 2>&1 || fail "signet start (3)"
[[ $(cat "$VKEY_FILE") == "$VKEY" ]] || fail "the audit key changed across a restart"
kill "$(cat "$SIGNET_HOME/run/tsa.pid")" 2>/dev/null || fail "cannot stop signet-tsa"
before=$(count_ckpt)
for i in 1 2 3 4 5; do sign_detached "$ME" "$H" "$FPR" "$W/f$i"; done
wait_until 20 "a checkpoint without the TSA" test "$(count_ckpt)" -gt "$before"
grep '"event":"checkpoint"' "$AUDIT" | tail -n 1 | has -v tsa_token ||
	fail "a checkpoint claims a token while the TSA is down"
note "TSA down: signatures and checkpoints go on without tokens"
