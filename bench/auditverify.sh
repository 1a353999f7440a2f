#!/bin/bash
# bench/auditverify.sh — `signet audit verify` on a large trail (make bench,
# part "auditverify"): tests/tools/gen-trail writes BENCH_AV_RECORDS
# (1,000,000) canonical records with a signed checkpoint every 1,000, as
# signet-policyd does, into a folder of its own; then `signet audit verify
# --key` runs BENCH_AV_ROUNDS (3) times and the median wall time is
# reported, with user time, bytes and MB/s.  The issue's target: < 2 s for
# a million records.  The trail's pages are read once before timing (the
# first round would otherwise measure the disk, not the verifier).
#   BENCH_DIR   results in BENCH_DIR/results/auditverify.txt, gen-trail
#               built into BENCH_DIR/bin (default: new /tmp folder)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${SIGNET_BIN:-$TOP/build/bin}" && pwd)
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/sgbXXXX)}
OUT=$BENCH_DIR/results
RECORDS=${BENCH_AV_RECORDS:-1000000}
ROUNDS=${BENCH_AV_ROUNDS:-3}
mkdir -p "$OUT" "$BENCH_DIR/bin"
WORK=$(mktemp -d /tmp/sgavXXXX)
trap 'rm -rf "$WORK"' EXIT

SIGNET_BIN=$BIN "$TOP/tests/tools/cc-tool.sh" "$TOP/tests/tools/gen-trail.c" "$BENCH_DIR/bin/gen-trail" \
	libgcrypt libcrypto gpg-error jansson
T=$WORK/audit.jsonl
start=$(date +%s.%N)
KEY=$("$BENCH_DIR/bin/gen-trail" "$T" "$RECORDS" --every 1000)
gen=$(echo "$(date +%s.%N) - $start" | bc)
BYTES=$(stat -c %s "$T")
cat "$T" >/dev/null

times=()
for ((i = 0; i < ROUNDS; i++)); do
	/usr/bin/time -f '%e %U %M' -o "$WORK/time" "$BIN/signet" audit verify --key "$KEY" "$T" >"$WORK/out"
	times+=("$(cat "$WORK/time")")
done
grep -q "$RECORDS records good" "$WORK/out" || { cat "$WORK/out"; echo "bench auditverify: verify did not pass" >&2; exit 1; }
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p")
read -r wall user rss <<<"$median"
{
	echo "signet audit verify: $RECORDS records, $((BYTES / 1000000)) MB, $((RECORDS / 1000 - 1)) checkpoints (generated in ${gen%.*} s)"
	echo "  rounds (wall s, user s, max RSS KB): $(printf '[%s] ' "${times[@]}")"
	echo "  median: ${wall} s wall, ${user} s user, ${rss} KB RSS, $(echo "scale=0; $BYTES / $wall / 1000000" | bc) MB/s"
	echo "  target < 2 s: $(echo "$wall < 2" | bc | sed 's/1/met/;s/0/NOT met/')"
	echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
} | tee "$OUT/auditverify.txt"
