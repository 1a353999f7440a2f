#!/usr/bin/env python3
"""audittamper.py — attack a copy of an audit trail (doc/audit-format.md)
the way someone with write access to the files would, for e2e 510.

  audittamper.py apply P ACTION EVENT
      change the trail whose current segment is P (its sealed segments
      P.000001 … beside it) and print, on one line, the places a verifier
      may rightly name for the fault: "FILE:LINE" (FILE without its
      folder) and "seq=N" tokens.  The record attacked is the first record
      of EVENT that a later checkpoint covers (its tree_size is beyond the
      record's leaf index), so the log alone must show the change.
      ACTION:
        byte     one byte of a value changed, the line still canonical
        delete   the record removed
        swap     the record and the next one swapped
        insert   a forged canonical record with the record's seq put
                 before it
        renumber insert, then every later seq renumbered and every later
                 segment record's tree_size and frontier recomputed (all
                 that is not signed made consistent)
        resign   byte, then every checkpoint re-signed with a new key whose
                 verifier key replaces P.vkey
        otherkey a checkpoint's signature replaced by one of another key
                 (its own key hash)
        forgesig a checkpoint's signature replaced by another key's, under
                 the audit key's key hash
        garbage  a checkpoint's signature replaced by bytes that are not
                 base64
        frontier a hash in the frontier of the segment record EVENT (a
                 segment number) changed: for a verifier that starts there
                 (--from-segment), caught by the first checkpoint that
                 signs a tree at least that large
  audittamper.py batch SRC DEST
      for each line "NAME ACTION EVENT" on stdin: copy the folder SRC (a
      trail's files) to DEST/NAME, apply ACTION EVENT to DEST/NAME/P (P: the
      name of SRC's current segment, default audit.jsonl) and write the
      places to DEST/NAME.places (one process for a whole matrix)
  audittamper.py cut P          cut P inside its last line (torn)
  audittamper.py tail P SAVED   remove the final checkpoint and the records
                 after the one before it (from P only); SAVED gets the
                 removed final checkpoint's record line
  audittamper.py placed OUT TOKEN...
      exit 0 if the text file OUT names one of the places
"""
import base64
import json
import os
import re
import shutil
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import auditverify as av  # noqa: E402  (the Frontier and canonical encoder of the test verifier)

EM = "\u2014 "


class Trail:
    def __init__(self, path):
        self.path = path
        folder, base = os.path.split(path)
        sealed = sorted(n for n in os.listdir(folder) if re.fullmatch(re.escape(base) + r"\.[0-9]{6}", n))
        self.files = [os.path.join(folder, n) for n in sealed] + [path]
        self.recs = []      # [file, json object]
        for f in self.files:
            with open(f, "rb") as fh:
                for raw in fh.read().split(b"\n")[:-1]:
                    self.recs.append([f, json.loads(raw)])

    def place(self, i):
        f = self.recs[i][0]
        line = sum(1 for r in self.recs[:i + 1] if r[0] == f)
        return "%s:%d" % (os.path.basename(f), line)

    def places(self, idxs, seqs=()):
        return [self.place(i) for i in idxs if 0 <= i < len(self.recs)] + ["seq=%d" % s for s in seqs]

    def write(self):
        for f in self.files:
            with open(f, "wb") as fh:
                fh.write(b"".join(av.canon_record(o).encode("ascii") + b"\n" for g, o in self.recs if g == f))

    def covering(self, i):
        """Index of the first checkpoint after record I that signs it."""
        for j in range(i + 1, len(self.recs)):
            o = self.recs[j][1]
            if o["event"] == "checkpoint" and o["tree_size"] > i:
                return j
        return None

    def target(self, event):
        for i, (_, o) in enumerate(self.recs):
            if o["event"] == event and self.covering(i) is not None:
                return i
        raise SystemExit("audittamper: no %s record that a later checkpoint covers" % event)

    def between(self, i):
        """Writer records from I up to the checkpoint that covers I."""
        c = self.covering(i)
        return [i] + [j for j in range(i + 1, c + 1) if self.recs[j][1]["event"] in ("segment", "checkpoint")]


