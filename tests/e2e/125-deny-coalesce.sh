#!/bin/bash
# The denial flood: a user who is not a signer asks policyd to SIGN as fast
# as one connection allows.  Every request is refused, but the audit trail
# grows by about one record a second for that user (not thousands), the
# records' counts add up to the requests, the trail stays gap-free, the log
# is not flooded either, `signet why` still gives the reason, and a stop in
# the middle of a flood loses no count.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
user_new sg-mallory
world_new --public-bin
project_new flood rsa2048 user:root
SOCK=$(awk -F' *= *' '$1 == "socket" { print $2 }' "$SIGNET_HOME/signet.conf")
[[ -S $SOCK ]] || fail "no policyd socket at $SOCK"
DIGEST=$(printf 'x%.0s' {1..64} | sha256sum | cut -d' ' -f1)
hammer() { # SECONDS → prints the number of refused requests
	runuser -u sg-mallory -- python3 "$TOOLS/pd-hammer.py" "$SOCK" "$1" \
		"SIGN --hash=sha256 flood $DIGEST" >"$W/hammer.out" || fail "the hammer failed"
	python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
assert s["ok"] == 0, s
assert s["err"] == s["requests"], s
print(s["requests"])' "$W/hammer.out"
}
# Wait (up to 5 s) until the trail accounts for N refused requests.
wait_requests() { # N
	for _ in $(seq 50); do
		audit_check --requests "deny:sg-mallory=$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	audit_check --requests "deny:sg-mallory=$1"
}

SECS=4
n1=$(hammer $SECS)
((n1 >= 500)) || fail "only $n1 requests in $SECS s: no flood to coalesce"
wait_requests "$n1"
records=$(grep -c '"user":"sg-mallory"' "$AUDIT")
note "$n1 refused requests in $SECS s: $records audit records"
audit_check --at-most "deny:sg-mallory=$((SECS + 3))" --has deny:denied:sg-mallory:flood
logged=$(grep -c 'deny uid' "$SIGNET_HOME/run/policyd.log" || true)
((logged <= SECS + 3)) || fail "$logged log lines for the flood"

runuser -u sg-mallory -- env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" why >"$W/why.out" 2>&1 ||
	{ cat "$W/why.out"; fail "signet why failed after the flood"; }
grep -q 'not a signer of project flood' "$W/why.out" || { cat "$W/why.out"; fail "signet why lost the reason"; }

# A stop right after a flood: the counts still held are written.
n2=$(hammer 2)
signet --home "$SIGNET_HOME" stop >/dev/null || fail "signet stop"
audit_check --requests "deny:sg-mallory=$((n1 + n2))" --at-most "deny:sg-mallory=$((SECS + 2 + 6))"
note "$n2 more, then stop: every refusal accounted for"
