#!/bin/bash
# bench/keytypes.sh — issue 9's key types (make bench, part "keytypes"):
# for each of rsa3072, p256 and ed25519, all in one run, rounds interleaved
# between every contender so that noise on the machine hits them alike:
#   * gpg --detach-sign of a 1 KiB file, median and p90 ms, through Signet
#     (gpg → gpg-agent → signet-scd → signet-policyd → SoftHSM2) and with a
#     soft key of the same type in its own gpg-agent (no passphrase);
#   * Assuan PKSIGN/s with 1 and with 2 parallel gpg-connect-agent sessions,
#     each session BENCH_KT_OPS × SIGKEY / SETHASH --hash=sha256 / PKSIGN
#     (rate = all PKSIGNs of the sessions ÷ the wall time), through Signet
#     and through the soft key;
#   * the raw C_Sign rate of the project's current signing subkey on
#     Signet's token with 1 and 2 threads (the kit's raw-hsm.c).
# The projects are made as a user makes them: signet init / start, signet
# project create --algo KT, signet setup of a GnuPG home per project.
# Targets: Signet / soft latency ≤ 1.1 and PKSIGN/s with 2 sessions ≥ 1.6 ×
# 1 (issue 9); Signet PKSIGN/s ≥ 0.8 × raw C_Sign (issue 2's).  No user is
# made, so it runs as any user.  A key type whose set-up or any step fails
# is reported FAIL in the summary (step and log named) while the others
# are measured; the script then exits 1.
#   SIGNET_BENCH_KIT  the kit, for raw-hsm.c (default ../shared/bench)
#   BENCH_DIR         results in BENCH_DIR/results (keytypes-*), raw-hsm
#                     built into BENCH_DIR/bin (default: new /tmp folder)
#   BENCH_KT_TYPES (rsa3072 p256 ed25519; p384, rsa2048, rsa4096 work too),
#   BENCH_KT_SIGNS (60), BENCH_KT_OPS (200), BENCH_KT_ROUNDS (3: PKSIGN and
#   raw rounds), BENCH_KT_RAW_SECS (3)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${SIGNET_BIN:-$TOP/build/bin}" && pwd)
KIT=${SIGNET_BENCH_KIT:-$TOP/../shared/bench}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/sgbXXXX)}
OUT=$BENCH_DIR/results
LOGS=$OUT/keytypes-logs
TYPES=${BENCH_KT_TYPES:-rsa3072 p256 ed25519}
SIGNS=${BENCH_KT_SIGNS:-60}
OPS=${BENCH_KT_OPS:-200}
ROUNDS=${BENCH_KT_ROUNDS:-3}
RAW_SECS=${BENCH_KT_RAW_SECS:-3}
WARM=2                          # untimed gpg rounds first
ME=$(id -un)
unset GNUPGHOME                 # never the user's own ~/.gnupg
[[ -f $KIT/raw-hsm.c ]] || { echo "bench keytypes: the kit is not at $KIT (set SIGNET_BENCH_KIT)" >&2; exit 1; }
mkdir -p "$OUT" "$BENCH_DIR/bin" "$LOGS"
WORK=$(mktemp -d /tmp/sgkXXXX)
H=$WORK/h
BGPIDS=()

