#!/bin/bash
# signet audit verify / key / consistency / show / export on trails written
# as signet-policyd writes them (tests/tools/gen-trail.c: audit_encode,
# checkpoints signed through common/signednote with an Ed25519 key,
# segments with their segment records, time-stamp tokens from OpenSSL's
# own TSA): a good trail passes, with the same root as the independent
# verifier (tests/tools/auditverify.py); each attack is caught and named
# at the first bad record (a changed record, a dropped one, a non-canonical
# line, another signer, a dropped segment, a forged segment frontier, a
# torn tail, a token from another authority, records cut after a
# checkpoint against one saved before); consistency proofs verify
# with the independent verifier, with and without the hash store, and the
# store is never written; export's cursor never repeats nor skips.
. "$(dirname "$0")/lib.sh"
for tool in cc pkg-config make python3 openssl; do
	command -v "$tool" >/dev/null || { echo "   skip: $tool not installed"; exit 0; }
done
scratch_new
"$TOOLS/cc-tool.sh" "$TOOLS/gen-trail.c" "$W/gen-trail" libgcrypt libcrypto gpg-error jansson ||
	fail "cannot build tests/tools/gen-trail"
"$TOOLS/cc-tool.sh" "$TOOLS/merkle-cli.c" "$W/merkle-cli" libgcrypt jansson gpg-error ||
	fail "cannot build tests/tools/merkle-cli"
VERIFY=(python3 "$TOOLS/auditverify.py")
HOME_DIR=$W/home
A=$HOME_DIR/audit
mkdir -p "$A"

# ---- A good trail: 4 segments (3 sealed), a checkpoint every 200.
KEY=$("$W/gen-trail" "$A/audit.jsonl" 5000 --every 200 --segment-lines 1500 --lag 3) ||
	fail "gen-trail"
[[ -f $A/audit.jsonl.000003 && ! -e $A/audit.jsonl.000004 ]] || fail "gen-trail made no 3 sealed segments"
expect 0 signet audit key --home "$HOME_DIR"
[[ $(cat "$W/out") == "$KEY" ]] || fail "audit key printed '$(cat "$W/out")', not the trail's key"
expect 1 signet audit key --tsa --home "$HOME_DIR"
has "start signet-tsa once" <"$W/err" || fail "audit key --tsa without a key: $(cat "$W/err")"

expect 0 signet audit verify --home "$HOME_DIR"
has "audit.jsonl: 5000 records good (seq 1 to 5000), 24 checkpoints" <"$W/out" || fail "summary: $(cat "$W/out")"
has "from $A/audit.jsonl.vkey" <"$W/out" || fail "verify did not say which key it used"
has "not that the key is authentic" <"$W/out" || fail "no warning for a key read beside the trail"
has "records not yet covered by a checkpoint" <"$W/out" || fail "no count of records after the last checkpoint"
ROOT=$(sed -n 's/^  tree: size 5000, root \([0-9a-f]*\)$/\1/p' "$W/out")
cat "$A/audit.jsonl".00000[123] "$A/audit.jsonl" >"$W/whole.jsonl"
"${VERIFY[@]}" roots "$W/whole.jsonl" 5000 | has "^5000 $ROOT\$" ||
	fail "the independent verifier's root of size 5000 is not $ROOT"
# gen-trail's trails are what the writer makes: the independent verifier
# takes them too.
"${VERIFY[@]}" trail --key "$KEY" "$A/audit.jsonl" | has "trail verified: 5000 records" ||
	fail "auditverify.py refused gen-trail's trail"
expect 0 signet audit verify --home "$HOME_DIR" --key "$KEY"
has "(from --key)" <"$W/out" || fail "--key not named as the key used"
has "authentic" <"$W/out" && fail "warned about the key although --key gave it"
echo "$KEY" >"$W/key.txt"
expect 0 signet audit verify --key-file "$W/key.txt" "$A/audit.jsonl"
note "a 5000-record trail in 4 segments verifies; root agrees with auditverify.py"

