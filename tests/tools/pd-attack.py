#!/usr/bin/env python3
"""pd-attack.py — hostile clients of signet-policyd for the e2e tests.

  flood SOCK N [CONNS [PROJECT]]
                         CONNS connections (default 1) each send N
                         "READKEY <unknown 64-character name>" lines (the
                         refusal is long enough that policyd sends it as
                         an S REASON line from inside the command, where
                         e0a2a87 held its configuration lock), every other
                         one "CERT PROJECT" when given (its D lines go out
                         from inside the command too), and never read;
                         prints
                         "stuck <conns> <bytes>" once policyd stopped
                         taking requests, then "closed <i>" for each
                         connection policyd drops; holds until killed.
  hold SOCK              open connections until policyd refuses one; prints
                         "held <n>" and the refusal line, then holds them;
                         prints "closed <n>" when policyd drops any.
  burst SOCK N           N connections one after the other, each closed
                         after the first line; prints "refused <k>" (how
                         many got ERR instead of OK) and the last ERR line.
  dribble SOCK SECS      one connection sending one byte of a never-ending
                         line every SECS seconds; prints "connected", then
                         "dropped <secs>"
                         when policyd hangs up.
  longline SOCK BYTES    one line of BYTES bytes, then "GETINFO version";
                         prints each answer line (an Assuan server socket).
  send SOCK LINE         LINE as it is (no escaping: what a client that
                         skips signet's checks sends), then prints each
                         answer line up to its OK or ERR.
"""
import os
import select
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def greeting(s):
    s.settimeout(10)
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1024)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").strip()


def say(*args):
    print(*args, flush=True)


def wait_closed(socks):
    """Report connections policyd closes, without reading a byte (a client
    that reads would unblock the daemon); never returns."""
    p = select.poll()
    live = {}
    for i, s in enumerate(socks):
        p.register(s.fileno(), select.POLLRDHUP)
        live[s.fileno()] = i
    while True:
        if not live:
            time.sleep(3600)
            continue
        for fd, ev in p.poll():
            if ev & (select.POLLRDHUP | select.POLLHUP | select.POLLERR) and fd in live:
                say("closed", live.pop(fd))
                p.unregister(fd)


def flood(path, n, conns=1, project=None):
    socks = []
    total = 0
    for _ in range(conns):
        s = connect(path)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        greeting(s)
        s.setblocking(False)
        lines = []
        for i in range(n):
            if project and i % 2:
                lines.append(b"CERT %s\n" % project.encode())
            else:
                lines.append(b"READKEY %s\n" % (b"nosuch-%06d-" % i).ljust(64, b"x"))
        payload = b"".join(lines)
        off = 0
        stalled_since = None
        while off < len(payload):
            try:
                off += s.send(payload[off:off + 65536])
                stalled_since = None
            except BlockingIOError:
                # policyd stopped reading (it holds an unsent answer).
                if stalled_since is None:
                    stalled_since = time.monotonic()
                elif time.monotonic() - stalled_since > 1:
                    break
                select.select([], [s], [], 0.2)
        total += off
        socks.append(s)
    say("stuck", len(socks), total)
    wait_closed(socks)


def hold(path):
    socks = []
    while True:
        s = connect(path)
        s.settimeout(10)
        line = greeting(s)
        if not line.startswith("OK"):
            say("held", len(socks))
            say("refused", line)
            s.close()
            break
        socks.append(s)
        if len(socks) > 100000:
            say("held", len(socks))
            break
    wait_closed(socks)


def burst(path, n):
    refused, last = 0, ""
    for _ in range(n):
        s = connect(path)
        line = greeting(s)
        if line.startswith("ERR"):
            refused += 1
            last = line
        s.close()
    say("refused", refused)
    say(last)


def dribble(path, secs):
    s = connect(path)
    greeting(s)
    say("connected")
    start = time.monotonic()
    s.setblocking(False)
    while True:
        try:
            s.send(b"N")
        except OSError:
            break
        r, _, _ = select.select([s], [], [], secs)
        if r:
            try:
                if s.recv(4096) == b"":
                    break
            except OSError:
                break
    say("dropped", int(time.monotonic() - start))


def longline(path, nbytes):
    s = connect(path)
    s.settimeout(20)
    say(greeting(s))
    s.sendall(b"X" * nbytes + b"\nGETINFO version\n")
    data = b""
    while data.count(b"\n") < 3:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    for line in data.decode(errors="replace").splitlines():
        say(line)


def send(path, line):
    s = connect(path)
    s.settimeout(20)
    greeting(s)
    s.sendall(line.encode(errors="surrogateescape") + b"\n")
    data = b""
    while not any(l.startswith((b"OK", b"ERR")) for l in data.split(b"\n")[:-1]):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    for line in data.decode(errors="replace").splitlines():
        say(line)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "flood":
        flood(path, int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 1,
              sys.argv[5] if len(sys.argv) > 5 else None)
    elif cmd == "hold":
        hold(path)
    elif cmd == "burst":
        burst(path, int(sys.argv[3]))
    elif cmd == "dribble":
        dribble(path, float(sys.argv[3]))
    elif cmd == "longline":
        longline(path, int(sys.argv[3]))
    elif cmd == "send":
        send(path, sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
