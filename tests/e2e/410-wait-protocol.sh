#!/bin/bash
# 410-wait-protocol — a SIGN that waits for approvers (issue 8), on the
# protocol, as the attacks: the waiting SIGN gets S REQUEST and S PROGRESS
# lines; neither its requester nor a user who is no approver can release
# it; an approver's APPROVE answers it (D + OK), a DENY within a second; a
# client that hangs up leaves a cancelled request; approval_wait ends it
# with GPG_ERR_TIMEOUT; 300 waiting SIGNs from 10 users cost policyd little
# memory and no CPU while another project's signer signs at normal speed;
# SIGTERM answers them all at once, and after a restart they are
# cancelled.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
REQ=sgw-req APP=sgw-app OTH=sgw-oth
HOLDERS=()
for i in 0 1 2 3 4 5 6 7 8 9; do HOLDERS+=(sgw-h$i); done
for u in $REQ $APP $OTH "${HOLDERS[@]}"; do user_new $u; done
PIDS=()
wait_cleanup() {
	local rc=$? p u
	set +e
	for p in "${PIDS[@]}"; do stop_tree "$p"; done
	(exit $rc)
	world_cleanup
	for u in "${_USERS[@]}"; do userdel "$u" 2>/dev/null; done
	return $rc
}
trap wait_cleanup EXIT
world_new --public-bin
trap wait_cleanup EXIT
SOCK=$(sed -n 's/^socket = //p' "$SIGNET_HOME/signet.conf")
LOG=$SIGNET_HOME/run/policyd.log
CONF=$SIGNET_HOME/signet.conf
cp "$TOOLS/pd-wait.py" "$TOOLS/pd-cmd.py" "$W/" && chmod 755 "$W/pd-wait.py" "$W/pd-cmd.py"
signers="user:$REQ"
for u in "${HOLDERS[@]}"; do signers+=" user:$u"; done
project_new wait rsa2048 $signers
project_new quick rsa2048 "user:$REQ"
project_new other rsa2048 "user:$OTH"

# Approvals on two projects: "wait" waits long, "quick" 4 s.
policy_set wait "approvers=user:$APP" approvals=1 approval_wait=10m
policy_set quick "approvers=user:$APP" approvals=1 approval_wait=4s

pdw() { # USER ARGS...  (pd-wait.py as USER)
	local u=$1
	shift
	as_user "$u" python3 "$W/pd-wait.py" "$@"
}
pdc() { # USER COMMAND  (one request; prints its lines)
	as_user "$1" python3 "$W/pd-wait.py" one "$SOCK" "$2"
}
parked() { pdc root "GETINFO parked" | sed -n 's/^D //p'; }
pd_pid() { cat "$SIGNET_HOME/run/policyd.pid"; }
DIGEST=$(printf 'release 1.0' | sha256sum | cut -d' ' -f1)
SIGN="SIGN --hash=sha256 wait $DIGEST"

echo "-- a SIGN waits: S REQUEST, then S PROGRESS"
pdw $REQ one "$SOCK" "$SIGN" >"$W/w1.out" 2>&1 &
W1=$!
PIDS+=($W1)
wait_for "$W/w1.out" "^S REQUEST [0-9]+ 1 user:$APP" 10 "no S REQUEST <id> 1 user:$APP"
ID1=$(awk '/^S REQUEST/{print $3; exit}' "$W/w1.out")
wait_for "$W/w1.out" '^S PROGRESS [0-9]+' 12 "no S PROGRESS while waiting"
[[ $(parked) == 1 ]] || fail "GETINFO parked says $(parked), not 1"
pdc $REQ "SHOW $ID1" >"$W/show1.out" || { cat "$W/show1.out"; fail "SHOW $ID1 by its requester"; }
grep -q '"state":"pending"' "$W/show1.out" || { cat "$W/show1.out"; fail "request $ID1 is not pending"; }
grep -q '"kind":"sign"' "$W/show1.out" || { cat "$W/show1.out"; fail "request $ID1 is not of kind sign"; }
note "request $ID1 waits: $(grep -m1 '^S PROGRESS' "$W/w1.out")"

