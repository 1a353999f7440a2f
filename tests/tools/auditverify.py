#!/usr/bin/env python3
"""auditverify.py — an independent verifier of Signet audit trails.

Written from doc/audit-format.md alone (Python standard library, and
python3-cryptography for Ed25519 in auditnote.py; it shares no code with
Signet's C implementation), so that a test can check that the document is
enough and that the C code follows it.

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
  auditverify.py trail [--key VKEY|--key-file F] [--from-segment K] [--tsa-ca FILE]
                       [--checkpoint SAVED] P
      verify the whole trail whose current segment is P (sections 3, 8.3,
      9): its segments P.000001 … (from K with --from-segment), canonical
      records with seq = leaf index + 1, segment records' frontiers,
      quarantine records, and every checkpoint's signed note (with VKEY, a
      verifier key or a file holding one; default P.vkey) against the root
      of the records; with --checkpoint, also that the trail still holds
      the tree of a checkpoint saved earlier (its note or its record line)
Exit 0 when all is well, 1 with a message naming the first fault
("FILE:LINE (seq N): what" for a record of a trail).
"""
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

import auditnote

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
    auditnote.selftest()
    print("selftest: the document's vectors hold; the C2SP note vector verifies")


# ---- Sections 3, 8.2, 8.3 and 9: the whole trail.

SEGMENT_RE = r"\.([0-9]{6})"
TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
TORN_RE = r"\.torn-[0-9]{8}T[0-9]{6}Z"
STATE_MAGIC = b"SGMKST01"
# §3's table: the type of every member Signet writes (int or str).
TYPES = {"v": int, "seq": int, "time": str, "event": str, "uid": int, "user": str, "pid": int,
         "project": str, "key_fpr": str, "hash": str, "digest": str, "result": str,
         "reason": str, "signature": str, "code": str, "request": int, "grant": int,
         "use": int, "rate_seq": int, "by": str, "count": int, "serial": str, "policy": str,
         "gen_time": str, "note": str, "tsa_token": str, "tree_size": int, "segment": int,
         "frontier": str, "file": str, "size": int}
# §9: the writer's own records have exactly these members.
WRITER = {"checkpoint": ({"event", "note", "seq", "time", "tree_size", "v"}, {"tsa_token"}),
          "segment": ({"event", "frontier", "segment", "seq", "time", "tree_size", "v"}, set()),
          "quarantine": ({"event", "file", "reason", "seq", "size", "time", "v"}, set())}


def segment_files(path, from_segment):
    """§8.3: [(file, K)] — sealed P.000001 … in order, then P."""
    folder, base = os.path.split(path)
    if not os.path.isfile(path):
        raise Fault("%s: no current segment (the trail's file P)" % path)
    sealed = sorted(int(m.group(1)) for m in
                    (re.fullmatch(re.escape(base) + SEGMENT_RE, n) for n in os.listdir(folder or "."))
                    if m)
    if 0 in sealed:
        raise Fault("%s.000000: segment numbers count from 1" % path)
    first = from_segment or 1
    kept = [k for k in sealed if k >= first]
    want = list(range(first, first + len(kept)))
    if kept != want:
        gap = next(w for w, k in zip(want, kept) if w != k)
        if gap == 1 and not from_segment:
            raise Fault("%s.000001: segment 1 is missing (archived? then verify with --from-segment K)" % path)
        raise Fault("%s.%06d: segment %d is missing (a gap in the sealed segments)" % (path, gap, gap))
    files = [("%s.%06d" % (path, k), k) for k in kept]
    return files + [(path, first + len(kept))]


