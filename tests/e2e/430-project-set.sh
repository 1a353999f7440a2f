#!/bin/bash
# Policy edits through policyd (`signet project set/show`): an admin's
# edits are written by policyd (comments kept), put in force and audited;
# a non-admin is refused and audited; a bad value changes nothing and
# names file:line; edits from several processes at once all land, and
# never beside another program's edit of the file.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
user_new sg-mallory
world_new --public-bin
CONF=$SIGNET_HOME/signet.conf
SOCK=$(awk -F' *= *' '$1 == "socket" { print $2 }' "$CONF")
project_new acme rsa2048 user:root
grep -q '^\[project acme\]' "$CONF" || fail "project create: no section in $CONF"
audit_check --has policy:granted:root:acme >/dev/null
note "project create: policyd wrote the section (policy record in the trail)"

# A comment in the file survives policyd's edits.
sed -i 's/^\[project acme\]$/&   ; the release project/' "$CONF"
sed -i '/^\[project acme\]/a # keep this comment' "$CONF"
signet --home "$SIGNET_HOME" project set acme approvers=user:root%20x 2>/dev/null && fail "bad principal accepted"

expect 0 signet --home "$SIGNET_HOME" project set acme approvers='user:root group:leads' approvals=1 \
	approval_wait=15m hours='Mon-Sun 00:00-24:00 Europe/Berlin' rate=100/hour second_factor=none
grep -q '^approvers = user:root group:leads$' "$CONF" || { cat "$CONF"; fail "approvers not written"; }
grep -q '^hours = Mon-Sun 00:00-24:00 Europe/Berlin$' "$CONF" || fail "hours not written"
grep -q '^# keep this comment$' "$CONF" || fail "a comment was lost"
grep -q '^\[project acme\]   ; the release project$' "$CONF" || fail "an inline comment was lost"
audit_check --has policy:granted:root:acme --has-field "policy:by=user:root" \
	--has-field "config:digest=$(sha256sum <"$CONF" | cut -d' ' -f1)" >/dev/null
grep '"event":"policy"' "$AUDIT" | tail -n1 | has 'approvals=1' || fail "policy record lacks the keys"
note "set: six keys written at once, comments kept, audited with the new file's hash"

expect 0 signet --home "$SIGNET_HOME" project show acme --json
python3 - "$W/out" <<'PY' || fail "show --json: $(cat "$W/out")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["project"] == "acme", o
assert o["keys"]["approval_wait"] == "15m", o
assert o["effective"]["approvals"] == 1, o
assert o["effective"]["approval_wait"] == "15m", o
assert o["effective"]["rate"] == "100/hour", o
assert o["effective"]["hours"] == "Mon-Sun 00:00-24:00 Europe/Berlin", o
assert o["effective"]["hashes"] == "sha256 sha384 sha512", o
PY
expect 0 signet --home "$SIGNET_HOME" project show acme
grep -q 'approvals *1' "$W/out" || { cat "$W/out"; fail "show: no approvals line"; }
note "show: the keys as in the file and the policy in force (defaults filled in)"

# Bad values: nothing changes, the error names file:line.
before=$(sha256sum <"$CONF")
expect 1 signet --home "$SIGNET_HOME" project set acme rate=5/week
grep -qE "$CONF:[0-9]+: \[project acme\] rate: expected N/second" "$W/err" || { cat "$W/err"; fail "rate error"; }
expect 1 signet --home "$SIGNET_HOME" project set acme approvals=3 hours='Mon 09:00-17:00 Mars/Olympus'
grep -qE "$CONF:[0-9]+: \[project acme\] (approvals|hours)" "$W/err" || { cat "$W/err"; fail "all-or-nothing error"; }
expect 1 signet --home "$SIGNET_HOME" project set acme key=pkcs11:token=x
grep -q 'cannot be set this way' "$W/err" || { cat "$W/err"; fail "key= accepted"; }
expect 1 signet --home "$SIGNET_HOME" project set acme 'uid=x ; [policyd]'
expect 1 signet --home "$SIGNET_HOME" project set acme signers=
grep -qE "missing required key 'signers'" "$W/err" || { cat "$W/err"; fail "removing signers"; }
[[ $(sha256sum <"$CONF") == "$before" ]] || fail "a refused edit changed $CONF"
note "bad values refused with file:line, the file unchanged: $(head -n1 "$W/err")"

