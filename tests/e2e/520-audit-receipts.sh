#!/bin/bash
# Receipts (doc/audit-format.md §10), as a user would ask for them: real
# signatures made through Signet — a tarball's detached signature armored
# and binary (RSA, ECDSA P-256, EdDSA), a clearsigned file, a signed git
# tag and commit, an RPM, a .dsc, and an RFC 3161 token from the home's
# signet-tsa — each get a receipt from `signet audit prove` that
# `signet audit check-receipt` accepts offline with the audit key, also
# against the signature file itself.  While no checkpoint covers a record
# yet, prove says so; a signature made by a plain gpg key outside Signet
# gets no receipt; a receipt with any one member edited, or checked
# against another signature, or without a trusted key, is refused naming
# what did not match.
. "$(dirname "$0")/lib.sh"
for tool in curl openssl python3 rpmbuild rpmsign debsign dpkg-source dpkg-genchanges; do
	command -v "$tool" >/dev/null || { echo "   skip: $tool not installed"; exit 0; }
done
world_new
ME=$(id -un)
project_new rel rsa3072 "user:$ME"
project_new ecp p256 "user:$ME"
project_new edk ed25519 "user:$ME"
signet --home "$SIGNET_HOME" tsa init --clock-check none >"$W/tsa-init.out" 2>&1 ||
	{ cat "$W/tsa-init.out"; fail "signet tsa init"; }
# No checkpoint by time while the test signs: the first one after the
# start record comes at the clean stop (or after 1000 records).
signet --home "$SIGNET_HOME" stop >/dev/null
sed -i "/^\[policyd\]/a checkpoint_interval = 1h" "$SIGNET_HOME/signet.conf"
signet --home "$SIGNET_HOME" start >"$W/start2.out" 2>&1 || { cat "$W/start2.out"; fail "signet start"; }
URL=$(signet --home "$SIGNET_HOME" tsa url)
TSA_AUDIT=$SIGNET_HOME/audit/tsa.jsonl
prove() { signet --home "$SIGNET_HOME" audit prove "$@"; }
check() { signet --home "$SIGNET_HOME" audit check-receipt "$@"; }

H=$W/g
gpghome_new "$H"
export GNUPGHOME=$H
FPR=$(fpr_of "$H" rel@signet.test)
FPR_EC=$(fpr_of "$H" ecp@signet.test)
FPR_ED=$(fpr_of "$H" edk@signet.test)
S=$W/s
mkdir -p "$S"

# ---- signatures, every container prove reads ------------------------------
tar -C "$W" -czf "$S/rel-1.0.tar.gz" init.out
gpg --batch --no-tty -u "$FPR" --armor --detach-sign -o "$S/rel-1.0.tar.gz.asc" "$S/rel-1.0.tar.gz"
gpg --batch --no-tty -u "$FPR_EC" --detach-sign -o "$S/rel-1.0.tar.gz.p256.sig" "$S/rel-1.0.tar.gz"
gpg --batch --no-tty -u "$FPR_ED" --detach-sign -o "$S/rel-1.0.tar.gz.ed.sig" "$S/rel-1.0.tar.gz"
echo "release notes" >"$S/notes.txt"
gpg --batch --no-tty -u "$FPR" --clearsign -o "$S/notes.txt.asc" "$S/notes.txt"
R=$W/repo
repo_new "$R" rel@signet.test "$FPR"
echo two >"$R/b.txt"
git -C "$R" add b.txt
git -C "$R" -c gpg.program=gpg commit -q -S -m "signed commit" || fail "git commit -S"
git -C "$R" -c gpg.program=gpg tag -s -m "release 1.0" v1.0 || fail "git tag -s"
git -C "$R" cat-file commit HEAD >"$S/commit.txt"
git -C "$R" cat-file tag v1.0 >"$S/tag.txt"
RPM=$(rpm_tiny "$W/rpmbuild" signet-tiny)
rpmsign --define "__gpg $(command -v gpg)" --define "_gpg_path $H" --define "_gpg_name $FPR" \
	--addsign "$RPM" </dev/null >"$W/rpmsign.log" 2>&1 || { cat "$W/rpmsign.log"; fail "rpmsign"; }
cp "$RPM" "$S/tiny.rpm"
deb_tiny "$W/deb" rel@signet.test
debsign --no-conf -p gpg -k"$FPR" --re-sign "$W/deb/signet-src_1.0_source.changes" </dev/null \
	>"$W/debsign.log" 2>&1 || { cat "$W/debsign.log"; fail "debsign"; }