echo "-- the requester and a non-approver cannot release it"
if pdc $REQ "APPROVE $ID1 self" >"$W/self.out"; then fail "the requester approved their own request"; fi
if pdc $OTH "APPROVE $ID1 not mine" >"$W/oth.out"; then fail "a user who is no approver approved"; fi
if pdc $OTH "DENY $ID1 spite" >"$W/othdeny.out"; then fail "a user who is no approver denied"; fi
alive $W1 || fail "the waiting SIGN ended after refused approvals"
grep -q '^OK\|^ERR' "$W/w1.out" && fail "the waiting SIGN was answered: $(tail -n1 "$W/w1.out")"
note "self-approval: $(tail -n1 "$W/self.out" | cut -c1-100)"

echo "-- an approver approves: D signature and OK"
pdc $APP "APPROVE $ID1 looks right" >"$W/app.out" || { cat "$W/app.out"; fail "APPROVE $ID1 by the approver"; }
grep -q '^S VERDICT counted' "$W/app.out" || { cat "$W/app.out"; fail "no S VERDICT counted"; }
wait $W1 || { cat "$W/w1.out"; fail "the waiting SIGN failed after the approval"; }
grep -q '^D ' "$W/w1.out" || { cat "$W/w1.out"; fail "no signature after the approval"; }
[[ $(parked) == 0 ]] || fail "GETINFO parked says $(parked) after the answer"
note "signed after the approval: $(grep -c '^S PROGRESS' "$W/w1.out") heartbeat(s) while waiting"

echo "-- a DENY answers within a second"
pdw $REQ one "$SOCK" "$SIGN" >"$W/w2.out" 2>&1 &
W2=$!
PIDS+=($W2)
wait_for "$W/w2.out" '^S REQUEST [0-9]+' 10 "no S REQUEST"
ID2=$(awk '/^S REQUEST/{print $3; exit}' "$W/w2.out")
pdc $APP "DENY $ID2 not this one" >"$W/deny.out" || { cat "$W/deny.out"; fail "DENY $ID2"; }
t0=$(date +%s%N)
rc=0
wait $W2 || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
((rc == 1)) || { cat "$W/w2.out"; fail "the denied SIGN did not end with ERR (rc $rc)"; }
grep -q '^ERR [0-9]* Permission denied' "$W/w2.out" || { cat "$W/w2.out"; fail "the denied SIGN's ERR is not EACCES"; }
((ms < 1000)) || fail "the denied SIGN answered ${ms} ms after the DENY"
note "denied: $(tail -n1 "$W/w2.out" | cut -c1-100) (${ms} ms)"

echo "-- texts: a '%' that is not an escape is refused, never guessed at"
for text in '50% done' 'cut%00here' 'end%4'; do
	if pdc $REQ "REQUEST wait $text" >"$W/esc.out" 2>&1; then
		cat "$W/esc.out"
		fail "REQUEST with the reason '$text' was accepted"
	fi
	has "escape '%' as %25" "$W/esc.out" || { cat "$W/esc.out"; fail "REQUEST '$text': the refusal does not say how to escape"; }
	pdc $APP "DENY $ID2 $text" >"$W/esc.out" 2>&1 && fail "DENY with the reason '$text' was accepted"
	has "escape '%' as %25" "$W/esc.out" || { cat "$W/esc.out"; fail "DENY '$text': the refusal does not say how to escape"; }
done
pdc $REQ "REQUEST wait 50%25 done, %41" >"$W/esc.out" || { cat "$W/esc.out"; fail "REQUEST with escapes"; }
# (the answer is a D line: Assuan escapes its '%' as %25 again)
has '"reason":"50%25 done, A"' "$W/esc.out" || { cat "$W/esc.out"; fail "the escapes were not undone"; }
note "REQUEST/DENY: '50% done', 'cut%00here', 'end%4' refused; '50%25 done, %41' kept as '50% done, A'"

echo "-- a client that hangs up while waiting: request cancelled"
pdw $REQ hangup "$SOCK" "$SIGN" >"$W/w3.out" 2>&1 || { cat "$W/w3.out"; fail "no S REQUEST before the hang-up"; }
ID3=$(awk '/^S REQUEST/{print $3; exit}' "$W/w3.out")
end=$((SECONDS + 5))
until pdc $REQ "SHOW $ID3" | has '"state":"cancelled"'; do
	((SECONDS < end)) || { pdc $REQ "SHOW $ID3"; fail "request $ID3 not cancelled 5 s after its client left"; }
	sleep 0.1
