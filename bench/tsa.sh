#!/bin/bash
# bench/tsa.sh: signet-tsa under the shared TSA kit (../shared/bench/tsa),
# issue 3's benchmark, in one run on loopback:
#
# 1. set-up: the kit's tools built in a copy (the kit is read-only), its
#    test PKI (mkpki.sh rsa3072 ecp256), one SoftHSM2 token holding an
#    RSA-3072 and a P-256 key (sensitive) with certificates from the kit CA;
# 2. threads = 2, 4 and 8 tried once with the P-256 file key (c = 8 and
#    32), the fastest at c = 8 is used for every key below;
# 3. REPS interleaved rounds, each: the raw signing cost of the same keys
#    (openssl speed per CPU-second, and -multi 2; raw C_Sign with 1 and 2
#    threads, kit's raw-hsm.c; OpenSSL's TS core in-process, kit's
#    ts-speed, file key and the token key through the pkcs11 engine), then
#    the kit's run.sh against signet-tsa with each of the four keys (file
#    rsa3072, file ecp256, hsm rsa3072, hsm ecp256) at CONC, with server
#    CPU per timestamp; the first round's samples are checked by verify.sh;
# 4. bench/tsa-summary.py: the table, the targets, BASELINE.md's uts-server.
#
# Run `make` first (make bench does; BENCH_PARTS=tsa make bench runs only
# this part).  Raw output in BENCH_DIR/results/tsa/, the summary on stdout
# and in BENCH_DIR/results/tsa-summary.txt.  Daemons run with the default
# durable audit trail (fdatasync per token) on disk under BENCH_DIR, and
# are stopped by pid.
#   SIGNET_BENCH_KIT  the kit (default ../shared/bench)
#   SIGNET_BIN        signet-tsa's folder (default build/bin)
#   BENCH_DIR         state folder (default: a new short one under /tmp)
#   BENCH_QUICK=1     smoke run: 1 round of 2 s points
#   BENCH_TSA_REPS, BENCH_TSA_DUR, BENCH_TSA_RAW_SECS, BENCH_TSA_CONC
#   BENCH_TSA_THREADS  skip the thread probe and use this many
#   BENCH_TSA_AUDIT_SYNC  signet-tsa's audit_sync (default each: every
#                     token's record on disk before its reply; e.g. 10ms)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
KIT=${SIGNET_BENCH_KIT:-$TOP/../shared/bench}
[[ -x $KIT/tsa/run.sh ]] || { echo "bench/tsa: the TSA kit is not at $KIT/tsa (set SIGNET_BENCH_KIT)" >&2; exit 1; }
SIGNET_BIN=${SIGNET_BIN:-$TOP/build/bin}
TSA=$SIGNET_BIN/signet-tsa
[[ -x $TSA ]] || { echo "bench/tsa: $TSA is missing (run make)" >&2; exit 1; }
MODULE=${P11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
[[ -f $MODULE ]] || { echo "bench/tsa: no SoftHSM2 module at $MODULE (set P11_MODULE)" >&2; exit 1; }
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/sgbXXXX)}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	REPS=${BENCH_TSA_REPS:-1} DUR=${BENCH_TSA_DUR:-2} RAW_SECS=${BENCH_TSA_RAW_SECS:-1}
else
	REPS=${BENCH_TSA_REPS:-3} DUR=${BENCH_TSA_DUR:-5} RAW_SECS=${BENCH_TSA_RAW_SECS:-2}
fi
CONC=${BENCH_TSA_CONC:-1 8 32}
KEYS="file-rsa3072 file-ecp256 hsm-rsa3072 hsm-ecp256"
POLICY=1.3.6.1.4.1.99999.1.1
TOKEN=tsabench

