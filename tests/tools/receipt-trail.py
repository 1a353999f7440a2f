#!/usr/bin/env python3
"""receipt-trail.py — write a policyd-style audit trail with checkpoints,
its hash store and its verifier key (doc/audit-format.md §1-§9), written
from the format document, for testing `signet audit prove` and
`check-receipt` against hand-made input and at scale.

  receipt-trail.py P --records N [--t0 EPOCH] [--dt SECONDS]
      [--every K] [--origin NAME] [--seed HEX32] [--no-store]
      [--sign INDEX:SIGHEX[:DIGESTHEX]] [--event INDEX:timestamp:SERIAL:HASH:DIGEST]

Record i has seq i+1 and time t0 + i*dt; every K-th record is a
checkpoint over all records before it.  --sign makes record INDEX the
sign record of that raw signature value; --event a signet-tsa timestamp
record.  Writes P, P.tree (unless --no-store) and P.vkey."""
import argparse
import base64
import datetime
import hashlib
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization


def canon(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def stamp(t):
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%06dZ" % d.microsecond


class Tree:
    """The frontier, and every hash in the store's order (§8.1)."""

    def __init__(self, store):
        self.frontier = []  # (level, hash), left to right
        self.store = store

    def append(self, line):
        h = hashlib.sha256(b"\0" + line).digest()
        out = [h]
        level = 0
        while self.frontier and self.frontier[-1][0] == level:
            _, left = self.frontier.pop()
            h = hashlib.sha256(b"\1" + left + h).digest()
            level += 1
            out.append(h)
        self.frontier.append((level, h))
        if self.store:
            self.store.write(b"".join(out))

    def root(self):
        if not self.frontier:
            return hashlib.sha256(b"").digest()
        r = self.frontier[-1][1]
        for _, h in reversed(self.frontier[:-1]):
            r = hashlib.sha256(b"\1" + h + r).digest()
        return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--records", type=int, required=True)
    ap.add_argument("--t0", type=float, default=1796380000.0)
    ap.add_argument("--dt", type=float, default=0.05)
    ap.add_argument("--every", type=int, default=1000)
    ap.add_argument("--origin", default="signet.0badc0de/policyd")
    ap.add_argument("--seed", default="11" * 32)
    ap.add_argument("--no-store", action="store_true")
    ap.add_argument("--sign", action="append", default=[])
    ap.add_argument("--event", action="append", default=[])
    a = ap.parse_args()

    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(a.seed))
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    name = a.origin.encode()
    khash = hashlib.sha256(name + b"\n\x01" + pub).digest()[:4]
    with open(a.path + ".vkey", "w") as f:
        f.write("%s+%s+%s\n" % (a.origin, khash.hex(), base64.b64encode(b"\x01" + pub).decode()))

    special = {}
    for s in a.sign:
        parts = s.split(":")
        rec = {"event": "sign", "result": "granted", "signature": parts[1], "project": "p",
               "hash": "sha256", "key_fpr": "A" * 40, "uid": 0, "user": "root", "pid": 1}
        if len(parts) > 2:
            rec["digest"] = parts[2]
        special[int(parts[0])] = rec
    for s in a.event:
        i, _, serial, h, d = s.split(":")
        special[int(i)] = {"event": "timestamp", "result": "granted", "serial": serial, "hash": h,
                           "digest": d, "policy": "1.2.3.4", "gen_time": "x"}

    store = None if a.no_store else open(a.path + ".tree", "wb")
    if store:
        store.write(b"SGMKHS01")
    tree = Tree(store)
    with open(a.path, "wb") as out:
        for i in range(a.records):
            t = a.t0 + i * a.dt
            if i in special:
                rec = dict(special[i])
            elif a.every and i > 0 and i % a.every == 0:
                text = "%s\n%d\n%s\n" % (a.origin, i, base64.b64encode(tree.root()).decode())
                sig = key.sign(text.encode())
                note = text + "\n\u2014 %s %s\n" % (a.origin, base64.b64encode(khash + sig).decode())
                rec = {"event": "checkpoint", "note": note, "tree_size": i}
            else:
                rec = {"event": "sign", "result": "granted", "project": "p", "hash": "sha256",
                       "digest": hashlib.sha256(b"%d" % i).hexdigest(),
                       "signature": hashlib.sha512(b"%d" % i).hexdigest() * 2}
            rec.update({"v": 1, "seq": i + 1, "time": stamp(t)})
            line = canon(rec).encode()
            out.write(line + b"\n")
            tree.append(line)
    if store:
        store.close()


if __name__ == "__main__":
    main()