cp "$W/deb/signet-src_1.0.dsc" "$S/src.dsc"
openssl ts -query -data "$S/rel-1.0.tar.gz" -sha256 -cert -out "$W/q.tsq" 2>/dev/null
curl -sS -f --data-binary @"$W/q.tsq" -H 'Content-Type: application/timestamp-query' "$URL" \
	-o "$S/token.tsr" || fail "no time-stamp response from $URL"
openssl ts -reply -in "$S/token.tsr" -token_out -out "$S/token.tst" 2>/dev/null || fail "openssl ts -token_out"
SIGS="rel-1.0.tar.gz.asc rel-1.0.tar.gz.p256.sig rel-1.0.tar.gz.ed.sig notes.txt.asc commit.txt tag.txt
tiny.rpm src.dsc token.tsr token.tst"
note "signatures made: ${SIGS//$'\n'/ }"

# ---- before a checkpoint covers them: prove says so -----------------------
expect 1 prove "$S/notes.txt.asc" -o "$W/early.json"
has 'no checkpoint covers it yet' "$W/err" || { cat "$W/err"; fail "prove before a checkpoint"; }
[[ ! -e $W/early.json ]] || fail "prove wrote a receipt without a checkpoint"
note "before a checkpoint: $(sed 's/.*no checkpoint/no checkpoint/; s/;.*//' "$W/err")"

# A clean stop writes the last checkpoint of both trails.
signet --home "$SIGNET_HOME" stop >/dev/null
tail -n 1 "$AUDIT" | has '"event":"checkpoint"' || fail "no last checkpoint in $AUDIT"
tail -n 1 "$TSA_AUDIT" | has '"event":"checkpoint"' || fail "no last checkpoint in $TSA_AUDIT"

# ---- every signature: a receipt that checks, with and without SIGFILE ------
VKEY=$(cat "$AUDIT.vkey")
for f in $SIGS; do
	prove "$S/$f" -o "$W/$f.receipt" 2>"$W/$f.prove.err" || { cat "$W/$f.prove.err"; fail "prove $f"; }
	! has 'reading the whole trail' "$W/$f.prove.err" || fail "prove $f missed its time window"
	check "$W/$f.receipt" "$S/$f" >"$W/$f.check.out" 2>&1 || { cat "$W/$f.check.out"; fail "check-receipt $f"; }
	has 'receipt verified' "$W/$f.check.out" || fail "check-receipt $f: no verdict"
done
python3 - "$W" <<'PY' || fail "receipts do not say what they prove"
import json, sys
w = sys.argv[1]
want = {"token.tsr": ("tsa", "rfc3161", "timestamp"), "token.tst": ("tsa", "rfc3161", "timestamp")}
for f in ["rel-1.0.tar.gz.asc", "rel-1.0.tar.gz.p256.sig", "rel-1.0.tar.gz.ed.sig", "notes.txt.asc",
          "commit.txt", "tag.txt", "tiny.rpm", "src.dsc", "token.tsr", "token.tst"]:
    r = json.load(open("%s/%s.receipt" % (w, f)))
    trail, kind, event = want.get(f, ("policyd", "openpgp", "sign"))
    rec = json.loads(r["record"])
    assert (r["trail"], r["signature"]["kind"], rec["event"]) == (trail, kind, event), f
    assert rec["seq"] == r["leaf_index"] + 1 and r["inclusion"]["leaf_index"] == r["leaf_index"], f
    assert (":" in r["signature"]["value"]) == (f in ("rel-1.0.tar.gz.p256.sig", "rel-1.0.tar.gz.ed.sig")), f
# the response and the bare token are the same token
assert json.load(open(w + "/token.tsr.receipt")) == json.load(open(w + "/token.tst.receipt"))
PY
note "10 receipts (detached armored/binary RSA, P-256, Ed25519; clearsigned; git commit and tag; RPM; .dsc; TSA response and token) verified"

# rpm's own reading of the header signature names the key of the record.
KEYID=$(rpm -qp --qf '%{RSAHEADER:pgpsig}' "$S/tiny.rpm" 2>/dev/null | sed -n 's/.*Key ID \([0-9a-f]*\).*/\1/p')
[[ -n $KEYID ]] || fail "rpm -qp --qf %{RSAHEADER:pgpsig}: no key ID"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.loads(r["record"])["key_fpr"])' \
	"$W/tiny.rpm.receipt" | has -i "$KEYID\$" || fail "the RPM's receipt is not for rpm's key $KEYID"
