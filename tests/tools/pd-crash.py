#!/usr/bin/env python3
"""The workers and the check of e2e 450 (policyd killed -9 while requests are
opened, approved and used).  Each worker talks to signet-policyd over its
socket, one connection per command, rides out policyd being down (it
retries), and appends one line to OUT for each success it was told about,
until STOP exists:
  pd-crash.py sign SOCK PROJECT OUT STOP      SIGN; a line per signature returned
  pd-crash.py request SOCK PROJECT OUT STOP   REQUEST --count=3 (at most 4 open)
  pd-crash.py approve SOCK OUT STOP           APPROVE what PENDING lists; a line
                                              "ID" per "S VERDICT counted" + OK
  pd-crash.py check SOCK MAXID SIGNED SLACK APPROVER=FILE...
      SHOW 1..MAXID (as the requester): every grant used at most its count;
      the uses add up to at least SIGNED and at most SIGNED + SLACK (a use
      committed by a policyd killed before it answered); every approval in
      each FILE is on its request.  Exit 1 with the reason otherwise.
Exit 0 when stopped (workers) or when all checks hold."""
import json, os, re, socket, sys, time

DIGEST = "5A" * 32


def unescape(s):
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), s)


def command(sock_path, line):
    """(last line, status lines, data) of LINE; raises OSError when policyd is away."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    try:
        s.connect(sock_path)
        f = s.makefile("rwb")
        if not f.readline().startswith(b"OK"):
            raise OSError("no greeting")
        f.write(line.encode() + b"\n")
        f.flush()
        status, data = [], ""
        while True:
            raw = f.readline()
            if not raw:
                raise OSError("connection closed")
            text = raw.decode(errors="replace").rstrip("\n")
            if text.startswith("D "):
                data += unescape(text[2:])
            elif text.startswith("S "):
                status.append(text[2:])
            elif text.startswith("OK") or text.startswith("ERR"):
                return text, status, data
    finally:
        s.close()


def append(out, line):
    with open(out, "a") as f:
        f.write(line + "\n")
        f.flush()


def loop(stop, step):
    odd = 0
    while not os.path.exists(stop):
        try:
            step()
        except OSError:
            time.sleep(0.05)          # policyd is down (killed, restarting)
        except (ValueError, KeyError, TypeError) as e:
            odd += 1                  # an answer cut short by the kill, or not as expected
            if odd <= 5:
                print("pd-crash: %s: %r" % (sys.argv[1], e), file=sys.stderr)
            time.sleep(0.05)


def sign(sock, project, out, stop):
    def step():
        last, _, data = command(sock, "SIGN --hash=sha256 %s %s" % (project, DIGEST))
        if last.startswith("OK") and data:
            append(out, "1")
        elif last.startswith("ERR"):
            time.sleep(0.02)      # no grant yet, or used up: the requester asks for more
    loop(stop, step)


def request(sock, project, out, stop):
    def step():
        last, _, data = command(sock, "REQUESTS")
        open_ = json.loads(data) if last.startswith("OK") and data else []
        if sum(1 for r in open_ if r.get("kind") == "grant") < 4:
            last, _, data = command(sock, "REQUEST --count=3 --ttl=3600 %s crash test" % project)
            if last.startswith("OK"):
                append(out, str(json.loads(data)["id"]))
        time.sleep(0.02)
    loop(stop, step)


def approve(sock, out, stop):
    def step():
        last, _, data = command(sock, "PENDING")
        if not last.startswith("OK"):
            time.sleep(0.05)
            return
        for r in json.loads(data or "[]"):
            last, status, _ = command(sock, "APPROVE %d" % r["id"])
            if last.startswith("OK") and "VERDICT counted" in status:
                append(out, str(r["id"]))
        time.sleep(0.02)
    loop(stop, step)


def die(msg):
    print("pd-crash check: " + msg, file=sys.stderr)
    sys.exit(1)


def check(sock, maxid, signed, slack, files):
    reqs = {}
    for i in range(1, maxid + 1):
        last, _, data = command(sock, "SHOW %d" % i)
        if last.startswith("OK"):
            reqs[i] = json.loads(data)
    used = 0
    for i, r in reqs.items():
        if r["used"] > r["count"]:
            die("request %d used %d times, its count is %d" % (i, r["used"], r["count"]))
        if r["state"] == "used" and r["used"] != r["count"]:
            die("request %d is used up with %d of %d uses" % (i, r["used"], r["count"]))
        if len(r["approvals"]) != len(set(r["approvals"])):
            die("request %d counts an approver twice: %s" % (i, r["approvals"]))
        used += r["used"]
    if used < signed:
        die("%d signatures were returned but the grants count %d uses" % (signed, used))
    if used > signed + slack:
        die("the grants count %d uses, more than the %d returned + %d in flight" % (used, signed, slack))
    napprovals = 0
    for spec in files:
        who, path = spec.split("=", 1)
        for line in open(path):
            i = int(line)
            napprovals += 1
            if i not in reqs or who not in reqs[i]["approvals"]:
                die("%s's approval of request %d was answered but is lost" % (who, i))
    print("pd-crash check: %d requests, %d uses for %d signatures returned, %d approvals kept"
          % (len(reqs), used, signed, napprovals))


def main():
    a = sys.argv[1:]
    if a[:1] == ["sign"] and len(a) == 5:
        sign(*a[1:])
    elif a[:1] == ["request"] and len(a) == 5:
        request(*a[1:])
    elif a[:1] == ["approve"] and len(a) == 4:
        approve(*a[1:])
    elif a[:1] == ["check"] and len(a) >= 5:
        check(a[1], int(a[2]), int(a[3]), int(a[4]), a[5:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
