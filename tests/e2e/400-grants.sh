#!/bin/bash
# 400-grants — issue 8, grants for pipelines, as the attacks on them:
# project rel needs approvals = 2 from sg4-alice, sg4-bob, sg4-carol (and
# never waits: approval_wait = 0); sg4-alice signs for it.
#  - without a grant her signature is refused ("Not confirmed"), and
#    `signet why` says approval_required;
#  - she asks for 3 signatures; she cannot approve her own request; bob
#    approving twice counts once, and one approval is not enough;
#  - carol's approval makes it approved: 3 signatures with gpg succeed, the
#    4th is refused (grant_used_up); the count survives a policyd restart
#    and a kill -9 between them; each signature's audit record names the
#    grant;
#  - a denied request cannot be approved afterwards;
#  - a grant whose TTL ended is refused (project ttl, --ttl 5s).
# Policy keys are set by editing signet.conf + RELOAD (lib.sh policy_set)
# until `signet project set` lands.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
A=sg4-alice B=sg4-bob C=sg4-carol
gone() { local u; for u in $A $B $C; do userdel "$u" 2>/dev/null; done; true; }
for u in $A $B $C; do user_new "$u"; done
trap 'world_cleanup; gone' EXIT
world_new --public-bin
trap 'world_cleanup; gone' EXIT
project_new rel rsa2048 "user:$A"
project_new ttl rsa2048 "user:$A"
for p in rel ttl; do
	policy_set $p "approvers=user:$A user:$B user:$C" approvals=2 approval_wait=0
done
mkdir -p "$W/$A" && chown "$A" "$W/$A"
gpghome_new "$W/$A/g" --as "$A" --project rel --project ttl
REL=$(fpr_of "$W/$A/g" rel@signet.test)
TTL=$(fpr_of "$W/$A/g" ttl@signet.test)
[[ -n $REL && -n $TTL ]] || fail "alice has no rel/ttl key"
n=0
# sign USER FPR: a new file in alice's folder signed; its path in $F.
sign() {
	n=$((n + 1))
	F=$W/$A/f$n
	echo "file $n" >"$F" && chown "$A" "$F"
	sign_detached "$A" "$W/$A/g" "$2" "$F" 2>"$W/sign.err"
}
refused() { # FPR GPG-TEXT WHY-CODE
	if sign "$A" "$1"; then fail "signature $n was made; expected a refusal ($3)"; fi
	grep -q "$2" "$W/sign.err" || { cat "$W/sign.err"; fail "gpg does not say '$2' for $3"; }
	signet_as $A why --json >"$W/why.json" || fail "signet why --json"
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert a and a[0]["code"] == sys.argv[2] and a[0]["next"], a' \
		"$W/why.json" "$3" || { cat "$W/why.json"; fail "signet why: newest refusal is not $3"; }
}
field() { # ID KEY [USER]  one field of `signet show ID --json`, as USER (alice)
	signet_as "${3:-$A}" show "$1" --json | python3 -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(json.dumps(v) if isinstance(v, list) else v)' "$2"
}
uses_left() { # ID  from `signet grants --json`
	signet_as $A grants --json | python3 -c 'import json,sys; print([g["uses_left"] for g in json.load(sys.stdin) if g["id"] == int(sys.argv[1])][0])' "$1"
}

# ---- no grant: refused, and why says so
refused "$REL" 'Not confirmed' approval_required
signet_as $A why >"$W/why.txt" || fail "signet why"
grep -q approval_required "$W/why.txt" || { cat "$W/why.txt"; fail "signet why does not name approval_required"; }
note "no grant: $(grep -m1 'signing failed' "$W/sign.err")"

# ---- the request, and the approvals that do not count
ID=$(signet_as $A request --project rel --count 3 --reason "release 1.2 pipeline" 2>"$W/request.err") || { cat "$W/request.err"; fail "signet request"; }
[[ $ID =~ ^[0-9]+$ ]] || fail "signet request printed '$ID', not an id"
expect 1 signet_as $A approve "$ID"
note "alice approving her own request $ID: $(cat "$W/err")"
[[ $(field "$ID" approvals) == '[]' ]] || fail "the requester's approval counted: $(field "$ID" approvals)"
expect 0 signet_as $B approve "$ID" --comment "first look"
grep -q 'counted' "$W/out" || fail "bob's approval: $(cat "$W/out")"
expect 0 signet_as $B approve "$ID"
grep -q 'already counted' "$W/out" || fail "bob's second approval: $(cat "$W/out")"
[[ $(field "$ID" approvals) == "[\"user:$B\"]" ]] || fail "approvals after bob twice: $(field "$ID" approvals)"
[[ $(field "$ID" state) == pending ]] || fail "one approval of two made it $(field "$ID" state)"
refused "$REL" 'Not confirmed' approval_required
note "own approval refused, bob twice counts once, one approval is not enough"

