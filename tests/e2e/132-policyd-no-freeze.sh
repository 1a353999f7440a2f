#!/bin/bash
# Issue 7 finding 3, as the attack: a local user opens connections that send
# thousands of "READKEY <unknown 64-character name>" lines and never read
# the answers (whose reason goes out as S REASON from inside the command:
# e0a2a87 wrote it holding its configuration lock, so the next reload, and
# with it every signer, froze behind the stuck write).  While
# they are stuck, the admin reloads (RELOAD, and `signet project create`,
# which reloads) and another user signs with gpg: neither is delayed by more
# than a second; policyd drops the non-reading clients after its write
# deadline; and SIGTERM still stops policyd promptly with clients stuck.
. "$(dirname "$0")/lib.sh"
ATK=sg-atk
VIC=sg-vic
attack_world $ATK $VIC frz

n=0
sign_ms() { # -> milliseconds of one victim signature (fails the test on error)
	local t0 f
	n=$((n + 1))
	f=$W/$VIC/file$n
	echo "data $n" >"$f" && chown "$VIC" "$f"
	t0=$(date +%s%N)
	as_user "$VIC" env GNUPGHOME="$W/$VIC/g" timeout 20 gpg --batch --yes --no-tty -u "$FPR" \
		--detach-sign -o "$f.sig" "$f" 2>"$W/sign$n.err" || { cat "$W/sign$n.err"; fail "victim signature $n failed (or took over 20 s)"; }
	gpgv --keyring "$W/frz.gpg" "$f.sig" "$f" 2>/dev/null || fail "victim signature $n does not verify"
	echo $((($(date +%s%N) - t0) / 1000000))
}
reload_ms() {
	local t0=$(date +%s%N)
	timeout 20 gpg-connect-agent -S "$SOCK" RELOAD /bye >"$W/reload.out" 2>&1
	grep -q '^OK' "$W/reload.out" || { cat "$W/reload.out"; fail "RELOAD failed (or took over 20 s)"; }
	echo $((($(date +%s%N) - t0) / 1000000))
}

# Baseline: a warm agent, the slowest of three signatures.
base=0
for _ in 1 2 3; do ms=$(sign_ms); ((ms > base)) && base=$ms; done
note "baseline: gpg signature in at most $base ms"

# The attack: 8 connections x 20000 READKEY/CERT lines, never reading.
as_user $ATK python3 "$W/pd-attack.py" flood "$SOCK" 20000 8 frz >"$W/atk.out" 2>"$W/atk.err" &
PIDS+=($!)
atk=$!
wait_for "$W/atk.out" '^stuck 8 ' 60 "the flood did not get going"
note "attacker: $(head -n1 "$W/atk.out") (connections, bytes sent) and reading nothing"

# While the attacker's answers are unread: reload, create a project
# (which reloads too), and sign.
ms=$(reload_ms)
((ms < 1000 + base)) || fail "RELOAD took $ms ms under the attack"
note "RELOAD under the attack: $ms ms"
t0=$(date +%s%N)
timeout 60 signet --home "$SIGNET_HOME" project create frz2 --algo rsa2048 --uid "Frz2 <frz2@signet.test>" \
	--signer "user:$VIC" >"$W/create.out" 2>&1 || { cat "$W/create.out"; fail "project create under the attack"; }
cms=$((($(date +%s%N) - t0) / 1000000))
note "signet project create (keygen, reload, certify) under the attack: $cms ms"
worst=0
for _ in 1 2 3; do ms=$(sign_ms); ((ms > worst)) && worst=$ms; done
((worst <= base + 1000)) || fail "victim's signature took $worst ms under the attack (baseline $base ms)"
note "victim's gpg signatures under the attack: at most $worst ms (baseline $base ms)"

# policyd drops the clients that do not read, after its write deadline.
wait_for "$LOG" 'did not read its answer' 30 "policyd kept the non-reading clients"
wait_for "$W/atk.out" '^closed' 30 "the attacker's connections were not closed"
note "policyd: $(grep -m1 'did not read its answer' "$LOG" | cut -d' ' -f3-)"
stop_tree "$atk"; wait "$atk" 2>/dev/null || true

# SIGTERM with clients stuck mid-answer: policyd stops promptly.
as_user $ATK python3 "$W/pd-attack.py" flood "$SOCK" 20000 8 frz >"$W/atk2.out" 2>"$W/atk2.err" &
PIDS+=($!)
wait_for "$W/atk2.out" '^stuck 8 ' 60 "the second flood did not get going"
pid=$(cat "$SIGNET_HOME/run/policyd.pid")
t0=$(date +%s%N)
kill -TERM "$pid"
for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
alive "$pid" && fail "policyd still runs 5 s after SIGTERM with clients stuck"
note "SIGTERM with 8 stuck clients: policyd gone in $((($(date +%s%N) - t0) / 1000000)) ms"
[[ -e $SOCK ]] && fail "policyd left its socket behind"
true
