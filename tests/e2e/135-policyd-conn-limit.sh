#!/bin/bash
# Issue 7 finding 4, as the attack: one local user takes every connection
# policyd will give them (and one connection dribbles a byte every 2 s to
# dodge the idle limit).  Another user still signs with gpg; the hog's
# extra connections get a clear "full" refusal (also through the CLI), the
# refusals are logged and audited at most once per second and uid, and the
# dribbling connection is closed by the partial-line limit.
. "$(dirname "$0")/lib.sh"
HOG=sg-hog
SIG=sg-sig
attack_world $HOG $SIG lim

# The dribbler first (it counts against the hog's limit), then every
# connection the hog can get.
as_user $HOG python3 "$W/pd-attack.py" dribble "$SOCK" 2 >"$W/dribble.out" 2>&1 &
PIDS+=($!)
wait_for "$W/dribble.out" '^connected' 30 "the dribbler did not connect"
as_user $HOG python3 "$W/pd-attack.py" hold "$SOCK" >"$W/hold.out" 2>&1 &
PIDS+=($!)
wait_for "$W/hold.out" '^refused' 60 "the hog was never refused"
held=$(sed -n 's/^held //p' "$W/hold.out")
((held == 31)) || fail "the hog held $held connections besides the dribbler (max_connections_per_user is 32)"
grep -q "signet-policyd is full for user $HOG" "$W/hold.out" || { cat "$W/hold.out"; fail "the refusal does not say policyd is full"; }
note "hog holds 32 connections; next one: $(sed -n 's/^refused //p' "$W/hold.out" | cut -c1-120)"

# Another user signs meanwhile.
echo "signed while the hog holds its connections" >"$W/$SIG/f" && chown $SIG "$W/$SIG/f"
sign_detached $SIG "$W/$SIG/g" "$FPR" "$W/$SIG/f" 2>"$W/sign.err" || { cat "$W/sign.err"; fail "the other user could not sign"; }
gpgv --keyring "$W/lim.gpg" "$W/$SIG/f.sig" "$W/$SIG/f" 2>/dev/null || fail "signature does not verify"
note "$SIG signed while $HOG holds 32 connections"

# The CLI tells the hog what is wrong.
if as_user $HOG env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" why >"$W/why.out" 2>&1; then
	fail "signet why worked for a user at the limit"
fi
grep -q 'full for your user' "$W/why.out" || { cat "$W/why.out"; fail "the CLI does not say policyd is full"; }
note "CLI: $(head -n1 "$W/why.out" | cut -c1-120)"

# A burst of refused connections: logged and audited once per second.
before=$(grep -c '"event":"connect"' "$AUDIT" || true)
t0=$SECONDS
as_user $HOG python3 "$W/pd-attack.py" burst "$SOCK" 300 >"$W/burst.out" 2>&1
secs=$((SECONDS - t0 + 2))
[[ $(head -n1 "$W/burst.out") == "refused 300" ]] || { cat "$W/burst.out"; fail "not all 300 burst connections were refused"; }
wait_for "$LOG" "uid $(id -u $HOG): refused [0-9]+ connection" 10 "refusals not logged"
refused_sum() { # refused connections the audit records since record BEFORE count
	grep '"event":"connect"' "$AUDIT" | tail -n +$((before + 1)) |
		sed -n 's/.*"reason":"\([0-9]*\) connection.*/\1/p' | awk '{s += $1} END {print s + 0}'
}
end=$((SECONDS + 10))
until (($(refused_sum) >= 300)); do
	((SECONDS < end)) || fail "only $(refused_sum) of 300 refusals audited"
	sleep 0.1
done
recs=$(($(grep -c '"event":"connect"' "$AUDIT") - before))
((recs <= secs + 1)) || fail "$recs audit records for a $secs s burst (one per second expected)"
grep '"event":"connect"' "$AUDIT" | tail -n1 | has '"result":"refused"' || fail "the refusal record is not 'refused'"
note "300 refused connections in about $secs s: $recs audit record(s), e.g. $(grep '"event":"connect"' "$AUDIT" | tail -n1 | grep -o '"reason":"[^"]*"')"
audit_check >/dev/null || fail "audit trail does not verify"

# The dribbler never finishes a line: closed by the partial-line limit.
wait_for "$W/dribble.out" '^dropped' 30 "the dribbling connection was never closed"
d=$(sed -n 's/^dropped //p' "$W/dribble.out")
((d <= 15)) || fail "the dribbling connection lived $d s"
note "dribbler (a byte every 2 s) closed after $d s"
true
