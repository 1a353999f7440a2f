#!/bin/bash
# Run every end-to-end test in tests/e2e in number order.  Each test builds
# its own world under a short temporary folder and stops what it started.
#   SIGNET_BIN   folder with signet, signet-policyd, signet-scd (build/bin)
#   E2E_ONLY     glob of test names to run (e.g. '0[5-6]*')
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export SIGNET_BIN=${SIGNET_BIN:-$HERE/../build/bin}
pass=0 fail=0 failed=()
# Which GnuPG the tests ran against (2.2 on Debian 12, 2.4 on Debian 13):
# each run's log names it.
for prog in gpg gpg-agent; do
	v=$("$prog" --version 2>/dev/null | head -n 1)
	echo "e2e: ${v:-$prog: not found} ($(command -v "$prog" || echo "not in PATH"))"
done
for t in "$HERE"/e2e/[0-9]*; do
	name=$(basename "$t")
	[[ -n ${E2E_ONLY:-} && $name != ${E2E_ONLY} ]] && continue
	case $t in
	*.sh) cmd=(bash "$t") ;;
	*.py) cmd=(python3 "$t") ;;
	*) continue ;;
	esac
	start=$(date +%s)
	echo "== $name"
	if timeout 600 "${cmd[@]}"; then
		echo "-- PASS $name ($(($(date +%s) - start)) s)"
		pass=$((pass + 1))
	else
		echo "-- FAIL $name ($(($(date +%s) - start)) s)"
		fail=$((fail + 1))
		failed+=("$name")
	fi
done
echo "e2e: $pass passed, $fail failed${failed:+: ${failed[*]}}"
((fail == 0))