note "RPM: rpm reads key ID $KEYID, the receipt's record is that key's signature"

# The key given explicitly, as text and as a file, from outside the home.
check "$W/tiny.rpm.receipt" --key "$VKEY" "$S/tiny.rpm" >/dev/null 2>&1 || fail "check-receipt --key VKEY"
echo "$VKEY" >"$W/vkey"
check "$W/tiny.rpm.receipt" --key-file "$W/vkey" >/dev/null 2>&1 || fail "check-receipt --key-file FILE"
# Another home (no key there) and no --key: nothing is verified.
expect 1 signet --home "$W/nohome" audit check-receipt "$W/tiny.rpm.receipt"
has 'NOT verified: no trusted key' "$W/err" || { cat "$W/err"; fail "no key: no verdict"; }
# The TSA's key is not the policyd key: a policyd receipt does not check with it.
expect 1 check "$W/tiny.rpm.receipt" --key-file "$TSA_AUDIT.vkey"
has 'checkpoint:' "$W/err" || { cat "$W/err"; fail "wrong key accepted"; }
# A receipt against another signature than its own.
expect 1 check "$W/tiny.rpm.receipt" "$S/src.dsc"
has "SIGFILE's signature" "$W/err" || { cat "$W/err"; fail "another SIGFILE accepted"; }

# ---- a signature made outside Signet gets no receipt ------------------------
O=$W/outside
mkdir -m 700 "$O"
_HOMES+=("$O")
GNUPGHOME=$O gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "Outsider <o@x.test>" \
	rsa3072 sign never >/dev/null 2>&1 || fail "gpg --quick-gen-key"
GNUPGHOME=$O gpg --batch --no-tty --armor --detach-sign -o "$W/outside.asc" "$S/rel-1.0.tar.gz"
expect 1 prove "$W/outside.asc" -o "$W/outside.receipt"
has 'no record in .* issued the signature' "$W/err" || { cat "$W/err"; fail "outsider: no clear message"; }
[[ ! -e $W/outside.receipt ]] || fail "a receipt for a signature made outside Signet"
note "outside Signet: $(tail -n 1 "$W/err" | sed 's/^signet: audit prove: //; s/ (.*//')"
expect 1 prove "$S/notes.txt"
has 'no OpenPGP signature' "$W/err" || { cat "$W/err"; fail "a file without a signature"; }

# ---- a receipt with any one member edited fails, naming it ------------------
python3 - "$W" "$SIGNET_BIN/signet" "$SIGNET_HOME" "$S" <<'PY' || fail "an edited receipt was accepted"
import json, subprocess, sys
w, signet, home, s = sys.argv[1:5]
def edits(r):
    rec = r["record"]
    yield "type", lambda x: x.update(type="signet-audit-receipts"), "type"
    yield "version", lambda x: x.update(version=2), "version"
    yield "trail", lambda x: x.update(trail="tsa"), "trail"
    yield "record", lambda x: x.update(record=rec.replace('"project":"rel"', '"project":"edk"')), "leaf_hash"
    yield "record (same leaf hash claimed)", lambda x: (x.update(record=rec.replace('"project":"rel"', '"project":"edk"'))), "record"
    yield "leaf_index", lambda x: x.update(leaf_index=x["leaf_index"] + 1), "leaf_index"
    yield "inclusion.leaf_index", lambda x: x["inclusion"].update(leaf_index=x["leaf_index"] + 1), "leaf_index"
    yield "inclusion.tree_size", lambda x: x["inclusion"].update(tree_size=x["inclusion"]["tree_size"] + 1), "tree_size"
    yield "inclusion.leaf_hash", lambda x: x["inclusion"].update(leaf_hash="0" * 64), "leaf_hash"
    yield "inclusion.root", lambda x: x["inclusion"].update(root="0" * 64), "root"
    yield "inclusion.proof", lambda x: x["inclusion"]["proof"].__setitem__(0, "0" * 64), "proof"
    yield "inclusion.proof (cut)", lambda x: x["inclusion"]["proof"].pop(), "proof"
    yield "checkpoint", lambda x: x.update(checkpoint=x["checkpoint"].replace("\n", "\n\n", 1)), "checkpoint"
    yield "signature.kind", lambda x: x["signature"].update(kind="rfc3161"), "trail"
    v = r["signature"]["value"]
    yield "signature.value", lambda x: x["signature"].update(value=v[:-1] + ("1" if v[-1] == "0" else "0")), "signature.value"
    yield "an extra member", lambda x: x.update(extra=1), "extra"
