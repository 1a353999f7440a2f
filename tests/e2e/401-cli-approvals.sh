#!/bin/bash
# 401-cli-approvals — the approval commands of `signet` on their own,
# against tests/tools/fake-policyd.py (canned answers shaped as
# doc/policyd-protocol.md says; every command line it gets is logged):
# what goes on the wire (percent-escaped text, one line, the limit), what
# comes out (the id alone on stdout's first line, --json as JSON, tables,
# states), exit codes, the refusal of usage errors before anything is sent,
# a reason carrying terminal escapes shown harmless, and the fallbacks for
# a policyd from before approvals (plain WHY; status without REQUESTS).
# 400 and 405 drive the real engine.
. "$(dirname "$0")/lib.sh"
scratch_new
S=$W/s
LOG=$W/wire.log
start_fake() { # [--old]
	rm -f "$S"
	python3 "$TOOLS/fake-policyd.py" "$S" "$LOG" "$@" & PIDS+=($!)
	for _ in $(seq 100); do [[ -S $S ]] && return 0; sleep 0.05; done
	fail "fake policyd did not start"
}
sg() { signet "$@" --socket "$S"; }
lastcmd() { grep -v '^BYE$' "$LOG" | tail -n 1; }
start_fake

# ---- request: the id alone on the first line, text escaped on the wire
expect 0 sg request --project rel --count 3 --ttl 12h --reason '100% sure, really'
[[ $(head -n 1 "$W/out") == 42 ]] || fail "request: stdout's first line is not the id: $(cat "$W/out")"
[[ $(wc -l <"$W/out") == 1 ]] || fail "request: more than the id on stdout: $(cat "$W/out")"
grep -q 'waiting for 2 more approvals from user:bob' "$W/err" || fail "request: no summary on stderr: $(cat "$W/err")"
[[ $(lastcmd) == 'REQUEST --count=3 --ttl=43200 rel 100%25 sure, really' ]] || fail "request line: $(lastcmd)"
note "request: id alone on stdout, '%' escaped: $(lastcmd)"
expect 0 sg request --project rel --reason x
[[ $(lastcmd) == 'REQUEST --count=1 --ttl=86400 rel x' ]] || fail "request defaults: $(lastcmd)"

# ---- usage errors are refused before anything reaches policyd
n=$(wc -l <"$LOG")
expect 2 sg request --reason x;                           grep -q 'which project' "$W/err" || fail "no --project: $(cat "$W/err")"
expect 2 sg request --project rel;                        grep -q -- '--reason TEXT' "$W/err" || fail "no --reason: $(cat "$W/err")"
expect 2 sg request --project rel --reason x --count 0;   grep -q 'positive' "$W/err" || fail "--count 0: $(cat "$W/err")"
expect 2 sg request --project rel --reason x --count -1
expect 2 sg request --project rel --reason x --ttl 31d;   grep -q 'at most 30d' "$W/err" || fail "--ttl 31d: $(cat "$W/err")"
expect 2 sg request --project rel --reason x --ttl 5y;    grep -q '30m, 12h, 7d' "$W/err" || fail "--ttl 5y: $(cat "$W/err")"
expect 2 sg request --project 'a b' --reason x
expect 2 sg request --project rel --reason x --comment y; grep -q 'unknown option --comment' "$W/err" || fail "--comment on request"
expect 1 sg request --project rel --reason ''
expect 1 sg request --project rel --reason "$(printf 'x%.0s' {1..256})"
grep -q 'too long (256 bytes; signet-policyd takes at most 255)' "$W/err" || fail "long reason: $(cat "$W/err")"
expect 0 sg approve 42 --comment "$(printf '%%%.0s' {1..255})"
[[ $(lastcmd) == "APPROVE 42 $(printf '%%25%.0s' {1..255})" ]] || fail "255 '%' are not escaped on the wire: $(lastcmd)"
n=$(wc -l <"$LOG")
for t in $'two\nlines' $'cr\rhere' $'tab\there' $'esc\e[31m' $'del\x7f'; do
	expect 1 sg deny 42 --reason "$t"
	grep -q 'control character' "$W/err" || fail "reason $(printf %q "$t") not refused: $(cat "$W/err")"
done
expect 2 sg deny 42;                                      grep -q -- '--reason TEXT' "$W/err" || fail "deny without reason"
expect 2 sg approve;                                      grep -q 'which request' "$W/err" || fail "approve without id"
expect 2 sg approve 4x2;                                  grep -q 'not a request id' "$W/err" || fail "approve 4x2"
expect 2 sg approve -- -1
expect 2 sg show 42 43
expect 2 sg pending extra
[[ $(wc -l <"$LOG") == "$n" ]] || fail "a usage error reached policyd: $(tail -n 3 "$LOG")"
note "usage errors exit 2 and send nothing; text over 255 bytes or with control characters is refused"

