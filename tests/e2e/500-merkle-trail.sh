#!/bin/bash
# The Merkle tree of a real audit trail (gpg signing through Signet):
# common/merkle (tests/tools/merkle-cli.c: frontier while appending, a
# reopened hash store) and the independent verifier written from
# doc/audit-format.md (tests/tools/auditverify.py) agree on the root of
# every prefix size and on every inclusion and consistency proof, each
# verifies the other's; every line of the trail is canonical by the
# document; one byte changed changes every root from that record on, and
# the old proofs then fail against the changed trail; a line that is no
# longer canonical and a torn tail are refused.
. "$(dirname "$0")/lib.sh"
for tool in cc pkg-config make gpg python3; do
	command -v "$tool" >/dev/null || { echo "   skip: $tool not installed"; exit 0; }
done
VERIFY=(python3 "$TOOLS/auditverify.py")
"${VERIFY[@]}" selftest | has "vectors hold" || fail "auditverify selftest"

world_new
# merkle-cli against the common library of the build under test.
"$TOOLS/cc-tool.sh" "$TOOLS/merkle-cli.c" "$W/merkle-cli" libgcrypt jansson gpg-error ||
	fail "cannot build tests/tools/merkle-cli"
cli() { "$W/merkle-cli" "$@"; }

# ---- A real trail: a project, its key, detached and clearsigned signatures.
project_new rel rsa3072 "user:$(id -un)"
H=$W/g
gpghome_new "$H" --project rel
FPR=$(fpr_of "$H" rel@signet.test)
[[ -n $FPR ]] || fail "no key for rel in $H"
for i in 1 2 3 4 5 6; do
	head -c 512 /dev/urandom >"$W/file$i"
	sign_detached "$(id -un)" "$H" "$FPR" "$W/file$i"
done
echo "notes" >"$W/notes.txt"
GNUPGHOME=$H gpg --batch --yes --no-tty -u "$FPR" --clearsign -o "$W/notes.txt.asc" "$W/notes.txt"
audit_check --count sign=7
cp "$AUDIT" "$W/trail.jsonl"
N=$(wc -l <"$W/trail.jsonl")
((N >= 10)) || fail "trail has only $N records"
note "trail of $N records"

# ---- Roots of every prefix size, three ways.
"${VERIFY[@]}" roots "$W/trail.jsonl" >"$W/py-roots" || fail "auditverify refused the real trail"
cli build "$W/trail.jsonl" "$W/trail.mh" >"$W/c-build" || fail "merkle-cli build"
cli roots "$W/trail.mh" >"$W/c-roots" || fail "merkle-cli roots"
[[ $(wc -l <"$W/py-roots") -eq $((N + 1)) ]] || fail "auditverify gave no root for every size 0..$N"
cmp "$W/py-roots" "$W/c-build" || fail "frontier roots differ from the independent verifier's"
cmp "$W/py-roots" "$W/c-roots" || fail "hash store roots differ from the independent verifier's"
head -n 1 "$W/py-roots" | has ' e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855$' ||
	fail "the empty tree's root is not SHA-256 of nothing"
note "roots of all $((N + 1)) sizes agree (C frontier, C store, Python)"

# ---- Every inclusion and consistency proof: identical, and each side
# verifies the other's.
cli proofs "$W/trail.mh" >"$W/c-proofs" || fail "merkle-cli proofs"
"${VERIFY[@]}" proofs "$W/trail.jsonl" >"$W/py-proofs" || fail "auditverify proofs"
cmp "$W/c-proofs" "$W/py-proofs" || fail "C and Python proofs differ"
"${VERIFY[@]}" verify --trail "$W/trail.jsonl" "$W/c-proofs" >"$W/py-verify" ||
	fail "auditverify rejected C's proofs"
cli verify <"$W/py-proofs" >"$W/c-verify" || fail "merkle-cli rejected auditverify's proofs"
P=$(wc -l <"$W/c-proofs")
has "^$P proofs verified" "$W/py-verify" || fail "auditverify did not verify all $P proofs"
has "^$P proofs verified" "$W/c-verify" || fail "merkle-cli did not verify all $P proofs"
note "$P proofs identical and cross-verified"