# ---- Attacks, each on a copy: the first bad record named, exit 1.
attack() { # WHAT PATTERN EDIT-COMMAND...
	local what=$1 pat=$2
	shift 2
	rm -rf "$W/t" && cp -a "$A" "$W/t"
	"$@"
	expect 1 signet audit verify --key "$KEY" "$W/t/audit.jsonl"
	has -- "$pat" <"$W/err" || fail "$what: expected /$pat/, got: $(cat "$W/err")"
	note "caught: $what — $(head -n 1 "$W/err" | cut -c1-150)"
}
# A record changed (still canonical): the next checkpoint covering it.
attack "a record changed" 'audit.jsonl.000002:[0-9]* (seq [0-9]*): checkpoint root does not match the records' \
	sed -i '100s/"project":"nightly"/"project":"nightlx"/;100s/"project":"release"/"project":"releasx"/' "$W/t/audit.jsonl.000002"
attack "a record dropped" 'audit.jsonl.000002:700 (seq 2201): seq is not 2200' \
	sed -i '700d' "$W/t/audit.jsonl.000002"
attack "a non-canonical line" 'audit.jsonl:10 (seq 4510): not a canonical record' \
	sed -i '10s/,"seq":/, "seq":/' "$W/t/audit.jsonl"
attack "segment 2 dropped" 'audit.jsonl.000002 is missing' rm "$W/t/audit.jsonl.000002"
attack "a torn tail" 'audit.jsonl:501: torn last line' sh -c "printf '{\"event\":\"si' >>'$W/t/audit.jsonl'"
# Whole records cut after a checkpoint: a valid shorter log, which only a
# checkpoint kept from before shows.
rm -rf "$W/t" && cp -a "$A" "$W/t"
LAST=$(grep -n '"event":"checkpoint"' "$W/t/audit.jsonl" | tail -n 1 | cut -d: -f1)
sed -n "${LAST}p" "$W/t/audit.jsonl" >"$W/saved.rec"
sed -i "$((LAST - 10)),\$d" "$W/t/audit.jsonl"
expect 0 signet audit verify --key "$KEY" "$W/t/audit.jsonl"
expect 1 signet audit verify --key "$KEY" --checkpoint "$W/saved.rec" "$W/t/audit.jsonl"
has "saved checkpoint signs [0-9]* records, the trail holds [0-9]*: records were cut from its end" <"$W/err" ||
	fail "a cut tail against a saved checkpoint: $(cat "$W/err")"
expect 0 signet audit verify --key "$KEY" --checkpoint "$W/saved.rec" "$A/audit.jsonl"
has "saved checkpoint .*: the trail still holds its tree" <"$W/out" || fail "--checkpoint on the whole trail"
note "caught: records cut after a checkpoint, with --checkpoint (a checkpoint kept from before)"
OTHER=$("$W/gen-trail" "$W/other.jsonl" 10 --every 5 --key-seed "$(printf '%064d' 7)")
expect 1 signet audit verify --key "$OTHER" "$A/audit.jsonl"
has "seq 201): checkpoint: the note's signature does not verify" <"$W/err" || fail "another key: $(cat "$W/err")"
note "caught: checkpoints checked with another signer's key"