W=$BENCH_DIR/tsa          # PKI, token, configs, serials, audit trails, logs
KT=$BENCH_DIR/tsa-kit     # the kit's tools, built here
OUT=$BENCH_DIR/results/tsa
rm -rf "$W" "$KT" "$OUT"
mkdir -p "$W" "$OUT" "$BENCH_DIR/bin"
log() { echo "bench/tsa: $(date -u +%T) $*" >&2; }

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do tsa_stop "$p"; done
}
trap cleanup EXIT

# ---- 1. set-up
log "building the kit's tools in $KT"
cp -r "$KIT/tsa" "$KT"
chmod -R u+w "$KT"
make -C "$KT" >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; exit 1; }
gcc -O2 -Wall -pthread $(pkg-config --cflags p11-kit-1) -o "$BENCH_DIR/bin/raw-hsm" "$KIT/raw-hsm.c" -ldl \
	2>>"$OUT/build.log" || { echo "bench/tsa: building raw-hsm failed (needs libp11-kit-dev)" >&2; exit 1; }
RAWHSM=$BENCH_DIR/bin/raw-hsm

log "test PKI (kit mkpki.sh rsa3072 ecp256)"
PKI=$W/pki
"$KT/mkpki.sh" "$PKI" rsa3072 ecp256 >"$OUT/mkpki.log" 2>&1 || { cat "$OUT/mkpki.log" >&2; exit 1; }

log "SoftHSM2 token '$TOKEN' with an RSA-3072 and a P-256 key"
umask 077
mkdir -p "$W/softhsm/tokens"
printf 'directories.tokendir = %s/softhsm/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	"$W" >"$W/softhsm/softhsm2.conf"
export SOFTHSM2_CONF=$W/softhsm/softhsm2.conf
# Throw-away test PINs.  The PIN file has no newline: signet-tsa's
# pin_file and libp11's pin-source=file: both read it so.  softhsm2-util,
# pkcs11-tool and the kit's raw-hsm take it on argv only (as e2e 205 does).
PIN=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
printf '%s' "$PIN" >"$W/user-pin"
softhsm2-util --init-token --free --label "$TOKEN" --pin "$PIN" --so-pin "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')" \
	>"$OUT/token.log" 2>&1 || { cat "$OUT/token.log" >&2; exit 1; }
p11() { pkcs11-tool --module "$MODULE" --token-label "$TOKEN" --login --pin "$PIN" "$@"; }
p11 --keypairgen --key-type rsa:3072 --id 01 --label tsa-rsa3072 --sensitive >>"$OUT/token.log" 2>&1
p11 --keypairgen --key-type EC:prime256v1 --id 02 --label tsa-ecp256 --sensitive >>"$OUT/token.log" 2>&1
# x509 -req -force_pubkey: a certificate from the kit CA for a public key
# whose private half never leaves the token (any CSR serves as the carrier).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/carrier.key" \
	-subj /CN=carrier -out "$W/carrier.csr" 2>/dev/null
for alg in rsa3072 ecp256; do
	p11 --read-object --type pubkey --label "tsa-$alg" -o "$W/hsm-$alg.pub.der" >>"$OUT/token.log" 2>&1
	openssl pkey -pubin -inform DER -in "$W/hsm-$alg.pub.der" -out "$W/hsm-$alg.pub.pem"
	openssl x509 -req -in "$W/carrier.csr" -force_pubkey "$W/hsm-$alg.pub.pem" \
		-subj "/O=TSA bench/CN=TSA bench signer $alg (SoftHSM)" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
		-CAcreateserial -sha256 -days 825 -extfile "$PKI/ext.cnf" -extensions v3_tsa \
		-out "$W/hsm-$alg.crt" 2>>"$OUT/token.log"
	openssl verify -CAfile "$PKI/ca.crt" -purpose timestampsign "$W/hsm-$alg.crt" >/dev/null
done
umask 022
openssl ts -query -data "$PKI/ca.crt" -sha256 -cert -out "$W/q.tsq" 2>/dev/null

