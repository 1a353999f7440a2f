#!/bin/bash
# Requesters, approvers and signers at once, and policyd killed -9 at a
# random moment, 20 rounds.  Afterwards: no grant used more often than it
# allows, no approval that an approver was told about is lost, every
# signature gpg made is in the audit trail with the grant it used, the
# audit trail never names more uses of a grant than the store counts, and
# the store counts at most one use per kill that no record names (a use
# is taken before the HSM signs: fail closed).  Uses are taken in
# policyd's memory and reach SQLite in batches, the audit record being
# their durable log: no use number of a grant is ever named by two
# records (a use lost by a kill and given again would be an over-use),
# and none past the grant's count.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
ROUNDS=${CRASH_ROUNDS:-20}
SIGNERS="cl-alice cl-bob"
APPROVERS="cl-carol cl-dave"
for u in $SIGNERS $APPROVERS; do user_new "$u"; done
PIDS=()
cleanup() {
	local rc=$? p u
	set +e
	for p in "${PIDS[@]}"; do stop_tree "$p"; done
	(exit $rc)
	world_cleanup
	for u in $SIGNERS $APPROVERS; do userdel "$u" 2>/dev/null; done
	return $rc
}
trap cleanup EXIT
world_new --public-bin
trap cleanup EXIT
project_new cr rsa2048 user:cl-alice user:cl-bob
policy_set cr "approvers=user:cl-carol user:cl-dave" approvals=2 approval_wait=0
for u in $SIGNERS $APPROVERS; do mkdir -p "$W/$u" && chown "$u" "$W/$u"; done
for u in $SIGNERS; do gpghome_new "$W/$u/g" --as "$u" --project cr; done
FPR=$(fpr_of "$W/cl-alice/g" cr@signet.test)
[[ -n $FPR ]] || fail "no cr key"
S() { as_user "$1" env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" "${@:2}"; }

requester() { # USER ROUND
	local i id
	for i in 1 2 3; do
		id=$(S "$1" request --project cr --count 2 --reason "round $2 #$i" 2>/dev/null | head -n1) &&
			[[ $id =~ ^[0-9]+$ ]] && echo "$id" >>"$W/$1/requested"
	done
}
approver() { # USER
	local i id
	for i in 1 2 3 4 5 6; do
		for id in $(S "$1" pending --json 2>/dev/null | python3 -c \
			'import json,sys; print(" ".join(str(r["id"]) for r in json.load(sys.stdin)))' 2>/dev/null); do
			S "$1" approve "$id" >/dev/null 2>&1 && echo "$id" >>"$W/$1/approved"
		done
	done
}
signer() { # USER ROUND
	local i f
	for i in 1 2 3 4; do
		f=$W/$1/f-$2-$i
		as_user "$1" sh -c "echo '$1 $2 $i' >'$f'"
		if sign_detached "$1" "$W/$1/g" "$FPR" "$f" 2>/dev/null; then
			gpgv --keyring "$W/cr.gpg" "$f.sig" "$f" 2>/dev/null || fail "bad signature $f.sig"
			echo "$f" >>"$W/signed"
		fi
	done
}

kills=0
for r in $(seq "$ROUNDS"); do
	PIDS=()
	for u in $SIGNERS; do requester "$u" "$r" & PIDS+=($!); signer "$u" "$r" & PIDS+=($!); done
	for u in $APPROVERS; do approver "$u" & PIDS+=($!); done
	sleep "0.$((RANDOM % 9 + 1))"
	pid=$(cat "$SIGNET_HOME/run/policyd.pid")
	kill -9 "$pid"
	kills=$((kills + 1))
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	signet --home "$SIGNET_HOME" start >/dev/null || fail "round $r: policyd did not start again"
	for p in "${PIDS[@]}"; do wait "$p" || true; done
done
PIDS=()
nsig=$(wc -l <"$W/signed" 2>/dev/null || echo 0)
note "$ROUNDS rounds, $kills kills, $nsig signatures made by gpg"
((nsig > 0)) || fail "no signature was made in $ROUNDS rounds"

# Every approval an approver was told about is in the store; every
# signature is audited with its grant; grant uses agree with the store.
DB=$(find "$SIGNET_HOME" -name policyd.db | head -n1)
[[ -n $DB ]] || fail "no policyd.db"
signet --home "$SIGNET_HOME" stop >/dev/null   # it holds the store exclusively while it runs
python3 - "$DB" "$AUDIT" "$kills" "$nsig" "$TOOLS" "$W/signed" <<'PY' || fail "store and audit trail disagree"
import json, sqlite3, sys, collections
db, audit, kills, nsig, tools, signed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
sys.path.insert(0, tools)
import pgpsig
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity_check failed"
cols = [r[1] for r in con.execute("PRAGMA table_info(requests)")]
rows = [dict(zip(cols, r)) for r in con.execute("SELECT * FROM requests")]
recs = collections.Counter()
audited = set()
given = {}
count = {g["id"]: g["count"] for g in rows}
for line in open(audit, "rb"):
    r = json.loads(line)
    if r["event"] == "sign" and r.get("use"):
        k = (r["grant"], r["use"])
        assert k not in given, "use %d of request %d given twice: seq %d and %d" % (k[1], k[0], given[k], r["seq"])
        given[k] = r["seq"]
        assert r["use"] <= count.get(r["grant"], 0), "use %d of request %d is past its count" % k[::-1]
    if r["event"] == "sign" and r.get("result") == "granted":
        assert "grant" in r, "a signature on a project with approvals names no grant: %r" % r
        recs[r["grant"]] += 1
        audited.add(r["signature"].lstrip("0"))
for f in open(signed).read().split():
    mpi = pgpsig.signature_value(open(f + ".sig", "rb").read()).lstrip("0")
    assert mpi in audited, "signature %s.sig made by gpg is not in the audit trail" % f
told = 0
for u in ("cl-carol", "cl-dave"):
    try:
        ids = set(open("%s/%s/approved" % (signed.rsplit("/", 1)[0], u)).read().split())
    except FileNotFoundError:
        continue
    for i in ids:
        told += 1
        row = con.execute("SELECT count(*) FROM approvals WHERE request = ? AND approver = ?",
                          (int(i), "user:" + u)).fetchone()[0]
        assert row == 1, "the approval of %s on request %s was lost" % (u, i)
slack = 0
for g in rows:
    assert g["used"] <= g["count"], "request %d used %d of %d" % (g["id"], g["used"], g["count"])
    assert recs[g["id"]] <= g["used"], "request %d: %d audited uses, store says %d" % (g["id"], recs[g["id"]], g["used"])
    slack += g["used"] - recs[g["id"]]
assert sum(recs.values()) >= nsig, "fewer audited signatures than gpg made"
assert slack <= kills, "%d uses without a record, more than the %d kills" % (slack, kills)
print("   grants: %d requests, %d approvals reported and kept, %d audited uses (none twice), %d uses lost to kills (fail closed)"
      % (len(rows), told, sum(recs.values()), slack))
PY
audit_check >/dev/null
