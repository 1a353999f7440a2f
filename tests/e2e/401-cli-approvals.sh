#!/bin/bash
# 401-cli-approvals — the approval commands of `signet` (request, cancel,
# pending, show, approve, deny, grants, status, why) against the real
# signet-policyd of a test world: project rel, signed by sg1-alice, needs
# approvals = 2 from sg1-alice, sg1-bob and sg1-carol (never her own);
# sg1-dave is neither signer nor approver.
#  - what goes over the wire arrives intact: a reason or comment with '%',
#    "%41", runs of spaces and UTF-8 is in `signet show --json` and in the
#    audit trail as typed; --count/--ttl and their defaults become the
#    request's count and lifetime; 255 '%' (765 bytes escaped, within the
#    1000-byte line) go through, 255 bytes of UTF-8 too, 256 do not;
#  - what comes out: the id alone on stdout's first line, --json as JSON,
#    tables, states, exit codes (0 done, 1 refused, 2 usage);
#  - usage errors and text policyd would refuse exit before anything is
#    sent: the audit trail gets no record, and the same error comes with no
#    policyd at all (--socket to nowhere) rather than "not running";
#  - the attack: a requester's reason carrying terminal controls.  ESC,
#    CR, LF, DEL and C1 controls (U+009B, CSI) sent past signet's checks
#    (a raw client) or through signet are refused by policyd; what reaches
#    the approver's `pending`, `show` and `--json` holds no control
#    character (signet's own escaping of C1 is fuzzed: fuzz/reqview);
#  - a refused signature (why: approval_required), a waiting one (show,
#    status), denied while it waits (why: approval_denied);
#  - no policyd: "is not running".
# The fallbacks for a policyd from before approvals (plain WHY, status
# without REQUESTS) are tested in 310, which runs a real Signet 0.1.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
A=sg1-alice B=sg1-bob C=sg1-carol D=sg1-dave
BG=
stop_bg() { [[ -z $BG ]] || stop_tree "$BG"; }
gone() { local u; for u in $A $B $C $D; do userdel "$u" 2>/dev/null || true; done; }
for u in $A $B $C $D; do user_new "$u"; done
trap 'stop_bg; world_cleanup; gone' EXIT
world_new --public-bin
trap 'stop_bg; world_cleanup; gone' EXIT
project_new rel rsa2048 "user:$A"
APPROVERS="user:$A user:$B user:$C"
policy_set rel "approvers=$APPROVERS" approvals=2 approval_wait=0
SOCK=$(sed -n 's/^socket = //p' "$SIGNET_HOME/signet.conf")
cp "$TOOLS/pd-attack.py" "$W/pd-attack.py" && chmod 755 "$W/pd-attack.py"
mkdir -p "$W/$A" && chown "$A" "$W/$A"
gpghome_new "$W/$A/g" --as "$A" --project rel
REL=$(fpr_of "$W/$A/g" rel@signet.test)
[[ -n $REL ]] || fail "no rel key in alice's home"