# signers += / -=.
expect 0 signet --home "$SIGNET_HOME" project set acme signers+=group:release
grep -q '^signers = user:root group:release$' "$CONF" || { grep signers "$CONF"; fail "signers+="; }
expect 0 signet --home "$SIGNET_HOME" project set acme signers-=group:release
grep -q '^signers = user:root$' "$CONF" || fail "signers-="
expect 1 signet --home "$SIGNET_HOME" project set acme signers-=user:nobody
note "signers+= and signers-= add and remove one principal"

# A non-admin: refused and audited, nothing written.
before=$(sha256sum <"$CONF")
for cmd in "PROJECT SET acme signers=user:sg-mallory" "PROJECT SHOW acme" \
	"PROJECT CREATE --algo=rsa2048 --uid=x --signers=user:sg-mallory --cert=/tmp/x.pgp evil"; do
	ans=$(runuser -u sg-mallory -- python3 "$TOOLS/pd-hammer.py" "$SOCK" 0 "$cmd")
	[[ $ans == ERR* ]] || fail "mallory's $cmd: $ans"
done
expect 1 runuser -u sg-mallory -- env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" project set acme \
	signers=user:sg-mallory
grep -q 'not an admin' "$W/err" || { cat "$W/err"; fail "mallory's error"; }
[[ $(sha256sum <"$CONF") == "$before" ]] || fail "mallory changed $CONF"
audit_check --has-field "deny:reason=PROJECT SET is an admin command and user sg-mallory is not an admin (add it to [policyd] admins)" >/dev/null
note "a non-admin's PROJECT SET/SHOW/CREATE refused and audited"

# Edits from several processes at once: none is lost.
pids=()
for i in 1 2 3 4 5 6; do
	signet --home "$SIGNET_HOME" project set acme signers+=user:u$i >"$W/par$i.out" 2>&1 &
	pids+=($!)
done
for i in 1 2 3 4 5 6; do wait "${pids[$((i - 1))]}" || { cat "$W/par$i.out"; fail "parallel set $i"; }; done
line=$(grep '^signers = ' "$CONF")
for i in 1 2 3 4 5 6; do [[ $line == *"user:u$i"* ]] || fail "edit u$i lost: $line"; done
(( $(grep -c '"event":"policy"' "$AUDIT") >= 10 )) || fail "policy records missing"
note "6 concurrent edits all landed: $line"

# Another program editing signet.conf (`signet tsa init`) holds the
# configuration lock, a flock on the home folder (conflock.h).  One that
# never lets go: the edit is refused with a reason after 5 s, nothing
# changed; once it lets go, the edit lands.
before=$(sha256sum <"$CONF")
flock "$SIGNET_HOME" bash -c 'touch "$1/held"; while [[ ! -e $1/release ]]; do sleep 0.05; done' _ "$W" &
holder=$!
wait_until 10 "the lock holder" test -e "$W/held"
expect 1 signet --home "$SIGNET_HOME" project set acme signers+=user:u7
grep -q "another program has been changing the configuration in $SIGNET_HOME for 5 s" "$W/err" ||
	fail "a held lock: $(cat "$W/err")"
[[ $(sha256sum <"$CONF") == "$before" ]] || fail "an edit changed $CONF while another held the lock"
signet --home "$SIGNET_HOME" project set acme signers+=user:u8 >"$W/u8.out" 2>&1 &
setter=$!
touch "$W/release"
wait "$holder"
wait "$setter" || fail "the edit after the lock was let go: $(cat "$W/u8.out")"
grep '^signers = ' "$CONF" | has 'user:u8' || fail "u8 not written"
note "an editor that holds signet.conf's lock: the edit refused after 5 s (file unchanged), then lands"
audit_check >/dev/null
echo "ok 430-project-set"
