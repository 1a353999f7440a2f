#!/bin/bash
# 405-waiting-git — issue 8, a signature that waits for approvers: project
# rel needs approvals = 2 from sg5-bob and sg5-carol and lets SIGN wait
# (approval_wait); sg5-alice signs for it with `git tag -s`, sg5-dave for
# project other (no approvals).
#  - `git tag -s` started in the background completes once bob and carol,
#    each from their own account, find the request with `signet pending
#    --json` and approve it; meanwhile dave signs at his normal speed, and
#    alice's `signet status` shows the waiting request and who must approve;
#  - with approval_wait = 5s and nobody acting, `git tag -s` fails with
#    gpg's "Timeout" and the request is expired;
#  - a deny makes the waiting `git tag -s` fail within a second.
# Policy keys are set by editing signet.conf + RELOAD (lib.sh policy_set)
# until `signet project set` lands.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
command -v git >/dev/null || { echo "SKIP: git not installed"; exit 0; }
A=sg5-alice B=sg5-bob C=sg5-carol D=sg5-dave
TAGS=()
# At exit: the waiting tags first, then the world (its gpg-agents), then
# the users (userdel refuses a user who still runs something).
stop_tags() { local p; for p in "${TAGS[@]}"; do stop_tree "$p"; done; }
gone() { local u; for u in $A $B $C $D; do userdel "$u" 2>/dev/null || true; done; }
for u in $A $B $C $D; do user_new "$u"; done
trap 'stop_tags; world_cleanup; gone' EXIT
world_new --public-bin
trap 'stop_tags; world_cleanup; gone' EXIT
project_new rel rsa2048 "user:$A"
project_new other rsa2048 "user:$D"
policy_set rel "approvers=user:$B user:$C" approvals=2 approval_wait=2m
for u in $A $D; do mkdir -p "$W/$u" && chown "$u" "$W/$u"; done
touch "$W/$A/gpg.err" && chown $A "$W/$A/gpg.err"
gpghome_new "$W/$A/g" --as "$A" --project rel
gpghome_new "$W/$D/g" --as "$D" --project other
REL=$(fpr_of "$W/$A/g" rel@signet.test)
OTHER=$(fpr_of "$W/$D/g" other@signet.test)
[[ -n $REL && -n $OTHER ]] || fail "no rel key for alice or other key for dave"
as_user $A bash -c "$(declare -f repo_new); repo_new $W/$A/repo rel@signet.test $REL"

# git keeps gpg's stderr to itself (--status-fd=2): gpg-tee passes it on
# and keeps a copy in $W/$A/gpg.err, where the test reads gpg's own words.
cat >"$W/gpg-tee" <<SH
#!/bin/bash
gpg "\$@" 2> >(tee -a "$W/$A/gpg.err" >&2)
SH
chmod 755 "$W/gpg-tee"
as_user $A git -C "$W/$A/repo" config gpg.program "$W/gpg-tee"

