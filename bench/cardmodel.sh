#!/bin/bash
# bench/cardmodel.sh — what the two-session target of issue 9 asks of a
# card on this machine (make bench, part "cardmodel").  Assuan PKSIGN/s
# with 1 and 2 parallel gpg-connect-agent sessions, rounds interleaved,
# through Signet (one project of key type BENCH_CM_KT) and through model
# cards: bench/null-scd.c as gpg-agent's scdaemon, on a copy of the same
# GnuPG home, so that gpg-agent does the very same work per signature:
#   null        the card costs nothing: the floor of gpg-connect-agent,
#               gpg-agent and their Assuan hops alone;
#   cpu         each PKSIGN uses as much CPU as signet-scd and policyd
#               together used per signature in this run's calibration;
#   cpu+wait    the same, then a wait off the CPU of Signet's measured
#               audit sync time, one session at a time (a sync that cost
#               nothing but time);
#   cpu+sync    the same CPU, then a 300-byte append and fdatasync(2) of a
#               file beside Signet's audit trail, one session at a time
#               (the durable record before the answer, and nothing else);
#   cpu+sync+hop  the same, after a NOP round trip to this run's policyd
#               (one more process in the chain, as Signet has);
#   halfcpu+sync, twocpu+sync  cpu+sync with half and twice the CPU: how the
#               ratio moves with the cost of a signature.
# Each reported ratio is PKSIGN/s with 2 sessions ÷ with 1, from the sums
# over the rounds.  Runs as any user; the sync time is read with strace
# (300 µs when strace cannot attach to policyd).
#   BENCH_DIR         results in BENCH_DIR/results (cardmodel-*)
#   BENCH_CM_KT (p256; p384, ed25519), BENCH_CM_OPS (400 per session), BENCH_CM_ROUNDS (4)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${SIGNET_BIN:-$TOP/build/bin}" && pwd)
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/sgbXXXX)}
OUT=$BENCH_DIR/results
LOGS=$OUT/cardmodel-logs
KT=${BENCH_CM_KT:-p256}
OPS=${BENCH_CM_OPS:-400}
ROUNDS=${BENCH_CM_ROUNDS:-4}
ME=$(id -un)
unset GNUPGHOME
# gpg-agent checks every RSA signature a card returns, so a model card,
# whose signatures are not real, stands in for EC key types only.
[[ $KT == p256 || $KT == p384 || $KT == ed25519 ]] ||
	{ echo "bench cardmodel: BENCH_CM_KT must be p256, p384 or ed25519 (gpg-agent checks a card's RSA signatures, which a model card cannot make)" >&2; exit 2; }
mkdir -p "$OUT" "$LOGS" "$BENCH_DIR/bin"
WORK=$(mktemp -d /tmp/sgmXXXX)
H=$WORK/h
NSD=$BENCH_DIR/bin/null-scd
BGPIDS=()