# ---- Archiving: segments 1-2 moved away; --from-segment 3 starts from
# segment 3's frontier, and a forged frontier is caught at the next
# checkpoint.
rm -rf "$W/t" && cp -a "$A" "$W/t" && mkdir "$W/cold"
mv "$W/t/audit.jsonl.000001" "$W/t/audit.jsonl.000002" "$W/cold/"
expect 1 signet audit verify --key "$KEY" "$W/t/audit.jsonl"
has "audit.jsonl.000001 is missing.*--from-segment 3" <"$W/err" || fail "archived without --from-segment: $(cat "$W/err")"
expect 0 signet audit verify --key "$KEY" --from-segment 3 "$W/t/audit.jsonl"
has "2000 records good (seq 3001 to 5000)" <"$W/out" || fail "--from-segment 3: $(cat "$W/out")"
expect 0 signet audit verify --key "$KEY" "$W/cold/audit.jsonl.000001" "$W/cold/audit.jsonl.000002"
has "3000 records good" <"$W/out" || fail "the archived segments alone: $(cat "$W/out")"
python3 - "$W/t/audit.jsonl.000003" <<'PY'
import sys
p = sys.argv[1]
lines = open(p, "rb").read().split(b"\n")
i = lines[0].index(b'"frontier":"') + len(b'"frontier":"') + 40   # inside the first hash
c = b"0" if lines[0][i:i+1] != b"0" else b"1"
lines[0] = lines[0][:i] + c + lines[0][i+1:]
open(p, "wb").write(b"\n".join(lines))
PY
expect 1 signet audit verify --key "$KEY" --from-segment 3 "$W/t/audit.jsonl"
has "audit.jsonl.000003:[0-9]* (seq [0-9]*): checkpoint root does not match" <"$W/err" ||
	fail "a forged frontier: $(cat "$W/err")"
note "archived segments: --from-segment 3 verifies, a forged frontier is caught"

# ---- Time going back (a restart with the clock set back): a warning only.
"$W/gen-trail" "$W/tb.jsonl" 600 --every 100 --time-back 250 >/dev/null
expect 0 signet audit verify "$W/tb.jsonl"
has "tb.jsonl:251 (seq 251): time .* is earlier than the record before" <"$W/err" || fail "no time warning: $(cat "$W/err")"
has "1 records are older than the record before them" <"$W/out" || fail "summary without the time warning"

# ---- Time-stamp tokens on checkpoints, from OpenSSL's TSA.
cd "$W"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-subj "/CN=Signet Test CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca2.key -out ca2.pem \
	-subj "/CN=Another CA" -days 30 -addext basicConstraints=critical,CA:TRUE 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\n' >ext.cnf
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tsa.key -subj "/CN=Test TSA" \
	-out tsa.csr 2>/dev/null
openssl x509 -req -in tsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -extfile ext.cnf \
	-out tsa.pem 2>/dev/null
cat >ts.cnf <<CNF
[ tsa ]
default_tsa = t
[ t ]
serial = $W/ts.serial
signer_cert = $W/tsa.pem
signer_key = $W/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
digests = sha256
ess_cert_id_alg = sha256
CNF
echo 01 >ts.serial
cat >stamp.sh <<SH
#!/bin/sh
set -e
openssl ts -query -data "\$1" -sha256 -cert -out "\$1.tsq" 2>/dev/null
openssl ts -reply -config $W/ts.cnf -queryfile "\$1.tsq" -token_out -out "\$1.tok" 2>/dev/null
base64 -w0 "\$1.tok"
SH
chmod +x stamp.sh
cd - >/dev/null
"$W/gen-trail" "$W/ts.jsonl" 350 --every 100 --tsa-cmd "$W/stamp.sh" >/dev/null || fail "gen-trail with tokens"
expect 0 signet audit verify "$W/ts.jsonl"
has "time-stamp tokens: 0 verified, 3 not checked (no --tsa-ca)" <"$W/out" || fail "tokens without --tsa-ca: $(cat "$W/out")"
expect 0 signet audit verify --tsa-ca "$W/ca.pem" "$W/ts.jsonl"
"${VERIFY[@]}" trail --tsa-ca "$W/ca.pem" "$W/ts.jsonl" | has "trail verified" ||
	fail "auditverify.py refused the tokens"
has "time-stamp tokens: 3 verified" <"$W/out" || fail "tokens with --tsa-ca: $(cat "$W/out")"
expect 1 signet audit verify --tsa-ca "$W/ca2.pem" "$W/ts.jsonl"
has "ts.jsonl:101 (seq 101): checkpoint: the time-stamp token does not verify" <"$W/err" ||
	fail "a token from an untrusted TSA: $(cat "$W/err")"
