#!/usr/bin/env python3
"""One request to signet-policyd over its Unix socket, without libassuan:
   pd-cmd.py [--wait FILE] [--want-gid GID] SOCKET 'COMMAND ARGS'
--wait: block until FILE exists (the test says when to go).
--want-gid: exit 3 unless the process runs with effective gid GID (proves
            the setgid program or the sg session really carries the group).
Prints the answer's last line (OK ... or ERR ...); exits 0 on OK, 1 on ERR,
2 on anything else."""
import os, socket, sys, time


def main():
    args = sys.argv[1:]
    wait = want_gid = None
    while args and args[0].startswith("--"):
        if args[0] == "--wait":
            wait, args = args[1], args[2:]
        elif args[0] == "--want-gid":
            want_gid, args = int(args[1]), args[2:]
        else:
            sys.exit("pd-cmd: unknown option " + args[0])
    if len(args) != 2:
        sys.exit(__doc__)
    sock_path, command = args
    if want_gid is not None and os.getegid() != want_gid:
        print("pd-cmd: egid %d, not %d" % (os.getegid(), want_gid), file=sys.stderr)
        sys.exit(3)
    deadline = time.monotonic() + 120
    while wait and not os.path.exists(wait):
        if time.monotonic() > deadline:
            sys.exit("pd-cmd: %s never appeared" % wait)
        time.sleep(0.05)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(sock_path)
    f = s.makefile("rwb")
    greeting = f.readline()
    if not greeting.startswith(b"OK"):
        print("pd-cmd: greeting " + greeting.decode(errors="replace").strip(), file=sys.stderr)
        sys.exit(2)
    f.write(command.encode() + b"\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            print("pd-cmd: connection closed", file=sys.stderr)
            sys.exit(2)
        if line.startswith(b"OK") or line.startswith(b"ERR"):
            print(line.decode(errors="replace").strip())
            sys.exit(0 if line.startswith(b"OK") else 1)


if __name__ == "__main__":
    main()
