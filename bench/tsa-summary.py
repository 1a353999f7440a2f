#!/usr/bin/env python3
"""signet-tsa's numbers from one bench/tsa.sh run against issue 3's targets.

  tsa-summary.py RESULTS/tsa             the tables (markdown) on stdout
  tsa-summary.py --best-threads RAW.txt  the thread count of the probe with
                                         the highest median ts/s at c = 8

Reads (all written by bench/tsa.sh): meta.txt, speed-N.txt (openssl speed,
signs per CPU-second), raw-hsm.tsv (raw C_Sign, kit raw-hsm.c, with the
process CPU time), ts-speed.tsv (kit ts-speed), load/raw.txt and
threads/raw.txt (kit run.sh key=value lines), load/verify-KEY.txt."""
import os
import re
import statistics
import sys

KEYS = ("file-rsa3072", "file-ecp256", "hsm-rsa3072", "hsm-ecp256")
# uts-server from ../shared/bench/tsa/BASELINE.md (2026-11-26, busy machine)
UTS_P256_C8 = 9290.0
UTS_P99_C32 = {"rsa3072": 150.1, "ecp256": 16.3}
UTS_RATE_C8 = {"rsa3072": 698.0, "ecp256": 9290.0}
UTS_CPU_C8 = {"rsa3072": 1947.0, "ecp256": 131.0}
BEYOND_MAX_US = 35.0
HSM_SHARE = 0.8
# which raw C_Sign thread count a concurrency is held against: one client
# keeps one worker busy; 8 or more can keep both CPUs busy.
RAW_THREADS = lambda c: 1 if c == 1 else 2


def kv(text):
    return dict(x.split("=", 1) for x in text.split() if "=" in x)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def loads(path):
    """label -> conns -> list of key=value dicts (one per round)"""
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path):
        d = kv(line)
        if "label" in d and "conns" in d:
            out.setdefault(d["label"], {}).setdefault(int(d["conns"]), []).append(d)
    return out


def point(rows):
    """medians over the rounds of one label and concurrency"""
    f = lambda k: med([float(r[k]) for r in rows if k in r])
    return {"rps": f("rps"), "p50": f("p50_ms"), "p99": f("p99_ms"), "cpu": f("server_cpu_us"),
            "errs": sum(int(r.get("fail", 0)) + int(r.get("errors", 0)) for r in rows),
            "ok": sum(int(r.get("ok", 0)) for r in rows), "n": len(rows)}


def best_threads(path):
    pts = {}
    for label, by_c in loads(path).items():
        m = re.search(r"-t(\d+)$", label)
        if m and 8 in by_c:
            pts[int(m.group(1))] = point(by_c[8])["rps"] or 0
    if not pts:
        return 4
    return max(sorted(pts), key=lambda t: pts[t])


def speed(R, rounds=False, multi=False):
    """openssl speed: signs per CPU-second, median over the rounds (or
    the list of the rounds); multi: the -multi 2 runs (both processes)"""
    pat = {"rsa3072": r"^rsa\s+3072 bits\s+\S+\s+\S+\s+([\d.]+)",
           "ecp256": r"^\s*256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)"}
    got = {k: [] for k in pat}
    for fn in sorted(os.listdir(R)):
        if not re.match(r"speed-multi-\d+\.txt$" if multi else r"speed-\d+\.txt$", fn):
            continue
        for line in open(os.path.join(R, fn)):
            for k, p in pat.items():
                m = re.match(p, line)
                if m:
                    got[k].append(float(m.group(1)))
    return got if rounds else {k: med(v) for k, v in got.items()}


def rawhsm(R, rounds=False):
    """(alg, threads) -> (ops/s wall, CPU µs per C_Sign), medians (or the
    list of the rounds)"""
    acc = {}
    p = os.path.join(R, "raw-hsm.tsv")
    if os.path.exists(p):
        for line in open(p):
            f = line.rstrip("\n").split("\t")
            if len(f) < 4:
                continue
            d = kv(f[3])
            ops = float(d.get("ops", 0))
            cpu = float(d["cpu_s"]) * 1e6 / ops if ops and "cpu_s" in d else None
            acc.setdefault((f[0], int(f[1])), []).append((float(d["ops_per_s"]), cpu))
    if rounds:
        return acc
    return {k: (med([a for a, _ in v]), med([b for _, b in v])) for k, v in acc.items()}