key_alg() { echo "${1#*-}"; }
key_cert() { case $1 in file-*) echo "$PKI/tsa-${1#file-}.crt" ;; hsm-*) echo "$W/$1.crt" ;; esac; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# tsa_conf NAME PORT THREADS TAG: W/TAG.conf, signet-tsa with key NAME
tsa_conf() {
	local name=$1 port=$2 threads=$3 tag=$4 alg
	alg=$(key_alg "$name")
	{
		echo "[tsa]"
		echo "listen = 127.0.0.1:$port"
		echo "threads = $threads"
		echo "policies = $POLICY"
		echo "accuracy = 1s"
		case $name in
		file-*) echo "key = file:$PKI/tsa-$alg.key" ;;
		hsm-*)
			echo "key = pkcs11:token=$TOKEN;object=tsa-$alg"
			echo "pkcs11_module = $MODULE"
			echo "pin_file = $W/user-pin"
			echo "softhsm2_conf = $SOFTHSM2_CONF"
			;;
		esac
		echo "cert = $(key_cert "$name")"
		# the CA too, as uts-server's tokens in BASELINE.md carry 2 certificates
		echo "chain = $PKI/ca.crt"
		echo "serial_file = $W/$tag.serial"
		echo "audit = $W/$tag.audit.jsonl"
		echo "log = $W/$tag.log"
		echo "clock_check = none"
		echo "audit_sync = ${BENCH_TSA_AUDIT_SYNC:-each}"
	} >"$W/$tag.conf"
}

# tsa_start NAME THREADS TAG: prints "PID PORT"
tsa_start() {
	local name=$1 threads=$2 tag=$3 port
	port=$(free_port)
	tsa_conf "$name" "$port" "$threads" "$tag"
	"$TSA" --config "$W/$tag.conf" --daemon --pidfile "$W/$tag.pid" 2>"$W/$tag.err" ||
		{ cat "$W/$tag.err" >&2; echo "bench/tsa: signet-tsa ($tag) did not start" >&2; return 1; }
	echo "$(cat "$W/$tag.pid") $port"
}

tsa_stop() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

forget_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# ---- raw signing cost, one round
raw_round() {
	local rep=$1 alg t u s
	log "round $rep: openssl speed, raw C_Sign, ts-speed"
	openssl speed -seconds "$RAW_SECS" rsa3072 ecdsap256 >"$OUT/speed-$rep.txt" 2>&1
	# two processes: how much of the second CPU this shared machine gives now
	openssl speed -seconds "$RAW_SECS" -multi 2 rsa3072 ecdsap256 >"$OUT/speed-multi-$rep.txt" 2>&1
	TIMEFORMAT='%U %S'
	for alg in rsa3072 ecp256; do
		for t in 1 2; do
			{ time "$RAWHSM" -m "$MODULE" -t "$TOKEN" -p "$PIN" -k "tsa-$alg" -T "$t" -d "$RAW_SECS" \
				>"$W/raw.out" 2>"$W/raw.err"; } 2>"$W/raw.time" || { cat "$W/raw.err" >&2; continue; }
			read -r u s <"$W/raw.time"
			printf '%s\t%s\t%s\t%s cpu_s=%s\n' "$alg" "$t" "$rep" "$(cat "$W/raw.out")" \
				"$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')" >>"$OUT/raw-hsm.tsv"
		done
	done
	for name in $KEYS; do
		alg=$(key_alg "$name")
		local k=(-k "$PKI/tsa-$alg.key")
		[[ $name == hsm-* ]] && k=(-e pkcs11 -k "pkcs11:token=$TOKEN;object=tsa-$alg;type=private?pin-source=file:$W/user-pin")
		if line=$(PKCS11_MODULE_PATH=$MODULE "$KT/ts-speed" "${k[@]}" -c "$(key_cert "$name")" -C "$PKI/ca.crt" \
			-q "$W/q.tsq" -t 1 -d "$RAW_SECS" -2 2>>"$OUT/ts-speed.err"); then
			printf '%s\t%s\t%s\n' "$name" "$rep" "$line" >>"$OUT/ts-speed.tsv"
		else
			log "ts-speed $name failed (see $OUT/ts-speed.err)"
		fi
	done
}