# jcheck FILE WHAT EXPR [ARG...]: the Python EXPR holds for j, the JSON in
# FILE (a, the ARGs; span(r), request r's lifetime in seconds).  FILE
# audit:EVENT:ID: j is the newest audit record of EVENT for request ID.
jcheck() {
	local f=$1 what=$2 expr=$3
	shift 3
	python3 - "$f" "$expr" "$AUDIT" "$@" <<'PY' || { [[ $f == audit:* ]] && tail -n 3 "$AUDIT" || cat "$f"; fail "$what"; }
import datetime, json, sys
src, expr, audit, a = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
if src.startswith("audit:"):
    _, event, rid = src.split(":")
    recs = [json.loads(l) for l in open(audit)]
    j = [r for r in recs if r.get("event") == event and r.get("request") == int(rid)][-1]
else:
    j = json.load(open(src, encoding="utf-8"))
t = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
span = lambda r: (t(r["expires"]) - t(r["created"])).total_seconds()
assert eval(expr), j
PY
}
# show_json USER ID: `signet show ID --json` as USER into $W/show.json
show_json() { signet_as "$1" show "$2" --json >"$W/show.json" || fail "signet show $2 --json as $1"; }
# harmless WHAT FILE...: no control character but the line end, raw or as
# UTF-8 C1 (C2 80..9F), in the FILEs.
harmless() {
	local what=$1
	shift
	python3 - "$@" <<'PY' || fail "$what printed a control character"
import re, sys
for f in sys.argv[1:]:
    b = open(f, "rb").read()
    m = re.search(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", b)
    assert not m, (f, b[max(0, m.start() - 40):m.end() + 40])
PY
}
# usage USER RC PATTERN COMMAND ARGS...: exits RC saying PATTERN, sends
# nothing (the audit trail is unchanged), and says the same with no policyd.
usage() {
	local u=$1 rc=$2 pat=$3 cmd=$4 n
	shift 4
	n=$(records)
	expect "$rc" signet_as "$u" "$cmd" "$@"
	grep -q -- "$pat" "$W/err" || fail "signet $cmd $*: no '$pat' in: $(cat "$W/err")"
	expect "$rc" signet_as "$u" "$cmd" --socket "$W/nowhere" "$@"
	grep -q -- "$pat" "$W/err" || fail "signet $cmd $* (no policyd): no '$pat' in: $(cat "$W/err")"
	[[ $(records) == "$n" ]] || fail "signet $cmd $* left an audit record: $(last_record)"
}
n=0
sign_bg() { # a signature by alice in the background: pid in BG, exit status to $W/bg.rc
	n=$((n + 1))
	echo "file $n" >"$W/$A/f$n" && chown "$A" "$W/$A/f$n"
	rm -f "$W/bg.rc"
	(rc=0
	 sign_detached "$A" "$W/$A/g" "$REL" "$W/$A/f$n" 2>"$W/bg.err" || rc=$?
	 echo $rc >"$W/bg.rc.new" && mv "$W/bg.rc.new" "$W/bg.rc") &
	BG=$!
}
signed() { [[ -s $W/bg.rc ]]; }

# ---- a refused signature, and why
sign_bg
wait_until 60 "alice's signature without a grant ended" signed
[[ $(cat "$W/bg.rc") != 0 ]] || fail "alice signed on rel without a grant"
expect 0 signet_as $A why
grep -q 'approval_required' "$W/out" && grep -q "next: .*signet request --project rel" "$W/out" ||
	fail "why: $(cat "$W/out")"
WHY=$(grep -m1 approval_required "$W/out" | sed 's/^ *//')
expect 0 signet_as $A why --json
jcheck "$W/out" "why --json" 'j[0]["code"] == "approval_required" and j[0]["project"] == "rel" and j[0]["next"]'
note "refused: $(grep -m1 'signing failed' "$W/bg.err"); why: $WHY"

# ---- a waiting signature: pending, show, status; denied while it waits
policy_set rel approval_wait=2m
sign_bg
waiting() { # the id of alice's waiting signature in bob's pending --json
	signet_as $B pending --json | python3 -c 'import json,sys
print([r["id"] for r in json.load(sys.stdin) if r["kind"] == "sign"][0])'
}
wait_until 60 "alice's waiting signature in bob's signet pending" waiting
S=$(waiting)
expect 0 signet_as $A show "$S"
grep -Eq '^signature: +one sha[0-9]+ signature of [0-9A-F]{64,128}, for program [^ ]+ \(pid [0-9]+\)$' "$W/out" ||
	fail "show of a waiting signature: $(cat "$W/out")"
expect 0 signet_as $A status
grep -q "signature on rel: waiting for 2 more approvals from $APPROVERS — request $S, program " "$W/out" ||
	fail "status: no waiting signature: $(cat "$W/out")"
expect 0 signet_as $C deny "$S" --reason 'not this one'
wait_until 10 "the waiting signature ended after the deny" signed
[[ $(cat "$W/bg.rc") != 0 ]] || fail "the denied signature was made"
expect 0 signet_as $A why --json
jcheck "$W/out" "why --json after the deny" 'j[0]["code"] == "approval_denied"'
note "waiting signature $S: shown, in status, denied: $(grep -m1 'signing failed' "$W/bg.err")"
policy_set rel approval_wait=0

# ---- request: the id alone on stdout; the text arrives as typed
R1='100% sure: %41 and %25 stay as typed,  two spaces, UTF-8 ✓ é'
expect 0 signet_as $A request --project rel --count 3 --ttl 12h --reason "$R1"
[[ $(wc -l <"$W/out") == 1 && $(head -n 1 "$W/out") =~ ^[0-9]+$ ]] || fail "request: stdout is not the id alone: $(cat "$W/out")"
ID=$(cat "$W/out")
grep -q "request $ID on project rel opened: pending: 0 of 2 approvals; waiting for 2 more approvals from $APPROVERS" "$W/err" ||
	fail "request: no summary on stderr: $(cat "$W/err")"
show_json $A "$ID"
jcheck "$W/show.json" "request $ID as policyd holds it" 'j["id"] == int(a[0]) and j["reason"] == a[1] and j["count"] == 3 and j["needed"] == 2 and j["state"] == "pending" and j["kind"] == "grant" and j["requester"] == a[2] and j["approvers"] == a[3] and span(j) == 43200' \
	"$ID" "$R1" "user:$A" "$APPROVERS"
jcheck "audit:request:$ID" "the audit record of request $ID" 'j["reason"] == a[0] and j["user"] == a[1] and j["result"] == "pending"' "$R1" "$A"
note "request $ID: '$R1' in show --json and the audit trail, 3 signatures, 12 h"
expect 0 signet_as $A request --project rel --reason x
ID2=$(head -n 1 "$W/out")
show_json $A "$ID2"
jcheck "$W/show.json" "request defaults: 1 signature, 1 day" 'j["count"] == 1 and j["reason"] == "x" and span(j) == 86400'

# ---- usage errors and refused text: exit before anything is sent
usage $A 2 'which project' request --reason x
usage $A 2 '--reason TEXT' request --project rel
usage $A 2 'positive' request --project rel --reason x --count 0
usage $A 2 'positive' request --project rel --reason x --count -1
usage $A 2 'at most 30d' request --project rel --reason x --ttl 31d
usage $A 2 '30m, 12h, 7d' request --project rel --reason x --ttl 5y
usage $A 2 'not a project name' request --project 'a b' --reason x
usage $A 2 'unknown option --comment' request --project rel --reason x --comment y
usage $A 1 'the text is empty' request --project rel --reason ''
usage $A 1 'too long (256 bytes; signet-policyd takes at most 255)' request --project rel --reason "$(printf 'x%.0s' {1..256})"
usage $A 1 'too long (258 bytes; signet-policyd takes at most 255)' request --project rel --reason "$(printf '✓%.0s' {1..86})"
for t in $'two\nlines' $'cr\rhere' $'tab\there' $'esc\e[31m' $'del\x7f'; do
	usage $B 1 'control character' deny "$ID" --reason "$t"
done
usage $B 2 '--reason TEXT' deny "$ID"
usage $B 2 'which request' approve
usage $B 2 'not a request id' approve 4x2
usage $B 2 'not a request id' approve -- -1
usage $B 2 "unexpected argument '43'" show "$ID" 43
usage $B 2 "unexpected argument 'extra'" pending extra
show_json $A "$ID"
jcheck "$W/show.json" "request $ID after the usage errors" 'j["state"] == "pending" and j["approvals"] == []'
note "usage errors exit 2, refused text 1, before connecting: no audit record, the same with no policyd"

# ---- the longest text: 255 bytes, '%' three times over on the wire
P255=$(printf '%%%.0s' {1..255})
U255=$(printf '✓%.0s' {1..85})
expect 0 signet_as $A request --project rel --reason "$P255"
ID3=$(head -n 1 "$W/out")
expect 0 signet_as $A request --project rel --reason "$U255"
ID4=$(head -n 1 "$W/out")
show_json $A "$ID3"
jcheck "$W/show.json" "255 '%' in a reason" 'j["reason"] == a[0]' "$P255"
show_json $A "$ID4"
jcheck "$W/show.json" "85 '✓' (255 bytes) in a reason" 'j["reason"] == a[0]' "$U255"
note "255 bytes of '%' (765 on the wire) and of UTF-8 arrive intact"

# ---- approve: counted, already counted, one's own; tables
expect 0 signet_as $B approve "$ID" --comment "$P255"
grep -q "^request $ID: your approval is counted$" "$W/out" || fail "approve: $(cat "$W/out")"
grep -q "^pending: 1 of 2 approvals: user:$B; waiting for 1 more approval from $APPROVERS" "$W/out" || fail "approve state: $(cat "$W/out")"
expect 0 signet_as $B approve "$ID"
grep -q 'already counted' "$W/out" || fail "approve twice: $(cat "$W/out")"
expect 1 signet_as $A approve "$ID"
grep -q "cannot approve your own request $ID" "$W/err" || fail "own request: $(cat "$W/err")"
jcheck "audit:deny:$ID" "alice's own approval is not audited as a refusal" 'j["code"] == "self_approval" and j["user"] == a[0]' "$A"
show_json $C "$ID"
jcheck "$W/show.json" "approvals of $ID" 'j["approvals"] == [a[0]] and j["approval_details"][0]["comment"] == a[1] and j["approval_details"][0]["by"] == a[0]' \
	"user:$B" "$P255"
expect 0 signet_as $C pending --json
jcheck "$W/out" "carol's pending --json" '[r["id"] for r in j] == [int(x) for x in a[:4]] and j[-1]["approvals"] == [a[4]]' "$ID4" "$ID3" "$ID2" "$ID" "user:$B"
expect 0 signet_as $C pending
head -n 1 "$W/out" | grep -Eq '^ID +PROJECT +KIND +REQUESTER +COUNT +APPROVALS +EXPIRES +REASON$' || fail "pending header: $(cat "$W/out")"
grep -Eq "^$ID +rel +grant +user:$A +3 +1/2 +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [A-Z]+ +100% sure" "$W/out" || fail "pending row: $(cat "$W/out")"
expect 0 signet_as $B pending
! grep -q "^$ID " "$W/out" || fail "bob's pending still lists $ID, which he approved: $(cat "$W/out")"
expect 0 signet_as $C show "$ID"
grep -q "^approvals:  1 of 2 approvals: user:$B$" "$W/out" && grep -q "^reason:     $R1$" "$W/out" || fail "show: $(cat "$W/out")"
note "bob's approval counted once (comment: 255 '%'), alice's own refused and audited"

# ---- the second approval: approved, a grant
expect 0 signet_as $C approve "$ID" --comment 'ok 100% ✓'
grep -q "^approved: $A may now make 3 signatures on rel until " "$W/out" || fail "approve: $(cat "$W/out")"
jcheck "audit:approve:$ID" "carol's approval in the audit trail" 'j["reason"] == "ok 100% ✓" and j["result"] == "approved" and j["by"] == a[0]' "user:$C"
expect 0 signet_as $A grants
grep -Eq "^$ID +rel +3 of 3 " "$W/out" || fail "grants: $(cat "$W/out")"
expect 0 signet_as $A grants --json
jcheck "$W/out" "grants --json" '[(g["id"], g["uses_left"], g["state"]) for g in j] == [(int(a[0]), 3, "approved")]' "$ID"
expect 0 signet_as $B grants
grep -q 'you hold no grant' "$W/out" || fail "bob's grants: $(cat "$W/out")"
expect 0 signet_as $B approve "$ID"
grep -q 'already counted' "$W/out" && grep -q '^approved: ' "$W/out" || fail "bob's approval of the approved request: $(cat "$W/out")"

# ---- who may see what; cancel
expect 1 signet_as $D show "$ID"
grep -q "no request $ID that you may see" "$W/err" || fail "dave's show: $(cat "$W/err")"
expect 1 signet_as $D show 999999
grep -q "no request 999999 that you may see" "$W/err" || fail "show 999999: $(cat "$W/err")"
expect 1 signet_as $D approve "$ID2"
grep -q "no request $ID2 that you may see" "$W/err" || fail "dave's approve: $(cat "$W/err")"
expect 1 signet_as $B cancel "$ID2"
grep -q "request $ID2 is not yours" "$W/err" || fail "bob's cancel: $(cat "$W/err")"
expect 0 signet_as $A cancel "$ID2"
[[ $(cat "$W/out") == "cancelled request $ID2" ]] || fail "cancel: $(cat "$W/out")"
show_json $A "$ID2"
jcheck "$W/show.json" "state after cancel" 'j["state"] == "cancelled"'
jcheck "audit:cancel:$ID2" "alice's cancel in the audit trail" 'j["user"] == a[0] and j["result"] == "cancelled"' "$A"
note "dave sees nothing, bob cannot cancel, alice can"

# ---- status: the grant and the open requests
expect 0 signet_as $A status
grep -q "grant $ID on rel: 3 of 3 signatures left, until " "$W/out" || fail "status: no grant: $(cat "$W/out")"
grep -q "grant request $ID3 on rel (1 signature): waiting for 2 more approvals from $APPROVERS, until " "$W/out" ||
	fail "status: no open request: $(cat "$W/out")"
! grep -q "request $ID2 " "$W/out" || fail "status shows the cancelled request: $(cat "$W/out")"

# ---- the attack: terminal controls in a requester's reason
n0=$(records)
for t in 'release %1B[31mred%1B[0m' $'release \e[31mred' 'release%0D%1B[2K forged' 'two%0Alines' \
	'release %C2%9B31mred' 'del%7F'; do
	as_user $A "$W/pd-attack.py" send "$SOCK" "REQUEST rel $t" >"$W/raw.out" 2>&1 || true
	grep -q '^ERR .*control character' "$W/raw.out" || fail "policyd took a reason $(printf %q "$t"): $(cat "$W/raw.out")"
done
[[ $(records) == "$n0" ]] || fail "a refused raw REQUEST left an audit record: $(last_record)"
RC1=$(printf 'release 1.2 \xc2\x9b31mred\xc2\x9b0m done')
expect 1 signet_as $A request --project rel --reason "$RC1"
grep -q 'control character' "$W/err" || fail "a C1 reason was not refused: $(cat "$W/err")"
[[ $(records) == "$n0" ]] || fail "a refused C1 REQUEST left an audit record: $(last_record)"
expect 0 signet_as $A request --project rel --reason 'release 1.2 — red, done'
ID5=$(head -n 1 "$W/out")
views=()
for v in "pending" "show $ID5" "pending --json" "show $ID5 --json"; do
	# shellcheck disable=SC2086
	expect 0 signet_as $B $v
	views+=("$W/view$((${#views[@]} + 1))")
	cp "$W/out" "${views[-1]}"
done
harmless "bob's signet pending/show (--json)" "${views[@]}"
expect 0 signet_as $B deny "$ID5" --reason 'not today — 100% sure'
[[ $(cat "$W/out") == "request $ID5: denied by $B: not today — 100% sure" ]] || fail "deny: $(cat "$W/out")"
jcheck "audit:reject:$ID5" "bob's deny in the audit trail" 'j["reason"] == "not today — 100% sure" and j["by"] == a[0]' "user:$B"
expect 1 signet_as $C approve "$ID5"
grep -q "request $ID5 is denied; it can no longer be approved" "$W/err" || fail "approve after deny: $(cat "$W/err")"
note "ESC, CR, LF, DEL and C1 refused by policyd (raw and through signet), with no audit record"
audit_check

# ---- no policyd
signet --home "$SIGNET_HOME" stop >/dev/null || fail "signet stop"
expect 1 signet_as $B pending
grep -q 'is not running' "$W/err" || fail "pending with no policyd: $(cat "$W/err")"
