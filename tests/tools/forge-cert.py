#!/usr/bin/env python3
"""The certification trick of issue 7, done by hand: make a v4 positive
certification (0x13) of KEY's first user ID whose signature value comes
from signet-policyd's SIGN (as the calling user, through
gpg-connect-agent), issued in the name of ISSUER_FPR (the project's
signing subkey, the only key SIGN uses).  Writes KEY's packets with the
forged certification appended after the user ID's packets to OUT.

  forge-cert.py SOCKET PROJECT ISSUER_FPR KEY.gpg OUT.gpg

RFC 4880 §5.2.3 (v4 signature), §5.2.4 (what a certification hashes),
§4.2 (packet headers).  Exit 0 once OUT is written (whether gpg accepts it
is the test's question)."""
import hashlib, os, struct, subprocess, sys, tempfile, time


def packets(buf):
    i, out = 0, []
    while i < len(buf):
        ctb = buf[i]
        if not ctb & 0x80:
            raise ValueError("not an OpenPGP packet at offset %d" % i)
        if ctb & 0x40:
            tag, o = ctb & 0x3F, buf[i + 1]
            if o < 192:
                ln, hl = o, 2
            elif o < 224:
                ln, hl = ((o - 192) << 8) + buf[i + 2] + 192, 3
            elif o == 255:
                ln, hl = struct.unpack(">I", buf[i + 2:i + 6])[0], 6
            else:
                raise ValueError("partial length")
        else:
            tag, lt = (ctb >> 2) & 0xF, ctb & 3
            n = {0: 1, 1: 2, 2: 4}[lt]
            ln, hl = int.from_bytes(buf[i + 1:i + 1 + n], "big"), 1 + n
        out.append((tag, buf[i:i + hl + ln], buf[i + hl:i + hl + ln]))
        i += hl + ln
    return out


def new_packet(tag, body):
    n = len(body)
    if n < 192:
        hdr = bytes([n])
    elif n < 8384:
        n -= 192
        hdr = bytes([(n >> 8) + 192, n & 0xFF])
    else:
        hdr = b"\xff" + struct.pack(">I", n)
    return bytes([0xC0 | tag]) + hdr + body


def subpacket(typ, data):
    return bytes([len(data) + 1, typ]) + data


def main():
    sock, project, issuer, keyfile, out = sys.argv[1:6]
    pk = packets(open(keyfile, "rb").read())
    pub = next(b for t, _, b in pk if t == 6)
    uid_i = next(i for i, (t, _, _) in enumerate(pk) if t == 13)
    uid = pk[uid_i][2]
    hashed = subpacket(2, struct.pack(">I", int(time.time()))) + subpacket(33, b"\x04" + bytes.fromhex(issuer))
    head = bytes([4, 0x13, 1, 8]) + struct.pack(">H", len(hashed)) + hashed
    h = hashlib.sha256()
    h.update(b"\x99" + struct.pack(">H", len(pub)) + pub)
    h.update(b"\xb4" + struct.pack(">I", len(uid)) + uid)
    h.update(head + b"\x04\xff" + struct.pack(">I", len(head)))
    digest = h.digest()
    with tempfile.TemporaryDirectory() as d:
        sigfile = os.path.join(d, "sig")
        r = subprocess.run(["gpg-connect-agent", "-S", sock, "/datafile " + sigfile,
                            "SIGN --hash=sha256 %s %s" % (project, digest.hex()), "/bye"],
                           capture_output=True, text=True)
        if "OK" not in r.stdout.splitlines()[-1:] and not os.path.exists(sigfile):
            sys.exit("SIGN refused: " + r.stdout + r.stderr)
        sig = open(sigfile, "rb").read()
    sig = sig.lstrip(b"\x00")
    mpi = struct.pack(">H", int.from_bytes(sig, "big").bit_length()) + sig
    unhashed = subpacket(16, bytes.fromhex(issuer)[-8:])
    body = head + struct.pack(">H", len(unhashed)) + unhashed + digest[:2] + mpi
    # After the user ID and its own signatures, before anything else.
    j = uid_i + 1
    while j < len(pk) and pk[j][0] == 2:
        j += 1
    data = b"".join(p for _, p, _ in pk[:j]) + new_packet(2, body) + b"".join(p for _, p, _ in pk[j:])
    open(out, "wb").write(data)


main()