cleanup() {
	local p d
	set +e
	for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null; done
	for d in "$WORK"/g-*; do [[ -d $d ]] && gpgconf --homedir "$d" --kill all >/dev/null 2>&1; done
	pkill -f "^$NSD" 2>/dev/null
	[[ -f $H/signet.conf ]] && "$BIN/signet" --home "$H" stop >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log() { echo "bench cardmodel: $*"; }
die() { log "$*" >&2; exit 1; }

cc -O2 -Wall -Wextra -Werror -pthread -o "$NSD" "$TOP/bench/null-scd.c" $(pkg-config --cflags --libs libassuan gpg-error)
"$BIN/signet" --home "$H" init >"$LOGS/init.out" 2>&1 && "$BIN/signet" --home "$H" start >>"$LOGS/init.out" 2>&1 ||
	die "signet init / start failed (log: $LOGS/init.out)"
"$BIN/signet" --home "$H" project create cm --algo "$KT" --uid "Model $KT <cm@signet.bench.invalid>" \
	--signer "user:$ME" >"$LOGS/setup.out" 2>&1 || die "project create --algo $KT failed (log: $LOGS/setup.out)"
mkdir -m 700 "$WORK/g-signet"
"$BIN/signet" --home "$H" setup --gnupghome "$WORK/g-signet" --project cm >>"$LOGS/setup.out" 2>&1 ||
	die "signet setup failed (log: $LOGS/setup.out)"
GRIP=$(gpg --homedir "$WORK/g-signet" --batch --with-colons --with-keygrip --list-keys cm@signet.bench.invalid |
	awk -F: '/^(pub|sub)/ {s = ($12 ~ /s/)} s && /^grp/ {g = $10} END {print g}')
SERIAL=$(gpg-connect-agent --homedir "$WORK/g-signet" 'scd serialno' /bye | awk '$1 == "S" && $2 == "SERIALNO" {print $3}')
[[ -n $GRIP && -n $SERIAL ]] || die "no signing keygrip or card serial in the Signet home (log: $LOGS/setup.out)"
hash=$(printf '5a%.0s' {1..32})
for ((i = 0; i < OPS; i++)); do printf 'SIGKEY %s\nSETHASH --hash=sha256 %s\nPKSIGN\n' "$GRIP" "$hash"; done >"$WORK/script"
TRAIL_DIR=$(dirname "$(awk -F' *= *' '$1 == "audit" {print $2; exit}' "$H/signet.conf")")
[[ -d $TRAIL_DIR ]] || TRAIL_DIR=$H/audit

# Assuan sessions of home G in parallel; RATE = PKSIGNs ÷ wall time.
pksign_run() { # G SESSIONS
	local g=$1 n=$2 i p t0 t1 got rc=0
	BGPIDS=()
	t0=${EPOCHREALTIME/./}
	for ((i = 0; i < n; i++)); do
		gpg-connect-agent --homedir "$WORK/g-$g" <"$WORK/script" >"$WORK/o-$g.$i" 2>&1 &
		BGPIDS+=($!)
	done
	for p in "${BGPIDS[@]}"; do wait "$p" || rc=1; done
	t1=${EPOCHREALTIME/./}
	BGPIDS=()
	for ((i = 0; i < n; i++)); do
		got=$(grep -ac '^D (7:sig-val' "$WORK/o-$g.$i") || got=0
		((got == OPS)) || { echo "$g, session $((i + 1)) of $n: $got of $OPS signatures" >>"$LOGS/pksign.log"; rc=1; }
	done
	RATE=$(awk -v o=$((n * OPS)) -v us=$((t1 - t0)) 'BEGIN {printf "%.1f", o * 1e6 / us}')
	return $rc
}
cpu_ticks() { # PID... -> utime + stime of all, in clock ticks
	local p t=0
	for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
	echo "$t"
}

# Calibration: Signet's two daemons' CPU per signature, and the sync time
# (policyd's log), with one session.
pksign_run signet 1 >/dev/null || die "first PKSIGNs through Signet failed (log: $LOGS/pksign.log)"
PIDS=($(cat "$H/run/policyd.pid") $(pgrep -f "signet-scd .*--homedir $WORK/g-signet"))
c0=$(cpu_ticks "${PIDS[@]}")
for i in 1 2 3; do pksign_run signet 1 || die "PKSIGNs through Signet failed (log: $LOGS/pksign.log)"; done
c1=$(cpu_ticks "${PIDS[@]}")
SPIN_US=$(((c1 - c0) * 1000000 / $(getconf CLK_TCK) / (3 * OPS)))
SYNC_US=$(strace -f -qq -T -e trace=fdatasync -p "$(cat "$H/run/policyd.pid")" -o "$WORK/sync.trace" 2>/dev/null &
	sp=$!; sleep 0.5; pksign_run signet 1 >/dev/null; kill -INT $sp; wait $sp 2>/dev/null
	grep -o '<[0-9.]*>' "$WORK/sync.trace" | tr -d '<>' | sort -n | awk '{a[NR] = $1} END {if (NR) printf "%d", a[int((NR + 1) / 2)] * 1e6}') || true
[[ -n $SYNC_US ]] || SYNC_US=300
log "calibration: signet-scd + policyd CPU $SPIN_US µs per signature, audit fdatasync median $SYNC_US µs"

model_home() { # NAME ENV...
	local name=$1 d=$WORK/g-$1 e
	shift
	cp -a "$WORK/g-signet" "$d"
	rm -f "$d"/S.*
	{
		echo '#!/bin/sh'
		echo "NULL_SCD_SERIAL=$SERIAL"
		for e in "$@"; do echo "$e"; done
		echo "export NULL_SCD_SERIAL NULL_SCD_SPIN_US NULL_SCD_SERIAL_US NULL_SCD_SYNC NULL_SCD_HOP"
		echo "exec $NSD \"\$@\""
	} >"$WORK/scd-$name"
	chmod 755 "$WORK/scd-$name"
	sed -i "s|^scdaemon-program .*|scdaemon-program $WORK/scd-$name|" "$d/gpg-agent.conf"
}
model_home null
model_home cpu "NULL_SCD_SPIN_US=$SPIN_US"
model_home cpu+wait "NULL_SCD_SPIN_US=$SPIN_US" "NULL_SCD_SERIAL_US=$SYNC_US"
model_home cpu+sync "NULL_SCD_SPIN_US=$SPIN_US" "NULL_SCD_SYNC=$TRAIL_DIR/cardmodel.sync"
model_home cpu+sync+hop "NULL_SCD_SPIN_US=$SPIN_US" "NULL_SCD_SYNC=$TRAIL_DIR/cardmodel.hop.sync" \
	"NULL_SCD_HOP=$(awk -F' *= *' '$1 == "socket" {print $2; exit}' "$H/signet.conf")"
model_home halfcpu+sync "NULL_SCD_SPIN_US=$((SPIN_US / 2))" "NULL_SCD_SYNC=$TRAIL_DIR/cardmodel.half.sync"
model_home twocpu+sync "NULL_SCD_SPIN_US=$((SPIN_US * 2))" "NULL_SCD_SYNC=$TRAIL_DIR/cardmodel.twice.sync"
SIDES=(signet null cpu cpu+wait cpu+sync cpu+sync+hop halfcpu+sync twocpu+sync)
for g in "${SIDES[@]:1}"; do pksign_run "$g" 1 >/dev/null || die "model card $g failed (log: $LOGS/pksign.log)"; done

log "PKSIGN/s, $OPS per session, 1 and 2 sessions: $ROUNDS rounds of ${SIDES[*]}"
printf 'side\tround\tsessions\tops_per_s\n' >"$OUT/cardmodel.tsv"
ITEMS=()
for g in "${SIDES[@]}"; do ITEMS+=("$g 1" "$g 2"); done
for ((r = 1; r <= ROUNDS; r++)); do
	for ((k = 0; k < ${#ITEMS[@]}; k++)); do
		read -r g s <<<"${ITEMS[(k + r) % ${#ITEMS[@]}]}"
		pksign_run "$g" "$s" || die "PKSIGN through $g, $s session(s) failed (log: $LOGS/pksign.log)"
		printf '%s\t%s\t%s\t%s\n' "$g" "$r" "$s" "$RATE" >>"$OUT/cardmodel.tsv"
	done
done

{
	echo "## Card models ($KT, $(date -u '+%F %H:%M UTC'), commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?'), $(gpg --version | head -n 1))"
	echo
	echo "Calibration: signet-scd + policyd used $SPIN_US µs of CPU per signature; policyd's audit fdatasync took $SYNC_US µs (median)."
	echo "$ROUNDS rounds of $OPS PKSIGNs per session; rates are means over the rounds, the ratio is their quotient."
	echo
	echo "| card | PKSIGN/s, 1 session | PKSIGN/s, 2 sessions | 2 ÷ 1 |"
	echo "|---|---|---|---|"
	awk -F'\t' 'NR > 1 {s[$1 FS $3] += $4; n[$1 FS $3]++; if (!($1 in seen)) {seen[$1] = 1; order[++k] = $1}}
		END {for (i = 1; i <= k; i++) {g = order[i]; a = s[g FS 1] / n[g FS 1]; b = s[g FS 2] / n[g FS 2];
			printf "| %s | %.0f | %.0f | %.2f |\n", g, a, b, b / a}}' "$OUT/cardmodel.tsv"
} | tee "$OUT/cardmodel-summary.md"
log "results in $OUT"
