#!/usr/bin/env python3
"""auditverify.py — an independent verifier of Signet audit trails.

Written from doc/audit-format.md alone (Python standard library only; it
shares no code with Signet's C implementation), so that a test can check
that the document is enough and that the C code follows it.

  auditverify.py selftest
      the test vectors of sections 5 and 7
  auditverify.py roots TRAIL [SIZE...]
      check every line of TRAIL is a whole canonical record (section 2) and
      print "SIZE ROOT" for each SIZE (default: every size 0..lines)
  auditverify.py prove TRAIL inclusion M N | consistency M N
      print the proof as JSON (sections 6, 7)
  auditverify.py proofs TRAIL
      print every inclusion and consistency proof of TRAIL, one JSON
      object a line
  auditverify.py verify [--trail TRAIL] [FILE]
      verify the JSON proofs in FILE (default stdin), one a line; with
      --trail, also that their leaf hashes and roots are TRAIL's
Exit 0 when all is well, 1 with a message naming the first fault.
"""
import hashlib
import json
import sys

MAX_LINE = 65535
MAX_SIZE = (1 << 48) - 1
MAX_PROOF = 49
EMPTY_ROOT = hashlib.sha256(b"").digest()


class Fault(Exception):
    pass


# ---- Section 2: canonical form.