src = json.load(open(w + "/notes.txt.asc.receipt"))
assert src["inclusion"]["proof"], "a proof of one hash at least (many records before)"
bad = 0
for name, edit, word in edits(src):
    x = json.loads(json.dumps(src))
    edit(x)
    if name.startswith("record (same"):
        x["inclusion"]["leaf_hash"] = __import__("hashlib").sha256(b"\0" + x["record"].encode()).hexdigest()
    open(w + "/edited.json", "w").write(json.dumps(x))
    p = subprocess.run([signet, "--home", home, "audit", "check-receipt", w + "/edited.json", s + "/notes.txt.asc"],
                       capture_output=True, text=True)
    last = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    ok = p.returncode == 1 and word in last and "receipt verified" not in p.stdout
    print("   %-32s %s  %s" % (name, "refused" if ok else "NOT REFUSED", last[:150]))
    bad += not ok
sys.exit(1 if bad else 0)
PY
note "each member edited in turn: refused, naming it"

# ---- prove's search on a hand-made trail (tests/tools/receipt-trail.py) ----
# The outsider's real signature recorded in a trail written from the
# format document: 10 minutes of records a second apart before it, then
# its record half an hour after its creation time (an approval wait),
# out of prove's window: the whole trail is read, and said.  Then without
# the hash store (rebuilt, said), and with the first segment archived.
CREATED=$(GNUPGHOME=$O gpg --list-packets "$W/outside.asc" 2>/dev/null | sed -n 's/.*version 4, created \([0-9]*\),.*/\1/p')
[[ -n $CREATED ]] || fail "no creation time in the outsider's signature"
T=$W/hand/audit
mkdir -p "$T"
# policyd records the raw k-byte s of RSA-3072: 768 hex digits, zeros kept
SIGHEX=$(sig_mpi "$W/outside.asc")
while ((${#SIGHEX} < 768)); do SIGHEX=0$SIGHEX; done
python3 "$TOOLS/receipt-trail.py" "$T/audit.jsonl" --records 3000 --every 500 --t0 $((CREATED - 600)) --dt 1 \
	--sign "2400:$SIGHEX" || fail "receipt-trail.py"
HP() { signet --home "$W/hand" audit prove "$W/outside.asc" -o "$W/hand.receipt"; }
HP 2>"$W/hand1.err" || { cat "$W/hand1.err"; fail "prove on the hand-made trail"; }
has 'reading the whole trail' "$W/hand1.err" || { cat "$W/hand1.err"; fail "the fallback scan was not said"; }
check "$W/hand.receipt" --key-file "$T/audit.jsonl.vkey" "$W/outside.asc" >/dev/null 2>&1 ||
	fail "check-receipt on the hand-made trail"
cp "$W/hand.receipt" "$W/hand-store.receipt"
mv "$T/audit.jsonl.tree" "$W/hand.tree"
HP 2>"$W/hand2.err" || { cat "$W/hand2.err"; fail "prove without the hash store"; }
has "tree was rebuilt" "$W/hand2.err" || { cat "$W/hand2.err"; fail "the rebuild was not said"; }
cmp -s "$W/hand.receipt" "$W/hand-store.receipt" || fail "the rebuilt tree gave another receipt"
mv "$W/hand.tree" "$T/audit.jsonl.tree"
head -n 1000 "$T/audit.jsonl" >"$T/audit.jsonl.000002"
sed -n '1001,2000p' "$T/audit.jsonl" >"$T/audit.jsonl.000003"
sed -i '1,2000d' "$T/audit.jsonl"
HP 2>"$W/hand3.err" || { cat "$W/hand3.err"; fail "prove with segment 1 archived"; }
has 'searching from segment 2' "$W/hand3.err" || { cat "$W/hand3.err"; fail "the archived segments were not said"; }
cmp -s "$W/hand.receipt" "$W/hand-store.receipt" || fail "another receipt from the segmented trail"
note "hand-made trail: fallback scan, rebuilt tree and archived first segment each said, same receipt"
