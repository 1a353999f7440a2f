#!/usr/bin/env python3
"""pd-hammer.py — ask signet-policyd the same request as fast as possible
(tests only): the denial-flood attack.

usage: pd-hammer.py SOCKET SECONDS COMMAND
Sends COMMAND over one connection again and again for SECONDS, reading
each answer, and prints one JSON line: requests, ok, err (ERR answers).
SECONDS 0: send it once and print the answer's last line (OK or ERR)."""
import json
import socket
import sys
import time


def main():
    path, secs, command = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    f = s.makefile("rwb", buffering=0)
    greeting = f.readline()
    if not greeting.startswith(b"OK"):
        sys.exit("no greeting: %r" % greeting)
    line = command.encode() + b"\n"
    if secs == 0:
        f.write(line)
        while True:
            ans = f.readline()
            if not ans or ans.startswith((b"OK", b"ERR")):
                print(ans.decode(errors="replace").rstrip())
                return
    stats = {"requests": 0, "ok": 0, "err": 0}
    end = time.monotonic() + secs
    while time.monotonic() < end:
        f.write(line)
        stats["requests"] += 1
        while True:
            ans = f.readline()
            if not ans:
                sys.exit("policyd hung up after %d requests" % stats["requests"])
            if ans.startswith(b"OK"):
                stats["ok"] += 1
                break
            if ans.startswith(b"ERR"):
                stats["err"] += 1
                break
    f.write(b"BYE\n")
    print(json.dumps(stats, sort_keys=True))


if __name__ == "__main__":
    main()