cleanup() {
	local p d
	set +e
	for p in "${BGPIDS[@]}"; do kill "$p" 2>/dev/null; done
	for d in "$WORK"/s-* "$WORK"/k-*; do
		[[ -d $d ]] && gpgconf --homedir "$d" --kill all >/dev/null 2>&1
	done
	[[ -f $H/signet.conf ]] && "$BIN/signet" --home "$H" stop >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { echo "bench keytypes: $*"; }
declare -A FAILED HOMEDIR FPR GRIP LABEL
# The first failure of a key type is its reason; it leaves the later steps.
kt_fail() { # KT STEP LOGFILE
	[[ -n ${FAILED[$1]:-} ]] && return 0
	FAILED[$1]=$2
	printf '%s\tFAIL\t%s\t%s\n' "$1" "$2" "$3" >>"$OUT/keytypes-status.tsv"
	log "$1: FAILED at '$2' (log: $3)" >&2
	tail -n 5 "$3" 2>/dev/null | sed 's/^/    /' >&2 || true
}
ok() { [[ -z ${FAILED[$1]:-} ]]; } # KT

RAW=$BENCH_DIR/bin/raw-hsm
cc -O2 -Wall -pthread $(pkg-config --cflags p11-kit-1) -o "$RAW" "$KIT/raw-hsm.c" -ldl
head -c 1024 /dev/urandom >"$WORK/f1k"
: >"$OUT/keytypes-status.tsv"

"$BIN/signet" --home "$H" init >"$LOGS/init.out" 2>&1 &&
	"$BIN/signet" --home "$H" start >"$LOGS/start.out" 2>&1 ||
	{ cat "$LOGS/init.out" "$LOGS/start.out" 2>/dev/null; log "signet init / start failed: nothing to measure" >&2; exit 1; }
conf() { # SECTION KEY -> value in Signet's signet.conf
	awk -v s="[$1]" -v k="$2" '$0 == s {f = 1; next} /^\[/ {f = 0} f && $1 == k {sub(/^[^=]*= */, ""); print; exit}' "$H/signet.conf"
}
MODULE=$(conf hsm module)
TOKEN=$(conf hsm token)
export SOFTHSM2_CONF
SOFTHSM2_CONF=$(conf hsm softhsm2_conf)

soft_algo() { # KT -> gpg --quick-gen-key's name of the same key type
	case $1 in
	rsa2048 | rsa3072 | rsa4096 | ed25519) echo "$1" ;;
	p256 | p384) echo "nist$1" ;;
	*) return 1 ;;
	esac
}
# Primary fingerprint and the keygrip of the last signing key of HOME's key.
key_of() { # SIDE-KT HOME UID
	local cols
	cols=$(gpg --homedir "$2" --batch --with-colons --with-keygrip --list-keys "$3")
	FPR[$1]=$(awk -F: '/^fpr/ {print $10; exit}' <<<"$cols")
	GRIP[$1]=$(awk -F: '/^(pub|sub)/ {s = ($12 ~ /s/)} s && /^grp/ {g = $10} END {print g}' <<<"$cols")
	HOMEDIR[$1]=$2
	[[ -n ${FPR[$1]} && -n ${GRIP[$1]} ]]
}
# One signature, checked; µs in US.
sign_once() { # SIDE-KT
	local c=$1 t0 t1
	t0=${EPOCHREALTIME/./}
	GNUPGHOME=${HOMEDIR[$c]} gpg --batch --yes --no-tty -u "${FPR[$c]}" --detach-sign \
		-o "$WORK/$c.sig" "$WORK/f1k" 2>>"$LOGS/sign-$c.log" || return 1
	t1=${EPOCHREALTIME/./}
	US=$((t1 - t0))
}
verify_last() { # SIDE-KT
	GNUPGHOME=${HOMEDIR[$1]} gpg --batch --verify "$WORK/$1.sig" "$WORK/f1k" >>"$LOGS/verify-$1.log" 2>&1
}
# One Assuan session's commands: OPS × (SIGKEY, SETHASH, PKSIGN).
assuan_script() { # SIDE-KT
	local i hash
	hash=$(printf '5a%.0s' {1..32})
	for ((i = 0; i < OPS; i++)); do
		printf 'SIGKEY %s\nSETHASH --hash=sha256 %s\nPKSIGN\n' "${GRIP[$1]}" "$hash"
	done >"$WORK/a-$1.txt"
}

setup_signet() { # KT
	local kt=$1 p=kt$1 d=$WORK/s-$1 cert
	"$BIN/signet" --home "$H" project create "$p" --algo "$kt" --uid "Bench $kt <$kt@signet.bench.invalid>" \
		--signer "user:$ME" >"$LOGS/create-$kt.out" 2>&1 ||
		{ kt_fail "$kt" "signet project create --algo $kt" "$LOGS/create-$kt.out"; return 1; }
	mkdir -m 700 "$d"
	"$BIN/signet" --home "$H" setup --gnupghome "$d" --project "$p" >"$LOGS/setup-$kt.out" 2>&1 ||
		{ kt_fail "$kt" "signet setup" "$LOGS/setup-$kt.out"; return 1; }
	key_of "signet-$kt" "$d" "$kt@signet.bench.invalid" 2>>"$LOGS/setup-$kt.out" ||
		{ kt_fail "$kt" "no signing key in the Signet home" "$LOGS/setup-$kt.out"; return 1; }
	# The current signing subkey is the token object "<project>:sign:<created>"
	# of the last subkey line of the key state (CERT.keys, signet-policyd(8)).
	cert=$(conf "project $p" cert)
	LABEL[$kt]=$p:sign:$(awk '$1 == "subkey" {c = $2} END {print c}' "$cert.keys" 2>>"$LOGS/setup-$kt.out")
	[[ ${LABEL[$kt]} != *: ]] || { kt_fail "$kt" "no subkey in $cert.keys" "$LOGS/setup-$kt.out"; return 1; }
}

