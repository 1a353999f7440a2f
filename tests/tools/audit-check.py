#!/usr/bin/env python3
"""Check a Signet audit trail: valid JSON Lines, one object per line, v == 1,
seq 1, 2, 3 … without gaps, required fields present.  Options:
  --has-sig HEX        a record with this signature value exists (leading
                       zeros ignored) and is a granted sign event
  --count EVENT=N      exactly N records of this event
  --has EVENT:RESULT:USER[:PROJECT]   at least one such record
  --requests EVENT:USER=N  the EVENT records of USER stand for exactly N
                       requests (the sum of count, absent: 1; coalesced
                       refusals)
  --at-most EVENT:USER=N   at most N EVENT records of USER
  --has-field EVENT:FIELD=VALUE   at least one EVENT record with FIELD == VALUE
Prints a summary; exits 1 with the reason on the first failure."""
import json, sys


def die(msg):
    print("audit-check: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    path, args = sys.argv[1], sys.argv[2:]
    recs = []
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            if not raw.endswith(b"\n"):
                die("%s:%d: last line has no newline" % (path, n))
            try:
                r = json.loads(raw)
            except ValueError as e:
                die("%s:%d: not JSON: %s" % (path, n, e))
            if not isinstance(r, dict) or r.get("v") != 1:
                die("%s:%d: not a v1 record" % (path, n))
            if r.get("seq") != n:
                die("%s:%d: seq %r, expected %d" % (path, n, r.get("seq"), n))
            for k in ("time", "event"):
                if k not in r:
                    die("%s:%d: missing %s" % (path, n, k))
            if r["event"] == "sign":
                for k in ("uid", "user", "pid", "project", "key_fpr", "hash", "result", "reason"):
                    if k not in r:
                        die("%s:%d: %s record without %s" % (path, n, r["event"], k))
            if r["event"] == "deny":
                # Refused SIGNs, admin commands and setups: who and why.
                for k in ("uid", "user", "pid", "result", "reason"):
                    if k not in r:
                        die("%s:%d: %s record without %s" % (path, n, r["event"], k))
            if "count" in r and (not isinstance(r["count"], int) or r["count"] < 2):
                die("%s:%d: count %r (a coalesced record stands for 2 or more)" % (path, n, r["count"]))
            if r["event"] == "timestamp":
                # signet-tsa: a granted token (serial, imprint, time, policy).
                for k in ("result", "serial", "hash", "digest", "gen_time", "policy"):
                    if k not in r:
                        die("%s:%d: timestamp record without %s" % (path, n, k))
            recs.append(r)
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--has-sig":
            want = args[i + 1].lower().lstrip("0")
            if not any(r.get("signature", "").lstrip("0") == want and r["event"] == "sign"
                       and r.get("result") == "granted" for r in recs):
                die("no granted sign record with signature %s…" % want[:16])
            i += 2
        elif a == "--count":
            ev, n = args[i + 1].split("=")
            got = sum(1 for r in recs if r["event"] == ev)
            if got != int(n):
                die("%d %s records, expected %s" % (got, ev, n))
            i += 2
        elif a == "--has":
            parts = args[i + 1].split(":")
            ev, res, user = parts[:3]
            proj = parts[3] if len(parts) > 3 else None
            if not any(r["event"] == ev and r.get("result") == res and r.get("user") == user
                       and (proj is None or r.get("project") == proj) for r in recs):
                die("no %s record with result %s for user %s%s" % (ev, res, user, " project " + proj if proj else ""))
            i += 2
        elif a in ("--requests", "--at-most"):
            who, want = args[i + 1].rsplit("=", 1)
            ev, user = who.split(":", 1)
            mine = [r for r in recs if r["event"] == ev and r.get("user") == user]
            got = sum(r.get("count", 1) for r in mine) if a == "--requests" else len(mine)
            if (a == "--requests" and got != int(want)) or (a == "--at-most" and got > int(want)):
                die("%s %s: %d %s of user %s, expected %s%s" % (a, args[i + 1], got,
                    "requests in records" if a == "--requests" else "records", user,
                    "at most " if a == "--at-most" else "", want))
            i += 2
        elif a == "--has-field":
            ev, kv = args[i + 1].split(":", 1)
            k, v = kv.split("=", 1)
            if not any(r["event"] == ev and str(r.get(k)) == v for r in recs):
                die("no %s record with %s = %s" % (ev, k, v))
            i += 2
        else:
            die("unknown option " + a)
    print("   audit trail ok: %d records" % len(recs))


main()
