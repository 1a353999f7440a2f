#!/bin/bash
# policyd killed -9 at random moments, 20 times, while a requester opens
# grant requests, two approvers (real users) approve them and two signers
# use the grants.  Afterwards (DESIGN, store.h): no grant is used past its
# count, every signature returned is counted on a grant (a use committed by
# a policyd killed before it answered may be counted without a signature:
# at most one per signer per kill), no approval that was answered is lost,
# no approver counts twice, and the audit trail is whole.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
ROUNDS=20
SIGNERS=2
A1=sgcrash1
A2=sgcrash2
user_new "$A1"
user_new "$A2"
world_new --public-bin
ME=$(id -un)
project_new rel rsa2048 "user:$ME"
SOCK=$(sed -n 's/^socket = //p' "$SIGNET_HOME/signet.conf")
CRASH=$W/pd-crash.py
cp "$TOOLS/pd-crash.py" "$CRASH" && chmod 755 "$CRASH"

# Before the engine of issue 8: nothing to test.
python3 "$TOOLS/pd-cmd.py" "$SOCK" "REQUESTS" >"$W/probe.out" 2>&1 ||
	if grep -q 'Unknown IPC command' "$W/probe.out"; then echo "SKIP: policyd has no REQUEST commands"; exit 0; fi

sed -i "s|^\\[project rel\\]\$|[project rel]\\napprovers = user:$A1 user:$A2\\napprovals = 2\\napproval_wait = 0|" \
	"$SIGNET_HOME/signet.conf"
python3 "$TOOLS/pd-cmd.py" "$SOCK" RELOAD >"$W/reload.out" 2>&1 || { cat "$W/reload.out"; fail "reload"; }

STOP=$W/stop
WORKERS=()
for ((i = 0; i < SIGNERS; i++)); do
	"$CRASH" sign "$SOCK" rel "$W/signed.$i" "$STOP" &
	WORKERS+=($!)
done
"$CRASH" request "$SOCK" rel "$W/requested" "$STOP" &
WORKERS+=($!)
for a in $A1 $A2; do
	touch "$W/approved.$a" && chown "$a" "$W/approved.$a"
	runuser -u "$a" -- "$CRASH" approve "$SOCK" "$W/approved.$a" "$STOP" &
	WORKERS+=($!)
done
stop_workers() { touch "$STOP"; for p in "${WORKERS[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'rc=$?; stop_workers; (exit $rc); world_cleanup' EXIT

signed() { cat "$W"/signed.* 2>/dev/null | wc -l; }
for ((r = 1; r <= ROUNDS; r++)); do
	# Wait for progress (a signature since the last kill), then a random
	# moment: mid-request, mid-approval, between a grant use and its answer.
	before=$(signed)
	for _ in $(seq 300); do (($(signed) > before)) && break; sleep 0.1; done
	(($(signed) > before)) || fail "round $r: no signature within 30 s of policyd's restart"
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	pid=$(cat "$SIGNET_HOME/run/policyd.pid")
	kill -9 "$pid"
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$pid" 2>/dev/null && fail "policyd survived kill -9"
	signet --home "$SIGNET_HOME" start >"$W/start.$r.out" 2>&1 || { cat "$W/start.$r.out"; fail "restart $r"; }
done
touch "$STOP"
for p in "${WORKERS[@]}"; do wait "$p" || fail "a worker failed"; done

maxid=$(sort -n "$W/requested" | tail -n 1)
"$CRASH" check "$SOCK" $((maxid + 50)) "$(signed)" $((ROUNDS * SIGNERS)) \
	"user:$A1=$W/approved.$A1" "user:$A2=$W/approved.$A2" >"$W/check.out" 2>&1 ||
	{ cat "$W/check.out"; fail "state after $ROUNDS kills"; }
note "$(cat "$W/check.out")"
audit_check >/dev/null || fail "the audit trail is not whole after $ROUNDS kills"