def flip_hex(s, at):
    return s[:at] + ("0" if s[at] != "0" else "1") + s[at + 1:]


def change_byte(o):
    """One byte of a value, the record still canonical and well-formed."""
    if o["event"] == "checkpoint":
        lines = o["note"].split("\n")
        lines[2] = ("B" if lines[2][0] != "B" else "C") + lines[2][1:]
        o["note"] = "\n".join(lines)
    elif o["event"] == "segment":
        o["frontier"] = flip_hex(o["frontier"], 40)
    elif "signature" in o:
        o["signature"] = flip_hex(o["signature"], 10)
    elif "digest" in o:
        o["digest"] = flip_hex(o["digest"], 10)
    else:
        o["time"] = o["time"][:-2] + ("0" if o["time"][-2] != "0" else "1") + o["time"][-1]


def renumber(t, start):
    """Every seq from record START on made its index + 1; segment records'
    tree_size and frontier recomputed."""
    tree = av.Frontier()
    for i, (f, o) in enumerate(t.recs):
        if i >= start:
            o["seq"] = i + 1
            if o["event"] == "segment":
                o["tree_size"] = i
                o["frontier"] = tree.encode().hex()
        tree.append(av.leaf_hash(av.canon_record(o).encode("ascii")))
    return tree


def new_key(name):
    sk = Ed25519PrivateKey.generate()
    pub = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sk, pub, av.auditnote.key_hash(name.encode(), pub)


def sign_note(text, name, sk, khash):
    sig = base64.b64encode(khash + sk.sign(text.encode())).decode()
    return text + "\n" + EM + name + " " + sig + "\n"


def note_parts(note):
    text, sigs = note[:note.rindex("\n\n") + 1], note[note.rindex("\n\n") + 2:]
    name = sigs[len(EM):].split(" ")[0]
    return text, name, base64.b64decode(sigs.rstrip("\n").split(" ")[-1])


def resign(t):
    """Every checkpoint re-signed, by a new key, over the roots of the
    changed records; the new verifier key replaces P.vkey."""
    tree = av.Frontier()
    sk = name = None
    for f, o in t.recs:
        if o["event"] == "segment":
            o["frontier"] = tree.encode().hex()
        if o["event"] == "checkpoint":
            text, name, _ = note_parts(o["note"])
            if sk is None:
                sk, pub, khash = new_key(name)
            size = o["tree_size"]
            text = "%s\n%d\n%s\n" % (name, size, base64.b64encode(tree.root(size)).decode())
            o["note"] = sign_note(text, name, sk, khash)
        tree.append(av.leaf_hash(av.canon_record(o).encode("ascii")))
    with open(t.path + ".vkey", "w") as fh:
        fh.write("%s+%s+%s\n" % (name, khash.hex(), base64.b64encode(b"\x01" + pub).decode()))


def replace_sig(o, how):
    text, name, blob = note_parts(o["note"])
    sk, _, khash = new_key(name)
    if how == "otherkey":
        o["note"] = sign_note(text, name, sk, khash)
    elif how == "forgesig":
        o["note"] = sign_note(text, name, sk, blob[:4])
    else:
        o["note"] = text + "\n" + EM + name + " garbage!not*base64\n"


def forge_frontier(t, k):
    i = next(j for j, (_, o) in enumerate(t.recs) if o["event"] == "segment" and o["segment"] == k)
    o = t.recs[i][1]
    o["frontier"] = flip_hex(o["frontier"], 40)
    c = next(j for j in range(i + 1, len(t.recs))
             if t.recs[j][1]["event"] == "checkpoint" and t.recs[j][1]["tree_size"] >= o["tree_size"])
    return t.places([i, c], [o["seq"], t.recs[c][1]["seq"]])


def batch(src, dest, lines, base="audit.jsonl"):
    for line in lines:
        if not line.strip():
            continue
        name, action, event = line.split()
        shutil.copytree(src, os.path.join(dest, name))
        with open(os.path.join(dest, name + ".places"), "w") as out:
            sys.stdout = out
            try:
                apply(os.path.join(dest, name, base), action, event)
            finally:
                sys.stdout = sys.__stdout__


