#!/usr/bin/env python3
"""Signet's numbers from one bench run, as ratios against the baselines
measured in the same run (issue 2's targets).  Reads RESULTS/bench.tsv
(the kit's interleaved timings), RESULTS/raw-hsm.tsv (raw C_Sign) and
RESULTS/policyd-load.tsv (bench/policyd-load.c)."""
import os, statistics, sys

R = sys.argv[1]
N = int(os.environ.get("BENCH_TP_FILES", "200"))


def bench():
    rows = {}
    for line in open(os.path.join(R, "bench.tsv")):
        f = line.rstrip("\n").split("\t")
        if len(f) < 8:
            continue
        rows[(f[0], f[1])] = {"median": f[3], "status": f[7]}
    return rows


def raw():
    out = {}
    for line in open(os.path.join(R, "raw-hsm.tsv")):
        kt, t, rest = line.rstrip("\n").split("\t", 2)
        kv = dict(x.split("=", 1) for x in rest.split())
        out.setdefault((kt, int(t)), []).append(float(kv["ops_per_s"]))
    return {k: statistics.median(v) for k, v in out.items()}


def load():
    out = {}
    p = os.path.join(R, "policyd-load.tsv")
    if not os.path.exists(p):
        return out
    for line in list(open(p))[1:]:
        f = line.rstrip("\n").split("\t")
        if len(f) >= 7:
            out[(f[0], int(f[1]))] = (float(f[3]), f[4], f[5], f[6])
    return out


def num(rows, case, label):
    r = rows.get((case, label))
    if not r or r["status"] == "FAIL" or r["median"] in ("-", "nan"):
        return None if not r else ("FAIL" if r["status"] == "FAIL" else None)
    return float(r["median"])


def fmt(x, spec="%.1f"):
    return "-" if x is None else ("FAIL" if x == "FAIL" else spec % x)


def ratio(a, b):
    if not isinstance(a, float) or not isinstance(b, float) or b == 0:
        return "-"
    return "%.2f" % (a / b)


rows, rawr, ld = bench(), raw(), load()
kts = [k for k in ("rsa2048", "rsa3072", "rsa4096") if any(c.endswith("." + k) for c, _ in rows)]
print("## Signet vs baselines (same run)\n")
print("| key | gpg --detach-sign ms: signet / p11scd (ratio, target <= 1.0) | PKSIGN/s 1 session: signet / p11scd (ratio >= 1.0) / raw 1T (ratio >= 0.8) | PKSIGN/s 2 sessions: signet / p11scd | 2 sessions faster than 1? |")
print("|---|---|---|---|---|")
for kt in kts:
    ls, lp = num(rows, "sign1k." + kt, "signet"), num(rows, "sign1k." + kt, "p11scd")
    a1s, a1p = num(rows, "agent%d.%s" % (N, kt), "signet"), num(rows, "agent%d.%s" % (N, kt), "p11scd")
    a2s, a2p = num(rows, "agentpar2x%d.%s" % (N, kt), "signet"), num(rows, "agentpar2x%d.%s" % (N, kt), "p11scd")
    rate = lambda m: (N / (m / 1000.0)) if isinstance(m, float) else m
    r1s, r1p, r2s, r2p = rate(a1s), rate(a1p), rate(a2s), rate(a2p)
    rw = rawr.get((kt, 1))
    faster = "-" if not (isinstance(r1s, float) and isinstance(r2s, float)) else ("yes (%.2fx)" % (r2s / r1s))
    print("| %s | %s / %s (%s) | %s / %s (%s) / %s (%s) | %s / %s | %s |" % (
        kt, fmt(ls), fmt(lp), ratio(ls, lp), fmt(r1s, "%.0f"), fmt(r1p, "%.0f"), ratio(r1s, r1p),
        fmt(rw, "%.0f"), ratio(r1s, rw), fmt(r2s, "%.0f"), fmt(r2p, "%.0f"), faster))
print("\n## signet-policyd alone: SIGN/s with durable audit records (bench/policyd-load.c)\n")
print("| key | 1 client (x raw 1T) | 2 clients (x raw 2T) | 8 clients (x raw 2T) | p50/p99 µs at 8 | raw C_Sign 1T / 2T |")
print("|---|---|---|---|---|---|")
for kt in kts:
    r1, r2 = rawr.get((kt, 1)), rawr.get((kt, 2))
    c = {n: ld.get((kt, n)) for n in (1, 2, 8)}
    cell = lambda n, rr: "-" if not c[n] else "%.0f (%s)" % (c[n][0], ratio(c[n][0], rr))
    p = "-" if not c[8] else "%s / %s" % (c[8][1], c[8][2])
    print("| %s | %s | %s | %s | %s | %s / %s |" % (kt, cell(1, r1), cell(2, r2), cell(8, r2), p,
                                                  fmt(r1, "%.0f"), fmt(r2, "%.0f")))
