#!/bin/bash
# A signature's grant use and rate slot reach the state store's disk
# lazily: its audit record is their durable log.  So a crash of the
# machine can leave the trail naming a grant use and a rate slot the store
# lost, after the store's sync mark.  Simulated here by putting back a copy of
# policyd.db taken before the last two signatures: at start policyd puts
# the uses back from the trail (and says so), so the grant is still used
# up after its count and the rate window still holds every signature.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
user_new rc-appr
trap 'world_cleanup; userdel rc-appr 2>/dev/null; true' EXIT
world_new --public-bin
trap 'world_cleanup; userdel rc-appr 2>/dev/null; true' EXIT
me=$(id -un)
project_new rc rsa2048 "user:$me"
policy_set rc approvers=user:rc-appr approvals=1 rate=100/hour
H=$W/g
gpghome_new "$H"
FPR=$(fpr_of "$H" rc@signet.test)
id=$(signet --home "$SIGNET_HOME" request --project rc --count 3 --reason 'reconcile test' 2>/dev/null | head -n1)
[[ $id =~ ^[0-9]+$ ]] || fail "no request id"
signet_as rc-appr approve "$id" >/dev/null || fail "approve"
STATE=$(dirname "$AUDIT")
used() { signet --home "$SIGNET_HOME" show "$id" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["used"])'; }
slots() { python3 -c 'import sqlite3,sys; c=sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True); print(c.execute("SELECT count(*) FROM rate_events WHERE project=? AND requester=?", ("rc", "user:" + sys.argv[2])).fetchone()[0])' "$STATE/policyd.db" "$me"; }

echo one >"$W/f1"
sign_detached "$me" "$H" "$FPR" "$W/f1" || fail "first signature"
signet --home "$SIGNET_HOME" stop >/dev/null
mkdir "$W/before"
cp -p "$STATE"/policyd.db* "$W/before/"
signet --home "$SIGNET_HOME" start >/dev/null || fail "start"
for i in 2 3; do
	echo "$i" >"$W/f$i"
	sign_detached "$me" "$H" "$FPR" "$W/f$i" || fail "signature $i"
done
[[ $(used) == 3 ]] || fail "the grant is not used up after 3 signatures"
signet --home "$SIGNET_HOME" stop >/dev/null
# A clean stop syncs the store and marks the whole trail as covered.
last=$(last_record | python3 -c 'import json,sys; print(json.load(sys.stdin)["seq"])')
[[ $(cat "$STATE/policyd.db-synced") == $(printf '%020d' "$last") ]] ||
	fail "the sync mark is $(cat "$STATE/policyd.db-synced"), the trail ends at $last"

# The crash: the store (and its mark) is back where it was after the
# first signature.
rm -f "$STATE"/policyd.db*
cp -p "$W/before"/policyd.db* "$STATE/"
[[ $(slots) == 1 ]] || fail "the copy should hold one rate slot, holds $(slots)"
signet --home "$SIGNET_HOME" start >/dev/null || fail "start after the crash"
grep -q 'named by the audit trail were missing' "$SIGNET_HOME/run/policyd.log" ||
	fail "policyd does not say it put uses back"
[[ $(used) == 3 ]] || fail "the grant shows $(used) uses after the restart, the trail names 3"
echo four >"$W/f4"
if sign_detached "$me" "$H" "$FPR" "$W/f4" 2>"$W/f4.err"; then
	fail "a fourth signature on a grant of 3 after the store lost two uses"
fi
grep -q 'Conditions of use not satisfied' "$W/f4.err" || { cat "$W/f4.err"; fail "4th refusal text"; }
signet --home "$SIGNET_HOME" stop >/dev/null
[[ $(slots) == 3 ]] || fail "the rate window holds $(slots) slots, the trail names 3"
note "store lost 2 uses and 2 rate slots; at start policyd put them back from the audit trail; 4th refused"
signet --home "$SIGNET_HOME" start >/dev/null
audit_check >/dev/null