# ---- One byte changed in a signature record (still canonical: a hex digit
# of the signature value): roots before it stay, every root from it on
# changes, on both sides.
K=$(grep -n '"event":"sign"' "$W/trail.jsonl" | sed -n 3p | cut -d: -f1)
[[ -n $K ]] || fail "no third sign record"
python3 - "$W/trail.jsonl" "$W/tampered.jsonl" "$K" <<'EOF'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
k = int(sys.argv[3]) - 1
i = lines[k].index(b'"signature":"') + len(b'"signature":"') + 10
c = lines[k][i:i + 1]
lines[k] = lines[k][:i] + (b"0" if c != b"0" else b"1") + lines[k][i + 1:]
open(sys.argv[2], "wb").write(b"\n".join(lines))
EOF
cmp -s "$W/trail.jsonl" "$W/tampered.jsonl" && fail "tampering changed nothing"
"${VERIFY[@]}" roots "$W/tampered.jsonl" >"$W/py-troots" || fail "auditverify refused the tampered (canonical) trail"
cli build "$W/tampered.jsonl" "$W/tampered.mh" >"$W/c-troots" || fail "merkle-cli build (tampered)"
cmp "$W/py-troots" "$W/c-troots" || fail "C and Python disagree on the tampered trail"
python3 - "$W/py-roots" "$W/py-troots" "$K" <<'EOF' || fail "tampering did not change exactly the roots of sizes >= $K"
import sys
a = open(sys.argv[1]).read().split("\n")
b = open(sys.argv[2]).read().split("\n")
k = int(sys.argv[3])
for n in range(len(a) - 1):
    if (a[n] == b[n]) != (n < k):
        sys.exit("size %d: %s / %s" % (n, a[n], b[n]))
EOF
expect 1 "${VERIFY[@]}" verify --trail "$W/tampered.jsonl" "$W/c-proofs"
has "not the trail's" "$W/err" || fail "auditverify: no reason for proofs against the tampered trail"
# The original proof of the changed record with the changed record's leaf
# hash: refused by the C verifier.
grep "\"leaf_index\":$((K - 1)),.*\"tree_size\":$N," "$W/c-proofs" >"$W/one-proof" ||
	fail "no proof of leaf $((K - 1))"
"${VERIFY[@]}" prove "$W/tampered.jsonl" inclusion $((K - 1)) "$N" >"$W/t-proof"
python3 - "$W/one-proof" "$W/t-proof" >"$W/forged" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
p["leaf_hash"] = json.load(open(sys.argv[2]))["leaf_hash"]
print(json.dumps(p))
EOF
expect 1 cli verify <"$W/forged"
has "another root" "$W/err" || fail "merkle-cli: no reason for a changed leaf"
note "one changed byte changes the roots of sizes >= $K and breaks the old proofs"

# ---- The escapes a real trail rarely shows (the line test_merkle's
# test_canonical_line pins on audit_encode): canonical for the verifier,
# same roots on both sides.
printf '%s\n' '{"by":"bad\\xff","count":3,"digest":"dead","event":"deny","hash":"sha256","pid":42,"project":"p/x","reason":"tab\there \"q\" back\\slash nl\n cr\r bs\b ff\f c1\u0001 del'$'\x7f''","request":7,"seq":12,"time":"2025-11-24T16:00:00.123456Z","uid":1000,"user":"ren\u00E9\uD83D\uDE00","v":1}' >"$W/escapes.jsonl"
cat "$W/trail.jsonl" >>"$W/escapes.jsonl"
"${VERIFY[@]}" roots "$W/escapes.jsonl" >"$W/py-eroots" || fail "auditverify refused the escapes line"
cli build "$W/escapes.jsonl" "$W/escapes.mh" >"$W/c-eroots" || fail "merkle-cli build (escapes)"
cmp "$W/py-eroots" "$W/c-eroots" || fail "C and Python disagree on the escapes line"
sed '1s/u00E9/u00e9/' "$W/escapes.jsonl" >"$W/lower.jsonl"
expect 1 "${VERIFY[@]}" roots "$W/lower.jsonl"
has "lower.jsonl:1: not canonical" "$W/err" || fail "auditverify accepted a lowercase \\u escape"
note "escapes line canonical, same roots; lowercase \\u escape refused"

# ---- Not canonical (a space after a comma) and a torn tail: refused.
sed "${K}s/,\"event\"/, \"event\"/" "$W/trail.jsonl" >"$W/spaced.jsonl"
expect 1 "${VERIFY[@]}" roots "$W/spaced.jsonl"
has "spaced.jsonl:$K: not canonical" "$W/err" || fail "auditverify: non-canonical line not named"
head -c -1 "$W/trail.jsonl" >"$W/torn.jsonl"
expect 1 "${VERIFY[@]}" roots "$W/torn.jsonl"
has "torn" "$W/err" || fail "auditverify: torn tail not named"
expect 1 cli build "$W/torn.jsonl" "$W/torn.mh"
has "torn" "$W/err" || fail "merkle-cli: torn tail not named"
note "non-canonical line and torn tail refused"
