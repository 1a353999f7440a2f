#!/bin/bash
# 407-desktop-notice — issue 8, the opt-in desktop notice: while a
# signature waits for approvers, signet-scd (set up with `signet setup
# --desktop`) has gpg-agent show a pinentry message naming the request and
# who may approve, and closes it when the signature is done.  gpg-agent runs
# a real pinentry program we control (tests/tools/fake-pinentry.py), which
# writes what it is asked to show to a log.
#  - with --desktop: the waiting signature shows the message (request id,
#    project, approvers), keeps waiting, signs after two approvals, and the
#    message is closed; a deny closes it too;
#  - with --desktop and --pinentry-mode loopback, GnuPG 2.2's gpg-agent
#    cancels the message: gpg fails at once with "Operation cancelled", the
#    request is cancelled (policyd saw signet-scd hang up), and the same
#    agent still signs afterwards.  2.4's hands the message to gpg (INQUIRE
#    CONFIRM), which ignores it: no pinentry, and the signature waits for
#    its approvals as without --desktop;
#  - without --desktop (the default) nothing is shown and the waiting
#    signature behaves as before (405).
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
A=sg7-alice B=sg7-bob C=sg7-carol
JOBS=()
stop_jobs() { local p; for p in "${JOBS[@]}"; do stop_tree "$p"; done; }
gone() { local u; for u in $A $B $C; do userdel "$u" 2>/dev/null || true; done; }
for u in $A $B $C; do user_new "$u"; done
trap 'stop_jobs; world_cleanup; gone' EXIT
world_new --public-bin
trap 'stop_jobs; world_cleanup; gone' EXIT
project_new rel rsa2048 "user:$A"
project_new free rsa2048 "user:$A"
policy_set rel "approvers=user:$B user:$C" approvals=2 approval_wait=2m
mkdir -p "$W/$A" && chown "$A" "$W/$A"
cp "$TOOLS/fake-pinentry.py" "$W/fake-pinentry.py"
chmod 755 "$W/fake-pinentry.py"

# home NAME [setup args...]: a GnuPG home $W/$A/NAME whose gpg-agent uses
# the fake pinentry, logging to $W/$A/NAME.pinentry (made before setup,
# which keeps the line and starts the agent).
home() {
	local h=$W/$A/$1
	shift
	mkdir -m 700 "$h"
	printf '#!/bin/sh\nexec python3 %s %s "$@"\n' "$W/fake-pinentry.py" "$h.pinentry" >"$h.pe"
	chmod 755 "$h.pe"
	echo "pinentry-program $h.pe" >"$h/gpg-agent.conf"
	: >"$h.pinentry"
	chown -R "$A" "$h" "$h.pinentry"
	gpghome_new "$h" --as "$A" --project rel --project free "$@"
}
home gd --desktop
home gn
grep -qx 'desktop_notice = yes' "$W/$A/gd/signet-scd.conf" || fail "setup --desktop did not write desktop_notice = yes"
grep -q 'shows a pinentry message' "$W/$A/gd.setup.out" || fail "setup --desktop does not say what it turned on"
! grep -q 'pinentry message' "$W/$A/gn.setup.out" || fail "setup without --desktop talks about the notice"
! grep -q desktop_notice "$W/$A/gn/signet-scd.conf" || fail "setup without --desktop wrote desktop_notice"
grep -q "pinentry-program $W/$A/gd.pe" "$W/$A/gd/gpg-agent.conf" || fail "setup dropped pinentry-program"
REL=$(fpr_of "$W/$A/gd" rel@signet.test)
FREE=$(fpr_of "$W/$A/gd" free@signet.test)
[[ -n $REL && -n $FREE ]] || fail "no rel or free key in alice's home"

