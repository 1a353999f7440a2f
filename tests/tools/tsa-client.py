#!/usr/bin/env python3
"""Small RFC 3161 HTTP client for the signet-tsa tests (no dependencies).
  tsa-client.py serials URL QUERY N OUT   post QUERY N times over one
      keep-alive connection; append each token's serial number (hex, one
      per line) to OUT as it arrives; fail on anything but HTTP 200 + a
      granted reply.
  tsa-client.py status REPLY              print PKIStatus and failInfo bits
  tsa-client.py raw PORT BODYFILE         HTTP/1.0 POST without Content-Length;
      print the status line."""
import http.client, socket, sys, urllib.parse


def tlv(b, i):
    tag = b[i]; i += 1
    ln = b[i]; i += 1
    if ln & 0x80:
        n = ln & 0x7f
        ln = int.from_bytes(b[i:i + n], "big"); i += n
    return tag, b[i:i + ln], i + ln


def children(b):
    i, out = 0, []
    while i < len(b):
        t, v, i = tlv(b, i)
        out.append((t, v))
    return out


def status(der):
    _, resp, _ = tlv(der, 0)
    parts = children(resp)
    si = children(parts[0][1])
    st = int.from_bytes(si[0][1], "big")
    bits = []
    for t, v in si[1:]:
        if t == 0x03:
            for k, byte in enumerate(v[1:]):
                for j in range(8):
                    if byte & (0x80 >> j):
                        bits.append(8 * k + j)
    return st, bits, parts


def serial(der):
    st, _, parts = status(der)
    if st not in (0, 1):
        raise SystemExit("reply status %d" % st)
    ci = children(parts[1][1])              # ContentInfo: OID, [0]
    sd = children(children(ci[1][1])[0][1]) # SignedData fields
    eci = children(sd[2][1])                # encapContentInfo: OID, [0]
    octets = children(eci[1][1])[0][1]
    _, tst, _ = tlv(octets, 0)
    f = children(tst)                       # version, policy, imprint, serial
    return f[3][1].hex()


def main():
    cmd = sys.argv[1]
    if cmd == "serials":
        url, q, n, out = sys.argv[2], open(sys.argv[3], "rb").read(), int(sys.argv[4]), sys.argv[5]
        u = urllib.parse.urlsplit(url)
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        with open(out, "a") as f:
            for _ in range(n):
                c.request("POST", u.path or "/", q, {"Content-Type": "application/timestamp-query"})
                r = c.getresponse()
                body = r.read()
                if r.status != 200:
                    raise SystemExit("HTTP %d" % r.status)
                f.write(serial(body) + "\n")
                f.flush()
    elif cmd == "status":
        st, bits, _ = status(open(sys.argv[2], "rb").read())
        print(st, " ".join(map(str, bits)))
    elif cmd == "raw":
        body = open(sys.argv[3], "rb").read()
        s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10)
        s.sendall(b"POST / HTTP/1.0\r\nContent-Type: application/timestamp-query\r\n\r\n" + body)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
        print(data.split(b"\r\n", 1)[0].decode())
    else:
        raise SystemExit("unknown command " + cmd)


main()
