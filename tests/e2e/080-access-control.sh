#!/bin/bash
# Access control with real users.  sg-alice (listed by name) and sg-bob (via
# group sg-release) may sign for project "acl"; sg-carol may not.  Bob is
# then taken out of the group: his next gpg signature is refused with the
# documented error ("No policy match"), Alice's still works, and every
# outcome is in the audit trail.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
for u in sg-alice sg-bob sg-carol; do user_new "$u"; done
getent group sg-release >/dev/null || groupadd sg-release
usermod -a -G sg-release sg-bob
trap 'world_cleanup; for u in sg-alice sg-bob sg-carol; do userdel "$u" 2>/dev/null; done; groupdel sg-release 2>/dev/null; true' EXIT
world_new --public-bin
trap 'world_cleanup; for u in sg-alice sg-bob sg-carol; do userdel "$u" 2>/dev/null; done; groupdel sg-release 2>/dev/null; true' EXIT
project_new acl rsa2048 user:sg-alice group:sg-release

for u in sg-alice sg-bob; do
	mkdir -p "$W/$u"
	chown "$u" "$W/$u"
	gpghome_new "$W/$u/g" --as "$u" --project acl
	echo "from $u" >"$W/$u/file"
	chown "$u" "$W/$u/file"
done
FPR=$(fpr_of "$W/sg-alice/g" acl@signet.test)
[[ -n $FPR ]] || fail "alice has no acl key"

sign_detached sg-alice "$W/sg-alice/g" "$FPR" "$W/sg-alice/file" || fail "alice could not sign"
sign_detached sg-bob "$W/sg-bob/g" "$FPR" "$W/sg-bob/file" || fail "bob (group member) could not sign"
gpgv --keyring "$W/acl.gpg" "$W/sg-bob/file.sig" "$W/sg-bob/file" 2>/dev/null || fail "bob's signature bad"
note "alice (user) and bob (group) signed"

# Carol is not a signer: setup tells her so and names the project.
mkdir -p "$W/carol" && chown sg-carol "$W/carol"
if runuser -u sg-carol -- env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" setup \
	--gnupghome "$W/carol/g" --project acl >"$W/carol.out" 2>&1; then
	cat "$W/carol.out"; fail "setup for a non-signer succeeded"
fi
grep -q acl "$W/carol.out" || { cat "$W/carol.out"; fail "carol's error does not name the project"; }
note "carol refused at setup: $(head -n1 "$W/carol.out")"

# Bob leaves the release group; his stub still exists, policyd refuses.
gpasswd -d sg-bob sg-release >/dev/null
echo again >"$W/sg-bob/file2" && chown sg-bob "$W/sg-bob/file2"
if runuser -u sg-bob -- env GNUPGHOME="$W/sg-bob/g" gpg --batch --yes --no-tty -u "$FPR" \
	--detach-sign -o "$W/sg-bob/file2.sig" "$W/sg-bob/file2" 2>"$W/bob.err"; then
	fail "bob signed after leaving the group"
fi
grep -q 'No policy match' "$W/bob.err" || { cat "$W/bob.err"; fail "bob's gpg error is not 'No policy match'"; }
note "bob refused: $(grep -m1 'signing failed' "$W/bob.err")"
# gpg can only say "No policy match"; `signet why` tells bob the whole reason.
runuser -u sg-bob -- env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" why >"$W/why.out" 2>&1 ||
	{ cat "$W/why.out"; fail "signet why failed for bob"; }
grep -q 'user sg-bob is not a signer of project acl' "$W/why.out" || { cat "$W/why.out"; fail "signet why does not give bob's reason"; }
runuser -u sg-alice -- env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" why >"$W/why-alice.out" 2>&1
grep -q 'no refused signature' "$W/why-alice.out" || { cat "$W/why-alice.out"; fail "alice sees someone else's refusal"; }
note "signet why (bob): $(grep reason: "$W/why.out")"
sign_detached sg-alice "$W/sg-alice/g" "$FPR" "$W/sg-alice/file" || fail "alice could not sign again"

audit_check --has sign:granted:sg-alice:acl --has sign:granted:sg-bob:acl --has deny:denied:sg-bob:acl \
	--has-sig "$(sig_mpi "$W/sg-alice/file.sig")" --has-sig "$(sig_mpi "$W/sg-bob/file.sig")"
grep '"event":"deny"' "$AUDIT" | has 'sg-bob' || fail "deny record lacks the user"
