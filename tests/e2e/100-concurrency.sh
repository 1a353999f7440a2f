#!/bin/bash
# Two gpg processes signing at the same time in one GnuPG home (the agent
# then opens signet-scd's extra socket) and in two homes: all succeed.
. "$(dirname "$0")/lib.sh"
world_new
project_new par rsa2048 "user:$(id -un)"
H1=$W/g1
H2=$W/g2
gpghome_new "$H1"
gpghome_new "$H2"
FPR=$(fpr_of "$H1" par@signet.test)
N=${E2E_PAR_N:-25}
loop() { # H TAG
	local i
	for ((i = 0; i < N; i++)); do
		echo "$2 $i" >"$W/$2-$i"
		GNUPGHOME=$1 gpg --batch --yes --no-tty -u "$FPR" --detach-sign -o "$W/$2-$i.sig" "$W/$2-$i" 2>>"$W/$2.err" || return 1
	done
}
check_loop() { # TAG
	local i
	for ((i = 0; i < N; i++)); do
		gpgv --keyring "$W/par.gpg" "$W/$1-$i.sig" "$W/$1-$i" 2>/dev/null || fail "$1-$i does not verify"
	done
}
# Same home, two parallel loops; agent ↔ scd traffic also from a 3rd Assuan session.
loop "$H1" a & p1=$!
loop "$H1" b & p2=$!
wait $p1 || { cat "$W/a.err"; fail "loop a in the shared home failed"; }
wait $p2 || { cat "$W/b.err"; fail "loop b in the shared home failed"; }
check_loop a; check_loop b
note "2 x $N signatures in one home in parallel: all verified"

loop "$H1" c & p1=$!
loop "$H2" d & p2=$!
wait $p1 || { cat "$W/c.err"; fail "loop c failed"; }
wait $p2 || { cat "$W/d.err"; fail "loop d failed"; }
check_loop c; check_loop d
note "2 x $N signatures in two homes in parallel: all verified"
audit_check --count sign=$((4 * N))

# Assuan level: two gpg-connect-agent sessions on one agent, each doing
# PKSIGN in a loop, overlap for certain (gnupg-pkcs11-scd crashes here).
# The signing subkey's keygrip (the primary only certifies; no stub for it).
GRIP=$(GNUPGHOME=$H1 gpg --batch --with-colons --with-keygrip --list-secret-keys "$FPR" | awk -F: '/^ssb/{s=1} s && /^grp/{print $10; exit}')
[[ -n $GRIP ]] || fail "no keygrip for $FPR"
HASH=$(printf '5a%.0s' $(seq 32))
for ((i = 0; i < 50; i++)); do printf 'SIGKEY %s\nSETHASH --hash=sha256 %s\nPKSIGN\n' "$GRIP" "$HASH"; done >"$W/agent.txt"
GNUPGHOME=$H1 gpg-connect-agent <"$W/agent.txt" >"$W/s1.out" 2>&1 & p1=$!
GNUPGHOME=$H1 gpg-connect-agent <"$W/agent.txt" >"$W/s2.out" 2>&1 & p2=$!
wait $p1; wait $p2
for s in s1 s2; do
	ok=$(grep -c '^D (7:sig-val' "$W/$s.out" || true)
	((ok == 50)) || { grep -m3 ERR "$W/$s.out"; fail "session $s: $ok of 50 PKSIGN succeeded"; }
done
note "2 parallel Assuan sessions x 50 PKSIGN: all succeeded"
# The second session cannot have the pipe: gpg-agent must have used the
# extra socket signet-scd announced (GETINFO socket_name).
grep -q 'extra socket: socket connection from pid' "$H1/signet-scd.log" ||
	fail "gpg-agent never used signet-scd's extra socket"
note "signet-scd served $(grep -c 'extra socket: socket connection' "$H1/signet-scd.log") connection(s) on its extra socket"
audit_check --count sign=$((4 * N + 100))