def read_lines(files):
    """Yield (file, K, line number, bytes) over the whole trail."""
    for name, k in files:
        with open(name, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        for no, line in enumerate(lines[:-1], 1):
            yield name, k, no, line
        if lines[-1]:
            yield name, k, len(lines), None      # torn: no line feed


def decomposition(size):
    """The perfect subtrees (level, first leaf) that make up size (§8.2)."""
    out, pos = [], 0
    for level in reversed(range(49)):
        if size >> level & 1:
            out.append((level, pos))
            pos += 1 << level
    return out


class Frontier:
    """The tree's perfect subtrees: the stack of §8.2 while appending, and
    the subtrees it held since the start, so that the root of any size
    since then can be computed (§5); forget() drops those no larger size
    can need."""

    def __init__(self, size=0, hashes=()):
        self.size, self.stack, self.nodes, self.order = size, [], {}, collections.deque()
        for (level, pos), h in zip(decomposition(size), hashes):
            self.stack.append((level, pos, h))
            self.add(level, pos, h)
        self.start = size

    def add(self, level, pos, h):
        self.nodes[(level, pos)] = h
        self.order.append((pos + (1 << level), (level, pos)))

    def append(self, leaf):
        level, pos, h = 0, self.size, leaf
        self.add(0, pos, h)
        while self.stack and self.stack[-1][0] == level:
            _, lpos, lh = self.stack.pop()
            level, pos, h = level + 1, lpos, node_hash(lh, h)
            self.add(level, pos, h)
        self.stack.append((level, pos, h))
        self.size += 1

    def forget(self, size):
        """Only roots of SIZE or more will be asked for: of the subtrees
        that end by SIZE, only SIZE's own are kept."""
        keep, kept = set(decomposition(size)), []
        while self.order and self.order[0][0] <= size:
            entry = self.order.popleft()
            if entry[1] in keep:
                kept.append(entry)
            else:
                del self.nodes[entry[1]]
        self.order.extendleft(reversed(kept))

    def encode(self):
        return STATE_MAGIC + self.size.to_bytes(8, "big") + b"".join(h for _, _, h in self.stack)

    def root(self, size):
        """MTH(D[0:size]); None when it needs leaves from before the start."""
        if size == 0:
            return EMPTY_ROOT
        parts, pos = [], 0
        for level in reversed(range(49)):
            if size >> level & 1:
                if (level, pos) not in self.nodes:
                    return None
                parts.append(self.nodes[(level, pos)])
                pos += 1 << level
        r = parts[-1]
        for h in reversed(parts[:-1]):
            r = node_hash(h, r)
        return r


def decode_state(hexstate):
    """§8.2's tree state, from the segment record's hex."""
    if not re.fullmatch("(?:[0-9a-f]{2})+", hexstate):
        raise Fault("frontier is not lowercase hex")
    raw = bytes.fromhex(hexstate)
    if len(raw) < 16 or raw[:8] != STATE_MAGIC:
        raise Fault("frontier does not start with SGMKST01 and a size")
    size = int.from_bytes(raw[8:16], "big")
    if size > MAX_SIZE or len(raw) != 16 + 32 * bin(size).count("1"):
        raise Fault("frontier of size %d has %d bytes, not 16 + 32 per set bit" % (size, len(raw)))
    return size, [raw[i:i + 32] for i in range(16, len(raw), 32)]


class TrailCheck:
    """One pass over the trail's records in order (sections 3, 8.3, 9)."""

    def __init__(self, path, vkey, from_segment, tsa_ca):
        self.path, self.vkey, self.from_segment, self.tsa_ca = path, vkey, from_segment, tsa_ca
        self.tree = None if from_segment and from_segment > 1 else Frontier()
        self.origin = None
        self.ckpt = None                 # (size, file, line, seq) of the last checkpoint
        self.checkpoints = self.tokens = self.unchecked_tokens = 0
        self.where = ""
        self.keep_all = False            # --checkpoint SAVED may ask for any size

    def fail(self, what):
        raise Fault("%s: %s" % (self.where, what))

    def record(self, name, k, no, line, first_in_file):
        expect = self.tree.size + 1 if self.tree else None
        self.where = "%s:%d (seq %s)" % (name, no, expect if expect else "?")
        if line is None:
            self.fail("torn last line (no line feed): not a record")
        try:
            check_line(line)
        except Fault as e:
            self.fail(e)
        obj = json.loads(line)
        self.where = "%s:%d (seq %d)" % (name, no, obj["seq"])
        for key, value in obj.items():
            if key in TYPES and (isinstance(value, bool) or not isinstance(value, TYPES[key])):
                self.fail("%s is not a%s" % (key, "n integer" if TYPES[key] is int else " string"))
        if not TIME_RE.fullmatch(obj.get("time", "")) or not obj.get("event"):
            self.fail("no time (RFC 3339 UTC with microseconds) or no event")
        if len({"uid", "user", "pid"} & set(obj)) not in (0, 3):
            self.fail("uid, user and pid come all three or none")
        event = obj["event"]
        if event in WRITER:
            need, may = WRITER[event]
            if not need <= set(obj) <= need | may:
                self.fail("a %s record has members %s, not %s" % (event, sorted(obj), sorted(need | may)))
        if (event == "segment") != (first_in_file and k > 1):
            self.fail("a segment record is the first record of every segment after the first, "
                      "and only there (segment %d, line %d, event %s)" % (k, no, event))
        if event == "segment":
            self.segment(obj, k)
        if self.tree is None:
            self.fail("--from-segment: the first record is not a segment record")
        if obj["seq"] != self.tree.size + 1:
            self.fail("seq %d where leaf index %d needs %d (a record removed, inserted or moved)" %
                      (obj["seq"], self.tree.size, self.tree.size + 1))
        if event == "checkpoint":
            self.checkpoint(obj, name, no)
        elif event == "quarantine":
            self.quarantine(obj)
        self.tree.append(leaf_hash(line))

    def segment(self, obj, k):
        if obj["segment"] != k:
            self.fail("segment record says segment %d in segment file %d" % (obj["segment"], k))
        try:
            size, hashes = decode_state(obj["frontier"])
        except Fault as e:
            self.fail(e)
        if size != obj["tree_size"]:
            self.fail("frontier size %d is not tree_size %d" % (size, obj["tree_size"]))
        if self.tree is None:
            self.tree = Frontier(size, hashes)
            self.ckpt = None
        elif size != self.tree.size:
            self.fail("tree_size %d is not this record's leaf index %d" % (size, self.tree.size))
        elif self.tree.encode().hex() != obj["frontier"]:
            self.fail("frontier is not the tree of the %d records before it" % size)

    def checkpoint(self, obj, name, no):
        size, index = obj["tree_size"], self.tree.size
        if not 0 <= size <= index:
            self.fail("tree_size %d is beyond the checkpoint's own leaf index %d" % (size, index))
        if self.ckpt and size < self.ckpt[0]:
            self.fail("tree_size %d is less than the previous checkpoint's %d (%s:%d)" %
                      (size, self.ckpt[0], self.ckpt[1], self.ckpt[2]))
        if self.vkey is None:
            self.fail("a checkpoint, and no verifier key (--key, or the trail's .vkey file)")
        try:
            origin, nsize, root = auditnote.open_note(obj["note"].encode("utf-8", "surrogatepass"), self.vkey)
        except auditnote.NoteFault as e:
            self.fail("checkpoint note: %s" % e)
        if self.origin is not None and origin != self.origin:
            self.fail("origin %s differs from the trail's %s" % (origin.decode(), self.origin.decode()))
        self.origin = origin
        if nsize != size:
            self.fail("the note signs size %d, the record says tree_size %d" % (nsize, size))
        mine = self.tree.root(size)
        if mine is None:
            print("auditverify: %s: checkpoint of size %d is before --from-segment's start %d: "
                  "its root cannot be checked" % (self.where, size, self.tree.start), file=sys.stderr)
        elif mine != root:
            since = self.ckpt[0] if self.ckpt else self.tree.start
            self.fail("the signed root of size %d is not the root of the records: one of seq %d..%d "
                      "was changed, removed, inserted or moved%s" % (size, since + 1, size,
                      "" if self.ckpt or not self.tree.start else
                      ", or the frontier of the segment record it started from is forged"))
        if "tsa_token" in obj:
            self.token(obj)
        self.ckpt = (size, name, no, obj["seq"])
        self.checkpoints += 1
        if not self.keep_all:
            self.tree.forget(size)

    def token(self, obj):
        try:
            der = auditnote.b64(obj["tsa_token"].encode("ascii"), "tsa_token")
        except auditnote.NoteFault as e:
            self.fail(e)
        self.tokens += 1
        if not self.tsa_ca:
            self.unchecked_tokens += 1
            return
        digest = hashlib.sha256(obj["note"].encode("utf-8")).hexdigest()
        with tempfile.NamedTemporaryFile(suffix=".tst") as f:
            f.write(der)
            f.flush()
            r = subprocess.run(["openssl", "ts", "-verify", "-token_in", "-in", f.name, "-digest", digest,
                                "-CAfile", self.tsa_ca], capture_output=True, text=True)
        if r.returncode != 0 or "Verification: OK" not in r.stdout:
            self.fail("tsa_token does not verify for this note: %s" % (r.stderr.strip() or r.stdout.strip()))

    def quarantine(self, obj):
        base = os.path.basename(self.path)
        if not re.fullmatch(re.escape(base) + TORN_RE, obj["file"]):
            self.fail("quarantine file %r is not %s.torn-YYYYmmddTHHMMSSZ" % (obj["file"], base))
        if obj["size"] < 1:
            self.fail("quarantine size %d is not positive" % obj["size"])
        kept = os.path.join(os.path.dirname(self.path), obj["file"])
        if os.path.exists(kept):
            with open(kept, "rb") as f:
                torn = f.read()
            if len(torn) != obj["size"] or b"\n" in torn:
                self.fail("%s holds %d bytes%s, the record says %d torn bytes" %
                          (kept, len(torn), " with a line feed" if b"\n" in torn else "", obj["size"]))


def load_vkey(arg, path):
    """--key VKEY (the text, or a file holding it), else the trail's P.vkey."""
    src = arg if arg is not None else path + ".vkey"
    text = None
    if os.path.isfile(src):
        with open(src, "rb") as f:
            text = f.read()
    elif arg is not None:
        text = arg.encode("ascii", "replace")
    if text is None:
        return None
    try:
        return auditnote.VKey(text)
    except auditnote.NoteFault as e:
        raise Fault("%s: %s" % (src, e))


def saved_checkpoint(check, saved):
    """A checkpoint kept from an earlier look at the trail (its note, or its
    record line): the trail must still hold the tree it signs."""
    with open(saved, "rb") as f:
        data = f.read()
    if data.startswith(b"{"):
        try:
            data = json.loads(data)["note"].encode("utf-8")
        except (ValueError, KeyError, AttributeError):
            raise Fault("%s: neither a signed note nor a checkpoint record" % saved)
    try:
        _, size, root = auditnote.open_note(data, check.vkey)
    except auditnote.NoteFault as e:
        raise Fault("%s: %s" % (saved, e))
    if size > check.tree.size:
        raise Fault("%s: the saved checkpoint signs %d records, the trail holds %d: "
                    "records were cut from its end" % (saved, size, check.tree.size))
    mine = check.tree.root(size)
    if mine is not None and mine != root:
        raise Fault("%s: the saved checkpoint's root of size %d is not the trail's" % (saved, size))


def verify_trail(path, key=None, from_segment=0, tsa_ca=None, saved=None):
    vkey = load_vkey(key, path)
    check = TrailCheck(path, vkey, from_segment, tsa_ca)
    check.keep_all = saved is not None
    files = segment_files(path, from_segment)
    last = None
    for name, k, no, line in read_lines(files):
        check.record(name, k, no, line, name != last)
        last = name
    if check.tree is None:
        raise Fault("%s: --from-segment %d: no segment record to start from" % (files[0][0], from_segment))
    if saved:
        saved_checkpoint(check, saved)
    n, start = check.tree.size, check.tree.start
    print("trail verified: %d records (seq %d..%d) in %d files, %d checkpoints%s" %
          (n - start, start + 1, n, len(files), check.checkpoints,
           " by %s" % vkey if vkey and check.checkpoints else ""))
    if vkey and check.checkpoints and key is None:
        print("note: the key was read from %s.vkey beside the trail: that shows the trail agrees "
              "with it, not that it is the audit key (give --key)" % path)
    if check.ckpt:
        print("last checkpoint: %s:%d (seq %d) signs size %d; %d records after it are not signed yet" %
              (check.ckpt[1], check.ckpt[2], check.ckpt[3], check.ckpt[0], n - check.ckpt[0]))
    if check.tokens:
        print("time-stamp tokens: %d verified, %d not checked%s" %
              (check.tokens - check.unchecked_tokens, check.unchecked_tokens,
               " (no --tsa-ca)" if check.unchecked_tokens else ""))


def trail_main(args):
    opts = {"key": None, "from_segment": 0, "tsa_ca": None, "saved": None}
    names = {"--key": "key", "--key-file": "key", "--from-segment": "from_segment", "--tsa-ca": "tsa_ca", "--checkpoint": "saved"}
    paths = []
    while args:
        a = args.pop(0)
        if a in names and args:
            opts[names[a]] = args.pop(0)
        else:
            paths.append(a)
    if len(paths) != 1:
        raise Fault(__doc__)
    opts["from_segment"] = int(opts["from_segment"])
    verify_trail(paths[0], **opts)


def dump(obj):
    print(json.dumps(obj, separators=(",", ":"), sort_keys=True))


def main(argv):
    if len(argv) < 2:
        raise Fault(__doc__)
    cmd = argv[1]
    if cmd == "selftest":
        selftest()
    elif cmd == "trail":
        trail_main(argv[2:])
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