# sign_bg NAME HOME [gpg args...]: alice signs $W/$A/NAME with rel in the
# background; exit status to $W/NAME.rc when done, gpg's stderr to
# $W/NAME.err.
sign_bg() {
	local name=$1 h=$W/$A/$2
	shift 2
	echo "$name" >"$W/$A/$name" && chown "$A" "$W/$A/$name"
	(rc=0
	 as_user $A env GNUPGHOME="$h" gpg --batch --yes --no-tty "$@" -u "$REL" \
		--detach-sign -o "$W/$A/$name.sig" "$W/$A/$name" 2>"$W/$name.err" || rc=$?
	 echo $rc >"$W/$name.rc.new" && mv "$W/$name.rc.new" "$W/$name.rc") &
	JOBS+=("$!")
}
ended() { [[ -s $W/$1.rc ]]; }
# The id of alice's newest waiting signature in bob's `signet pending`.
pending_sign() {
	signet_as $B pending --json | python3 -c 'import json,sys
ids = [r["id"] for r in json.load(sys.stdin) if r["kind"] == "sign" and r["requester"] == "user:" + sys.argv[1]]
assert ids
print(ids[-1])' "$A"
}
state() { signet_as $A show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
approve_both() {
	expect 0 signet_as $B approve "$1"
	expect 0 signet_as $C approve "$1"
}
verify() { # NAME HOME
	as_user $A env GNUPGHOME="$W/$A/$2" gpg --batch --verify "$W/$A/$1.sig" "$W/$A/$1" 2>"$W/verify.err" ||
		{ cat "$W/verify.err"; fail "signature $1 does not verify"; }
}

# ---- --desktop, pinentry mode ask (gpg's default, also with --batch)
sign_bg d1 gd
wait_until 60 "a waiting signature of alice in bob's signet pending" pending_sign
ID=$(pending_sign)
wait_for "$W/$A/gd.pinentry" '^CONFIRM .*--one-button' 30 "the desktop notice of request $ID"
desc=$(grep -m1 '^SETDESC ' "$W/$A/gd.pinentry")
[[ $desc == *"Signet: request $ID (project rel) waits for 2 approval(s) from user:$B user:$C"* ]] ||
	{ cat "$W/$A/gd.pinentry"; fail "the notice does not name request $ID and its approvers: $desc"; }
! grep -q '^END' "$W/$A/gd.pinentry" || fail "the notice was closed while the signature waits"
! ended d1 || fail "the signature ended before any approval: $(cat "$W/d1.err")"
[[ $(state "$ID") == pending ]] || fail "request $ID is $(state "$ID") while it waits"
approve_both "$ID"
wait_until 60 "the signature d1 finished after two approvals" ended d1
[[ $(cat "$W/d1.rc") == 0 ]] || { cat "$W/d1.err"; fail "the signature d1 failed after two approvals"; }
verify d1 gd
wait_for "$W/$A/gd.pinentry" '^END ' 10 "the desktop notice closed after the signature"
! grep -q '^GETPIN' "$W/$A/gd.pinentry" || fail "the pinentry was asked for a PIN"
note "notice: ${desc#SETDESC }; closed ($(grep -m1 '^END' "$W/$A/gd.pinentry"))"

# ---- --desktop: a deny ends the wait and closes the notice too
: >"$W/$A/gd.pinentry"
sign_bg d3 gd
wait_for "$W/$A/gd.pinentry" '^CONFIRM .*--one-button' 60 "the desktop notice of the second request"
IDD=$(pending_sign)
expect 0 signet_as $C deny "$IDD" --reason "not now"
wait_until 10 "the signature d3 ended after the deny" ended d3
[[ $(cat "$W/d3.rc") != 0 ]] || fail "the signature d3 succeeded after a deny"
grep -q 'signing failed: Permission denied' "$W/d3.err" || { cat "$W/d3.err"; fail "gpg does not say 'Permission denied' after the deny"; }
wait_for "$W/$A/gd.pinentry" '^END ' 10 "the desktop notice closed after the deny"
note "denied: $(grep -m1 'signing failed' "$W/d3.err"); notice closed"

# ---- --desktop with --pinentry-mode loopback: 2.2 cancels the notice and
# the signature, 2.4 hands the notice to gpg and the signature waits
AGENT_VER=$(gpg-agent --version | sed -n '1s/.* //p')
: >"$W/$A/gd.pinentry"
t0=$SECONDS
sign_bg d2 gd --pinentry-mode loopback
if [[ $AGENT_VER == 2.2.* ]]; then
	wait_until 30 "the loopback signature ended" ended d2
	[[ $(cat "$W/d2.rc") != 0 ]] || fail "the loopback signature succeeded without approvals"
	grep -q 'Operation cancelled' "$W/d2.err" || { cat "$W/d2.err"; fail "gpg does not say 'Operation cancelled'"; }
	((SECONDS - t0 < 20)) || fail "the loopback signature took $((SECONDS - t0)) s to fail"
	ID2=$(python3 -c 'import json,sys
ids = [r.get("request") for r in map(json.loads, open(sys.argv[1])) if r.get("request") and r.get("user") == sys.argv[2]]
print(max(ids))' "$AUDIT" "$A")
	((ID2 > IDD)) || fail "no new request for the loopback signature in the audit trail (newest $ID2)"
	wait_until 10 "request $ID2 cancelled" test "$(state "$ID2")" = cancelled
	! signet_as $B pending --json | has "\"id\":$ID2," || fail "request $ID2 still pending for bob"
	[[ ! -s $W/$A/gd.pinentry ]] || { cat "$W/$A/gd.pinentry"; fail "a pinentry ran in loopback mode"; }
	# The agent and signet-scd are still in step: the next signature works.
	echo free >"$W/$A/f1" && chown "$A" "$W/$A/f1"
	sign_detached $A "$W/$A/gd" "$FREE" "$W/$A/f1" || fail "alice's next signature (free) after the cancel"
	note "loopback: $(grep -m1 'Operation cancelled' "$W/d2.err"); request $ID2 cancelled"
else
	wait_until 60 "the loopback signature waiting in bob's signet pending" pending_sign
	ID2=$(pending_sign)
	((ID2 > IDD)) || fail "pending shows request $ID2, not the loopback signature's"
	! ended d2 || { cat "$W/d2.err"; fail "the loopback signature ended before any approval"; }
	[[ $(state "$ID2") == pending ]] || fail "request $ID2 is $(state "$ID2") while it waits"
	approve_both "$ID2"
	wait_until 60 "the loopback signature d2 finished after two approvals" ended d2
	[[ $(cat "$W/d2.rc") == 0 ]] || { cat "$W/d2.err"; fail "the loopback signature failed after two approvals"; }
	verify d2 gd
	[[ ! -s $W/$A/gd.pinentry ]] || { cat "$W/$A/gd.pinentry"; fail "a pinentry ran in loopback mode"; }
	note "loopback (gpg-agent $AGENT_VER): no pinentry; request $ID2 waited and was signed after two approvals"
fi

# ---- without --desktop: no notice, the wait works as before
sign_bg n1 gn
wait_until 60 "a waiting signature of alice (no --desktop)" pending_sign
ID3=$(pending_sign)
((ID3 > ID2)) || fail "pending shows request $ID3, not a new one"
approve_both "$ID3"
wait_until 60 "the signature n1 finished after two approvals" ended n1
[[ $(cat "$W/n1.rc") == 0 ]] || { cat "$W/n1.err"; fail "the signature n1 failed after two approvals"; }
verify n1 gn
[[ ! -s $W/$A/gn.pinentry ]] || { cat "$W/$A/gn.pinentry"; fail "a notice was shown without --desktop"; }
! grep -q 'desktop notice' "$W/$A/gn/signet-scd.log" || fail "signet-scd without desktop_notice logged a notice"
note "without --desktop: request $ID3 signed, no pinentry"

# ---- setup again without --desktop turns it off
gpghome_new "$W/$A/gd" --as "$A" --project rel --project free
! grep -q desktop_notice "$W/$A/gd/signet-scd.conf" || fail "setup without --desktop kept desktop_notice"