# load NAME PID PORT REP OUTDIR CONC [verify]: one round of the kit's run.sh
load() {
	local name=$1 pid=$2 port=$3 rep=$4 dir=$5 conc=$6 verify=${7:-}
	local env=(SERVER_PID="$pid" CONC="$conc" REPS=1 REP_START="$rep" DUR="$DUR" SAMPLES=0)
	[[ -n $verify ]] && env+=(SAMPLES=20 CA="$PKI/ca.crt" TSA_CERT="$(key_cert "$name")")
	env "${env[@]}" "$KT/run.sh" "http://127.0.0.1:$port/" "$dir" "$name" >>"$dir/run.log" 2>&1 ||
		log "run.sh $name round $rep failed (see $dir/run.log)"
	kill -0 "$pid" 2>/dev/null || { echo "bench/tsa: signet-tsa ($name, pid $pid) died" >&2; exit 1; }
}

{
	echo "date_utc=$(date -u '+%Y-%m-%d %H:%M')"
	echo "commit=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "cpus=$(nproc)"
	echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "reps=$REPS"
	echo "dur=$DUR"
	echo "raw_secs=$RAW_SECS"
	echo "conc=$CONC"
	echo "audit_sync=${BENCH_TSA_AUDIT_SYNC:-each}"
} >"$OUT/meta.txt"

# ---- 2. worker threads, once, with the P-256 file key
if [[ -n ${BENCH_TSA_THREADS:-} ]]; then
	THREADS=$BENCH_TSA_THREADS
	echo "threads_probe=skipped" >>"$OUT/meta.txt"
else
	mkdir -p "$OUT/threads"
	for t in 2 4 8; do
		log "threads probe: file-ecp256 with threads = $t"
		r=$(tsa_start file-ecp256 "$t" "probe-t$t")
		read -r pid port <<<"$r"
		PIDS+=("$pid")
		load "file-ecp256-t$t" "$pid" "$port" 1 "$OUT/threads" "8 32"
		tsa_stop "$pid"
		forget_pid "$pid"
	done
	THREADS=$(python3 "$TOP/bench/tsa-summary.py" --best-threads "$OUT/threads/raw.txt")
fi
echo "threads=$THREADS" >>"$OUT/meta.txt"
log "using threads = $THREADS"

# ---- 3. interleaved rounds: raw cost, then each key
declare -A PID PORT
for name in $KEYS; do
	r=$(tsa_start "$name" "$THREADS" "$name")
	read -r pid port <<<"$r"
	PIDS+=("$pid")
	PID[$name]=$pid PORT[$name]=$port
done
mkdir -p "$OUT/load"
for ((rep = 1; rep <= REPS; rep++)); do
	raw_round "$rep"
	for name in $KEYS; do
		log "round $rep: signet-tsa $name, c = $CONC"
		load "$name" "${PID[$name]}" "${PORT[$name]}" "$rep" "$OUT/load" "$CONC" $([[ $rep == 1 ]] && echo verify)
	done
done
for name in $KEYS; do
	tsa_stop "${PID[$name]}"
	forget_pid "${PID[$name]}"
	cp "$W/$name.log" "$OUT/signet-tsa-$name.log" 2>/dev/null || true
	# granted tokens on record: one audit line each
	echo "audit_$name=$(wc -l <"$W/$name.audit.jsonl")" >>"$OUT/meta.txt"
done
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"

# ---- 4. summary
python3 "$TOP/bench/tsa-summary.py" "$OUT" | tee "$BENCH_DIR/results/tsa-summary.txt"
log "raw output in $OUT, summary in $BENCH_DIR/results/tsa-summary.txt"