# tag_bg NAME: `git tag -s NAME` as alice in the background; pid in $TAG,
# exit status to $W/NAME.rc once it ends, stderr to $W/NAME.err (gpg's
# part of it in $W/$A/gpg.err).
tag_bg() {
	: >"$W/$A/gpg.err"
	(rc=0
	 as_user $A env GNUPGHOME="$W/$A/g" git -C "$W/$A/repo" tag -s "$1" -m "$1" 2>"$W/$1.err" || rc=$?
	 echo $rc >"$W/$1.rc.new" && mv "$W/$1.rc.new" "$W/$1.rc") &
	TAG=$!
	TAGS+=("$TAG")
}
ended() { [[ -s $W/$1.rc ]]; }
# pending_sign USER: the id of alice's waiting signature in USER's `signet
# pending --json` (none: fails).
pending_sign() {
	signet_as "$1" pending --json | python3 -c 'import json,sys
ids = [r["id"] for r in json.load(sys.stdin) if r["kind"] == "sign" and r["requester"] == "user:" + sys.argv[1]]
assert ids
print(ids[-1])' "$A"
}
# The id the wait saw: asked again, a request that waits only approval_wait
# = 5s may have expired in between on a busy machine.
pending_sign_seen() { pending_sign "$1" >"$W/pending-id"; }
wait_id() { # USER  waits for the request, its id in $ID
	wait_until 60 "a waiting signature of alice in $1's signet pending" pending_sign_seen "$1"
	ID=$(cat "$W/pending-id")
}
n=0
dave_signs() { # prints the milliseconds it took
	local t0
	n=$((n + 1))
	echo "dave $n" >"$W/$D/f$n" && chown $D "$W/$D/f$n"
	t0=$(date +%s%N)
	sign_detached $D "$W/$D/g" "$OTHER" "$W/$D/f$n" || fail "dave's signature $n on other"
	echo $((($(date +%s%N) - t0) / 1000000))
}
field() { # ID KEY
	signet_as $A show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

# ---- approved by two approvers from their own accounts
base=$(dave_signs)
tag_bg v1
wait_id $B
[[ $(pending_sign $C) == "$ID" ]] || fail "carol does not see request $ID"
signet_as $A status >"$W/status.out" || { cat "$W/status.out"; fail "alice's signet status"; }
grep -q "waiting for 2 more approvals from user:$B user:$C — request $ID" "$W/status.out" ||
	{ cat "$W/status.out"; fail "alice's status does not show the waiting request and its approvers"; }
during=$(dave_signs)
((during < 3 * base + 2000)) || fail "dave's signature took $during ms while alice waits ($base ms before)"
note "waiting: request $ID; dave signed in $during ms (before: $base ms); $(grep -m1 'waiting for' "$W/status.out" | sed 's/^ *//')"
! ended v1 || fail "git tag -s ended before any approval: $(cat "$W/v1.err")"
expect 0 signet_as $B approve "$ID"
[[ $(field "$ID" state) == pending ]] || fail "request $ID is $(field "$ID" state) after one approval of two"
! ended v1 || fail "git tag -s ended after one approval of two: $(cat "$W/v1.err")"
expect 0 signet_as $C approve "$ID" --comment "tag it"
wait_until 60 "git tag -s v1 finished after the second approval" ended v1
[[ $(cat "$W/v1.rc") == 0 ]] || { cat "$W/v1.err"; fail "git tag -s v1 failed after two approvals"; }
as_user $A env GNUPGHOME="$W/$A/g" git -C "$W/$A/repo" verify-tag v1 2>"$W/verify.err" || { cat "$W/verify.err"; fail "tag v1 does not verify"; }
[[ $(field "$ID" state) =~ ^(approved|used)$ ]] || fail "request $ID is $(field "$ID" state) after the signature"
note "git tag -s v1 completed after bob and carol approved; verify-tag: $(grep -m1 'Good signature' "$W/verify.err")"

# ---- nobody acts: approval_wait ends
policy_set rel approval_wait=5s
t0=$SECONDS
tag_bg v2
wait_id $B
wait_until 60 "git tag -s v2 ended after approval_wait = 5s" ended v2
[[ $(cat "$W/v2.rc") != 0 ]] || fail "git tag -s v2 succeeded without approvals"
grep -q 'signing failed: Timeout' "$W/$A/gpg.err" || { cat "$W/v2.err" "$W/$A/gpg.err"; fail "gpg (under git tag -s v2) does not say 'Timeout'"; }
((SECONDS - t0 >= 5)) || fail "git tag -s v2 failed before approval_wait ended ($((SECONDS - t0)) s)"
[[ $(field "$ID" state) == expired ]] || fail "request $ID is $(field "$ID" state) after approval_wait, not expired"
signet_as $A why --json | python3 -c 'import json,sys; assert json.load(sys.stdin)[0]["code"] == "approval_timeout"' ||
	fail "signet why does not say approval_timeout"
note "nobody approved: $(grep -m1 'signing failed' "$W/$A/gpg.err")"

# ---- a deny ends the wait at once
policy_set rel approval_wait=2m
tag_bg v3
wait_id $C
t0=$(date +%s%N)
expect 0 signet_as $C deny "$ID" --reason "not this release"
wait_until 10 "git tag -s v3 ended after the deny" ended v3
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 1000)) || fail "git tag -s v3 took $ms ms to fail after the deny"
[[ $(cat "$W/v3.rc") != 0 ]] || fail "git tag -s v3 succeeded after a deny"
grep -q 'signing failed: Permission denied' "$W/$A/gpg.err" || { cat "$W/v3.err" "$W/$A/gpg.err"; fail "gpg (under git tag -s v3) does not say 'Permission denied'"; }
[[ $(field "$ID" state) == denied ]] || fail "request $ID is $(field "$ID" state) after the deny"
note "denied: git failed ${ms} ms after the deny: $(grep -m1 'signing failed' "$W/$A/gpg.err")"
! as_user $A git -C "$W/$A/repo" rev-parse -q --verify refs/tags/v2 >/dev/null || fail "tag v2 exists"
! as_user $A git -C "$W/$A/repo" rev-parse -q --verify refs/tags/v3 >/dev/null || fail "tag v3 exists"
