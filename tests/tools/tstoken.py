#!/usr/bin/env python3
"""Take the RFC 3161 timestamp token out of a signature made by a
code-signing tool, for the signet-tsa interop tests.

usage: tstoken.py SIG OUT

SIG is a PKCS#7/CMS SignedData, DER or PEM (osslsigncode
extract-signature -pem: 2.5 writes its DER form with the 8-byte
WIN_CERTIFICATE header, 2.9 without, the PEM forms agree) or a signed jar (its one META-INF/*.RSA|*.EC|*.DSA block).  The token is the
value of the SignerInfo's unsigned attribute id-aa-timeStampToken
(1.2.840.113549.1.9.16.2.14, jarsigner) or Microsoft's RFC 3161
countersignature (1.3.6.1.4.1.311.3.3.1, Authenticode).  Writes the token
(DER ContentInfo) to OUT and prints the SHA-256 of that SignerInfo's
signature value: the message imprint the TSA was asked to stamp.
Exits 1 with a reason when there is no token."""
import base64
import hashlib
import re
import sys
import zipfile

TOKEN_OIDS = {
    "1.2.840.113549.1.9.16.2.14",  # id-aa-timeStampToken
    "1.3.6.1.4.1.311.3.3.1",  # Microsoft RFC 3161 countersignature
}
SEQUENCE, SET, OID, OCTETS, UNSIGNED_ATTRS = 0x30, 0x31, 0x06, 0x04, 0xA1


def nodes(b, start, end):
    """The TLVs in b[start:end] as (tag, value start, value end, tlv start)."""
    out, i = [], start
    while i < end:
        first, tag = i, b[i]
        ln = b[i + 1]
        i += 2
        if ln == 0x80:
            raise SystemExit("tstoken: indefinite length (BER) not supported")
        if ln & 0x80:
            n = ln & 0x7F
            ln = int.from_bytes(b[i:i + n], "big")
            i += n
        if i + ln > end:
            raise SystemExit("tstoken: truncated DER at offset %d" % first)
        out.append((tag, i, i + ln, first))
        i += ln
    return out


def oid_text(v):
    arcs, n = [], 0
    for byte in v:
        n = (n << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(n)
            n = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(map(str, [first, arcs[0] - 40 * first] + arcs[1:]))


def token_in_attrs(b, attrs):
    """The token TLV (start, end) among the attributes of an [1] set."""
    for tag, s, e, _ in nodes(b, attrs[1], attrs[2]):
        if tag != SEQUENCE:
            continue
        kids = nodes(b, s, e)
        if len(kids) == 2 and kids[0][0] == OID and kids[1][0] == SET and \
                oid_text(b[kids[0][1]:kids[0][2]]) in TOKEN_OIDS:
            value = nodes(b, kids[1][1], kids[1][2])[0]
            return value[3], value[2]
    return None


def find(b, start, end):
    """Depth-first: the first SignerInfo with a token → (token, signature)."""
    kids = nodes(b, start, end)
    for k, (tag, s, e, _) in enumerate(kids):
        if tag == UNSIGNED_ATTRS and k > 0 and kids[k - 1][0] == OCTETS:
            tok = token_in_attrs(b, kids[k])
            if tok is not None:
                sig = kids[k - 1]
                return b[tok[0]:tok[1]], b[sig[1]:sig[2]]
        if tag & 0x20:  # constructed: look inside
            got = find(b, s, e)
            if got is not None:
                return got
    return None


def read_signature(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            blocks = [n for n in z.namelist() if re.match(r"META-INF/[^/]+\.(RSA|EC|DSA)$", n)]
            if len(blocks) != 1:
                raise SystemExit("tstoken: %s: %d signature blocks in META-INF" % (path, len(blocks)))
            return z.read(blocks[0])
    with open(path, "rb") as f:
        data = f.read()
    pem = re.search(rb"-----BEGIN [A-Z0-9 ]+-----(.*?)-----END ", data, re.S)
    return base64.b64decode(pem.group(1)) if pem else data


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: tstoken.py SIG OUT")
    b = read_signature(sys.argv[1])
    top = nodes(b, 0, len(b))[0]  # Authenticode blobs may carry padding after it
    got = find(b, top[1], top[2])
    if got is None:
        sys.exit("tstoken: %s: no timestamp token in any SignerInfo" % sys.argv[1])
    with open(sys.argv[2], "wb") as f:
        f.write(got[0])
    print(hashlib.sha256(got[1]).hexdigest())


if __name__ == "__main__":
    main()
