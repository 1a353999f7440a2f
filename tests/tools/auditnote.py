"""auditnote.py — C2SP signed notes with Ed25519 keys carrying a C2SP
tlog-checkpoint: the audit trail's checkpoints, written from
doc/audit-format.md §9.2 (and the public C2SP signed-note and
tlog-checkpoint specifications it names) alone, for auditverify.py.

Uses python3-cryptography (Ed25519PublicKey) for the signature and the
standard library for the rest.
"""
import base64
import binascii
import hashlib
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ALG_ED25519 = 0x01
MAX_NAME = 128
MAX_NOTE = 8192
MAX_SIGS = 100          # C2SP: a verifier may refuse a note with more
EM_DASH = "\u2014 ".encode("utf-8")
DECIMAL = re.compile(rb"0|[1-9][0-9]{0,19}")


class NoteFault(Exception):
    pass


def name_ok(name):
    """§9.2: no space, no '+', at most 128 bytes of printable ASCII."""
    return 0 < len(name) <= MAX_NAME and all(0x21 <= b <= 0x7E and b != 0x2B for b in name)


def b64(s, what):
    """Standard base64 with padding, and only its canonical spelling."""
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise NoteFault("%s: not standard base64" % what)
    if base64.b64encode(raw) != s:
        raise NoteFault("%s: not canonical base64" % what)
    return raw


def key_hash(name, pub):
    return hashlib.sha256(name + b"\n" + bytes([ALG_ED25519]) + pub).digest()[:4]


class VKey:
    """`<name>+<8 hex key hash>+<base64 of 0x01 || public key>`."""

    def __init__(self, text):
        text = text.strip().encode("ascii", "replace") if isinstance(text, str) else text.strip()
        parts = text.split(b"+", 2)     # base64 may hold "+" too
        if len(parts) != 3:
            raise NoteFault("verifier key: not NAME+HASH+KEY")
        name, hexhash, key = parts
        if not name_ok(name):
            raise NoteFault("verifier key: bad name")
        if not re.fullmatch(rb"[0-9a-f]{8}", hexhash):
            raise NoteFault("verifier key: key hash is not 8 lowercase hex digits")
        raw = b64(key, "verifier key")
        if len(raw) != 33 or raw[0] != ALG_ED25519:
            raise NoteFault("verifier key: not an Ed25519 key (0x01 and 32 bytes)")
        self.name, self.pub = name, raw[1:]
        self.hash = key_hash(name, self.pub)
        if self.hash.hex().encode() != hexhash:
            raise NoteFault("verifier key: key hash %s does not match its name and key (%s)" %
                            (hexhash.decode(), self.hash.hex()))
        self.key = Ed25519PublicKey.from_public_bytes(self.pub)

    def __str__(self):
        return "%s+%s" % (self.name.decode(), self.hash.hex())


def split_note(note):
    """Text (ending in its line feed) and signature lines (name, blob)."""
    if len(note) > MAX_NOTE:
        raise NoteFault("note longer than %d bytes" % MAX_NOTE)
    try:
        note.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteFault("note is not UTF-8")
    if not note.endswith(b"\n"):
        raise NoteFault("note does not end in a line feed")
    cut = note.rfind(b"\n\n")
    if cut < 0:
        raise NoteFault("note has no blank line before its signatures")
    text, sigs = note[:cut + 1], note[cut + 2:].split(b"\n")[:-1]
    if not sigs:
        raise NoteFault("note has no signature line")
    if len(sigs) > MAX_SIGS:
        raise NoteFault("note has more than %d signature lines" % MAX_SIGS)
    out = []
    for line in sigs:
        if not line.startswith(EM_DASH):
            raise NoteFault("a signature line does not start with an em dash and a space")
        fields = line[len(EM_DASH):].split(b" ")
        if len(fields) != 2 or not name_ok(fields[0]):
            raise NoteFault("a signature line is not '\u2014 NAME BASE64'")
        blob = b64(fields[1], "signature")
        if len(blob) < 5:
            raise NoteFault("a signature is shorter than its key hash and one byte")
        out.append((fields[0], blob))
    return text, out


def parse_checkpoint(text):
    """§9.2's lines: origin, size, base64 root, then extension lines (C2SP),
    which a reader ignores."""
    lines = text.split(b"\n")[:-1]
    if len(lines) < 3:
        raise NoteFault("checkpoint text has %d lines, not 3 (origin, size, root)" % len(lines))
    origin, size, root = lines[:3]
    if not name_ok(origin):
        raise NoteFault("checkpoint origin is not a valid name")
    if not DECIMAL.fullmatch(size):
        raise NoteFault("checkpoint size is not a decimal number without leading zeros")
    raw = b64(root, "checkpoint root")
    if len(raw) != 32:
        raise NoteFault("checkpoint root is not 32 bytes")
    return origin, int(size), raw


def open_note(note, vkey):
    """Verify NOTE (bytes) with VKEY; return (origin, size, root).

    As C2SP says: lines by other keys are ignored; a line by this key
    (name and key hash) that does not verify rejects the note; no line by
    it rejects the note too."""
    text, sigs = split_note(note)
    mine = [blob for name, blob in sigs if name == vkey.name and blob[:4] == vkey.hash]
    if not mine:
        others = ", ".join("%s+%s" % (n.decode(), b[:4].hex()) for n, b in sigs)
        raise NoteFault("no signature by the audit key %s (signed by: %s)" % (vkey, others))
    if len(mine) > 1:
        raise NoteFault("more than one signature line by the audit key")
    for blob in mine:
        if len(blob) != 68:
            raise NoteFault("the audit key's signature is not 64 bytes")
        try:
            vkey.key.verify(blob[4:], text)
        except InvalidSignature:
            raise NoteFault("the audit key's signature does not verify")
    origin, size, root = parse_checkpoint(text)
    if origin != vkey.name:
        raise NoteFault("origin %s is not the key's name %s" % (origin.decode(), vkey.name.decode()))
    return origin, size, root


def selftest():
    """The example note of Go's golang.org/x/mod/sumdb/note (an outside vector)."""
    vkey = VKey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    note = ("This is an example message.\n\n\u2014 example.com/foo "
            "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")
    text, sigs = split_note(note.encode("utf-8"))
    vkey.key.verify(sigs[0][1][4:], text)
    try:
        open_note(note.replace("This", "That").encode("utf-8"), vkey)
    except NoteFault as e:
        if "does not verify" not in str(e):
            raise
    else:
        raise NoteFault("selftest: a changed note verified")
