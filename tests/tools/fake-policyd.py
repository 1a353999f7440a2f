#!/usr/bin/env python3
"""A stand-in for signet-policyd's approval commands, for testing the
command line alone (tests/e2e/401-cli-approvals.sh):
   fake-policyd.py SOCKET LOG [--old]
Answers REQUEST, PENDING, SHOW, APPROVE, DENY, CANCEL, GRANTS, REQUESTS,
WHY --json, GETINFO and KEYLIST with canned answers shaped as
doc/policyd-protocol.md says, and writes every command line it receives to
LOG exactly as it came (so the test sees the escaping).  --old: behave like
a policyd from before approvals (WHY takes no arguments, the approval
commands are unknown).  SHOW 404 answers "not found"."""
import json, os, socket, sys, threading

GPG_ERR_NOT_FOUND = 27
GPG_ERR_ASS_PARAMETER = 280
GPG_ERR_ASS_UNKNOWN_CMD = 275
GPG_ERR_NO_POLICY_MATCH = 17
SRC = 4 << 24   # GPG_ERR_SOURCE_GPGAGENT-ish: any source; the CLI keeps only the code

REQ = {"id": 42, "kind": "grant", "project": "rel", "requester": "user:alice",
       "reason": "release 1.2 \x1b[31mred\x1b[0m", "count": 3, "used": 0, "uses_left": 3,
       "approvals": ["user:bob"],
       "approval_details": [{"by": "user:bob", "time": "2026-12-04T03:00:00Z", "comment": "ok"}],
       "needed": 2, "approvers": "user:bob user:carol group:leads", "state": "pending",
       "created": "2026-12-04T02:00:00Z", "expires": "2026-12-05T02:00:00Z"}
SIGNREQ = dict(REQ, id=17, kind="sign", count=1, uses_left=1, hash="sha256",
               digest="ab" * 32, program="git", pid=1234)
APPROVED = dict(REQ, approvals=["user:bob", "user:carol"], state="approved")
DENIED = dict(REQ, state="denied", denied_by="user:carol", deny_reason="not today")
WHY = [{"time": "2026-12-04T03:00:00Z", "seq": 12, "project": "rel", "code": "approval_required",
        "reason": "project rel needs 2 approvals and user alice holds no grant",
        "next": "ask for one: signet request --project rel --reason TEXT"}]


def esc(b):
    return b.replace(b"%", b"%25").replace(b"\r", b"%0D").replace(b"\n", b"%0A")


def answer(cmd, old):
    verb, _, args = cmd.partition(" ")
    data = status = None
    if verb == "GETINFO":
        data = {"version": "0.fake", "pid": str(os.getpid()), "serialno": "D2760001240100000000000000000000"}.get(args, "?")
        return [], data.encode(), None
    if verb == "KEYLIST":
        return [], None, None
    if verb == "WHY":
        if old and args:
            return [], None, (GPG_ERR_ASS_PARAMETER, "WHY takes no arguments")
        if old:
            return ["DENIAL 1764817200 12 rel"], b"user alice is not a signer of project rel", None
        return [], json.dumps(WHY).encode(), None
    if old:
        return [], None, (GPG_ERR_ASS_UNKNOWN_CMD, "Unknown IPC command")
    if verb == "REQUEST":
        return [], json.dumps(dict(REQ, approvals=[], approval_details=[])).encode(), None
    if verb == "PENDING":
        return [], json.dumps([REQ, SIGNREQ]).encode(), None
    if verb == "SHOW":
        if args == "404":
            return [], None, (GPG_ERR_NOT_FOUND, "no request 404")
        return [], json.dumps(REQ if args == "42" else SIGNREQ).encode(), None
    if verb == "APPROVE":
        n = args.split(" ")[0]
        if n == "43":
            return [], None, (GPG_ERR_NO_POLICY_MATCH, "user alice may not approve her own request 43")
        return ["VERDICT " + ("already" if n == "41" else "counted")], json.dumps(APPROVED).encode(), None
    if verb == "DENY":
        return [], json.dumps(DENIED).encode(), None
    if verb == "CANCEL":
        return [], json.dumps(dict(REQ, state="cancelled")).encode(), None
    if verb == "GRANTS":
        return [], json.dumps([dict(APPROVED, used=1, uses_left=2)]).encode(), None
    if verb == "REQUESTS":
        return [], json.dumps([SIGNREQ, REQ, dict(APPROVED, id=44)]).encode(), None
    return [], None, (GPG_ERR_ASS_UNKNOWN_CMD, "Unknown IPC command")


def serve(conn, log, old):
    try:
        talk(conn.makefile("rwb"), log, old)
    except OSError:
        pass   # the client hung up after BYE without reading the OK
    conn.close()


def talk(f, log, old):
    f.write(b"OK fake policyd\n")
    f.flush()
    for raw in f:
        line = raw.rstrip(b"\n").decode(errors="replace")
        with open(log, "a") as lf:
            lf.write(line + "\n")
        if line in ("BYE", ""):
            f.write(b"OK\n")
            f.flush()
            break
        st, data, err = answer(line, old)
        for s in st:
            f.write(b"S " + s.encode() + b"\n")
        if data is not None:
            data = esc(data)
            for i in range(0, len(data), 900):
                f.write(b"D " + data[i:i + 900] + b"\n")
        f.write(b"OK\n" if err is None else ("ERR %d %s\n" % (SRC | err[0], err[1])).encode())
        f.flush()


def main():
    sock, log = sys.argv[1], sys.argv[2]
    old = "--old" in sys.argv[3:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock)
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, log, old), daemon=True).start()


main()