done
[[ $(parked) == 0 ]] || fail "GETINFO parked says $(parked) after the hang-up"
if pdc $APP "APPROVE $ID3 too late" >"$W/late.out"; then fail "a cancelled request was approved"; fi
note "request $ID3 cancelled when its client left"

echo "-- approval_wait ends: GPG_ERR_TIMEOUT"
t0=$SECONDS
rc=0
pdw $REQ one "$SOCK" "SIGN --hash=sha256 quick $DIGEST" >"$W/w4.out" 2>&1 || rc=$?
secs=$((SECONDS - t0))
((rc == 1)) || { cat "$W/w4.out"; fail "the SIGN past approval_wait did not end with ERR (rc $rc)"; }
grep -q '^ERR [0-9]* Timeout' "$W/w4.out" || { cat "$W/w4.out"; fail "the ERR is not GPG_ERR_TIMEOUT"; }
((secs >= 3 && secs <= 8)) || fail "approval_wait = 4s ended after $secs s"
note "timed out after $secs s: $(tail -n1 "$W/w4.out" | cut -c1-100)"

echo "-- another project's signer, before the crowd"
pdw $OTH repeat 30 "$SOCK" "SIGN --hash=sha256 other $DIGEST" >"$W/base.out" || { cat "$W/base.out"; fail "signing on other"; }
base=$(awk '{print $2}' "$W/base.out")

echo "-- 300 waiting SIGNs from 10 users"
rss0=$(awk '/^VmRSS/{print $2}' /proc/$(pd_pid)/status)
for u in "${HOLDERS[@]}"; do
	pdw $u many 30 "$SOCK" "$SIGN" >"$W/many-$u.out" 2>&1 &
	PIDS+=($!)
done
for u in "${HOLDERS[@]}"; do
	wait_for "$W/many-$u.out" '^waiting 30 ' 60 "$u's 30 SIGNs are not all waiting"
done
[[ $(parked) == 300 ]] || fail "GETINFO parked says $(parked), not 300"
# Memory, CPU and the other signer's speed are shown, not asserted: the
# targets (1,000 waiting under 64 MiB, no measurable CPU, others not
# slowed) are checked by `make bench` (bench/approval.sh), where a slow or
# sanitised build does not make a test fail.
rss=$(awk '/^VmRSS/{print $2}' /proc/$(pd_pid)/status)
pdw $OTH repeat 30 "$SOCK" "SIGN --hash=sha256 other $DIGEST" >"$W/busy.out" || { cat "$W/busy.out"; fail "signing on other while 300 wait"; }
busy=$(awk '{print $2}' "$W/busy.out")
[[ $(parked) == 300 ]] || fail "GETINFO parked says $(parked) after the other signer, not 300"
note "300 waiting: RSS $rss KiB (was $rss0); other signs in $busy ms (median; $base ms before), all still waiting"

echo "-- SIGTERM answers every waiting SIGN"
pid=$(pd_pid)
t0=$(date +%s%N)
kill "$pid"
end=$((SECONDS + 10))
while kill -0 "$pid" 2>/dev/null; do
	((SECONDS < end)) || fail "policyd still runs 10 s after SIGTERM with 300 waiting SIGNs"
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 7000)) || fail "policyd took ${ms} ms to stop"
for u in "${HOLDERS[@]}"; do
	wait_for "$W/many-$u.out" '^answers ' 10 "$u's SIGNs did not all end"
	grep -q '^answers ok=0 err=30 eof=0' "$W/many-$u.out" || { cat "$W/many-$u.out"; fail "$u's SIGNs were not all answered with ERR at SIGTERM"; }
done
note "stopped in ${ms} ms; $(grep -h '^final' "$W"/many-*.out | sort -u | head -n1 | cut -c1-100)"

echo "-- after a restart the waiting requests are cancelled"
signet --home "$SIGNET_HOME" start >"$W/restart.out" || { cat "$W/restart.out"; fail "restart"; }
id=$(awk '/^waiting/{print $3; exit}' "$W/many-${HOLDERS[0]}.out")
pdc ${HOLDERS[0]} "SHOW $id" >"$W/show-after.out" || { cat "$W/show-after.out"; fail "SHOW $id after the restart"; }
grep -q '"state":"cancelled"' "$W/show-after.out" || { cat "$W/show-after.out"; fail "request $id is not cancelled after the restart"; }
audit_check >/dev/null || fail "audit trail does not verify"
echo ok
