#!/bin/bash
# Run every end-to-end test in tests/e2e in number order.  Each test builds
# its own world under a short temporary folder and stops what it started.
#   SIGNET_BIN   folder with signet, signet-policyd, signet-scd (build/bin)
#   E2E_ONLY     glob of test names to run (e.g. '0[5-6]*')
#   E2E_JOBS     tests run at once (default 1).  Most tests spend their time
#                waiting for daemons, gpg-agent and deadlines, so two at a
#                time finish sooner on two cores.  Tests that measure time or
#                hold machine-wide state (E2E_SERIAL) still run alone.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export SIGNET_BIN=${SIGNET_BIN:-$HERE/../build/bin}
JOBS=${E2E_JOBS:-1}
# Alone: deadlines and limits under test (132-140, 230), load (200) and
# the trusted-home test that plants files in /tmp (130).  The crash loops
# (470, 530) wait for conditions, so they share the machine.
SERIAL=${E2E_SERIAL:-'@(130|132|135|140|200|230)-*'}
pass=0 fail=0 failed=()
LOGS=$(mktemp -d /tmp/sgeXXXX)
trap 'rm -rf "$LOGS"' EXIT
# Which GnuPG the tests ran against (2.2 on Debian 12, 2.4 on Debian 13):
# each run's log names it.
for prog in gpg gpg-agent; do
	v=$("$prog" --version 2>/dev/null | head -n 1)
	echo "e2e: ${v:-$prog: not found} ($(command -v "$prog" || echo "not in PATH"))"
done
shopt -s extglob

# Run test T, its output to LOGS/NAME.log, its result to LOGS/NAME.rc.
run_one() { # T
	local t=$1 name start rc
	name=$(basename "$t")
	start=$(date +%s)
	case $t in
	*.sh) timeout 600 bash "$t" ;;
	*.py) timeout 600 python3 "$t" ;;
	esac >"$LOGS/$name.log" 2>&1
	rc=$?
	echo "$rc $(($(date +%s) - start))" >"$LOGS/$name.rc"
}

# Print a finished test's output and count it.
report() { # NAME
	local name=$1 rc secs
	read -r rc secs <"$LOGS/$name.rc"
	echo "== $name"
	cat "$LOGS/$name.log"
	if ((rc == 0)); then
		echo "-- PASS $name ($secs s)"
		pass=$((pass + 1))
	else
		echo "-- FAIL $name ($secs s)"
		fail=$((fail + 1))
		failed+=("$name")
	fi
}

tests=()
for t in "$HERE"/e2e/[0-9]*; do
	name=$(basename "$t")
	[[ -n ${E2E_ONLY:-} && $name != ${E2E_ONLY} ]] && continue
	[[ $t == *.sh || $t == *.py ]] && tests+=("$t")
done

running=()   # names of tests started and not yet reported, in order
# Report, in start order, every test at the head of RUNNING that is done.
drain() {
	while ((${#running[@]} > 0)) && [[ -f $LOGS/${running[0]}.rc ]]; do
		report "${running[0]}"
		running=("${running[@]:1}")
	done
}
for t in "${tests[@]}"; do
	name=$(basename "$t")
	if ((JOBS <= 1)) || [[ $name == $SERIAL ]]; then
		wait
		drain
		run_one "$t"
		report "$name"
		continue
	fi
	while (($(jobs -rp | wc -l) >= JOBS)); do
		wait -n
		drain
	done
	running+=("$name")
	run_one "$t" &
done
wait
drain
echo "e2e: $pass passed, $fail failed${failed:+: ${failed[*]}}"
((fail == 0))