note "time-stamp tokens: not checked without --tsa-ca, verified with it, refused under another CA"

# ---- Consistency proofs between two checkpoints, store or no store.
python3 - "$W/whole.jsonl" "$W" <<'PY'
import json, sys
notes = [json.loads(l)["note"] for l in open(sys.argv[1]) if '"event":"checkpoint"' in l]
open(sys.argv[2] + "/old.note", "w").write(notes[2])
open(sys.argv[2] + "/new.note", "w").write(notes[-1])
PY
expect 0 signet audit consistency --home "$HOME_DIR" --json "$W/old.note" "$W/new.note"
"${VERIFY[@]}" verify --trail "$W/whole.jsonl" "$W/out" | has "1 proofs verified" ||
	fail "auditverify rejected the proof made from the trail"
cp "$W/out" "$W/proof-trail.json"
"$W/merkle-cli" build "$W/whole.jsonl" "$A/audit.jsonl.tree" >/dev/null || fail "merkle-cli build"
chmod 0444 "$A/audit.jsonl.tree"
SUM=$(sha256sum <"$A/audit.jsonl.tree")
expect 0 signet audit consistency --home "$HOME_DIR" --json "$W/old.note" "$W/new.note"
cmp "$W/out" "$W/proof-trail.json" || fail "the proof from the store differs from the one from the trail"
[[ $(sha256sum <"$A/audit.jsonl.tree") == "$SUM" ]] || fail "consistency wrote to the hash store"
echo 17 >"$W/n17" && echo 4000 >"$W/n4000"
expect 0 signet audit consistency --home "$HOME_DIR" "$W/n17" "$W/n4000"
has "consistency proof (.* hashes, verified)" <"$W/out" || fail "consistency between sizes: $(cat "$W/out")"
expect 1 signet audit consistency --home "$HOME_DIR" "$W/new.note" "$W/old.note"
has "give the older one first" <"$W/err" || fail "NEW before OLD: $(cat "$W/err")"
# Change the root's first character (to another one: the root is random,
# and 1 in 64 starts with A already).
sed -i '3{s/^A/B/;t;s/^./A/}' "$W/old.note"
expect 1 signet audit consistency --home "$HOME_DIR" "$W/old.note" "$W/new.note"
has "signature does not verify" <"$W/err" || fail "a changed note: $(cat "$W/err")"
note "consistency proofs: from the store (untouched) and from the trail, verified by auditverify.py"

# ---- show and export.
expect 0 signet audit show --home "$HOME_DIR" --event deny --project nightly
has '#[0-9]*  deny  user=builder' <"$W/out" || fail "show --event deny: $(head -n 2 "$W/out")"
has "  sign  " <"$W/out" && fail "show --event deny listed a sign record"
expect 0 signet audit show --home "$HOME_DIR" --since 2026-12-01T00:00:04Z --json
[[ $(wc -l <"$W/out") -eq 1001 ]] || fail "show --since: $(wc -l <"$W/out") records, want 1001"
expect 0 signet audit export --home "$HOME_DIR" --cursor-file "$W/cursor"
[[ $(wc -l <"$W/out") -eq 5000 && $(cat "$W/cursor") == seq:5001 ]] || fail "export all: cursor $(cat "$W/cursor")"
cmp "$W/out" "$W/whole.jsonl" || fail "export is not the trail's records"
expect 0 signet audit export --home "$HOME_DIR" --cursor-file "$W/cursor"
[[ ! -s $W/out ]] || fail "a second export repeated records"
expect 0 signet audit export --home "$HOME_DIR" --since seq:4990
[[ $(wc -l <"$W/out") -eq 11 ]] && has "cursor: seq:5001" <"$W/err" || fail "export --since seq:4990"
note "show filters; export resumes from its cursor without repeats"