# ---- pending, show, grants: JSON as policyd sent it, tables otherwise
expect 0 sg pending --json
python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert [r["id"] for r in a] == [42, 17]; assert a[0]["approvals"] == ["user:bob"]' "$W/out" ||
	fail "pending --json: $(cat "$W/out")"
expect 0 sg pending
head -n 1 "$W/out" | grep -Eq '^ID +PROJECT +KIND +REQUESTER +COUNT +APPROVALS +EXPIRES +REASON$' || fail "pending header: $(cat "$W/out")"
grep -Eq '^42 +rel +grant +user:alice +3 +1/2 ' "$W/out" || fail "pending row: $(cat "$W/out")"
! grep -q $'\x1b' "$W/out" || fail "pending printed another user's terminal escape"
expect 0 sg show 42 --json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["id"] == 42 and r["needed"] == 2 and r["state"] == "pending"' "$W/out" ||
	fail "show --json: $(cat "$W/out")"
expect 0 sg show 42
grep -q '^approvals:  1 of 2 approvals: user:bob$' "$W/out" || fail "show: $(cat "$W/out")"
! grep -q $'\x1b' "$W/out" || fail "show printed another user's terminal escape"
expect 0 sg show 17
grep -q 'program git' "$W/out" || fail "show of a waiting signature: $(cat "$W/out")"
expect 1 sg show 404
grep -q 'no request 404; check the id' "$W/err" || fail "show 404: $(cat "$W/err")"
expect 0 sg grants
grep -Eq '^42 +rel +2 of 3 ' "$W/out" || fail "grants: $(cat "$W/out")"
expect 0 sg grants --json
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))[0]["uses_left"] == 2' "$W/out" || fail "grants --json"
note "pending/show/grants: JSON passes through, tables aligned, escapes shown as '?'"

# ---- approve, deny, cancel
expect 0 sg approve 42 --comment 'ok 100%'
[[ $(lastcmd) == 'APPROVE 42 ok 100%25' ]] || fail "approve line: $(lastcmd)"
grep -q 'your approval is counted' "$W/out" || fail "approve: $(cat "$W/out")"
grep -q '^approved: alice may now make 3 signatures on rel until ' "$W/out" || fail "approve state: $(cat "$W/out")"
expect 0 sg approve 41
grep -q 'already counted' "$W/out" || fail "approve twice: $(cat "$W/out")"
expect 1 sg approve 43
grep -q 'may not approve her own request 43' "$W/err" || fail "own request: $(cat "$W/err")"
expect 0 sg deny 42 --reason 'not today'
[[ $(lastcmd) == 'DENY 42 not today' ]] || fail "deny line: $(lastcmd)"
grep -q 'denied by carol: not today' "$W/out" || fail "deny: $(cat "$W/out")"
expect 0 sg cancel 42
[[ $(lastcmd) == 'CANCEL 42' ]] || fail "cancel line: $(lastcmd)"
note "approve (counted/already), deny, cancel"

# ---- status and why
expect 0 sg status
grep -q 'waiting for 1 more approval from user:bob user:carol group:leads — request 17, program git' "$W/out" ||
	fail "status: no waiting signature: $(cat "$W/out")"
grep -q 'grant 44 on rel: 3 of 3 signatures left' "$W/out" || fail "status: no grant: $(cat "$W/out")"
expect 0 sg why
grep -q 'approval_required' "$W/out" && grep -q 'next: .*signet request --project rel' "$W/out" || fail "why: $(cat "$W/out")"
[[ $(lastcmd) == 'WHY --json' ]] || fail "why line: $(lastcmd)"
expect 0 sg why --json
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))[0]["code"] == "approval_required"' "$W/out" || fail "why --json"
note "status lists open requests; why shows code, reason and next"

# ---- a policyd from before approvals
kill "${PIDS[0]}"
start_fake --old
expect 0 sg why
grep -q 'not a signer of project rel' "$W/out" || fail "why on an old policyd: $(cat "$W/out")"
expect 1 sg why --json
expect 0 sg status
! grep -q 'requests' "$W/out" || fail "status on an old policyd talks of requests: $(cat "$W/out")"
expect 1 sg pending
grep -q 'pending: list the requests: Unknown IPC command' "$W/err" || fail "pending on an old policyd: $(cat "$W/err")"
note "old policyd: why falls back to WHY, status shows what it showed"

# ---- no policyd at all
kill "${PIDS[1]}"
rm -f "$S"
expect 1 sg pending
grep -q 'is not running' "$W/err" || fail "pending with no policyd: $(cat "$W/err")"
