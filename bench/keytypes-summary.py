#!/usr/bin/env python3
"""The markdown summary of bench/keytypes.sh: per key type, gpg
--detach-sign latency through Signet and with a soft key, Assuan PKSIGN/s
with 1 and 2 sessions, the raw C_Sign rate, and issue 9's targets (with
issue 2's Signet ≥ 0.8 × raw C_Sign).  Reads RESULTS/keytypes-*.tsv.

usage: keytypes-summary.py RESULTS SIGNS OPS ROUNDS RAW_SECS WHEN-WHAT KT..."""
import csv, math, os, statistics, sys

R, SIGNS, OPS, ROUNDS, RAW_SECS, WHEN = sys.argv[1:7]
TYPES = sys.argv[7:]
LATENCY_MAX, SESSIONS_MIN, RAW_MIN = 1.1, 1.6, 0.8


def rows(name):
    path = os.path.join(R, name)
    return list(csv.DictReader(open(path), delimiter="\t")) if os.path.exists(path) else []


def median(xs):
    return statistics.median(xs) if xs else math.nan


def p90(xs):  # nearest rank
    xs = sorted(xs)
    return xs[math.ceil(0.9 * len(xs)) - 1] if xs else math.nan


lat, pks, raw = rows("keytypes-latency.tsv"), rows("keytypes-pksign.tsv"), rows("keytypes-raw.tsv")
status = {r["key"]: r for r in csv.DictReader(
    open(os.path.join(R, "keytypes-status.tsv")), fieldnames=["key", "status", "step", "log"], delimiter="\t")}


def ms(kt, side):
    return [float(r["us"]) / 1000 for r in lat if r["key"] == kt and r["side"] == side]


def rate(kt, side, sessions):
    return median([float(r["ops_per_s"]) for r in pks
                   if r["key"] == kt and r["side"] == side and r["sessions"] == str(sessions)])


def raw_rate(kt, threads):
    return median([float(r["ops_per_s"]) for r in raw if r["key"] == kt and r["threads"] == str(threads)])


def num(x, fmt="%.1f"):
    return "—" if math.isnan(x) else fmt % x


def target(x, ok, failed):
    if math.isnan(x):
        return "not measured"
    if failed:  # a part of the rounds only: no verdict
        return "%.2f (run failed)" % x
    return "**%.2f** %s" % (x, "met" if ok(x) else "not met")


def div(a, b):
    return a / b if b and not (math.isnan(a) or math.isnan(b)) else math.nan


print("### Key types: Signet against a soft key and the raw token (issue 9)")
print()
print("%s; %s gpg --detach-sign of 1 KiB per contender, %s PKSIGNs per Assuan session, "
      "%s rounds of PKSIGN and raw C_Sign (%s s each); medians of the rounds." % (WHEN, SIGNS, OPS, ROUNDS, RAW_SECS))
print()
print("| key | gpg --detach-sign ms, Signet median / p90 | soft key median / p90 "
      "| PKSIGN/s Signet, 1 / 2 sessions | soft key, 1 / 2 sessions | raw C_Sign/s, 1 / 2 threads |")
print("|---|---|---|---|---|---|")
for kt in TYPES:
    s, k = ms(kt, "signet"), ms(kt, "soft")
    print("| %s | %s / %s | %s / %s | %s / %s | %s / %s | %s / %s |" % (
        kt, num(median(s), "%.2f"), num(p90(s), "%.2f"), num(median(k), "%.2f"), num(p90(k), "%.2f"),
        num(rate(kt, "signet", 1), "%.0f"), num(rate(kt, "signet", 2), "%.0f"),
        num(rate(kt, "soft", 1), "%.0f"), num(rate(kt, "soft", 2), "%.0f"),
        num(raw_rate(kt, 1), "%.0f"), num(raw_rate(kt, 2), "%.0f")))
print()
print("| key | latency Signet / soft key (≤ %.1f) | PKSIGN/s through Signet, 2 / 1 sessions (≥ %.1f) "
      "| Signet 1 session / raw 1 thread (≥ %.1f) | Signet 2 sessions / raw 2 threads (≥ %.1f) | run |"
      % (LATENCY_MAX, SESSIONS_MIN, RAW_MIN, RAW_MIN))
print("|---|---|---|---|---|---|")
for kt in TYPES:
    st = status.get(kt, {"status": "FAIL", "step": "not run", "log": "-"})
    bad = st["status"] != "OK"
    run = "**FAIL** at %s (%s)" % (st["step"], os.path.basename(st["log"])) if bad else "ok"
    print("| %s | %s | %s | %s | %s | %s |" % (
        kt,
        target(div(median(ms(kt, "signet")), median(ms(kt, "soft"))), lambda x: x <= LATENCY_MAX, bad),
        target(div(rate(kt, "signet", 2), rate(kt, "signet", 1)), lambda x: x >= SESSIONS_MIN, bad),
        target(div(rate(kt, "signet", 1), raw_rate(kt, 1)), lambda x: x >= RAW_MIN, bad),
        target(div(rate(kt, "signet", 2), raw_rate(kt, 2)), lambda x: x >= RAW_MIN, bad),
        run))
failed = [kt for kt in TYPES if status.get(kt, {}).get("status") != "OK"]
if failed:
    print()
    print("FAILED: %s — logs in %s" % (", ".join(failed), os.path.join(R, "keytypes-logs")))