NAMED = {0x22: '\\"', 0x5C: "\\\\", 0x08: "\\b", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


def canon_string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if c in NAMED:
            out.append(NAMED[c])
        elif 0x20 <= c <= 0x7F:
            out.append(ch)
        elif c < 0x10000:
            out.append("\\u%04X" % c)
        else:
            c -= 0x10000
            out.append("\\u%04X\\u%04X" % (0xD800 | (c >> 10), 0xDC00 | (c & 0x3FF)))
    out.append('"')
    return "".join(out)


def canon_value(v):
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise Fault("a value that is neither a string nor an integer")
    if isinstance(v, int):
        if not -(1 << 63) <= v < (1 << 63):
            raise Fault("an integer outside 64 bits")
        return str(v)
    return canon_string(v)


def canon_record(obj):
    keys = sorted(obj, key=lambda k: k.encode("utf-8"))
    return "{" + ",".join(canon_string(k) + ":" + canon_value(obj[k]) for k in keys) + "}"


def no_duplicates(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise Fault("duplicate key %r" % k)
        obj[k] = v
    return obj


def check_line(line):
    if len(line) > MAX_LINE:
        raise Fault("longer than %d bytes" % MAX_LINE)
    if any(b < 0x20 or b > 0x7F for b in line):
        raise Fault("a byte outside 0x20-0x7F")
    try:
        obj = json.loads(line.decode("ascii"), object_pairs_hook=no_duplicates)
    except ValueError as e:
        raise Fault("not JSON: %s" % e)
    if not isinstance(obj, dict):
        raise Fault("not a JSON object")
    if obj.get("v") != 1 or not isinstance(obj.get("seq"), int) or obj["seq"] < 1:
        raise Fault("no v=1 and seq>0")
    if canon_record(obj).encode("ascii") != line:
        raise Fault("not canonical (key order, escaping, numbers or whitespace)")


def read_trail(path):
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        raise Fault("%s: last line is torn (no line feed)" % path)
    lines = data.split(b"\n")[:-1] if data else []
    for i, line in enumerate(lines):
        try:
            check_line(line)
        except Fault as e:
            raise Fault("%s:%d: %s" % (path, i + 1, e))
    return lines


# ---- Sections 4 and 5: hashes and the tree.

def leaf_hash(line):
    return hashlib.sha256(b"\x00" + line).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    def __init__(self, lines):
        self.leaves = [leaf_hash(line) for line in lines]
        self.memo = {}

    def mth(self, a, b):
        if b == a:
            return EMPTY_ROOT
        if b - a == 1:
            return self.leaves[a]
        if (a, b) not in self.memo:
            k = split(b - a)
            self.memo[(a, b)] = node_hash(self.mth(a, a + k), self.mth(a + k, b))
        return self.memo[(a, b)]

    def path(self, m, a, b):
        if b - a == 1:
            return []
        k = split(b - a)
        if m < k:
            return self.path(m, a, a + k) + [self.mth(a + k, b)]
        return self.path(m - k, a + k, b) + [self.mth(a, a + k)]

    def subproof(self, m, a, b, whole):
        if m == b - a:
            return [] if whole else [self.mth(a, b)]
        k = split(b - a)
        if m <= k:
            return self.subproof(m, a, a + k, whole) + [self.mth(a + k, b)]
        return self.subproof(m - k, a + k, b, False) + [self.mth(a, a + k)]

    def inclusion(self, m, n):
        if not 0 <= m < n <= len(self.leaves):
            raise Fault("no leaf %d in a tree of %d" % (m, n))
        return {"type": "inclusion", "leaf_index": m, "tree_size": n,
                "leaf_hash": self.leaves[m].hex(), "root": self.mth(0, n).hex(),
                "proof": [h.hex() for h in self.path(m, 0, n)]}

    def consistency(self, m, n):
        if not 0 <= m <= n <= len(self.leaves):
            raise Fault("no consistency from %d to %d" % (m, n))
        proof = [] if m in (0, n) else self.subproof(m, 0, n, True)
        return {"type": "consistency", "size1": m, "size2": n,
                "root1": self.mth(0, m).hex(), "root2": self.mth(0, n).hex(),
                "proof": [h.hex() for h in proof]}


# ---- Sections 6 and 7: verification.

def rshift(fn, sn):
    return fn >> 1, sn >> 1


def verify_inclusion(h, m, n, proof, root):
    if m >= n or n > MAX_SIZE or len(proof) > MAX_PROOF:
        raise Fault("index, size or proof length out of range")
    fn, sn, r = m, n - 1, h
    for p in proof:
        if sn == 0:
            raise Fault("proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = rshift(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = rshift(fn, sn)
    if sn != 0:
        raise Fault("proof too short")
    if r != root:
        raise Fault("proof leads to another root")


def verify_consistency(m, n, r1, r2, proof):
    if m > n or n > MAX_SIZE or len(proof) > MAX_PROOF:
        raise Fault("sizes or proof length out of range")
    if m == n:
        if proof or r1 != r2:
            raise Fault("equal sizes need an empty proof and equal roots")
        return
    if m == 0:
        if proof or r1 != EMPTY_ROOT:
            raise Fault("size 0 needs an empty proof and the empty root")
        return
    if not proof:
        raise Fault("proof empty")
    c = [r1] + proof if m & (m - 1) == 0 else list(proof)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = rshift(fn, sn)
    fr = sr = c[0]
    for h in c[1:]:
        if sn == 0:
            raise Fault("proof too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(h, fr), node_hash(h, sr)
            while not fn & 1 and fn != 0:
                fn, sn = rshift(fn, sn)
        else:
            sr = node_hash(sr, h)
        fn, sn = rshift(fn, sn)
    if sn != 0:
        raise Fault("proof too short")
    if fr != r1:
        raise Fault("proof does not lead to the first root")
    if sr != r2:
        raise Fault("proof does not lead to the second root")


def get_hash(obj, key):
    v = obj[key]
    if not isinstance(v, str) or len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
        raise Fault("%s: not 64 lowercase hex digits" % key)
    return bytes.fromhex(v)


def get_size(obj, key):
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise Fault("%s: not a non-negative integer" % key)
    return v


FIELDS = {"inclusion": {"type", "leaf_index", "tree_size", "leaf_hash", "root", "proof"},
          "consistency": {"type", "size1", "size2", "root1", "root2", "proof"}}


def verify_json(obj, tree=None):
    if not isinstance(obj, dict) or obj.get("type") not in FIELDS:
        raise Fault("not a proof object (type inclusion or consistency)")
    if set(obj) != FIELDS[obj["type"]]:
        raise Fault("members must be exactly %s" % sorted(FIELDS[obj["type"]]))
    if not isinstance(obj["proof"], list) or len(obj["proof"]) > MAX_PROOF:
        raise Fault("proof: not a list of at most %d hashes" % MAX_PROOF)
    proof = [get_hash({"proof": p}, "proof") for p in obj["proof"]]
    if obj["type"] == "inclusion":
        m, n = get_size(obj, "leaf_index"), get_size(obj, "tree_size")
        h, root = get_hash(obj, "leaf_hash"), get_hash(obj, "root")
        verify_inclusion(h, m, n, proof, root)
        if tree is not None and (n > len(tree.leaves) or tree.leaves[m] != h or tree.mth(0, n) != root):
            raise Fault("leaf or root is not the trail's")
    else:
        m, n = get_size(obj, "size1"), get_size(obj, "size2")
        r1, r2 = get_hash(obj, "root1"), get_hash(obj, "root2")
        verify_consistency(m, n, r1, r2, proof)
        if tree is not None and (n > len(tree.leaves) or tree.mth(0, m) != r1 or tree.mth(0, n) != r2):
            raise Fault("roots are not the trail's")


# Section 5's test vectors, and section 7's proofs over them (hashes
# shortened there to their first 8 and last 6 digits).
VECTOR_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                 "606162636465666768696a6b6c6d6e6f"]
VECTOR_ROOTS = """
6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125
aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77
d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4
76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef
ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c
5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328""".split()


def selftest():
    tree = Tree([])
    tree.leaves = [leaf_hash(bytes.fromhex(x)) for x in VECTOR_LEAVES]
    for n in range(1, 9):
        if tree.mth(0, n).hex() != VECTOR_ROOTS[n - 1]:
            raise Fault("selftest: root of size %d" % n)
    short = lambda p: [h[:8] + h[-6:] for h in p["proof"]]
    if short(tree.inclusion(5, 8)) != ["bc1a0643599e6b", "ca854ea15a0ae0", "d37ee4189614b7"]:
        raise Fault("selftest: inclusion proof of leaf 5 in size 8")
    if short(tree.consistency(6, 8)) != ["0ebc5d3458ef6a", "ca854ea15a0ae0", "d37ee4189614b7"]:
        raise Fault("selftest: consistency proof from size 6 to 8")
    for n in range(1, 9):
        for m in range(n):
            verify_json(tree.inclusion(m, n))
        for m in range(n + 1):
            verify_json(tree.consistency(m, n))
    print("selftest: the document's vectors hold")


def dump(obj):
    print(json.dumps(obj, separators=(",", ":"), sort_keys=True))


def main(argv):
    if len(argv) < 2:
        raise Fault(__doc__)
    cmd = argv[1]
    if cmd == "selftest":
        selftest()
    elif cmd == "roots" and len(argv) >= 3:
        tree = Tree(read_trail(argv[2]))
        sizes = [int(s) for s in argv[3:]] or range(len(tree.leaves) + 1)
        for n in sizes:
            if not 0 <= n <= len(tree.leaves):
                raise Fault("size %d: the trail has %d records" % (n, len(tree.leaves)))
            print(n, tree.mth(0, n).hex())
    elif cmd == "prove" and len(argv) == 6 and argv[3] in ("inclusion", "consistency"):
        tree = Tree(read_trail(argv[2]))
        dump(getattr(tree, argv[3])(int(argv[4]), int(argv[5])))
    elif cmd == "proofs" and len(argv) == 3:
        tree = Tree(read_trail(argv[2]))
        for n in range(len(tree.leaves) + 1):
            for m in range(n):
                dump(tree.inclusion(m, n))
            for m in range(n + 1):
                dump(tree.consistency(m, n))
    elif cmd == "verify":
        args, tree = argv[2:], None
        if args[:1] == ["--trail"] and len(args) >= 2:
            tree = Tree(read_trail(args[1]))
            args = args[2:]
        src = open(args[0], "rb") if args else sys.stdin.buffer
        count = 0
        for no, raw in enumerate(src, 1):
            try:
                verify_json(json.loads(raw), tree)
            except (Fault, ValueError, KeyError) as e:
                raise Fault("proof %d: %s" % (no, e))
            count += 1
        print("%d proofs verified" % count)
    else:
        raise Fault(__doc__)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except Fault as e:
        print("auditverify: %s" % e, file=sys.stderr)
        sys.exit(1)