def tsspeed(R):
    """key name -> (replies/s, CPU µs per reply), medians"""
    acc = {}
    p = os.path.join(R, "ts-speed.tsv")
    if os.path.exists(p):
        for line in open(p):
            f = line.rstrip("\n").split("\t")
            if len(f) >= 3:
                d = kv(f[2])
                acc.setdefault(f[0], []).append((float(d["rate"]), float(d["cpu_us_per_op"])))
    return {k: (med([a for a, _ in v]), med([b for _, b in v])) for k, v in acc.items()}


def fmt(x, spec="%.0f"):
    return "–" if x is None else spec % x


def yes(ok):
    return "**met**" if ok else "**not met**"


def main(R):
    meta = {}  # meta.txt: one key=value a line (values may hold spaces)
    if os.path.exists(os.path.join(R, "meta.txt")):
        for line in open(os.path.join(R, "meta.txt")):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    sp, sp2, rh, ts = speed(R), speed(R, multi=True), rawhsm(R), tsspeed(R)
    ld = loads(os.path.join(R, "load", "raw.txt"))
    th = loads(os.path.join(R, "threads", "raw.txt"))
    alg = lambda name: name.split("-", 1)[1]

    def sign_cpu(name):  # raw CPU µs per signature of this key
        if name.startswith("file-"):
            r = sp.get(alg(name))
            return 1e6 / r if r else None
        return rh.get((alg(name), 1), (None, None))[1]

    def sign_scatter(name):  # half the range of the rounds' CPU µs per signature
        if name.startswith("file-"):
            xs = [1e6 / r for r in speed(R, True).get(alg(name), []) if r]
        else:
            xs = [c for _, c in rawhsm(R, True).get((alg(name), 1), []) if c is not None]
        return (max(xs) - min(xs)) / 2 if len(xs) > 1 else None

    print("## signet-tsa (bench/tsa.sh)\n")
    print("Run %s UTC, commit %s, %s CPUs, load average %s at the start, %s at the end; "
          "%s round(s), %s s points (+1 s warm-up), signet-tsa threads = %s, audit_sync = %s." % (
              meta.get("date_utc", "?"), meta.get("commit", "?"), meta.get("cpus", "?"),
              meta.get("load_start", "?"), meta.get("load_end", "?"), meta.get("reps", "?"),
              meta.get("dur", "?"), meta.get("threads", "?"), meta.get("audit_sync", "each")))

    print("\n### Raw signing cost of the same keys (medians of the rounds)\n")
    print("| key | openssl speed signs per CPU-s (CPU µs/sign) | openssl speed -multi 2: signs/s (÷ 1 process) "
          "| raw C_Sign 1 thread: ops/s (CPU µs/sign) "
          "| raw C_Sign 2 threads: ops/s | ts-speed (OpenSSL TS core, 1 thread): file key /s (CPU µs) "
          "| ts-speed, token key via engine pkcs11: /s (CPU µs) |")
    print("|---|---|---|---|---|---|---|")
    for a, label in (("rsa3072", "RSA-3072"), ("ecp256", "P-256")):
        r, m = sp.get(a), sp2.get(a)
        r1, r2 = rh.get((a, 1), (None, None)), rh.get((a, 2), (None, None))
        tf, te = ts.get("file-" + a, (None, None)), ts.get("hsm-" + a, (None, None))
        print("| %s | %s (%s) | %s (%s) | %s (%s) | %s | %s (%s) | %s (%s) |" % (
            label, fmt(r), fmt(1e6 / r if r else None, "%.1f"), fmt(m), fmt(m / r if m and r else None, "%.2f×"),
            fmt(r1[0]), fmt(r1[1], "%.1f"), fmt(r2[0]),
            fmt(tf[0]), fmt(tf[1], "%.1f"), fmt(te[0]), fmt(te[1], "%.1f")))

    print("\n(-multi 2 ÷ 1 process is about how many CPUs a CPU-bound job got during this run on the shared "
          "machine: 2.0 on an idle one.)")

    if th:
        print("\n### Worker threads (file P-256 key, one round)\n")
        print("| threads | c=8 ts/s | c=8 p99 ms | c=8 server CPU µs/ts | c=32 ts/s | c=32 p99 ms |")
        print("|---|---|---|---|---|---|")
        for label in sorted(th, key=lambda s: int(s.rsplit("-t", 1)[1])):
            p8, p32 = point(th[label].get(8, [])), point(th[label].get(32, []))
            print("| %s | %s | %s | %s | %s | %s |" % (label.rsplit("-t", 1)[1], fmt(p8["rps"]),
                  fmt(p8["p99"], "%.1f"), fmt(p8["cpu"], "%.1f"), fmt(p32["rps"]), fmt(p32["p99"], "%.1f")))
        print("\nThe fastest at c=8, threads = %s, is used for every key below." % meta.get("threads", "?"))

    print("\n### signet-tsa over HTTP, keep-alive (kit tsa-load, medians of the rounds)\n")
    print("| key | c | ts/s | p50 ms | p99 ms | server CPU µs/ts | raw sign CPU µs | server CPU beyond the signature µs "
          "| beyond OpenSSL's TS core (ts-speed) µs | CPUs the server used | 2 CPUs ÷ server CPU, ts/s "
          "| HSM: ts/s ÷ raw C_Sign rate | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    res = {}
    for name in KEYS:
        for c in sorted(ld.get(name, {})):
            p = point(ld[name][c])
            s = sign_cpu(name)
            beyond = p["cpu"] - s if p["cpu"] is not None and s is not None else None
            ratio, raw_t = None, RAW_THREADS(c)
            if name.startswith("hsm-"):
                rr = rh.get((alg(name), raw_t), (None, None))[0]
                ratio = p["rps"] / rr if rr and p["rps"] else None
            core = ts.get(name, (None, None))[1]
            res[(name, c)] = dict(p, beyond=beyond, ratio=ratio, raw_t=raw_t)
            print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |" % (
                name, c, fmt(p["rps"]), fmt(p["p50"], "%.2f"), fmt(p["p99"], "%.1f"), fmt(p["cpu"], "%.1f"),
                fmt(s, "%.1f"), fmt(beyond, "%+.1f"), fmt(p["cpu"] - core if p["cpu"] and core else None, "%+.1f"),
                fmt(p["rps"] * p["cpu"] / 1e6 if p["rps"] and p["cpu"] else None, "%.2f"),
                fmt(2e6 / p["cpu"] if p["cpu"] else None),
                "–" if ratio is None else "%.2f (vs %d thread%s)" % (ratio, raw_t, "s" if raw_t > 1 else ""),
                p["errs"]))
    print("\n(raw sign CPU: file keys from `openssl speed` per CPU-second, token keys from raw C_Sign with "
          "1 thread, process CPU ÷ signatures; OpenSSL's TS core: ts-speed's CPU per reply, in-process, same key, "
          "1 thread.  Server CPU is signet-tsa's utime+stime over a point ÷ replies; CPUs the server used = "
          "ts/s × server CPU per timestamp, well below 2 where the wall rate is bound by something other than CPU; "
          "the load generator runs on the same CPUs.)")

    ver = []
    for name in KEYS:
        p = os.path.join(R, "load", "verify-%s.txt" % name)
        line = next((l.strip() for l in open(p) if l.startswith("verify:")), None) if os.path.exists(p) else None
        ver.append("%s: %s" % (name, line or "no samples verified"))
        a = meta.get("audit_" + name)
        if a is not None:
            ok = sum(pt["ok"] for (n, _), pt in res.items() if n == name)
            ver[-1] += "; audit records %s for %d granted replies" % (a, ok)
    print("\nSamples (`verify.sh`, first round) and audit trails:\n")
    for v in ver:
        print("- " + v)

    print("\n### uts-server, from BASELINE.md (another day, busy machine; uts-server is not installed here)\n")
    print("| | uts-server (BASELINE.md) | signet-tsa file key (this run) | signet-tsa token key (this run) |")
    print("|---|---|---|---|")
    g = lambda name, c, k: res.get((name, c), {}).get(k)
    for a, label in (("rsa3072", "RSA-3072"), ("ecp256", "P-256")):
        print("| %s c=8 ts/s | %s | %s | %s |" % (label, fmt(UTS_RATE_C8[a]), fmt(g("file-" + a, 8, "rps")),
                                                 fmt(g("hsm-" + a, 8, "rps"))))
        print("| %s c=8 server CPU µs/ts | %s | %s | %s |" % (label, fmt(UTS_CPU_C8[a]),
                                                             fmt(g("file-" + a, 8, "cpu"), "%.1f"),
                                                             fmt(g("hsm-" + a, 8, "cpu"), "%.1f")))
        print("| %s c=32 p99 ms | %s | %s | %s |" % (label, fmt(UTS_P99_C32[a], "%.1f"),
                                                    fmt(g("file-" + a, 32, "p99"), "%.1f"),
                                                    fmt(g("hsm-" + a, 32, "p99"), "%.1f")))
    print("| server CPU beyond the signature µs | 110–140 | %s | %s |" % (
        " / ".join(fmt(g("file-" + a, 8, "beyond"), "%+.1f") for a in ("rsa3072", "ecp256")),
        " / ".join(fmt(g("hsm-" + a, 8, "beyond"), "%+.1f") for a in ("rsa3072", "ecp256"))))
    print("\n(beyond the signature: RSA-3072 / P-256 at c=8.)")

    print("\n### Issue 3's targets (this run)\n")
    for name in KEYS:
        b = g(name, 8, "beyond")
        worst = max((v["beyond"] for (n, _), v in res.items() if n == name and v["beyond"] is not None), default=None)
        sc = sign_scatter(name)
        print("- server CPU beyond the signature ≤ %.0f µs, %s at c=8: %s µs → %s (worst over c: %s µs%s)" % (
            BEYOND_MAX_US, name, fmt(b, "%.1f"), yes(b is not None and b <= BEYOND_MAX_US), fmt(worst, "%.1f"),
            "" if sc is None else "; the raw signature's own scatter between rounds: ±%.1f µs" % sc))
    print("  (RSA-3072's signature takes 2–4 ms of CPU and scatters by far more than 35 µs, so only the P-256 "
          "rows can test this target.)")
    r8 = g("file-ecp256", 8, "rps")
    print("- file-key P-256 rate at c=8 ≥ 2 × %.0f = %.0f ts/s (uts-server, BASELINE.md): %s ts/s → %s" % (
        UTS_P256_C8, 2 * UTS_P256_C8, fmt(r8), yes(r8 is not None and r8 >= 2 * UTS_P256_C8)))
    for a in ("rsa3072", "ecp256"):
        r, rr = g("hsm-" + a, 8, "rps"), rh.get((a, 2), (None, None))[0]
        print("- token key %s at c=8 ≥ %.1f × raw C_Sign rate with 2 threads (raw-hsm -T 2, this run, %s ops/s): "
              "%s ts/s = %s → %s" % (a, HSM_SHARE, fmt(rr), fmt(r), fmt(r / rr if r and rr else None, "%.2f×"),
                                     yes(r is not None and rr and r >= HSM_SHARE * rr)))
    for name in KEYS:
        p, lim = g(name, 32, "p99"), UTS_P99_C32[alg(name)]
        print("- p99 at c=32 below uts-server's %.1f ms, %s: %s ms → %s" % (
            lim, name, fmt(p, "%.1f"), yes(p is not None and p < lim)))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--best-threads":
        print(best_threads(sys.argv[2]))
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit("usage: tsa-summary.py RESULTS_DIR | --best-threads RAW.txt")
