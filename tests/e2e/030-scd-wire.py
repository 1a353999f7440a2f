#!/usr/bin/env python3
"""030-scd-wire: an independent, wire-level check of signet-scd's Assuan
surface (no libassuan on this side: STYLE 23).

Starts signet-scd with a temporary --homedir holding signet-scd.conf and
talks Assuan over its stdin/stdout (and over the extra socket it reports),
the way gpg-agent 2.2.40 and 2.4 do (doc/scd-protocol.md).

Without a policyd, the socket in signet-scd.conf points nowhere: the card
must still answer SERIALNO/KEYINFO/GETATTR and fail PKSIGN fast with
"Connection refused".  With a real policyd -- SIGNET_POLICYD_SOCKET, or a
world this script builds with `signet init/start/project create` when
SIGNET_BIN holds the programs -- READKEY, KEYINFO and PKSIGN are checked
too, and the signature is verified here with plain integer arithmetic.

Environment: SIGNET_BIN (folder with signet-scd), SIGNET_POLICYD_SOCKET
(optional), E2E_NO_WORLD=1 (never build a world).  Exit 0 if all passed.
"""
import hashlib
import os
import random
import select
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("SIGNET_BIN") or os.path.join(HERE, "..", "..", "build", "bin")
SCD = os.path.join(BIN, "signet-scd")
SERIAL = "D276000124010304FFFE1A2B3C4D0000"
OTHER_SERIAL = "D276000124010304FFFE000000010000"
SHA256_PREFIX = bytes.fromhex("3031300D060960864801650304020105000420")

# gpg-error codes (libgpg-error's err-codes.h); the SCD source is 6 << 24.
SRC_SCD = 6
E_NO_SECKEY = 17
E_NOT_FOUND = 27
E_DIGEST_ALGO = 5
E_NO_DATA = 58
E_NOT_SUPPORTED = 60
E_TOO_LARGE = 67
E_INV_NAME = 88
E_WRONG_CARD = 91
E_CONFIGURATION = 115
E_ASS_UNKNOWN_CMD = 275
E_ASS_PARAMETER = 280
E_ECONNREFUSED = 32768 | 25  # GPG_ERR_ECONNREFUSED = GPG_ERR_SYSTEM_ERROR | 25

failures = []


def check(cond, what):
    if cond:
        print("   ok   %s" % what)
    else:
        print("   FAIL %s" % what)
        failures.append(what)
    return cond


