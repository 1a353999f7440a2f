#!/bin/bash
# `signet audit` on the trails the daemons really write: real gpg
# signatures through signet-policyd with checkpoint_every = 4 and the
# home's signet-tsa stamping each checkpoint.  After a clean stop, `signet
# audit verify --key` (the key `signet audit key` printed) passes both
# trails, checks the tokens against `signet tsa ca`, and names the
# checkpoint that a changed sign record breaks; `signet audit consistency`
# proves the first checkpoint's tree a prefix of the last's from the
# daemon's own hash store (left byte for byte as it was); show and export
# list the signatures.
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
grep -qx "tsa_url = $URL" "$SIGNET_HOME/signet.conf" || fail "signet tsa init did not set [policyd] tsa_url"
sed -i "/^\[policyd\]/a checkpoint_every = 4" "$SIGNET_HOME/signet.conf"
signet --home "$SIGNET_HOME" start >"$W/start2.out" 2>&1 || { cat "$W/start2.out"; fail "signet start"; }
H=$W/g
gpghome_new "$H" --project rel
FPR=$(fpr_of "$H" rel@signet.test)
for i in 1 2 3 4 5 6 7 8 9; do
	echo "file $i" >"$W/f$i"
	sign_detached "$ME" "$H" "$FPR" "$W/f$i"
done
wait_until 20 "two checkpoints" test "$(grep -c '"event":"checkpoint"' "$AUDIT" || true)" -ge 2
signet --home "$SIGNET_HOME" stop >/dev/null

expect 0 signet audit key --home "$SIGNET_HOME"
KEY=$(cat "$W/out")
[[ $KEY == "$(cat "$AUDIT.vkey")" ]] || fail "audit key is not $AUDIT.vkey"
signet --home "$SIGNET_HOME" tsa ca >"$W/tsa-ca.pem" || fail "signet tsa ca"

expect 0 signet audit verify --home "$SIGNET_HOME" --key "$KEY" --tsa-ca "$W/tsa-ca.pem"
has "audit.jsonl: [0-9]* records good" <"$W/out" || fail "policyd's trail: $(cat "$W/out" "$W/err")"
has "(from --key)" <"$W/out" || fail "the key used is not named"
has "time-stamp tokens: [1-9][0-9]* verified, 0 not checked" <"$W/out" || fail "tokens: $(cat "$W/out")"
N=$(wc -l <"$AUDIT")
has "records good (seq 1 to $N)" <"$W/out" || fail "not every record of $N checked: $(cat "$W/out")"
has "not yet covered" <"$W/out" && fail "records after the clean stop's checkpoint: $(cat "$W/out")"
note "$(head -n 1 "$W/out")"
if [[ -s $SIGNET_HOME/audit/tsa.jsonl ]]; then
	has "tsa.jsonl: [0-9]* records good" <"$W/out" || fail "signet-tsa's trail not verified: $(cat "$W/out")"
	note "$(grep '^[^ ].*tsa.jsonl' "$W/out")"
fi

# A changed signature record: caught at the first checkpoint over it.
mkdir "$W/copy"
cp "$AUDIT" "$W/copy/audit.jsonl"
LINE=$(awk '/"event":"sign"/ {print NR; exit}' "$W/copy/audit.jsonl")   # no grep | head: SIGPIPE under pipefail
sed -i "${LINE}s/\"user\":\"$ME\"/\"user\":\"mallory\"/" "$W/copy/audit.jsonl"
expect 1 signet audit verify --key "$KEY" "$W/copy/audit.jsonl"
has "checkpoint root does not match the records" <"$W/err" || fail "a changed record: $(cat "$W/err")"
note "changed record $LINE: $(cut -c1-140 "$W/err")"

# Consistency from the first checkpoint to the last, from the daemon's
# hash store, which stays as it was.
python3 - "$AUDIT" "$W" <<'PY'
import json, sys
notes = [json.loads(l)["note"] for l in open(sys.argv[1]) if '"event":"checkpoint"' in l]
open(sys.argv[2] + "/old.note", "w").write(notes[0])
open(sys.argv[2] + "/new.note", "w").write(notes[-1])
PY
[[ -s $AUDIT.tree ]] || fail "policyd kept no hash store"
SUM=$(sha256sum <"$AUDIT.tree")
expect 0 signet audit consistency --home "$SIGNET_HOME" --json "$W/old.note" "$W/new.note"
python3 "$TOOLS/auditverify.py" verify --trail "$AUDIT" "$W/out" | has "1 proofs verified" ||
	fail "auditverify rejected the consistency proof"
[[ $(sha256sum <"$AUDIT.tree") == "$SUM" ]] || fail "consistency changed the hash store"

expect 0 signet audit show --home "$SIGNET_HOME" --event sign --project rel
[[ $(wc -l <"$W/out") -eq 9 ]] || fail "show --event sign: $(wc -l <"$W/out") lines, want 9"
expect 0 signet audit export --home "$SIGNET_HOME"
[[ $(wc -l <"$W/out") -eq $N ]] && has "cursor: seq:$((N + 1))" <"$W/err" || fail "export: $(cat "$W/err")"
note "consistency proof verified by auditverify.py; show and export agree with the trail"

# Trails kept elsewhere ([policyd] audit, tsa.conf audit): `verify` and
# `key` with no file named read the ones the configuration names, not the
# home's default places; a configuration that cannot be read stops them
# with the file named.
mkdir "$W/elsewhere"
for f in "$AUDIT"* "$SIGNET_HOME"/audit/tsa.jsonl*; do
	[[ -e $f ]] && mv "$f" "$W/elsewhere/"
done
sed -i "s|^audit = .*|audit = $W/elsewhere/audit.jsonl|" "$SIGNET_HOME/signet.conf"
if [[ -f $SIGNET_HOME/tsa.conf ]]; then
	sed -i "s|^audit = .*|audit = $W/elsewhere/tsa.jsonl|" "$SIGNET_HOME/tsa.conf"
fi
expect 0 signet audit verify --home "$SIGNET_HOME" --key "$KEY"
has "elsewhere/audit.jsonl: [0-9]* records good" <"$W/out" || fail "the configured trail was not verified: $(cat "$W/out" "$W/err")"
if [[ -s $W/elsewhere/tsa.jsonl ]]; then
	has "elsewhere/tsa.jsonl: [0-9]* records good" <"$W/out" || fail "the configured TSA trail was not verified: $(cat "$W/out")"
fi
expect 0 signet audit key --home "$SIGNET_HOME"
[[ $(cat "$W/out") == "$KEY" ]] || fail "audit key of the configured trail: $(cat "$W/out" "$W/err")"
cp "$SIGNET_HOME/signet.conf" "$W/signet.conf.good"
echo "[policyd" >>"$SIGNET_HOME/signet.conf"
expect 1 signet audit verify --home "$SIGNET_HOME"
has "signet.conf" <"$W/err" && has "name the trail files" <"$W/err" || fail "a broken signet.conf: $(cat "$W/err")"
cp "$W/signet.conf.good" "$SIGNET_HOME/signet.conf"
note "verify and key follow [policyd] audit and tsa.conf audit; a broken signet.conf is named"