def apply(path, action, event):
    t = Trail(path)
    if action == "frontier":
        print(" ".join(forge_frontier(t, int(event))))
        t.write()
        return
    if action in ("otherkey", "forgesig", "garbage"):
        event = "checkpoint"
    i = t.target(event)
    seq = t.recs[i][1]["seq"]
    if action in ("byte", "resign"):
        change_byte(t.recs[i][1])
        places = t.places(t.between(i), [seq])
        if action == "resign":
            # Checked with the original key, the first checkpoint fails.
            first = next(j for j, r in enumerate(t.recs) if r[1]["event"] == "checkpoint")
            places = t.places([first], [t.recs[first][1]["seq"]])
            resign(t)
    elif action == "delete":
        places = t.places([i], [seq, seq + 1])
        if i + 1 < len(t.recs) and t.recs[i + 1][0] != t.recs[i][0]:
            places += t.places([i + 1])      # the next file's first line
        del t.recs[i]
    elif action == "swap":
        j = i + 1 if i + 1 < len(t.recs) else i - 1
        places = t.places([i, j], [seq, t.recs[j][1]["seq"]])
        t.recs[i], t.recs[j] = t.recs[j], t.recs[i]
        t.recs[i][0], t.recs[j][0] = t.recs[j][0], t.recs[i][0]
    elif action in ("insert", "renumber"):
        forged = [t.recs[i][0], dict(t.recs[i][1])]
        change_byte(forged[1])
        c = t.covering(i)
        t.recs.insert(i, forged)
        places = t.places([i, i + 1], [seq, seq + 1])
        if action == "renumber":
            # Nothing unsigned is left to show it: only the checkpoint
            # that signs the attacked record can (or the forged record
            # itself when it is a writer record, whose content is checked).
            renumber(t, i + 1)
            places = t.places([i, c + 1], [seq, t.recs[c + 1][1]["seq"]])
    elif action in ("otherkey", "forgesig", "garbage"):
        replace_sig(t.recs[i][1], action)
        places = t.places([i], [seq])
    else:
        raise SystemExit(__doc__)
    t.write()
    print(" ".join(places))


def cut(path):
    t = Trail(path)
    with open(path, "rb") as fh:
        data = fh.read()
    last = data[:-1].rfind(b"\n") + 1
    with open(path, "wb") as fh:
        fh.write(data[:last + (len(data) - last) // 2])
    print(" ".join(t.places([len(t.recs) - 1], [len(t.recs)])))


def tail(path, saved):
    t = Trail(path)
    ck = [i for i, (_, o) in enumerate(t.recs) if o["event"] == "checkpoint"]
    last = ck[-1]
    if t.recs[last][0] != path or len(ck) < 2:
        raise SystemExit("audittamper: the final checkpoint is not in %s" % path)
    with open(saved, "w") as fh:
        fh.write(av.canon_record(t.recs[last][1]) + "\n")
    first = max(ck[-2] + 1, next(i for i, r in enumerate(t.recs) if r[0] == path) + 1)
    if t.recs[last][1]["tree_size"] <= first:
        raise SystemExit("audittamper: the final checkpoint signs no record after seq %d" % first)
    print("removed seq %d..%d; the final checkpoint signed %d records" %
          (first + 1, len(t.recs), t.recs[last][1]["tree_size"]))
    del t.recs[first:]
    t.write()


def placed(out, tokens):
    with open(out, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    for tok in tokens:
        if tok.startswith("seq="):
            if re.search(r"\bseq[ =:#]*%s\b" % tok[4:], text):
                return 0
        elif re.search(re.escape(tok) + r"(?![0-9])", text):
            return 0
    return 1


def main(argv):
    if len(argv) == 5 and argv[1] == "apply":
        apply(argv[2], argv[3], argv[4])
    elif len(argv) == 4 and argv[1] == "batch":
        batch(argv[2], argv[3], sys.stdin)
    elif len(argv) == 3 and argv[1] == "cut":
        cut(argv[2])
    elif len(argv) == 4 and argv[1] == "tail":
        tail(argv[2], argv[3])
    elif len(argv) >= 3 and argv[1] == "placed":
        return placed(argv[2], argv[3:])
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