class Assuan:
    """A minimal Assuan client over a pair of byte streams."""

    def __init__(self, rfd, wfd, name):
        self.rfd = rfd
        self.wfd = wfd
        self.name = name
        self.buf = b""

    def readline(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("%s: no answer within %.1f s" % (self.name, timeout))
            r, _, _ = select.select([self.rfd], [], [], left)
            if not r:
                continue
            chunk = os.read(self.rfd, 65536)
            if not chunk:
                raise EOFError("%s: connection closed" % self.name)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def send_raw(self, data):
        os.write(self.wfd, data)

    def transact(self, line, timeout=5.0):
        """Send LINE; return (status, data, lines, err) where status is
        'OK' or 'ERR', data the unescaped D payload, lines the S lines and
        err the error code (or None)."""
        if isinstance(line, str):
            line = line.encode()
        self.send_raw(line + b"\n")
        return self.read_response(timeout)

    def read_response(self, timeout=5.0):
        data = b""
        status_lines = []
        while True:
            l = self.readline(timeout)
            if l.startswith(b"D "):
                data += unescape(l[2:])
            elif l.startswith(b"S "):
                status_lines.append(l[2:].decode("latin-1"))
            elif l == b"OK" or l.startswith(b"OK "):
                return "OK", data, status_lines, None
            elif l.startswith(b"ERR "):
                code = int(l.split()[1])
                return "ERR", data, status_lines, code
            elif l.startswith(b"#"):
                continue
            elif l.startswith(b"INQUIRE"):
                raise AssertionError("%s: server inquired: %r" % (self.name, l))
            else:
                raise AssertionError("%s: unexpected line %r" % (self.name, l))


def unescape(b):
    """Undo Assuan's data-line escaping (%XX)."""
    out = bytearray()
    i = 0
    while i < len(b):
        if b[i] == 0x25 and i + 2 < len(b):
            out.append(int(b[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(b[i])
            i += 1
    return bytes(out)


def code_of(err):
    return None if err is None else err & 0xFFFF


def source_of(err):
    return None if err is None else (err >> 24) & 0x7F


def write_conf(home, sock, extra=""):
    with open(os.path.join(home, "signet-scd.conf"), "w") as f:
        f.write("# written by 030-scd-wire\npolicyd_socket = %s\nserial = %s\n%s" %
                (sock, SERIAL if extra is not None else SERIAL, extra or ""))


def start_scd(home, args=("--multi-server",)):
    p = subprocess.Popen([SCD] + list(args) + ["--homedir", home],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    a = Assuan(p.stdout.fileno(), p.stdin.fileno(), "pipe")
    return p, a


def socket_session(sock_name, what):
    """Connect to signet-scd's extra socket and check its greeting."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_name)
    b = Assuan(s.fileno(), s.fileno(), "socket")
    check(b.readline().startswith(b"OK"), what)
    return s, b


def wait_exit(p, timeout=3.0):
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def kill(p):
    """End P the way gpg-agent does (EOF on the pipe), so that it removes
    its socket folder; SIGKILL only if that does not work."""
    if p.poll() is None:
        try:
            p.stdin.close()
        except OSError:
            pass
        if wait_exit(p) is None:
            p.kill()
            p.wait()


# --------------------------------------------------------------------------
# A canonical S-expression reader and an RSA PKCS#1 v1.5 check, to verify
# READKEY and PKSIGN without any crypto library.

def sexp_parse(b, i=0):
    if b[i:i + 1] != b"(":
        raise ValueError("expected (")
    i += 1
    items = []
    while b[i:i + 1] != b")":
        if b[i:i + 1] == b"(":
            sub, i = sexp_parse(b, i)
            items.append(sub)
        else:
            j = b.index(b":", i)
            n = int(b[i:j])
            items.append(b[j + 1:j + 1 + n])
            i = j + 1 + n
    return items, i + 1


def rsa_from_sexp(b):
    tree, end = sexp_parse(b)
    if end != len(b) or tree[0] != b"public-key" or tree[1][0] != b"rsa":
        raise ValueError("not (public-key(rsa ...))")
    params = {p[0]: p[1] for p in tree[1][1:]}
    return int.from_bytes(params[b"n"], "big"), int.from_bytes(params[b"e"], "big"), params[b"n"]


def pkcs1_ok(n, e, sig, digestinfo):
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    em = pow(int.from_bytes(sig, "big"), e, n).to_bytes(k, "big")
    ps = k - 3 - len(digestinfo)
    return em == b"\x00\x01" + b"\xff" * ps + b"\x00" + digestinfo


# --------------------------------------------------------------------------
# An optional real policyd.

def policyd_query(sock_path, command):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    a = Assuan(s.fileno(), s.fileno(), "policyd")
    a.readline()
    res = a.transact(command, timeout=30)
    s.close()
    return res


def build_world(tmp):
    """signet init/start + one project signable by us.  Returns the socket
    path and a stop function, or (None, None) if this cannot be done here."""
    signet = os.path.join(BIN, "signet")
    if os.environ.get("E2E_NO_WORLD") or not os.access(signet, os.X_OK) or \
            not os.path.exists("/usr/lib/softhsm/libsofthsm2.so"):
        return None, None
    home = os.path.join(tmp, "h")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    steps = [
        [signet, "--home", home, "init"],
        [signet, "--home", home, "start"],
        [signet, "--home", home, "project", "create", "wire", "--algo", "rsa2048",
         "--uid", "Wire test <wire@signet.test>", "--signer", "user:" + user],
    ]
    for cmd in steps:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            print("   note: cannot build a policyd world (%s): %s" %
                  (" ".join(cmd[3:]), (r.stderr or r.stdout).strip()[:300]))
            subprocess.run([signet, "--home", home, "stop"], capture_output=True)
            return None, None
    sock = None
    with open(os.path.join(home, "signet.conf")) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == "socket":
                sock = v.split(";")[0].strip()
    if not sock:
        print("   note: no [policyd] socket in %s/signet.conf" % home)
        return None, None

    def stop():
        subprocess.run([signet, "--home", home, "stop"], capture_output=True, timeout=60)
    return sock, stop


# --------------------------------------------------------------------------

def test_basics(tmp):
    print("-- signet-scd without policyd")
    home = os.path.join(tmp, "g1")
    os.mkdir(home, 0o700)
    missing_sock = os.path.join(tmp, "no-such-policyd.sock")
    write_conf(home, missing_sock, "debug = yes\n")
    p, a = start_scd(home)
    try:
        greet = a.readline()
        check(greet.startswith(b"OK"), "greeting is OK (%r)" % greet[:60])

        st, data, _, _ = a.transact("GETINFO version")
        check(st == "OK" and data == b"2.99.0", "GETINFO version = 2.99.0")
        st, data, _, _ = a.transact("GETINFO pid")
        check(st == "OK" and data == str(p.pid).encode(), "GETINFO pid")
        st, data, _, _ = a.transact("GETINFO socket_name")
        sock_name = data.decode()
        check(st == "OK" and sock_name.endswith("/S.scdaemon"), "GETINFO socket_name (%s)" % sock_name)
        if sock_name:
            mode = stat.S_IMODE(os.stat(os.path.dirname(sock_name)).st_mode)
            check(mode == 0o700, "socket folder is 0700 (%o)" % mode)

        st, _, s, _ = a.transact("SERIALNO --all")
        check(st == "OK" and s == ["SERIALNO " + SERIAL], "SERIALNO --all: one bare serial (%s)" % s)
        st, _, s, _ = a.transact("SERIALNO --demand=" + SERIAL)
        check(st == "OK" and s == ["SERIALNO " + SERIAL], "SERIALNO --demand=<ours>")
        st, _, _, err = a.transact("SERIALNO --demand=" + OTHER_SERIAL)
        check(st == "ERR" and code_of(err) == E_WRONG_CARD and source_of(err) == SRC_SCD,
              "SERIALNO --demand=<foreign>: Wrong card from SCD (%s)" % err)
        st, _, s, _ = a.transact("SERIALNO openpgp")
        check(st == "OK" and len(s) == 1, "SERIALNO openpgp")
        st, _, s, _ = a.transact("GETINFO card_list")
        check(st == "OK" and s == ["SERIALNO " + SERIAL], "GETINFO card_list")
        st, _, s, _ = a.transact("GETINFO all_active_apps")
        check(st == "OK" and s == ["SERIALNO %s openpgp" % SERIAL], "GETINFO all_active_apps")
        st, _, _, err = a.transact("GETINFO cmd_has_option SERIALNO all")
        check(st == "OK", "GETINFO cmd_has_option SERIALNO all")
        st, _, _, err = a.transact("GETINFO no_such_thing")
        check(st == "ERR" and code_of(err) == E_ASS_PARAMETER, "GETINFO unknown: ASS_PARAMETER (%s)" % err)
        st, _, _, _ = a.transact("OPTION event-signal=12")
        check(st == "OK", "OPTION event-signal=12")
        st, _, _, _ = a.transact("OPTION whatever=1")
        check(st == "OK", "OPTION whatever=1 accepted")

        st, _, s, _ = a.transact("KEYINFO --list")
        check(st == "OK" and s == [], "KEYINFO --list: OK, empty without policyd (%s)" % s)
        st, _, s, _ = a.transact("KEYINFO --list=encr")
        check(st == "OK" and s == [], "KEYINFO --list=encr: empty")
        grip = "0123456789ABCDEF0123456789ABCDEF01234567"
        st, _, _, err = a.transact("KEYINFO " + grip)
        check(st == "ERR" and code_of(err) == E_NOT_FOUND, "KEYINFO <unknown grip>: Not found (%s)" % err)
        st, _, _, err = a.transact("READKEY --info -- " + grip)
        check(st == "ERR" and code_of(err) in (E_NO_SECKEY, E_ECONNREFUSED),
              "READKEY --info -- <unknown grip>: error (%s)" % err)
        st, _, s, _ = a.transact("GETATTR $DISPSERIALNO " + grip)
        check(st == "OK" and s == ["$DISPSERIALNO FFFE+1A2B3C4D"], "GETATTR $DISPSERIALNO <grip> (%s)" % s)
        st, _, s, _ = a.transact("GETATTR SERIALNO")
        check(st == "OK" and s == ["SERIALNO " + SERIAL], "GETATTR SERIALNO")
        st, _, s, err = a.transact("GETATTR KEY-FPR")
        check(st == "OK" and s == [], "GETATTR KEY-FPR: OK without a fingerprint (%s %s)" % (s, err))
        for attr in ("NO-SUCH-ATTR", "$ENCRKEYID", "$AUTHKEYID"):
            st, _, _, err = a.transact("GETATTR " + attr)
            check(st == "ERR" and code_of(err) == E_INV_NAME, "GETATTR %s: Invalid name (%s)" % (attr, err))
        st, _, s, _ = a.transact("GETATTR EXTCAP")
        check(st == "OK" and len(s) == 1 and s[0].startswith("EXTCAP gc=0+ki=0"), "GETATTR EXTCAP")

        st, _, s, _ = a.transact("LEARN --force")
        kws = [x.split()[0] for x in s]
        check(st == "OK" and "SERIALNO" in kws and "APPTYPE openpgp" in s and "KEY-FPR" not in kws,
              "LEARN --force: SERIALNO, APPTYPE openpgp, no KEY-FPR (%s)" % kws)

        st, _, _, err = a.transact("FROBNICATE")
        check(st == "ERR" and code_of(err) == E_ASS_UNKNOWN_CMD, "unknown command: 275 (%s)" % err)
        for cmd in ("PKDECRYPT " + grip, "PKAUTH " + grip, "GENKEY 1", "WRITEKEY x", "PASSWD 1"):
            st, _, _, err = a.transact(cmd)
            check(st == "ERR" and code_of(err) == E_NOT_SUPPORTED, "%s: Not supported (%s)" % (cmd.split()[0], err))
        for cmd in ("CHECKPIN " + SERIAL, "LOCK", "UNLOCK", "NOP"):
            st, _, _, _ = a.transact(cmd)
            check(st == "OK", cmd + ": OK")
        st, _, s, _ = a.transact("SWITCHAPP -- openpgp")
        check(st == "OK" and s == ["SERIALNO %s openpgp" % SERIAL], "SWITCHAPP -- openpgp")

        st, _, _, err = a.transact("SETDATA 303")
        check(st == "ERR" and code_of(err) == E_ASS_PARAMETER, "SETDATA odd hex: ASS_PARAMETER (%s)" % err)
        st, _, _, err = a.transact("SETDATA 30ZZ")
        check(st == "ERR", "SETDATA bad hex: ERR (%s)" % err)
        st, _, _, err = a.transact("SETDATA --append " + "00" * 400)
        ok = st == "OK"
        for _ in range(9):
            st, _, _, err = a.transact("SETDATA --append " + "00" * 400)
            ok = ok and st == "OK"
        st, _, _, err = a.transact("SETDATA --append " + "00" * 400)
        check(ok and st == "ERR" and code_of(err) == E_TOO_LARGE,
              "SETDATA --append past 4096 bytes: Too large (%s)" % err)
        st, _, _, err = a.transact("SETDATA --bogus 00")
        check(st == "ERR", "SETDATA --bogus: ERR (%s)" % err)

        st, _, _, err = a.transact("A" * 2000)
        check(st == "ERR", "2000-byte line: ERR (%s)" % err)
        st, _, _, _ = a.transact("NOP")
        check(st == "OK", "NOP after the long line: OK")
        # The same inside one write, behind a short line, and much longer.
        a.send_raw(b"NOP\n" + b"B" * 5000 + b"\nGETINFO version\n")
        r = [a.read_response() for _ in range(3)]
        check([x[0] for x in r] == ["OK", "ERR", "OK"] and r[2][1] == b"2.99.0",
              "NOP, 5000-byte line, GETINFO in one write: OK, ERR, OK (%s)" % [x[0] for x in r])

        st, _, _, err = a.transact("PKSIGN --hash=sha256 SIGNET.wire")
        check(st == "ERR" and code_of(err) == E_NO_DATA, "PKSIGN without SETDATA: No data (%s)" % err)
        digest = hashlib.sha256(b"wire").digest()
        a.transact("SETDATA " + (SHA256_PREFIX + digest).hex().upper())
        t0 = time.monotonic()
        st, _, _, err = a.transact("PKSIGN --hash=sha256 SIGNET.wire", timeout=10)
        dt = time.monotonic() - t0
        check(st == "ERR" and code_of(err) in (E_ECONNREFUSED,) and source_of(err) == SRC_SCD and dt < 2.0,
              "PKSIGN, policyd down: Connection refused from SCD in %.2f s (%s)" % (dt, err))
        st, _, _, err = a.transact("PKSIGN --hash=sha256 " + grip, timeout=10)
        check(st == "ERR" and code_of(err) in (E_ECONNREFUSED, E_NO_SECKEY),
              "PKSIGN <grip>, policyd down: ERR (%s)" % err)
        with open(os.path.join(home, "signet-scd.log")) as f:
            log = f.read()
        check("cannot reach signet-policyd at " + missing_sock in log and "signet start" in log,
              "signet-scd.log explains the policyd failure")

        # Garbage: random bytes in lines; the server must answer and live.
        rnd = random.Random(30)
        garbage = bytes(rnd.randrange(256) for _ in range(4000))
        garbage = garbage.replace(b"\n", b"")
        chunks = [garbage[i:i + 200] for i in range(0, len(garbage), 200)]
        a.send_raw(b"\n".join(chunks) + b"\nGETINFO pid\n")
        seen_pid = False
        try:
            for _ in range(200):
                l = a.readline(5)
                if l == b"D " + str(p.pid).encode():
                    seen_pid = True
                    break
            if seen_pid:
                a.readline(5)   # OK of GETINFO pid
        except (TimeoutError, EOFError) as e:
            print("   (%s)" % e)
        check(seen_pid and p.poll() is None, "binary garbage: no crash, still answering")
        a.send_raw(b"\x00\x00\x00\nNOP\n")
        try:
            r1 = a.read_response()
            r2 = a.read_response() if r1[0] == "ERR" else r1
            check(r2[0] == "OK" and p.poll() is None, "NUL bytes in a line: no crash")
        except (TimeoutError, EOFError) as e:
            check(False, "NUL bytes in a line: %s" % e)

        # The extra socket: own greeting, own SETDATA buffer.
        if sock_name:
            s, b = socket_session(sock_name, "extra socket: greeting")
            st, data, _, _ = b.transact("GETINFO version")
            check(st == "OK" and data == b"2.99.0", "extra socket: GETINFO version")
            st, _, sl, _ = b.transact("SERIALNO --all")
            check(st == "OK" and sl == ["SERIALNO " + SERIAL], "extra socket: SERIALNO --all")
            st, _, _, err = b.transact("PKSIGN --hash=sha256 SIGNET.wire")
            check(st == "ERR" and code_of(err) == E_NO_DATA,
                  "extra socket: own SETDATA buffer (PKSIGN: No data) (%s)" % err)
            st, _, _, _ = b.transact("BYE")
            s.close()
            st, _, _, _ = a.transact("NOP")
            check(st == "OK" and p.poll() is None, "pipe still served after the socket session")

        st, _, _, _ = a.transact("RESTART")
        check(st == "OK", "RESTART: OK")
        st, _, _, err = a.transact("PKSIGN --hash=sha256 SIGNET.wire")
        check(st == "ERR" and code_of(err) == E_NO_DATA, "RESTART cleared SETDATA (%s)" % err)

        # KILLSCD restarts in place (gpg-agent 2.2 would hand the next
        # session a dead pipe for up to 4 s): same pid, the same pipe with
        # no second greeting, the same extra socket, the config read anew.
        write_conf(home, missing_sock, "debug = no\n")
        st, _, _, _ = a.transact("KILLSCD")
        check(st == "OK", "KILLSCD: OK")
        st, data, _, _ = a.transact("GETINFO version")
        check(st == "OK" and data == b"2.99.0",
              "KILLSCD: the pipe answers the next command, no second greeting (%r)" % data)
        st, data, _, _ = a.transact("GETINFO pid")
        check(p.poll() is None and data == str(p.pid).encode(), "KILLSCD: same process")
        st, data, _, _ = a.transact("GETINFO socket_name")
        check(data.decode() == sock_name, "KILLSCD: same extra socket (%s)" % data)
        if sock_name:
            s, b = socket_session(sock_name, "KILLSCD: the extra socket still greets")
            # KILLSCD on a socket connection: that connection ends, the
            # process restarts in place once more.
            st, _, _, _ = b.transact("KILLSCD")
            check(st == "OK", "KILLSCD on the extra socket: OK")
            try:
                b.readline(timeout=5)
                ended = False
            except EOFError:
                ended = True
            check(ended, "KILLSCD on the extra socket: that connection ends")
            s.close()
        st, data, _, _ = a.transact("GETINFO pid")
        check(p.poll() is None and data == str(p.pid).encode(), "pipe still served after both restarts")
        # The socket's KILLSCD restarts the process once the pipe is idle,
        # which may be just after the command above.
        want = 2 if sock_name else 1
        deadline = time.monotonic() + 5
        while True:
            with open(os.path.join(home, "signet-scd.log")) as f:
                log = f.read()
            if log.count("restarted in place") >= want or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        check(log.count("restarted in place") == want, "the log shows each restart")
        tail = log[log.rfind("restarted in place"):]
        check("[debug]" not in tail and "debug:" not in tail,
              "the restarted image read the new config (debug off)")
        p.stdin.close()
        rc = wait_exit(p)
        check(rc == 0, "EOF after a restart: exit 0 (rc %s)" % rc)
        if sock_name:
            check(not os.path.exists(os.path.dirname(sock_name)), "socket folder removed on exit")
    finally:
        kill(p)


def test_eof_and_bye(tmp):
    print("-- lifetime")
    home = os.path.join(tmp, "g2")
    os.mkdir(home, 0o700)
    write_conf(home, os.path.join(tmp, "none.sock"))
    p, a = start_scd(home)
    try:
        a.readline()
        st, data, _, _ = a.transact("GETINFO socket_name")
        p.stdin.close()
        rc = wait_exit(p)
        check(rc == 0, "stdin EOF: exit 0 (rc %s)" % rc)
        check(not os.path.exists(os.path.dirname(data.decode())), "stdin EOF: socket folder removed")
    finally:
        kill(p)
    p, a = start_scd(home, ("--server",))
    try:
        a.readline()
        st, data, _, err = a.transact("GETINFO socket_name")
        check(st == "ERR", "--server: no extra socket (%s)" % err)
        a.transact("BYE")
        check(wait_exit(p) is not None, "BYE on the pipe: exit")
    finally:
        kill(p)


def test_bad_config(tmp):
    print("-- broken signet-scd.conf")
    home = os.path.join(tmp, "g3")
    os.mkdir(home, 0o700)
    write_conf(home, os.path.join(tmp, "none.sock"), "colour = blue\n")
    p, a = start_scd(home)
    try:
        a.readline()
        st, data, _, _ = a.transact("GETINFO version")
        check(st == "OK" and data == b"2.99.0", "bad config: GETINFO version still answers")
        a.send_raw(b"SERIALNO --all\n")
        l = a.readline()
        check(l.startswith(b"ERR ") and code_of(int(l.split()[1])) == E_CONFIGURATION and
              b"signet-scd.conf:4" in l and b"colour" in l,
              "bad config: SERIALNO says Configuration error with file:line (%r)" % l[:160])
        st, _, _, err = a.transact("PKSIGN SIGNET.wire")
        check(st == "ERR" and code_of(err) == E_CONFIGURATION, "bad config: PKSIGN Configuration error")
        with open(os.path.join(home, "signet-scd.log")) as f:
            log = f.read()
        check("signet-scd.conf:4: colour: unknown key" in log, "bad config: logged as file:line: reason")
    finally:
        kill(p)
    home = os.path.join(tmp, "g4")
    os.mkdir(home, 0o700)
    p, a = start_scd(home)
    try:
        a.readline()
        st, _, _, err = a.transact("SERIALNO")
        check(st == "ERR" and code_of(err) == E_CONFIGURATION, "no config file: Configuration error (%s)" % err)
    finally:
        kill(p)


def test_with_policyd(tmp, sock):
    print("-- signet-scd with signet-policyd at %s" % sock)
    st, data, _, err = policyd_query(sock, "GETINFO serialno")
    if not check(st == "OK" and len(data) == 32, "policyd GETINFO serialno (%s)" % (data or err)):
        return
    serial = data.decode()
    st, _, keys, err = policyd_query(sock, "KEYLIST")
    check(st == "OK", "policyd KEYLIST (%d keys)" % len(keys))
    home = os.path.join(tmp, "g5")
    os.mkdir(home, 0o700)
    with open(os.path.join(home, "signet-scd.conf"), "w") as f:
        f.write("policyd_socket = %s\nserial = %s\n" % (sock, serial))
    p, a = start_scd(home)
    try:
        a.readline()
        st, _, s, _ = a.transact("SERIALNO --all")
        check(st == "OK" and s == ["SERIALNO " + serial], "SERIALNO --all = policyd's serial")
        st, _, listed, _ = a.transact("KEYINFO --list", timeout=30)
        check(st == "OK" and len(listed) == len(keys), "KEYINFO --list: %d key(s)" % len(listed))
        if not listed:
            print("   note: this user may sign with no project; sign checks skipped")
            return
        f = listed[0].split()
        check(len(f) == 6 and f[0] == "KEYINFO" and f[2] == "T" and f[3] == serial and
              f[4].startswith("SIGNET.") and f[5] == "sc", "KEYINFO line format (%s)" % listed[0])
        grip, ref = f[1], f[4]
        st, _, s, _ = a.transact("KEYINFO " + grip)
        check(st == "OK" and s == [" ".join(f)], "KEYINFO <grip>")
        st, sexp, s, _ = a.transact("READKEY --info -- " + grip, timeout=30)
        check(st == "OK" and len(s) == 1 and s[0].startswith("KEYPAIRINFO %s %s sc " % (grip, ref)) and
              len(s[0].split()) == 6, "READKEY --info: KEYPAIRINFO with 5 fields (%s)" % s)
        try:
            n, e, nbytes = rsa_from_sexp(sexp)
            check(sexp.startswith(b"(10:public-key(3:rsa(1:n") and
                  (nbytes[0] != 0 or nbytes[1] >= 0x80), "READKEY: canonical RSA S-expression")
        except Exception as ex:
            check(False, "READKEY: canonical RSA S-expression (%s)" % ex)
            return
        st, sexp2, _, _ = a.transact("READKEY " + ref)
        check(st == "OK" and sexp2 == sexp, "READKEY SIGNET.<project>.<keyid> = READKEY <grip>")
        st, _, s, _ = a.transact("LEARN --keypairinfo", timeout=30)
        check(st == "OK" and any(x.startswith("KEYPAIRINFO " + grip) for x in s) and
              all(x.startswith("KEYPAIRINFO") for x in s), "LEARN --keypairinfo")
        st, _, s, _ = a.transact("GETATTR $SIGNKEYID")
        check(st == "OK" and len(s) == 1 and s[0].startswith("$SIGNKEYID SIGNET."), "GETATTR $SIGNKEYID")
        st, _, s, _ = a.transact("GETATTR KEY-ATTR")
        check(st == "OK" and len(s) == 1 and s[0].startswith("KEY-ATTR 1 1 rsa"), "GETATTR KEY-ATTR (%s)" % s)

        digest = hashlib.sha256(b"signet wire test").digest()
        di = SHA256_PREFIX + digest
        for kid in (grip, ref):
            a.transact("SETDATA " + di.hex().upper())
            st, sig, _, err = a.transact("PKSIGN --hash=sha256 " + kid, timeout=60)
            check(st == "OK" and pkcs1_ok(n, e, sig, di),
                  "PKSIGN --hash=sha256 %s: valid PKCS#1 v1.5 signature (%s)" % (kid[:12], err))
        a.transact("SETDATA " + digest.hex())
        st, sig, _, err = a.transact("PKSIGN --hash=sha256 " + grip, timeout=60)
        check(st == "OK" and pkcs1_ok(n, e, sig, di), "PKSIGN of a bare digest (%s)" % err)
        sha1 = hashlib.sha1(b"x").digest()
        a.transact("SETDATA 3021300906052B0E03021A05000414" + sha1.hex())
        st, _, _, err = a.transact("PKSIGN " + grip, timeout=60)
        check(st == "ERR" and code_of(err) == E_DIGEST_ALGO and source_of(err) == SRC_SCD,
              "PKSIGN without --hash (sha1): Invalid digest algorithm from SCD (%s)" % err)
        with open(os.path.join(home, "signet-scd.log")) as f:
            check("signet-policyd refused SIGN: " in f.read(), "policyd's reason is in signet-scd.log")
        a.transact("SETDATA " + di.hex())
        st, _, _, err = a.transact("PKSIGN --hash=sha256 SIGNET.no-such-project", timeout=60)
        check(st == "ERR" and code_of(err) in (E_NO_SECKEY, 116), "PKSIGN unknown project: ERR (%s)" % err)

        # KEYINFO / SERIALNO from the cache once policyd is unreachable:
        # point a second scd at the same policyd, learn, then break the path.
        print("   (cache survives a policyd outage)")
        kill(p)
        # signet-scd reaches policyd through a relay; stopping the relay
        # is a policyd outage as signet-scd sees it: its kept connections
        # end and the socket is gone.
        alt = os.path.join(tmp, "pd-link")
        relay = Relay(alt, sock)
        with open(os.path.join(home, "signet-scd.conf"), "w") as f:
            f.write("policyd_socket = %s\nserial = %s\n" % (alt, serial))
        p, a = start_scd(home)
        a.readline()
        st, _, s1, _ = a.transact("KEYINFO --list", timeout=30)
        n0 = relay.accepted
        for _ in range(3):
            a.transact("SETDATA " + di.hex())
            st, _, _, err = a.transact("PKSIGN --hash=sha256 " + grip, timeout=30)
        check(st == "OK" and relay.accepted - n0 <= 1,
              "3 PKSIGN reuse one policyd connection (%d new, %s)" % (relay.accepted - n0, err))
        relay.stop()
        st, _, s2, _ = a.transact("KEYINFO " + grip)
        check(st == "OK" and len(s2) == 1, "KEYINFO <grip> from the cache with policyd unreachable")
        st, _, s3, _ = a.transact("SERIALNO --all")
        check(st == "OK" and s3 == ["SERIALNO " + serial], "SERIALNO --all with policyd unreachable")
        st, sexp3, _, _ = a.transact("READKEY -- " + grip)
        check(st == "OK" and sexp3 == sexp, "READKEY from the cache with policyd unreachable")
        a.transact("SETDATA " + di.hex())
        t0 = time.monotonic()
        st, _, _, err = a.transact("PKSIGN --hash=sha256 " + grip, timeout=10)
        dt = time.monotonic() - t0
        check(st == "ERR" and code_of(err) == E_ECONNREFUSED and dt < 2.0,
              "PKSIGN with policyd unreachable: Connection refused in %.2f s (%s)" % (dt, err))
        kill(p)
        p = test_key_file(tmp, sock, alt, serial, grip, ref, sexp, di)
    finally:
        kill(p)


class UnixServer:
    """A Unix socket at PATH; each connection goes to self._handle in a
    thread of its own."""

    def __init__(self, path):
        self.path = path
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(path)
        self.lsock.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(c,), daemon=True).start()

    def _handle(self, c):
        raise NotImplementedError


class Relay(UnixServer):
    """A Unix socket at PATH that forwards every connection to TARGET."""

    def __init__(self, path, target):
        self.target, self.conns, self.accepted, self.pumps = target, [], 0, []
        super().__init__(path)

    def _handle(self, c):
        self.accepted += 1
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        u.connect(self.target)
        self.conns += [c, u]
        for a, b in ((c, u), (u, c)):
            t = threading.Thread(target=self._pump, args=(a, b), daemon=True)
            self.pumps.append(t)
            t.start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self):
        self.lsock.close()
        os.unlink(self.path)
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        # Each pump ends once both its sockets are shut down.
        for t in self.pumps:
            t.join(5)


def dead_socket(path):
    """A Unix socket file nobody listens on: connect() gets ECONNREFUSED,
    as after policyd died without removing its socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.close()


def test_key_file(tmp, sock, alt, serial, grip, ref, sexp, di):
    """$GNUPGHOME/signet-scd.keys: a signet-scd started while policyd is
    unreachable (gpg-agent restarted) still answers SERIALNO --all, KEYINFO
    and READKEY from the keys of its last run (scd-protocol §2.3/§6.3).
    Returns the running process for the caller to end."""
    print("   (key cache file: a new signet-scd while policyd is unreachable)")
    home = os.path.join(tmp, "g6")
    os.mkdir(home, 0o700)
    keyfile = os.path.join(home, "signet-scd.keys")
    logfile = os.path.join(home, "signet-scd.log")
    with open(os.path.join(home, "signet-scd.conf"), "w") as f:
        f.write("policyd_socket = %s\nserial = %s\n" % (alt, serial))
    if os.path.lexists(alt):
        os.unlink(alt)
    os.symlink(sock, alt)
    p, a = start_scd(home)
    a.readline()
    st, _, s, _ = a.transact("LEARN --force", timeout=30)
    check(st == "OK" and any(x.startswith("KEYPAIRINFO " + grip) for x in s),
          "LEARN with policyd reachable")
    try:
        mode = stat.S_IMODE(os.lstat(keyfile).st_mode)
        with open(keyfile) as f:
            lines = f.read().split("\n")
    except OSError as ex:
        mode, lines = None, ["(%s)" % ex]
    check(mode == 0o600, "signet-scd.keys written, mode 0600 (%s)" % (oct(mode) if mode else lines[0]))
    check(lines[0] == "# signet-scd key cache v1 serial=" + serial, "signet-scd.keys header (%s)" % lines[0][:80])
    project = ref[len("SIGNET."):].rsplit(".", 1)[0]
    check(any(l.startswith("KEY %s %s rsa" % (project, grip)) and l.endswith(" " + sexp.hex().upper())
              for l in lines[1:]), "signet-scd.keys lists the key with its public key")
    check(not [n for n in os.listdir(home) if n.startswith("signet-scd.keys.")],
          "no temporary file left beside signet-scd.keys")
    kill(p)

    # policyd unreachable: its socket path now leads to a dead socket.
    os.unlink(alt)
    dead_socket(alt)
    p, a = start_scd(home)
    a.readline()
    st, _, s, err = a.transact("SERIALNO --all")
    check(st == "OK" and s == ["SERIALNO " + serial], "restart, policyd down: SERIALNO --all (%s)" % err)
    st, _, s, err = a.transact("KEYINFO " + grip)
    check(st == "OK" and s == ["KEYINFO %s T %s %s sc" % (grip, serial, ref)],
          "restart, policyd down: KEYINFO <grip> from signet-scd.keys (%s %s)" % (s, err))
    st, data, s, err = a.transact("READKEY --info -- " + grip)
    check(st == "OK" and len(s) == 1 and s[0].startswith("KEYPAIRINFO %s %s sc " % (grip, ref)) and
          data == sexp, "restart, policyd down: READKEY --info -- <grip> from signet-scd.keys (%s)" % err)
    st, _, s, err = a.transact("KEYINFO --list")
    check(st == "OK" and any(x.split()[1] == grip for x in s),
          "restart, policyd down: KEYINFO --list from signet-scd.keys (%s)" % err)
    a.transact("SETDATA " + di.hex())
    t0 = time.monotonic()
    st, _, _, err = a.transact("PKSIGN --hash=sha256 " + grip, timeout=10)
    dt = time.monotonic() - t0
    check(st == "ERR" and code_of(err) == E_ECONNREFUSED and source_of(err) == SRC_SCD and dt < 2.0,
          "restart, policyd down: PKSIGN Connection refused from SCD in %.2f s (%s)" % (dt, err))
    with open(logfile) as f:
        log = f.read()
    check("key cache %s: " % keyfile in log and "used until signet-policyd answers" in log,
          "signet-scd.log says the keys came from signet-scd.keys")
    kill(p)

    # A damaged file is logged with file:line and ignored, never fatal.
    with open(keyfile) as f:
        text = f.read()
    with open(keyfile, "w") as f:
        f.write(text.replace(" rsa", " dsa", 1))
    os.chmod(keyfile, 0o600)
    p, a = start_scd(home)
    a.readline()
    st, _, _, err = a.transact("KEYINFO " + grip)
    check(st == "ERR" and code_of(err) == E_NOT_FOUND and p.poll() is None,
          "damaged signet-scd.keys: ignored, KEYINFO Not found, no crash (%s)" % err)
    st, _, s, _ = a.transact("SERIALNO --all")
    check(st == "OK" and s == ["SERIALNO " + serial], "damaged signet-scd.keys: SERIALNO --all")
    with open(logfile) as f:
        check(keyfile + ":2: " in f.read(), "damaged signet-scd.keys: logged as file:line")
    kill(p)

    # Another card's file (another Signet installation) is ignored too.
    with open(keyfile, "w") as f:
        f.write(text.replace(serial, OTHER_SERIAL, 1))
    p, a = start_scd(home)
    a.readline()
    st, _, _, err = a.transact("KEYINFO " + grip)
    check(st == "ERR" and code_of(err) == E_NOT_FOUND, "signet-scd.keys of another serial: ignored (%s)" % err)

    # policyd back: its answer replaces the file.
    os.unlink(alt)
    os.symlink(sock, alt)
    st, _, s, _ = a.transact("LEARN --force", timeout=30)
    check(st == "OK" and any(x.startswith("KEYPAIRINFO " + grip) for x in s), "LEARN once policyd is back")
    with open(keyfile) as f:
        check(f.read() == text, "signet-scd.keys rewritten from policyd's answer")
    return p


# --------------------------------------------------------------------------
# A fake policyd: signing subkeys and keyrefs, whatever the real one does.

def _is_probable_prime(n, rnd):
    if n < 4:
        return n in (2, 3)
    for q in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % q == 0:
            return n == q
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(24):
        x = pow(rnd.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


class SoftKey:
    """An RSA-1024 key made here (fixed seed), with what policyd lists for
    it: keygrip, v4 fingerprint at CREATED, canonical S-expression."""

    def __init__(self, seed, created):
        rnd = random.Random(seed)
        self.e = 65537
        while True:
            ps = []
            while len(ps) < 2:
                c = rnd.getrandbits(512) | (3 << 510) | 1
                if _is_probable_prime(c, rnd) and (c - 1) % self.e != 0:
                    ps.append(c)
            self.n = ps[0] * ps[1]
            if self.n.bit_length() == 1024:
                break
        self.d = pow(self.e, -1, (ps[0] - 1) * (ps[1] - 1))
        self.created = created
        nb = self.n.to_bytes(128, "big")
        nstd = (b"\x00" + nb) if nb[0] & 0x80 else nb
        self.sexp = (b"(10:public-key(3:rsa(1:n%d:" % len(nstd) + nstd + b")(1:e3:\x01\x00\x01)))")
        self.grip = hashlib.sha1(nstd).hexdigest().upper()
        body = (b"\x04" + created.to_bytes(4, "big") + b"\x01" + (1024).to_bytes(2, "big") + nb +
                (17).to_bytes(2, "big") + b"\x01\x00\x01")
        self.body = body
        self.fpr = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()
        self.keyid = self.fpr[-16:]

    def sign(self, digestinfo):
        ps = 128 - 3 - len(digestinfo)
        em = int.from_bytes(b"\x00\x01" + b"\xff" * ps + b"\x00" + digestinfo, "big")
        return pow(em, self.d, self.n).to_bytes(128, "big")

    def cert(self, uid=b"Fake <fake@signet.test>"):
        """The start of a certificate with this key as primary: public key
        and user ID packets (new format headers)."""
        return bytes([0xC6]) + _pkt_len(len(self.body)) + self.body + bytes([0xCD, len(uid)]) + uid


def _pkt_len(n):
    if n < 192:
        return bytes([n])
    n -= 192
    return bytes([(n >> 8) + 192, n & 0xFF])


def _escape_data(b):
    out = bytearray()
    for c in b:
        if c in (0x25, 0x0A, 0x0D):
            out += b"%%%02X" % c
        else:
            out.append(c)
    return bytes(out)


class FakePolicyd(UnixServer):
    """Answers KEYLIST, READKEY [--key=], CERT and SIGN --hash= [--key=] for
    PROJECTS {name: (primary, [listed signing keys])}; records every line.
    SIGN and READKEY by the primary key are refused as the real policyd
    does (WRONG_KEY_USAGE), an unlisted key too."""

    WRONG_KEY_USAGE = 125

    def __init__(self, path, projects):
        self.projects, self.lines, self.history = projects, [], []
        super().__init__(path)

    def stop(self):
        self.lsock.close()
        os.unlink(self.path)

    def _key(self, project, opts):
        primary, listed = self.projects[project]
        grip = opts.get("key")
        if grip is None:
            return listed[0], None
        for k in listed:            # a project made before subkeys lists its primary
            if k.grip == grip:
                return k, None
        if grip == primary.grip:
            return None, (self.WRONG_KEY_USAGE, "the primary key only certifies")
        return None, (self.WRONG_KEY_USAGE, "no signing key of %s" % project)

    def _answer(self, line):
        words = line.split()
        cmd, opts, args = words[0].upper(), {}, []
        for w in words[1:]:
            if w.startswith("--") and "=" in w:
                k, v = w[2:].split("=", 1)
                opts[k] = v
            else:
                args.append(w)
        if cmd == "KEYLIST":
            st = ["KEY %s %s rsa1024 %d %s" % (p, k.grip, k.created, k.fpr)
                  for p, (_, ks) in self.projects.items() for k in ks]
            return st, b"", None
        if cmd in ("READKEY", "CERT", "SIGN"):
            project = args[0] if args else ""
            if project not in self.projects:
                return [], b"", (E_NO_SECKEY, "no project " + project)
            if cmd == "CERT":
                return [], self.projects[project][0].cert(), None
            k, err = self._key(project, opts)
            if err:
                return [], b"", err
            if cmd == "READKEY":
                return [], k.sexp, None
            return [], k.sign(SHA256_PREFIX + bytes.fromhex(args[1])), None
        if cmd == "BYE":
            return [], b"", None
        return [], b"", (E_ASS_UNKNOWN_CMD, "unknown command")

    def _handle(self, c):
        f = c.makefile("rwb", buffering=0)
        try:
            f.write(b"OK fake policyd\n")
            for raw in f:
                line = raw.rstrip(b"\n").decode()
                self.lines.append(line)
                self.history.append(line)
                st, data, err = self._answer(line)
                out = b"".join(b"S " + x.encode() + b"\n" for x in st)
                esc = _escape_data(data)
                for i in range(0, len(esc), 900):
                    out += b"D " + esc[i:i + 900] + b"\n"
                out += (b"ERR %d %s\n" % (err[0], err[1].encode())) if err else b"OK\n"
                f.write(out)
                if line.upper() == "BYE":
                    break
        except OSError:
            pass
        finally:
            c.close()


def test_subkeys(tmp):
    """Several keys per project, each with its own keyref; PKSIGN sends the
    keygrip of exactly the key gpg-agent named; a legacy SIGNET.<project>
    stub names the primary key, which policyd refuses (never another key
    in its place); project names with dots cannot make one keyref match
    another key."""
    print("-- signing subkeys against a fake policyd")
    primary, old, cur = SoftKey(1, 1700000000), SoftKey(2, 1700000100), SoftKey(3, 1700000200)
    other_p, other = SoftKey(4, 1700000300), SoftKey(5, 1700000400)
    legacy = SoftKey(6, 1600000000)        # a project not upgraded yet: its primary signs
    dotted = "wire." + old.keyid           # a project named like old's keyref tail
    projects = {"wire": (primary, [cur, old]), dotted: (other_p, [other]), "legacy": (legacy, [legacy])}
    sock = os.path.join(tmp, "fake-pd.sock")
    pd = FakePolicyd(sock, projects)
    home = os.path.join(tmp, "g7")
    os.mkdir(home, 0o700)
    write_conf(home, sock)
    p, a = start_scd(home)
    try:
        a.readline()
        st, _, listed, _ = a.transact("KEYINFO --list", timeout=10)
        refs = {x.split()[1]: x.split()[4] for x in listed}
        want = {cur.grip: "SIGNET.wire." + cur.keyid, old.grip: "SIGNET.wire." + old.keyid,
                other.grip: "SIGNET.%s.%s" % (dotted, other.keyid),
                legacy.grip: "SIGNET.legacy." + legacy.keyid}
        check(st == "OK" and refs == want, "KEYINFO --list: one keyref per key (%s)" % listed)
        check(all(not any(c in r for c in " %+") for r in refs.values()), "keyrefs without space, % or +")
        st, _, s, _ = a.transact("LEARN --keypairinfo", timeout=10)
        check(st == "OK" and sorted(x.split()[2] for x in s) == sorted(want.values()),
              "LEARN: a KEYPAIRINFO per key with its keyref (%s)" % s)

        digest = hashlib.sha256(b"subkeys").digest()
        di = SHA256_PREFIX + digest
        cases = [(k, kid) for k in (cur, old, other) for kid in (k.grip, want[k.grip])]
        for k, kid in cases:
            del pd.lines[:]
            a.transact("SETDATA " + di.hex().upper())
            st, sig, _, err = a.transact("PKSIGN --hash=sha256 " + kid, timeout=10)
            proj = dotted if k is other else "wire"
            sent = [x for x in pd.lines if x.startswith("SIGN ")]
            check(st == "OK" and pkcs1_ok(k.n, k.e, sig, di) and
                  sent == ["SIGN --hash=sha256 --key=%s %s %s" % (k.grip, proj, digest.hex().upper())],
                  "PKSIGN %s: policyd asked for exactly that key, signature by it (%s %s)" %
                  (kid, sent, err))
        st, sexp, _, _ = a.transact("READKEY " + want[old.grip], timeout=10)
        check(st == "OK" and sexp == old.sexp, "READKEY <old keyref>: the old key")
        st, sexp, _, _ = a.transact("READKEY --info -- " + cur.grip, timeout=10)
        check(st == "OK" and sexp == cur.sexp, "READKEY <current grip>: the current key")
        rk = [x for x in pd.history if x.startswith("READKEY")]
        byref = ["READKEY --key=%s %s" % (k.grip, proj) for proj, (_, ks) in projects.items() for k in ks]
        check(rk and all(x in byref for x in rk),
              "READKEY goes to policyd by keygrip (%s)" % rk)

        # A stub made before subkeys: SIGNET.wire named the primary key.
        del pd.lines[:]
        a.transact("SETDATA " + di.hex().upper())
        st, _, _, err = a.transact("PKSIGN --hash=sha256 SIGNET.wire", timeout=10)
        sent = [x for x in pd.lines if x.startswith("SIGN ")]
        check(st == "ERR" and code_of(err) == FakePolicyd.WRONG_KEY_USAGE and source_of(err) == SRC_SCD and
              sent == ["SIGN --hash=sha256 --key=%s wire %s" % (primary.grip, digest.hex().upper())],
              "PKSIGN SIGNET.wire (old stub): the primary's grip goes to policyd, which refuses "
              "(%s %s)" % (sent, err))
        # The same old stub of a project not upgraded yet: its primary signs.
        del pd.lines[:]
        a.transact("SETDATA " + di.hex().upper())
        st, sig, _, err = a.transact("PKSIGN --hash=sha256 SIGNET.legacy", timeout=10)
        sent = [x for x in pd.lines if x.startswith("SIGN ")]
        check(st == "OK" and pkcs1_ok(legacy.n, legacy.e, sig, di) and
              sent == ["SIGN --hash=sha256 --key=%s legacy %s" % (legacy.grip, digest.hex().upper())],
              "PKSIGN SIGNET.legacy (old stub, project not upgraded): signed by its primary (%s %s)" %
              (sent, err))
        # A key that is no longer listed: no other key signs in its place.
        del pd.lines[:]
        a.transact("SETDATA " + di.hex().upper())
        st, _, _, err = a.transact("PKSIGN --hash=sha256 SIGNET.wire.0123456789ABCDEF", timeout=10)
        check(st == "ERR" and not [x for x in pd.lines if x.startswith("SIGN ")],
              "PKSIGN <keyref of an unlisted key>: ERR, nothing signed (%s %s)" % (err, pd.lines))
        st, _, _, err = a.transact("PKSIGN --hash=sha256 " + primary.grip, timeout=10)
        check(st == "ERR" and code_of(err) == E_NO_SECKEY and
              not [x for x in pd.lines if x.startswith("SIGN ")],
              "PKSIGN <primary grip> (2.4 stub): No secret key, nothing signed (%s)" % err)
        with open(os.path.join(home, "signet-scd.log")) as f:
            log = f.read()
        check("stub from before signing subkeys" in log, "signet-scd.log explains the old stub")
    finally:
        kill(p)
        pd.stop()


def main():
    if not os.access(SCD, os.X_OK):
        print("SKIP: %s not built" % SCD)
        return 0
    tmp = tempfile.mkdtemp(prefix="sg", dir="/tmp")
    stop = None
    try:
        test_basics(tmp)
        test_eof_and_bye(tmp)
        test_bad_config(tmp)
        test_subkeys(tmp)
        sock = os.environ.get("SIGNET_POLICYD_SOCKET")
        if not sock:
            sock, stop = build_world(tmp)
        if sock:
            test_with_policyd(tmp, sock)
        else:
            print("-- no signet-policyd: READKEY/KEYINFO/PKSIGN against a real policyd skipped")
    except Exception as e:   # a hang or protocol error is a failure, not a crash of the test
        import traceback
        traceback.print_exc()
        failures.append("exception: %s" % e)
    finally:
        if stop:
            stop()
        if not os.environ.get("KEEP_WORLD"):
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("030-scd-wire: %d check(s) failed:" % len(failures))
        for f in failures:
            print("  - " + f)
        return 1
    print("030-scd-wire: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
