#!/bin/bash
# bench/approval.sh — issue 8's approvals and policy state (make bench, part
# "approval"):
#   * the per-signature overhead of policy with state: SIGN over policyd's
#     socket on a project with approvals (the caller holds an approved
#     grant), a rate limit and hours, against a plain project on the same
#     token, rounds interleaved: median and p99 latency with 1 client, and
#     signatures/s with 8 clients (bench/policyd-load.c);
#   * 1,000 waiting SIGNs (a project with approvals = 1, approval_wait =
#     10m): policyd's RSS before and with them waiting, its CPU while they
#     wait, and SIGN/s of another signer on the plain project meanwhile
#     against without them.
# Needs root: it makes the approver (sgbappr) and the waiting signers
# (sgbw00…sgbw31 in group sgbwait: at most STORE_MAX_OPEN_PER_REQUESTER =
# 32 open requests per requester) with useradd, as the e2e tests do, and
# leaves them for the next run.
#   BENCH_DIR        results go to BENCH_DIR/results (default: new /tmp folder)
#   BENCH_LOAD_SECS (3), BENCH_ROUNDS (3), BENCH_WAITING (1000),
#   BENCH_IDLE_SECS (20: the CPU window while they wait)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${SIGNET_BIN:-$TOP/build/bin}" && pwd)
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/sgbXXXX)}
OUT=$BENCH_DIR/results
SECS=${BENCH_LOAD_SECS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
WAITING=${BENCH_WAITING:-1000}
IDLE_SECS=${BENCH_IDLE_SECS:-20}
PER_USER=31                     # waiting SIGNs per user: under the 32 open requests each may hold
NUSERS=$(((WAITING + PER_USER - 1) / PER_USER))
APPROVER=sgbappr
ME=$(id -un)
HZ=$(getconf CLK_TCK)
mkdir -p "$OUT"

if [[ $(id -u) != 0 ]]; then
	echo "bench approval: skipped (needs root to make the approver and the waiting users)"
	exit 0
fi
WORK=$(mktemp -d /tmp/sgaXXXX)
chmod 755 "$WORK"               # the other users reach the socket and the load tool
H=$WORK/h
cleanup() {
	set +e
	[[ -n ${WAIT_FDS:-} ]] && for fd in $WAIT_FDS; do eval "exec $fd>&-"; done
	"$BIN/signet" --home "$H" stop >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT

user_new() { id "$1" >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin "$@"; }
getent group sgbwait >/dev/null || groupadd sgbwait
user_new "$APPROVER"
for ((i = 0; i < NUSERS; i++)); do
	u=$(printf 'sgbw%02d' "$i")
	user_new "$u" -G sgbwait
	id -nG "$u" | grep -qw sgbwait || usermod -aG sgbwait "$u"
done

mkdir -m 755 "$WORK/bin"
LOAD=$WORK/bin/policyd-load
cc -O2 -Wall -Wextra -Werror -pthread -o "$LOAD" "$TOP/bench/policyd-load.c" $(pkg-config --cflags --libs libassuan gpg-error)
chmod 755 "$LOAD"

"$BIN/signet" --home "$H" init >"$WORK/init.out" 2>&1
"$BIN/signet" --home "$H" start >"$WORK/start.out" 2>&1
for p in plain gated waiting; do
	signer=user:$ME
	[[ $p == waiting ]] && signer=group:sgbwait
	"$BIN/signet" --home "$H" project create "$p" --algo rsa2048 --uid "Bench $p <$p@signet.test>" \
		--signer "$signer" >"$WORK/create-$p.out" 2>&1 || { cat "$WORK/create-$p.out"; exit 1; }
done
SOCK=$(sed -n 's/^socket = //p' "$H/signet.conf")
CFG=$H/signet.conf
pid_of() { cat "$H/run/policyd.pid"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# One command to policyd as USER: prints the JSON of its D lines (if any)
# and the last line; exits 1 unless OK.
cat >"$WORK/bin/pd.py" <<'PY'
import re, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(sys.argv[1])
f = s.makefile("rwb")
f.readline()
f.write(sys.argv[2].encode() + b"\n")
f.flush()
data = ""
while True:
    line = f.readline().decode().rstrip("\n")
    if line.startswith("D "):
        data += re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), line[2:])
    elif line.startswith("OK") or line.startswith("ERR") or not line:
        break
if data:
    print(data)
print(line)
sys.exit(0 if line.startswith("OK") else 1)
PY
chmod 644 "$WORK/bin/pd.py"
pd() { # USER COMMAND
	if [[ $1 == "$ME" ]]; then python3 "$WORK/bin/pd.py" "$SOCK" "$2"
	else runuser -u "$1" -- python3 "$WORK/bin/pd.py" "$SOCK" "$2"; fi
}
json_field() { python3 -c 'import json, sys; v = json.loads(sys.stdin.readline()); print(eval("v" + sys.argv[1]))' "$1"; }
# Policy through policyd (signet project set); the connection limits are
# not policy, so they go into the file and policyd re-reads it.
"$BIN/signet" --home "$H" project set gated "approvers=user:$APPROVER" approvals=1 approval_wait=0 \
	rate=100000/hour "hours=Mon-Sun 00:00-24:00 UTC" >"$WORK/set-gated.out" 2>&1 ||
	{ cat "$WORK/set-gated.out"; echo "bench approval: project set gated failed" >&2; exit 1; }
"$BIN/signet" --home "$H" project set waiting "approvers=user:$APPROVER" approvals=1 approval_wait=10m \
	>"$WORK/set-waiting.out" 2>&1 ||
	{ cat "$WORK/set-waiting.out"; echo "bench approval: project set waiting failed" >&2; exit 1; }
sed -i "s/^\\[policyd\\]\$/[policyd]\\nmax_connections_per_user = 64\\nmax_connections = $((WAITING + 1000))/" "$CFG"
pd "$ME" RELOAD >"$WORK/reload.out" 2>&1 ||
	{ cat "$WORK/reload.out"; echo "bench approval: reload failed" >&2; exit 1; }

# Grants for the gated project: the store takes the one that ends first,
# then the next (STORE_MAX_COUNT uses each).
for g in 1 2 3; do
	pd "$ME" "REQUEST --count=100000 --ttl=86400 gated bench grant $g" >"$WORK/request-$g.out" 2>&1 &&
		id=$(json_field '["id"]' <"$WORK/request-$g.out") ||
		{ cat "$WORK/request-$g.out"; echo "bench approval: REQUEST failed" >&2; exit 1; }
	pd "$APPROVER" "APPROVE $id bench" >"$WORK/approve-$g.out" 2>&1 &&
		[[ $(json_field '["state"]' <"$WORK/approve-$g.out") == approved ]] ||
		{ cat "$WORK/approve-$g.out"; echo "bench approval: APPROVE failed" >&2; exit 1; }
done

# 1. Per-signature overhead, rounds interleaved.
# policyd's own CPU per signature too (utime + stime over the run): it
# shows the cost of the state even when other work on the machine blurs
# the latencies.
printf 'project\tround\tclients\tops\tops_per_s\tp50_us\tp99_us\terrors\tcpu_us_per_op\n' >"$OUT/approval-load.tsv"
PID=$(pid_of)
"$LOAD" -s "$SOCK" -p plain -c 1 -t 1 >/dev/null || true    # warm the keys
"$LOAD" -s "$SOCK" -p gated -c 1 -t 1 >/dev/null || true
for ((r = 1; r <= ROUNDS; r++)); do
	for c in 1 8; do
		for p in plain gated; do
			c1=$(cpu_ticks "$PID")
			res=$("$LOAD" -s "$SOCK" -p $p -c $c -t "$SECS") || true
			c2=$(cpu_ticks "$PID")
			cpu=$(awk -v t=$((c2 - c1)) -v hz="$HZ" -v n="$(cut -f2 <<<"$res")" \
				'BEGIN {printf "%.1f", (n > 0 ? 1e6 * t / hz / n : 0)}')
			printf '%s\t%s\t%s\t%s\n' "$p" "$r" "$res" "$cpu" >>"$OUT/approval-load.tsv"
		done
	done
done

# 2. Waiting SIGNs: RSS and CPU while they wait; another signer meanwhile.
# Another signer's rate: the median of three runs, alone and then with the
# waiting SIGNs held (one short run can catch a burst of anything else).
plain_rate() {
	local r1 r2 r3
	r1=$("$LOAD" -s "$SOCK" -p plain -c 1 -t "$SECS" | cut -f3) || r1=0
	r2=$("$LOAD" -s "$SOCK" -p plain -c 1 -t "$SECS" | cut -f3) || r2=0
	r3=$("$LOAD" -s "$SOCK" -p plain -c 1 -t "$SECS" | cut -f3) || r3=0
	printf '%s\n%s\n%s\n' "$r1" "$r2" "$r3" | sort -g | sed -n 2p
}
rate_alone=$(plain_rate)
rss0=$(rss_kb "$PID")
WAIT_FDS=""
left=$WAITING
t0=$(date +%s%N)
for ((i = 0; i < NUSERS && left > 0; i++)); do
	u=$(printf 'sgbw%02d' "$i")
	n=$((left < PER_USER ? left : PER_USER))
	left=$((left - n))
	mkfifo "$WORK/wait-$i.in"
	runuser -u "$u" -- "$LOAD" -s "$SOCK" -p waiting -w "$n" <"$WORK/wait-$i.in" >"$WORK/wait-$i.out" 2>&1 &
	exec {fd}>"$WORK/wait-$i.in"
	WAIT_FDS+=" $fd"
done
for ((j = 0; j < i; j++)); do
	until grep -q '^waiting' "$WORK/wait-$j.out" 2>/dev/null; do sleep 0.05; done
done
t1=$(date +%s%N)
held=$(cat "$WORK"/wait-*.out | awk '/^waiting/ {s += $2} END {print s + 0}')
rss1=$(rss_kb "$PID")
c1=$(cpu_ticks "$PID")
sleep "$IDLE_SECS"
c2=$(cpu_ticks "$PID")
rate_meanwhile=$(plain_rate)
pd "$APPROVER" PENDING >"$OUT/approval-pending.out" 2>&1 || true
pending=$(json_field '.__len__()' <"$OUT/approval-pending.out" 2>/dev/null || echo "?")
for fd in $WAIT_FDS; do eval "exec $fd>&-"; done
WAIT_FDS=""
wait
printf 'asked\twaiting\tpending_listed\trss0_kb\trss1_kb\tbytes_per_wait\tcpu_pct\topen_ms\tsign_per_s_alone\tsign_per_s_meanwhile\n' >"$OUT/approval-waiting.tsv"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$WAITING" "$held" "$pending" "$rss0" "$rss1" \
	"$(((rss1 - rss0) * 1024 / (held > 0 ? held : 1)))" \
	"$(awk -v t=$((c2 - c1)) -v hz="$HZ" -v s="$IDLE_SECS" 'BEGIN {printf "%.2f", 100 * t / hz / s}')" \
	"$(((t1 - t0) / 1000000))" "$rate_alone" "$rate_meanwhile" >>"$OUT/approval-waiting.tsv"

python3 - "$OUT" <<'PY' | tee "$OUT/approval-summary.md"
import csv, statistics, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/approval-load.tsv"), delimiter="\t"))
med = lambda xs: statistics.median(xs) if xs else float("nan")
def m(p, c, k):
    return med([float(r[k]) for r in rows if r["project"] == p and r["clients"] == c])
print("| clients | plain SIGN/s | gated SIGN/s | gated / plain | plain p50 / p99 µs | gated p50 / p99 µs | p50 overhead µs | policyd CPU µs/SIGN plain → gated |")
print("|---|---|---|---|---|---|---|---|")
for c in ("1", "8"):
    pr, gr = m("plain", c, "ops_per_s"), m("gated", c, "ops_per_s")
    print("| %s | %.0f | %.0f | **%.3f** | %.0f / %.0f | %.0f / %.0f | %.0f | %.0f → %.0f |" % (
        c, pr, gr, gr / pr if pr else float("nan"), m("plain", c, "p50_us"), m("plain", c, "p99_us"),
        m("gated", c, "p50_us"), m("gated", c, "p99_us"), m("gated", c, "p50_us") - m("plain", c, "p50_us"),
        m("plain", c, "cpu_us_per_op"), m("gated", c, "cpu_us_per_op")))
print()
print("gated = approvals = 1 with an approved grant, rate = 100000/hour, hours = Mon-Sun 00:00-24:00 UTC")
print()
w = next(csv.DictReader(open(out + "/approval-waiting.tsv"), delimiter="\t"))
print("| waiting SIGNs | listed by PENDING | policyd RSS before → with them, kB | bytes per waiting SIGN | policyd CPU while they wait | time to open them | SIGN/s (1 client, plain) alone → meanwhile |")
print("|---|---|---|---|---|---|---|")
print("| %s of %s | %s | %s → %s | %s | %s %% | %s ms | %s → %s |" % (
    w["waiting"], w["asked"], w["pending_listed"], w["rss0_kb"], w["rss1_kb"], w["bytes_per_wait"],
    w["cpu_pct"], w["open_ms"], w["sign_per_s_alone"], w["sign_per_s_meanwhile"]))
PY
echo "bench approval: results in $OUT"
