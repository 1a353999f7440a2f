#!/bin/bash
# bench/conn.sh — issue 7's connection handling against the commit before it,
# both built and measured in this one run (make bench, part "conn"):
#   * signet-policyd SIGN/s with 1, 2 and 8 clients (bench/policyd-load.c)
#     and gpg --detach-sign latency through signet-scd, each build in its
#     own world on its own SoftHSM2 token, rounds interleaved base/new;
#   * idle connections: policyd's RSS and CPU with BENCH_IDLE (10000) idle
#     connections from one user that the configuration allows that many
#     (max_connections_per_user), and SIGN/s meanwhile; the base build
#     (a thread per connection, at most 256) with 250.
#   BENCH_BASE       the baseline commit (default e0a2a87); built in a
#                    temporary git worktree, not committed anywhere
#   BENCH_BASE_BIN   use this build of the baseline instead
#   BENCH_DIR        results go to BENCH_DIR/results (default: new /tmp folder)
#   BENCH_LOAD_SECS (3), BENCH_ROUNDS (3), BENCH_GPG_N (15), BENCH_IDLE (10000),
#   BENCH_IDLE_SECS (20: the CPU window with the idle connections held)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
NEW_BIN=$(cd "${SIGNET_BIN:-$TOP/build/bin}" && pwd)
BASE_REV=${BENCH_BASE:-e0a2a87}
BENCH_DIR=${BENCH_DIR:-$(mktemp -d /tmp/sgbXXXX)}
OUT=$BENCH_DIR/results
SECS=${BENCH_LOAD_SECS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
GPG_N=${BENCH_GPG_N:-15}
IDLE=${BENCH_IDLE:-10000}
IDLE_SECS=${BENCH_IDLE_SECS:-20}
WORK=$(mktemp -d /tmp/sgcXXXX)
mkdir -p "$OUT"
HZ=$(getconf CLK_TCK)

cleanup() {
	local w
	set +e
	[[ -n ${IDLE_FD:-} ]] && exec {IDLE_FD}>&-
	for w in base new; do
		[[ -d $WORK/$w/g ]] && gpgconf --homedir "$WORK/$w/g" --kill all >/dev/null 2>&1
		[[ -d $WORK/$w/h ]] && "$(bin_of $w)/signet" --home "$WORK/$w/h" stop >/dev/null 2>&1
	done
	[[ -d $WORK/base-src ]] && git -C "$TOP" worktree remove --force "$WORK/base-src" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
bin_of() { if [[ $1 == base ]]; then echo "$BASE_BIN"; else echo "$NEW_BIN"; fi; }

if [[ -n ${BENCH_BASE_BIN:-} ]]; then
	BASE_BIN=$(cd "$BENCH_BASE_BIN" && pwd)
else
	echo "bench conn: building $BASE_REV beside this tree"
	git -C "$TOP" worktree add --detach "$WORK/base-src" "$BASE_REV" >/dev/null 2>&1
	make -C "$WORK/base-src" -j2 all >"$WORK/base-build.log" 2>&1 ||
		{ tail "$WORK/base-build.log"; echo "bench conn: the baseline does not build" >&2; exit 1; }
	BASE_BIN=$WORK/base-src/build/bin
fi
LOAD=$WORK/policyd-load
cc -O2 -Wall -Wextra -Werror -pthread -o "$LOAD" "$TOP/bench/policyd-load.c" $(pkg-config --cflags --libs libassuan gpg-error)

# A world per build: home, policyd, an rsa2048 project, a GnuPG home.
world() { # base|new
	local b=$1 bin h g
	bin=$(bin_of "$b")
	h=$WORK/$b/h
	g=$WORK/$b/g
	mkdir -p "$WORK/$b"
	"$bin/signet" --home "$h" init >"$WORK/$b/init.out" 2>&1
	"$bin/signet" --home "$h" start >"$WORK/$b/start.out" 2>&1
	"$bin/signet" --home "$h" project create bench --algo rsa2048 --uid "Bench <bench@signet.test>" \
		--signer "user:$(id -un)" >"$WORK/$b/create.out" 2>&1
	mkdir -m 700 "$g"
	"$bin/signet" --home "$h" setup --gnupghome "$g" --project bench >"$WORK/$b/setup.out" 2>&1
	echo "bench data" >"$WORK/$b/file"
}
sock_of() { sed -n 's/^socket = //p' "$WORK/$1/h/signet.conf"; }
pid_of() { cat "$WORK/$1/h/run/policyd.pid"; }
fpr_of() {
	gpg --homedir "$WORK/$1/g" --batch --with-colons --list-keys bench@signet.test 2>/dev/null |
		awk -F: '/^fpr/{print $10; exit}'
}
# Microseconds of one warm gpg signature.
gpg_us() { # base|new FPR
	local t0
	t0=$(date +%s%N)
	GNUPGHOME=$WORK/$1/g gpg --batch --yes --no-tty -u "$2" --detach-sign -o "$WORK/$1/file.sig" "$WORK/$1/file"
	echo $((($(date +%s%N) - t0) / 1000))
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

world base
world new
printf 'build\tround\tclients\tops_per_s\tp50_us\tp99_us\terrors\n' >"$OUT/conn-load.tsv"
printf 'build\tround\tgpg_ms\n' >"$OUT/conn-gpg.tsv"
FPR_BASE=$(fpr_of base)
FPR_NEW=$(fpr_of new)
gpg_us base "$FPR_BASE" >/dev/null
gpg_us new "$FPR_NEW" >/dev/null
for ((r = 1; r <= ROUNDS; r++)); do
	for c in 1 2 8; do
		for b in base new; do
			res=$("$LOAD" -s "$(sock_of $b)" -p bench -c $c -t "$SECS" | cut -f1,3-) || true
			printf '%s\t%s\t%s\n' "$b" "$r" "$res" >>"$OUT/conn-load.tsv"
		done
	done
	# gpg one signature at a time, the two builds alternating.
	for ((i = 0; i < GPG_N; i++)); do
		printf 'base\t%s\t%s\n' "$r" "$(gpg_us base "$FPR_BASE" | awk '{printf "%.2f", $1 / 1000}')" >>"$OUT/conn-gpg.tsv"
		printf 'new\t%s\t%s\n' "$r" "$(gpg_us new "$FPR_NEW" | awk '{printf "%.2f", $1 / 1000}')" >>"$OUT/conn-gpg.tsv"
	done
done

# Idle connections.  The new build is told to allow IDLE from one user.
idle_run() { # base|new N -> "held rss0 rss1 per_conn_bytes cpu_pct accept_ms sign_per_s"
	local b=$1 n=$2 pid rss0 rss1 c0 c1 c2 t0 t1 held rate
	pid=$(pid_of "$b")
	rss0=$(rss_kb "$pid")
	mkfifo "$WORK/$b/idle.in"
	"$LOAD" -s "$(sock_of $b)" -i "$n" <"$WORK/$b/idle.in" >"$WORK/$b/idle.out" 2>&1 &
	exec {IDLE_FD}>"$WORK/$b/idle.in"
	t0=$(date +%s%N)
	until grep -q '^held' "$WORK/$b/idle.out" 2>/dev/null; do sleep 0.05; done
	t1=$(date +%s%N)
	held=$(sed -n 's/^held //p' "$WORK/$b/idle.out")
	rss1=$(rss_kb "$pid")
	c1=$(cpu_ticks "$pid")
	sleep "$IDLE_SECS"
	c2=$(cpu_ticks "$pid")
	rate=$("$LOAD" -s "$(sock_of $b)" -p bench -c 1 -t "$SECS" | cut -f3) || rate=0
	exec {IDLE_FD}>&-
	IDLE_FD=
	wait
	echo "$held $rss0 $rss1 $(((rss1 - rss0) * 1024 / (held > 0 ? held : 1))) $(awk -v t=$((c2 - c1)) -v hz="$HZ" -v s="$IDLE_SECS" 'BEGIN {printf "%.2f", 100 * t / hz / s}') $(((t1 - t0) / 1000000)) $rate"
}
cfg=$WORK/new/h/signet.conf
# (a few more than IDLE: the gpg-agent of the world keeps connections too)
sed -i "s/^\\[policyd\\]\$/[policyd]\\nmax_connections_per_user = $((IDLE + 16))\\nmax_connections = $((IDLE + 1000))/" "$cfg"
gpg-connect-agent -S "$(sock_of new)" RELOAD /bye >"$WORK/new/reload.out" 2>&1
grep -q '^OK' "$WORK/new/reload.out" || { cat "$WORK/new/reload.out"; echo "bench conn: reload failed" >&2; exit 1; }
printf 'build\tasked\theld\trss0_kb\trss1_kb\tbytes_per_conn\tidle_cpu_pct\taccept_ms\tsign_per_s_meanwhile\n' >"$OUT/conn-idle.tsv"
printf 'base\t250\t%s\n' "$(idle_run base 250 | tr ' ' '\t')" >>"$OUT/conn-idle.tsv"
printf 'new\t%s\t%s\n' "$IDLE" "$(idle_run new "$IDLE" | tr ' ' '\t')" >>"$OUT/conn-idle.tsv"

python3 - "$OUT" <<'PY' | tee "$OUT/conn-summary.md"
import csv, statistics, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/conn-load.tsv"), delimiter="\t"))
gpg = list(csv.DictReader(open(out + "/conn-gpg.tsv"), delimiter="\t"))
idle = {r["build"]: r for r in csv.DictReader(open(out + "/conn-idle.tsv"), delimiter="\t")}
med = lambda xs: statistics.median(xs) if xs else float("nan")
print("| clients | base SIGN/s | new SIGN/s | new / base | base p50 µs | new p50 µs |")
print("|---|---|---|---|---|---|")
for c in ("1", "2", "8"):
    b = med([float(r["ops_per_s"]) for r in rows if r["build"] == "base" and r["clients"] == c])
    n = med([float(r["ops_per_s"]) for r in rows if r["build"] == "new" and r["clients"] == c])
    bp = med([float(r["p50_us"]) for r in rows if r["build"] == "base" and r["clients"] == c])
    np_ = med([float(r["p50_us"]) for r in rows if r["build"] == "new" and r["clients"] == c])
    print("| %s | %.0f | %.0f | **%.3f** | %.0f | %.0f |" % (c, b, n, n / b, bp, np_))
gb = med([float(r["gpg_ms"]) for r in gpg if r["build"] == "base"])
gn = med([float(r["gpg_ms"]) for r in gpg if r["build"] == "new"])
print()
print("gpg --detach-sign (warm agent), median ms: base %.2f, new %.2f, new / base **%.3f**" % (gb, gn, gn / gb))
print()
print("| build | idle connections held | RSS before → after, kB | bytes per connection | policyd CPU while idle | time to accept them | SIGN/s (1 client) meanwhile |")
print("|---|---|---|---|---|---|---|")
for b in ("base", "new"):
    r = idle.get(b)
    if r:
        print("| %s | %s of %s | %s → %s | %s | %s %% | %s ms | %s |" % (
            b, r["held"], r["asked"], r["rss0_kb"], r["rss1_kb"], r["bytes_per_conn"],
            r["idle_cpu_pct"], r["accept_ms"], r["sign_per_s_meanwhile"]))
if "base" in idle and "new" in idle and float(idle["base"]["bytes_per_conn"]) > 0:
    print()
    print("memory per idle connection, new / base: **%.3f**" %
          (float(idle["new"]["bytes_per_conn"]) / float(idle["base"]["bytes_per_conn"])))
PY
echo "bench conn: results in $OUT"
