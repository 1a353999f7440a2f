#!/usr/bin/env python3
"""pd-wait.py — clients of signet-policyd for the waiting-SIGN tests (e2e 41x),
without libassuan.

  one SOCK COMMAND         one request; every line it gets is printed as it
                           comes (flushed); exit 0 on OK, 1 on ERR, 2 when
                           policyd hangs up first.
  hangup SOCK COMMAND      send COMMAND, print the lines up to "S REQUEST",
                           then hang up; exit 0 (2 if no S REQUEST came).
  many N SOCK COMMAND      N connections each send COMMAND; prints
                           "waiting N <id>..." once every one got its
                           "S REQUEST <id>", then, once every one has ended,
                           "answers ok=A err=E eof=F" and each final ERR
                           line as "final <line>".
  repeat N SOCK COMMAND    N times COMMAND on one connection, one after the
                           other; prints "ms <median> <max>"; exit 1 on any
                           ERR.
"""
import socket
import sys
import threading
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(600)
    s.connect(path)
    f = s.makefile("rwb")
    greeting = f.readline()
    if not greeting.startswith(b"OK"):
        sys.exit("pd-wait: greeting " + greeting.decode(errors="replace").strip())
    return s, f


def send(f, command):
    f.write(command.encode() + b"\n")
    f.flush()


def answer(f, each=None):
    """Lines up to OK/ERR; returns (final line or None at EOF, lines)."""
    lines = []
    while True:
        line = f.readline()
        if not line:
            return None, lines
        text = line.decode(errors="replace").rstrip("\n")
        lines.append(text)
        if each:
            each(text)
        if text.startswith("OK") or text.startswith("ERR"):
            return text, lines


def out(text):
    print(text, flush=True)


def one(path, command):
    s, f = connect(path)
    send(f, command)
    final, _ = answer(f, out)
    if final is None:
        out("EOF")
        return 2
    return 0 if final.startswith("OK") else 1


def hangup(path, command):
    s, f = connect(path)
    send(f, command)
    while True:
        line = f.readline()
        if not line:
            return 2
        text = line.decode(errors="replace").rstrip("\n")
        out(text)
        if text.startswith("S REQUEST"):
            f.close()
            s.close()
            return 0
        if text.startswith("OK") or text.startswith("ERR"):
            return 2


def many(n, path, command):
    conns = [connect(path) for _ in range(n)]
    ids = [None] * n
    finals = [None] * n
    got_id = threading.Semaphore(0)

    def run(i):
        s, f = conns[i]

        def each(text):
            if text.startswith("S REQUEST "):
                ids[i] = text.split()[2]
                got_id.release()
        final, _ = answer(f, each)
        finals[i] = final if final is not None else "EOF"
        if ids[i] is None:
            got_id.release()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for i, (s, f) in enumerate(conns):
        send(f, command)
    for t in threads:
        t.start()
    for _ in range(n):
        got_id.acquire()
    out("waiting %d %s" % (sum(1 for x in ids if x), " ".join(x for x in ids if x)))
    for t in threads:
        t.join()
    ok = sum(1 for x in finals if x.startswith("OK"))
    err = sum(1 for x in finals if x.startswith("ERR"))
    out("answers ok=%d err=%d eof=%d" % (ok, err, n - ok - err))
    for x in sorted(set(x for x in finals if x.startswith("ERR"))):
        out("final " + x)
    return 0


def repeat(n, path, command):
    s, f = connect(path)
    times = []
    for _ in range(n):
        t = time.monotonic()
        send(f, command)
        final, _ = answer(f)
        times.append((time.monotonic() - t) * 1000)
        if final is None or not final.startswith("OK"):
            out("failed: %s" % final)
            return 1
    times.sort()
    out("ms %.2f %.2f" % (times[len(times) // 2], times[-1]))
    return 0


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "one":
        return one(a[1], a[2])
    if len(a) == 3 and a[0] == "hangup":
        return hangup(a[1], a[2])
    if len(a) == 4 and a[0] == "many":
        return many(int(a[1]), a[2], a[3])
    if len(a) == 4 and a[0] == "repeat":
        return repeat(int(a[1]), a[2], a[3])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
