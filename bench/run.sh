#!/bin/bash
# make bench: Signet beside the baselines of ../shared/bench, in one run.
#
# 1. the kit's run-baseline.sh with Signet as an extra scdaemon backend
#    (soft key, gnupg-pkcs11-scd and signet on the same SoftHSM2 token):
#    gpg --detach-sign latency, PKSIGN/s in one and in two parallel
#    gpg-connect-agent sessions, git/rpm/debsign flows, raw C_Sign rate;
# 2. policyd's own SIGN rate with 1, 2 and 8 concurrent clients
#    (bench/policyd-load.c), against the raw C_Sign rate of the same keys;
# 3. bench/report.sh prints the ratios;
# 4. bench/tsa.sh: signet-tsa under the kit's TSA tools (issue 3), with
#    the raw signing cost of the same keys (results/tsa-summary.txt).
#   SIGNET_BENCH_KIT  the kit (default ../shared/bench)
#   BENCH_DIR         state folder (default: a new short one under /tmp)
#   BENCH_QUICK=1     the kit's --quick mode
#   BENCH_PARTS       "conn approval keytypes cardmodel auditlog auditverify sign tsa"
#                     (default): conn =
#                     bench/conn.sh (issue 7: policyd's connection handling
#                     against the commit before it, built beside), approval =
#                     bench/approval.sh (issue 8: the cost of approvals, grants,
#                     rate and hours per signature; 1,000 waiting SIGNs),
#                     keytypes = bench/keytypes.sh (issue 9: rsa3072, p256 and
#                     ed25519 projects: gpg --detach-sign latency against a
#                     soft key of the same type, PKSIGN/s with 1 and 2 Assuan
#                     sessions, raw C_Sign of the same token key; knobs
#                     BENCH_KT_* at its head), cardmodel = bench/cardmodel.sh
#                     (issue 9's two-session ratio: Signet beside model cards
#                     of the same CPU cost, with and without a durable
#                     record), auditlog = bench/auditlog.sh
#                     (issue 10: SIGN/s with the checkpointed, durable log
#                     against raw C_Sign, 1/2/8 clients), auditverify =
#                     bench/auditverify.sh (`signet audit verify` of a
#                     generated 1,000,000-record trail, median of 3),
#                     sign = 1-3, tsa = 4
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
export SIGNET_BIN=${SIGNET_BIN:-$TOP/build/bin}
export BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/sgbXXXX)}
PARTS=" ${BENCH_PARTS:-conn approval keytypes cardmodel auditlog auditverify sign tsa} "
for p in $PARTS; do
	[[ $p == conn || $p == approval || $p == keytypes || $p == cardmodel || $p == auditlog || $p == auditverify || $p == sign || $p == tsa ]] ||
		{ echo "bench: unknown part '$p' in BENCH_PARTS (conn, approval, keytypes, cardmodel, auditlog, auditverify, sign, tsa)" >&2; exit 2; }
done
for p in conn approval keytypes cardmodel auditlog auditverify; do
	if [[ $PARTS == *" $p "* ]]; then
		"$TOP/bench/$p.sh"
		PARTS=${PARTS/ $p / }
	fi
done
[[ $PARTS == " " ]] && exit 0
KIT=${SIGNET_BENCH_KIT:-$TOP/../shared/bench}
[[ -x $KIT/run-baseline.sh ]] || { echo "bench: the kit is not at $KIT (set SIGNET_BENCH_KIT)" >&2; exit 1; }
export SIGNET_BENCH_KIT=$KIT
if [[ $PARTS == *" tsa "* && $PARTS != *" sign "* ]]; then
	exec "$TOP/bench/tsa.sh"
fi
export BENCH_KEYTYPES=${BENCH_KEYTYPES:-rsa2048 rsa3072 rsa4096}
LOADSECS=${BENCH_LOAD_SECS:-3}
OUT=$BENCH_DIR/results
mkdir -p "$OUT" "$BENCH_DIR/bin"
cc -O2 -Wall -Wextra -Werror -pthread -o "$BENCH_DIR/bin/policyd-load" "$TOP/bench/policyd-load.c" \
	$(pkg-config --cflags --libs libassuan gpg-error)

# The peer, gnupg-pkcs11-scd, runs SoftHSM2 without locking; under parallel
# load it crashes or spins at 100% CPU for good (BASELINE.md), and the kit
# then waits forever.  A spinning peer is killed (its case is then a FAIL,
# as a crash would be) and the kill is logged, so the run goes on and the
# other backends are not measured beside a core-eating livelock.
peer_watchdog() {
	local pid t0 t1
	declare -A last
	while sleep 5; do
		for pid in $(pgrep -f "gnupg-pkcs11-scd .*--homedir $BENCH_DIR/" || true); do
			t1=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || continue
			t0=${last[$pid]:-}
			last[$pid]=$t1
			# more than 4.5 s of CPU in 5 s: spinning, not signing
			if [[ -n $t0 ]] && ((t1 - t0 > 450)); then
				kill -9 "$pid" 2>/dev/null &&
					echo "bench: $(date +%T) killed spinning gnupg-pkcs11-scd (pid $pid)" | tee -a "$OUT/peer-watchdog.log"
			fi
		done
	done
}
peer_watchdog &
WATCHDOG=$!
trap 'kill $WATCHDOG 2>/dev/null || true' EXIT

args=(--scd "signet=$SIGNET_BIN/signet-scd:$TOP/bench/signet-hook.sh" --keep)
[[ ${BENCH_QUICK:-0} == 1 ]] && args+=(--quick)
"$KIT/run-baseline.sh" "${args[@]}" | tee "$OUT/kit.out"

# policyd alone, same token, same run.
SOCK=$BENCH_DIR/signet/h/run/policyd.sock
[[ -S $SOCK ]] || { echo "bench: signet's policyd socket $SOCK is missing" >&2; exit 1; }
printf 'key\tclients\tops\tops_per_s\tp50_us\tp99_us\terrors\n' >"$OUT/policyd-load.tsv"
for kt in $BENCH_KEYTYPES; do
	for c in 1 2 8; do
		r=$("$BENCH_DIR/bin/policyd-load" -s "$SOCK" -p "$kt" -c "$c" -t "$LOADSECS") || true
		printf '%s\t%s\n' "$kt" "$r" >>"$OUT/policyd-load.tsv"
	done
done
# stop what --keep left running
for b in soft p11scd signet; do
	[[ -f $BENCH_DIR/$b/backend ]] && "$KIT/backend-ctl.sh" "$b" stop >/dev/null 2>&1 || true
done
python3 "$TOP/bench/summary.py" "$OUT" | tee "$OUT/signet-summary.md"
if [[ $PARTS == *" tsa "* ]]; then
	kill $WATCHDOG 2>/dev/null || true
	"$TOP/bench/tsa.sh"
fi
echo "bench: results in $OUT"