setup_soft() { # KT
	local kt=$1 d=$WORK/k-$1 algo
	algo=$(soft_algo "$kt") || { echo "no soft key type for $kt" >"$LOGS/soft-$kt.out"; kt_fail "$kt" "soft key type" "$LOGS/soft-$kt.out"; return 1; }
	mkdir -m 700 "$d"
	echo disable-scdaemon >"$d/gpg-agent.conf"
	GNUPGHOME=$d gpg --batch --passphrase '' --pinentry-mode loopback \
		--quick-gen-key "Soft $kt <$kt@soft.bench.invalid>" "$algo" sign never >"$LOGS/soft-$kt.out" 2>&1 &&
		key_of "soft-$kt" "$d" "$kt@soft.bench.invalid" 2>>"$LOGS/soft-$kt.out" ||
		{ kt_fail "$kt" "gpg --quick-gen-key $algo" "$LOGS/soft-$kt.out"; return 1; }
}

# A key type takes part once both sides have signed a file that verifies.
setup_kt() { # KT
	local kt=$1 side
	log "$kt: project, GnuPG homes, soft key"
	setup_signet "$kt" && setup_soft "$kt" || return 0
	for side in signet soft; do
		sign_once "$side-$kt" && verify_last "$side-$kt" ||
			{ kt_fail "$kt" "first gpg --detach-sign + verify ($side)" "$LOGS/sign-$side-$kt.log"; return 0; }
		assuan_script "$side-$kt"
	done
}

