#!/usr/bin/env python3
"""Print the signature value (hex, lower case, no leading zeros) of the
first OpenPGP signature packet in a file (binary or ASCII-armored, or a
cleartext-signed message): RSA's s, or for ECDSA (19) and EdDSA (22)
r || s each padded to the field size (32 or 48 bytes), as policyd audits
it.  Used by the tests to find a signature in the
audit trail.  RFC 4880 §4.2 (packet headers), §5.2.3 (v4 signature)."""
import base64, sys


def dearmor(data):
    text = data.decode("ascii", "replace")
    start = text.find("-----BEGIN PGP SIGNATURE-----")
    if start < 0:
        return data
    body = text[start:].split("\n")
    lines, seen_blank = [], False
    for line in body[1:]:
        line = line.strip()
        if line.startswith("-----END"):
            break
        if not seen_blank:
            if line == "":
                seen_blank = True
            continue
        if line.startswith("="):
            continue
        lines.append(line)
    return base64.b64decode("".join(lines))


def packets(buf):
    i = 0
    while i < len(buf):
        ctb = buf[i]
        if not ctb & 0x80:
            raise ValueError("not an OpenPGP packet at offset %d" % i)
        if ctb & 0x40:  # new format
            tag = ctb & 0x3F
            o = buf[i + 1]
            if o < 192:
                ln, hl = o, 2
            elif o < 224:
                ln, hl = ((o - 192) << 8) + buf[i + 2] + 192, 3
            elif o == 255:
                ln, hl = int.from_bytes(buf[i + 2:i + 6], "big"), 6
            else:
                raise ValueError("partial lengths not supported")
        else:
            tag = (ctb >> 2) & 0xF
            lt = ctb & 3
            n = {0: 1, 1: 2, 2: 4}[lt]
            ln, hl = int.from_bytes(buf[i + 1:i + 1 + n], "big"), 1 + n
        yield tag, buf[i + hl:i + hl + ln]
        i += hl + ln


def signature_value(raw):
    """The signature value of the first v4 signature packet in RAW (a file's
    bytes), hex without leading zeros."""
    for tag, body in packets(dearmor(raw)):
        if tag != 2:
            continue
        if body[0] != 4:
            raise ValueError("not a v4 signature")
        p = 4
        hl = int.from_bytes(body[p:p + 2], "big"); p += 2 + hl
        ul = int.from_bytes(body[p:p + 2], "big"); p += 2 + ul
        p += 2  # left 16 bits of the hash
        mpis = []
        while p < len(body):
            bits = int.from_bytes(body[p:p + 2], "big"); p += 2
            mpis.append(body[p:p + (bits + 7) // 8]); p += (bits + 7) // 8
        if body[2] in (19, 22) and len(mpis) == 2:
            field = 32 if max(len(m) for m in mpis) <= 32 else 48
            val = b"".join(m.rjust(field, b"\0") for m in mpis)
        else:
            val = mpis[0]
        return val.hex().lstrip("0") or "0"
    raise ValueError("no signature packet")


def main():
    try:
        print(signature_value(open(sys.argv[1], "rb").read()))
    except ValueError as e:
        raise SystemExit("%s: %s" % (sys.argv[1], e))


if __name__ == "__main__":
    main()