# ---- carol finds it and approves: 3 signatures, across a restart and a kill -9
signet_as $C pending --json | python3 -c 'import json,sys; assert int(sys.argv[1]) in [r["id"] for r in json.load(sys.stdin)]' "$ID" ||
	fail "carol's pending does not list request $ID"
expect 0 signet_as $C approve "$ID"
grep -q "^approved: $A may now make 3 signatures on rel until" "$W/out" || fail "carol's approval: $(cat "$W/out")"
[[ $(field "$ID" state) == approved ]] || fail "two approvals made it $(field "$ID" state)"
SIGS=()
sign "$A" "$REL" || { cat "$W/sign.err"; fail "signature 1 with the grant"; }
SIGS+=("$F")
[[ $(uses_left "$ID") == 2 ]] || fail "uses left after one signature: $(uses_left "$ID")"
signet --home "$SIGNET_HOME" stop >/dev/null && signet --home "$SIGNET_HOME" start >/dev/null || fail "policyd restart"
[[ $(uses_left "$ID") == 2 ]] || fail "uses left after a restart: $(uses_left "$ID")"
sign "$A" "$REL" || { cat "$W/sign.err"; fail "signature 2 with the grant (after a restart)"; }
SIGS+=("$F")
pid=$(cat "$SIGNET_HOME/run/policyd.pid")
kill -9 "$pid"
wait_until 10 "policyd gone after kill -9" eval "! alive $pid"
signet --home "$SIGNET_HOME" start >/dev/null || fail "policyd start after kill -9"
[[ $(uses_left "$ID") == 1 ]] || fail "uses left after kill -9: $(uses_left "$ID")"
sign "$A" "$REL" || { cat "$W/sign.err"; fail "signature 3 with the grant (after kill -9)"; }
SIGS+=("$F")
for f in "${SIGS[@]}"; do gpgv --keyring "$W/rel.gpg" "$f.sig" "$f" 2>/dev/null || fail "bad signature $f.sig"; done
refused "$REL" 'Conditions of use not satisfied' grant_used_up
note "3 signatures (restart, kill -9 between), the 4th: $(grep -m1 'signing failed' "$W/sign.err")"
python3 - "$AUDIT" "$A" "$ID" <<'PY' || fail "the audit trail does not name grant $ID on each signature"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
signed = [r for r in recs if r.get("event") == "sign" and r.get("result") == "granted" and r.get("user") == sys.argv[2]]
assert len(signed) == 3, signed
assert all(r.get("grant") == int(sys.argv[3]) for r in signed), signed
PY
audit_check
note "each signature's audit record names grant $ID"

# ---- a denied request stays denied
ID2=$(signet_as $A request --project rel --count 1 --reason "hotfix" 2>/dev/null) || fail "second request"
expect 0 signet_as $C deny "$ID2" --reason "not without a review"
expect 1 signet_as $B approve "$ID2"
note "approve after deny: $(cat "$W/err")"
[[ $(field "$ID2" state) == denied ]] || fail "denied request is now $(field "$ID2" state)"
[[ $(field "$ID2" deny_reason) == "not without a review" ]] || fail "deny reason: $(field "$ID2" deny_reason)"

# ---- a grant past its TTL is refused
ID3=$(signet_as $A request --project ttl --count 5 --ttl 5s --reason "short" 2>/dev/null) || fail "ttl request"
expect 0 signet_as $B approve "$ID3"
expect 0 signet_as $C approve "$ID3"
grep -q '^approved:' "$W/out" || fail "the 5 s grant was not approved in time (a slow machine?): $(cat "$W/out")"
ttl_over() { [[ $(field "$ID3" state) == expired ]]; }
wait_until 30 "request $ID3 (--ttl 5s) shows expired" ttl_over
refused "$TTL" 'Ticket expired' grant_expired
note "expired grant: $(grep -m1 'signing failed' "$W/sign.err")"