for kt in $TYPES; do setup_kt "$kt"; done
LIVE=()
for kt in $TYPES; do ok "$kt" && LIVE+=("signet-$kt" "soft-$kt"); done
((${#LIVE[@]} > 0)) || { log "no key type could be set up" >&2; exit 1; }

# Assuan sessions of SIDE-KT in parallel; RATE = PKSIGNs ÷ wall time.  Every
# PKSIGN of every session must come back with a signature.
pksign_run() { # SIDE-KT SESSIONS
	local c=$1 n=$2 i p t0 t1 got rc=0
	BGPIDS=()
	t0=${EPOCHREALTIME/./}
	for ((i = 0; i < n; i++)); do
		GNUPGHOME=${HOMEDIR[$c]} gpg-connect-agent <"$WORK/a-$c.txt" >"$WORK/a-$c.$i.out" 2>&1 &
		BGPIDS+=($!)
	done
	for p in "${BGPIDS[@]}"; do wait "$p" || rc=1; done
	t1=${EPOCHREALTIME/./}
	BGPIDS=()
	for ((i = 0; i < n; i++)); do
		got=$(grep -ac '^D (7:sig-val' "$WORK/a-$c.$i.out") || got=0
		if ((got != OPS)); then
			echo "session $((i + 1)) of $n: $got of $OPS PKSIGNs answered with a signature" >>"$LOGS/pksign-$c.log"
			grep -a -m 3 '^ERR' "$WORK/a-$c.$i.out" >>"$LOGS/pksign-$c.log" || true
			rc=1
		fi
	done
	RATE=$(awk -v o=$((n * OPS)) -v us=$((t1 - t0)) 'BEGIN {printf "%.1f", o * 1e6 / us}')
	return $rc
}

PINFILE=$(conf hsm pin_file)
# raw-hsm takes the PIN on its command line only; the token is this run's
# own (signet init above, under $WORK) and is deleted at exit.
raw_run() { # KT THREADS: RAWLINE
	RAWLINE=$("$RAW" -m "$MODULE" -t "$TOKEN" -p "$(cat "$PINFILE")" -k "${LABEL[$1]}" -T "$2" \
		-d "$RAW_SECS" 2>>"$LOGS/raw-$1.log")
}
raw_field() { sed -n "s/.* $1=\\([0-9.]*\\).*/\\1/p" <<<"$RAWLINE"; } # NAME

# 1. gpg --detach-sign, one contender after the other, starting each round
# one further along.
log "gpg --detach-sign: $SIGNS rounds (after $WARM untimed) of ${LIVE[*]}"
printf 'key\tside\tround\tus\n' >"$OUT/keytypes-latency.tsv"
n=${#LIVE[@]}
for ((r = 0; r < WARM + SIGNS; r++)); do
	for ((k = 0; k < n; k++)); do
		c=${LIVE[(k + r) % n]}
		kt=${c#*-}
		ok "$kt" || continue
		sign_once "$c" || { kt_fail "$kt" "gpg --detach-sign (${c%%-*})" "$LOGS/sign-$c.log"; continue; }
		if ((r >= WARM)); then printf '%s\t%s\t%s\t%s\n' "$kt" "${c%%-*}" "$((r - WARM + 1))" "$US" >>"$OUT/keytypes-latency.tsv"; fi
	done
done

# 2. PKSIGN/s with 1 and 2 sessions, and the raw C_Sign rate with 1 and 2
# threads, in the same rounds.
log "PKSIGN/s ($OPS per session) and raw C_Sign (${RAW_SECS}s): $ROUNDS rounds"
printf 'key\tside\tround\tsessions\tops_per_s\n' >"$OUT/keytypes-pksign.tsv"
printf 'key\tround\tthreads\tops_per_s\tp50_us\tp99_us\n' >"$OUT/keytypes-raw.tsv"
ITEMS=() RAWS=()
for c in "${LIVE[@]}"; do ITEMS+=("$c 1" "$c 2"); done
for kt in $TYPES; do ok "$kt" && RAWS+=("$kt 1" "$kt 2"); done
for ((r = 1; r <= ROUNDS; r++)); do
	for ((k = 0; k < ${#ITEMS[@]}; k++)); do
		read -r c s <<<"${ITEMS[(k + r) % ${#ITEMS[@]}]}"
		kt=${c#*-}
		ok "$kt" || continue
		pksign_run "$c" "$s" || { kt_fail "$kt" "PKSIGN, $s session(s) (${c%%-*})" "$LOGS/pksign-$c.log"; continue; }
		printf '%s\t%s\t%s\t%s\t%s\n' "$kt" "${c%%-*}" "$r" "$s" "$RATE" >>"$OUT/keytypes-pksign.tsv"
	done
	for ((k = 0; k < ${#RAWS[@]}; k++)); do
		read -r kt t <<<"${RAWS[(k + r) % ${#RAWS[@]}]}"
		ok "$kt" || continue
		raw_run "$kt" "$t" || { kt_fail "$kt" "raw C_Sign, $t thread(s), key ${LABEL[$kt]}" "$LOGS/raw-$kt.log"; continue; }
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kt" "$r" "$t" "$(raw_field ops_per_s)" "$(raw_field p50_us)" \
			"$(raw_field p99_us)" >>"$OUT/keytypes-raw.tsv"
	done
done

# The last signature of each contender still verifies.
for c in "${LIVE[@]}"; do
	kt=${c#*-}
	ok "$kt" || continue
	verify_last "$c" || kt_fail "$kt" "verify the last signature (${c%%-*})" "$LOGS/verify-$c.log"
done
for kt in $TYPES; do
	if ok "$kt"; then printf '%s\tOK\t-\t-\n' "$kt" >>"$OUT/keytypes-status.tsv"; fi
done

python3 "$TOP/bench/keytypes-summary.py" "$OUT" "$SIGNS" "$OPS" "$ROUNDS" "$RAW_SECS" \
	"$(date -u '+%F %H:%M UTC'), commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?'), $(gpg --version | head -n 1)" \
	$TYPES | tee "$OUT/keytypes-summary.md"
log "results in $OUT"
for kt in $TYPES; do ok "$kt" || exit 1; done
