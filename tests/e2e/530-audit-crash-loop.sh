#!/bin/bash
# The verifiable log survives crashes: three gpg signers at once (two in
# one GnuPG home, one in another) while signet-policyd is killed -9 at a
# random moment (after a random number of new records: 0 to 3) and
# started again, 20 rounds, with checkpoints every 8 records and 64 KiB
# segments so that kills also land around checkpoints and roll-overs.
# Afterwards every signature a client received is in a sign record of the
# trail (a signature is answered only once its record is on disk), and
# both `signet audit verify` and the independent verifier
# (tests/tools/auditverify.py) accept the whole trail with the audit key
# read at the start: torn tails were quarantined, never hashed.
. "$(dirname "$0")/lib.sh"
command -v gpg >/dev/null || { echo "   skip: gpg not installed"; exit 0; }
python3 -c 'import cryptography' 2>/dev/null || fail "python3-cryptography missing (tests/deps.sh)"
ROUNDS=${CRASH_ROUNDS:-20}
PIDS=()
cleanup() {
	local rc=$? p
	set +e
	for p in "${PIDS[@]}"; do stop_tree "$p"; done
	(exit $rc)
	world_cleanup
}
trap cleanup EXIT
world_new
trap cleanup EXIT
ME=$(id -un)
signet --home "$SIGNET_HOME" stop >/dev/null
sed -i "/^\[policyd\]/a checkpoint_every = 8\naudit_segment_size = 64K" "$SIGNET_HOME/signet.conf"
signet --home "$SIGNET_HOME" start >"$W/start.out" 2>&1 || { cat "$W/start.out"; fail "signet start"; }
cp "$AUDIT.vkey" "$W/trusted.vkey" || fail "no verifier key beside the trail"
project_new cl rsa2048 "user:$ME"
gpghome_new "$W/g1" --project cl
gpghome_new "$W/g2" --project cl
FPR=$(fpr_of "$W/g1" cl@signet.test)
[[ -n $FPR ]] || fail "no cl key"
mkdir "$W/f"

signer() { # HOME TAG ROUND
	local i f
	for i in 1 2 3; do
		f=$W/f/$2-$3-$i
		echo "$2 $3 $i $RANDOM" >"$f"
		GNUPGHOME=$1 gpg --batch --yes --no-tty -u "$FPR" --detach-sign -o "$f.sig" "$f" 2>/dev/null &&
			echo "$f" >>"$W/signed-$2"
	done
}
# Records in the whole trail (sealed segments too).
trail_cat() { cat "$AUDIT".[0-9]* "$AUDIT" 2>/dev/null || true; }
records() { trail_cat | wc -l; }
grown() { (($(records) >= $1)); } # N

for r in $(seq "$ROUNDS"); do
	before=$(records)
	want=$((before + RANDOM % 4))
	PIDS=()
	signer "$W/g1" a "$r" & PIDS+=($!)
	signer "$W/g1" b "$r" & PIDS+=($!)
	signer "$W/g2" c "$r" & PIDS+=($!)
	# The random moment: once the trail has grown by 0 to 3 records.
	wait_until 30 "round $r: the trail never grew to $want records" grown "$want"
	pid=$(cat "$SIGNET_HOME/run/policyd.pid")
	kill -9 "$pid"
	wait_until 10 "round $r: policyd $pid still alive after kill -9" gone "$pid"
	signet --home "$SIGNET_HOME" start >"$W/restart.out" 2>&1 ||
		{ cat "$W/restart.out"; fail "round $r: policyd did not start again"; }
	for p in "${PIDS[@]}"; do wait "$p" || true; done
done
PIDS=()
signet --home "$SIGNET_HOME" stop >/dev/null
cat "$W"/signed-* >"$W/signed" 2>/dev/null || true
nsig=$(wc -l <"$W/signed")
((nsig > 0)) || fail "no signature was made in $ROUNDS rounds"
while read -r f; do
	gpgv --keyring "$W/cl.gpg" "$f.sig" "$f" 2>/dev/null || fail "$f.sig does not verify"
done <"$W/signed"

# Every signature a client received is in a sign record.
python3 - "$AUDIT" "$TOOLS" "$W/signed" <<'PY' || fail "a signature a client received is not in the audit trail"
import json, sys
audit, tools, signed = sys.argv[1:4]
sys.path.insert(0, tools)
import auditverify, pgpsig
logged = set()
for name, k, no, line in auditverify.read_lines(auditverify.segment_files(audit, 0)):
    r = json.loads(line)
    if r["event"] == "sign" and r.get("result") == "granted":
        logged.add(r["signature"].lstrip("0"))
for f in open(signed).read().split():
    mpi = pgpsig.signature_value(open(f + ".sig", "rb").read()).lstrip("0")
    assert mpi in logged, "%s.sig (signature %s...) is not in a sign record" % (f, mpi[:16])
PY

# The whole trail verifies, with the key read before the first kill.
python3 "$TOOLS/auditverify.py" trail --key-file "$W/trusted.vkey" "$AUDIT" >"$W/py.out" 2>&1 ||
	{ cat "$W/py.out"; fail "auditverify rejected the trail after $ROUNDS kills"; }
signet --home "$SIGNET_HOME" audit verify --key-file "$W/trusted.vkey" >"$W/c.out" 2>&1 ||
	{ cat "$W/c.out"; fail "signet audit verify rejected the trail after $ROUNDS kills"; }
nq=$(trail_cat | grep -c '"event":"quarantine"' || true)
nseg=$( (ls "$AUDIT".[0-9]* 2>/dev/null || true) | wc -l)
note "$ROUNDS kills, $nsig signatures received, all in the trail; $nseg sealed segments, $nq torn tails quarantined"
note "$(head -n 1 "$W/py.out")"
