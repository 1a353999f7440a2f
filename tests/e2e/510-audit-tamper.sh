#!/bin/bash
# The audit trail as a verifiable log, attacked.  A trail made by real
# signing (gpg --detach-sign, --clearsign, git commit -S and tag -s, raw
# PKSIGNs through gpg-agent, a refusal, policy changes), with checkpoints
# every 16 records, segments of 64 KiB and a torn tail quarantined at a
# restart, verifies with `signet audit verify` and with the independent
# verifier (tests/tools/auditverify.py, written from doc/audit-format.md
# alone).  Then, on copies, for every kind of record in it: one byte
# changed, the record deleted, swapped with the next, a forged one
# inserted (with a correct-looking seq, and with every later seq and
# segment frontier made consistent), a checkpoint signed by another key or
# carrying garbage, every checkpoint re-signed under a new P.vkey, a
# segment dropped, a frontier forged, a torn cut: both verifiers fail and
# name the place (file:line or seq).  Cutting whole records after the
# last checkpoint leaves a valid shorter log: only a checkpoint saved
# earlier shows it (auditverify --checkpoint, signet audit consistency).
. "$(dirname "$0")/lib.sh"
for tool in gpg git python3; do
	command -v "$tool" >/dev/null || { echo "   skip: $tool not installed"; exit 0; }
done
python3 -c 'import cryptography' 2>/dev/null || fail "python3-cryptography missing (tests/deps.sh)"
PYV=(python3 "$TOOLS/auditverify.py" trail)
TAMPER=(python3 "$TOOLS/audittamper.py")
python3 "$TOOLS/auditverify.py" selftest >/dev/null || fail "auditverify selftest"

world_new
ME=$(id -un)
CONF=$SIGNET_HOME/signet.conf
signet --home "$SIGNET_HOME" stop >/dev/null
sed -i "/^\[policyd\]/a checkpoint_every = 16\naudit_segment_size = 64K" "$CONF"
signet --home "$SIGNET_HOME" start >"$W/start2.out" 2>&1 || { cat "$W/start2.out"; fail "signet start with checkpoints and segments"; }

# ---- A trail of real signing.
project_new rel rsa3072 "user:$ME"
H=$W/g
gpghome_new "$H" --project rel
FPR=$(fpr_of "$H" rel@signet.test)
[[ -n $FPR ]] || fail "no key for rel in $H"
for i in 1 2 3; do
	head -c 300 /dev/urandom >"$W/file$i"
	sign_detached "$ME" "$H" "$FPR" "$W/file$i"
done
echo "release notes" >"$W/notes.txt"
GNUPGHOME=$H gpg --batch --yes --no-tty -u "$FPR" --clearsign -o "$W/notes.txt.asc" "$W/notes.txt"
R=$W/repo
repo_new "$R" rel@signet.test "$FPR" --empty
(
	cd "$R" && export GNUPGHOME=$H
	echo one >a.txt && git add a.txt && git commit -q -S -m "signed commit"
	git tag -s -m "release 1.0" v1.0 && git verify-tag v1.0 2>/dev/null
) || fail "git commit -S / tag -s"
# A refusal: rel's signers no longer include us.
policy_set rel "signers=user:nobody"
echo refused >"$W/refused"
sign_detached "$ME" "$H" "$FPR" "$W/refused" 2>/dev/null && fail "signed while not a signer"
policy_set rel "signers=user:$ME"

# Raw PKSIGNs through the agent until the trail has two sealed segments.
GRIP=$(GNUPGHOME=$H gpg --batch --with-colons --with-keygrip --list-secret-keys "$FPR" |
	awk -F: '/^ssb/{s=1} s && /^grp/{print $10; exit}')
[[ -n $GRIP ]] || fail "no keygrip for $FPR"
HASH=$(printf '5a%.0s' $(seq 32))
for ((i = 0; i < 40; i++)); do printf 'SIGKEY %s\nSETHASH --hash=sha256 %s\nPKSIGN\n' "$GRIP" "$HASH"; done >"$W/agent.txt"
b=0
while [[ ! -e $AUDIT.000002 ]] && ((b++ < 8)); do
	GNUPGHOME=$H gpg-connect-agent <"$W/agent.txt" >"$W/pksign.out" 2>&1
	n=$(grep -c '^D (7:sig-val' "$W/pksign.out" || true)
	((n == 40)) || { head -n 5 "$W/pksign.out"; fail "batch $b: $n of 40 PKSIGN succeeded"; }
done
[[ -e $AUDIT.000002 ]] || fail "no second sealed segment after $b batches of 40 signatures"

# ---- A torn last line written while policyd is stopped: at the next
# start it is moved to P.torn-TIME and a quarantine record says so.
signet --home "$SIGNET_HOME" stop >/dev/null
TORN='{"event":"sign","seq":999999,"sig'
printf '%s' "$TORN" >>"$AUDIT"
signet --home "$SIGNET_HOME" start >"$W/start3.out" 2>&1 || { cat "$W/start3.out"; fail "policyd refused to start over a torn tail"; }
QPATH=("$AUDIT".torn-*)
[[ -e ${QPATH[0]} ]] || fail "the torn tail was not moved to audit.jsonl.torn-*"
QFILE=${QPATH[0]##*/}
[[ $(cat "${QPATH[0]}") == "$TORN" ]] || fail "$QFILE does not hold exactly the torn bytes"
[[ $(tail -c 1 "$AUDIT" | od -An -c | tr -d ' ') == '\n' ]] || fail "the trail still ends in a torn line"
grep '"event":"quarantine"' "$AUDIT" | has "\"file\":\"$QFILE\".*\"size\":${#TORN}," ||
	fail "no quarantine record naming $QFILE and ${#TORN} bytes"
sign_detached "$ME" "$H" "$FPR" "$W/file1"
signet --home "$SIGNET_HOME" stop >/dev/null   # the last checkpoint is written at a clean stop
tail -n 1 "$AUDIT" | has '"event":"checkpoint"' || fail "a clean stop wrote no last checkpoint"
note "torn tail quarantined to $QFILE, quarantine record written"

# ---- The untouched trail verifies with both.
GOOD=$W/good
mkdir "$GOOD"
cp -p "$(dirname "$AUDIT")"/audit.jsonl* "$GOOD/"
VKEY=$GOOD/audit.jsonl.vkey
[[ -s $VKEY ]] || fail "no verifier key beside the trail"
cp "$VKEY" "$W/trusted.vkey"
sealed() { # DIR  the sealed segments in DIR, in order (globs sort)
	local f
	for f in "$1"/audit.jsonl.[0-9][0-9][0-9][0-9][0-9][0-9]; do [[ -e $f ]] && echo "$f"; done
	return 0
}
cverify() { # DIR [ARGS...]  signet audit verify on the copy in DIR: its files in order
	local d=$1 files
	shift
	mapfile -t files < <(sealed "$d")
	signet audit verify "$@" "${files[@]}" "$d/audit.jsonl"
}
pyverify() { "${PYV[@]}" "$@"; } # [ARGS...] P
expect 0 cverify "$GOOD" --key-file "$W/trusted.vkey"
cat "$W/out" >"$W/c-good.out"
expect 0 pyverify --key "$W/trusted.vkey" "$GOOD/audit.jsonl"
cat "$W/out" >"$W/py-good.out"
NREC=$(cat "$GOOD"/audit.jsonl.[0-9]* "$GOOD/audit.jsonl" | wc -l)
has "^trail verified: $NREC records (seq 1..$NREC) in [3-9] files" "$W/py-good.out" ||
	{ cat "$W/py-good.out"; fail "auditverify: not all $NREC records in 3 or more files"; }
has "$NREC records good" "$W/c-good.out" || { cat "$W/c-good.out"; fail "signet audit verify: not all $NREC records"; }
EVENTS=$(cat "$GOOD"/audit.jsonl.[0-9]* "$GOOD/audit.jsonl" |
	python3 -c 'import json,sys; print(" ".join(sorted({json.loads(l)["event"] for l in sys.stdin})))')
for e in sign deny config keygen certify policy checkpoint segment quarantine; do
	[[ " $EVENTS " == *" $e "* ]] || fail "the trail has no $e record (has: $EVENTS)"
done
note "untouched: $NREC records, events $EVENTS; both verifiers pass"

# ---- The attacks.  Each on a fresh copy; both verifiers must fail and
# name one of the places audittamper.py says a verifier may rightly name
# ("FILE:LINE", FILE without its folder, or "seq=N").
placed() { # OUTFILE PLACES...
	local out=$1 p
	shift
	for p in "$@"; do
		if [[ $p == seq=* ]]; then
			has -E "seq[ =:#]*${p#seq=}([^0-9]|$)" "$out" && return 0
		else
			has -E "${p//./[.]}([^0-9]|$)" "$out" && return 0
		fi
	done
	return 1
}
fresh() { rm -rf "$W/t" && cp -rp "$GOOD" "$W/t"; }
both_fail() { # DIR WHAT PLACES [VERIFY-ARGS...]
	local d=$1 what=$2 places=$3
	shift 3
	expect 1 pyverify "$@" "$d/audit.jsonl"
	cat "$W/out" "$W/err" >"$W/py.out"
	# shellcheck disable=SC2086
	placed "$W/py.out" $places ||
		{ cat "$W/py.out"; fail "auditverify: $what: the fault is not placed at one of: $places"; }
	expect 1 cverify "$d" "$@"
	cat "$W/out" "$W/err" >"$W/c.out"
	# shellcheck disable=SC2086
	placed "$W/c.out" $places ||
		{ cat "$W/c.out"; fail "signet audit verify: $what: the fault is not placed at one of: $places"; }
}
attack() { # ACTION EVENT [VERIFY-ARGS...]
	local places
	fresh
	places=$("${TAMPER[@]}" apply "$W/t/audit.jsonl" "$1" "$2") || fail "audittamper $1 $2"
	both_fail "$W/t" "$1 $2" "$places" "${@:3}"
}
# The matrix: every kind of record x every edit, made in one process.
for e in $EVENTS; do
	for a in byte delete swap insert renumber; do echo "$a-$e $a $e"; done
done >"$W/matrix"
mkdir "$W/m"
"${TAMPER[@]}" batch "$GOOD" "$W/m" <"$W/matrix" || fail "audittamper batch"
while read -r name a e; do
	both_fail "$W/m/$name" "$a $e" "$(cat "$W/m/$name.places")" --key-file "$W/trusted.vkey"
done <"$W/matrix"
note "$(wc -l <"$W/matrix") attacks on records (byte, delete, swap, insert, insert and renumber x ${EVENTS// /, }): both fail at the place"

# Checkpoint signatures: another key's line, another key's signature under
# the audit key's key hash, garbage.
for a in otherkey forgesig garbage; do attack "$a" checkpoint; done
# Every checkpoint re-signed by a new key written to P.vkey: the trail
# agrees with the key beside it (both verifiers accept that, and say the
# key comes from the trail's folder) but not with the key kept elsewhere.
fresh
places=$("${TAMPER[@]}" apply "$W/t/audit.jsonl" resign sign)
expect 0 pyverify "$W/t/audit.jsonl"
has "read from .*audit.jsonl.vkey beside the trail" "$W/out" ||
	{ cat "$W/out"; fail "auditverify does not say the key beside the trail proves nothing"; }
expect 0 cverify "$W/t"
has "warning: the key was read from the trail's own folder" "$W/out" ||
	{ cat "$W/out"; fail "signet audit verify does not warn that the key beside the trail proves nothing"; }
both_fail "$W/t" "re-signed under a new P.vkey" "$places" --key-file "$W/trusted.vkey"
note "checkpoints with another key's signature, garbage, or re-signed: refused with the trusted key"

# ---- Segments: a dropped one is a gap, a missing first one is an error
# unless --from-segment says it was archived; a forged frontier there is
# caught by the next checkpoint.
fresh
rm "$W/t/audit.jsonl.000002"
NEXT=$(sealed "$W/t" | sed -n 2p)
NEXT=${NEXT:-$W/t/audit.jsonl}
both_fail "$W/t" "segment 2 dropped" "audit.jsonl.000002 ${NEXT##*/}:1"
fresh
rm "$W/t/audit.jsonl.000001"
both_fail "$W/t" "segment 1 dropped" "audit.jsonl.000001 audit.jsonl.000002:1"
expect 0 pyverify --from-segment 2 "$W/t/audit.jsonl"
expect 0 cverify "$W/t" --from-segment 2
has "started from a segment's frontier" "$W/out" || { cat "$W/out"; fail "signet audit verify --from-segment: no word of the frontier"; }
places=$("${TAMPER[@]}" apply "$W/t/audit.jsonl" frontier 2)
both_fail "$W/t" "forged frontier, --from-segment 2" "$places" --from-segment 2
note "segment dropped: refused; segment 1 archived: --from-segment 2 passes, a forged frontier there does not"

# ---- Truncation.  A cut inside a record is a torn line.
fresh
places=$("${TAMPER[@]}" cut "$W/t/audit.jsonl")
both_fail "$W/t" "cut inside the last record" "$places"
# Whole records cut after the last checkpoint that remains: what is left
# is a valid, shorter log, and no verifier can tell from the log alone
# (expected).  A checkpoint kept from before (here the removed final one)
# shows it.
fresh
"${TAMPER[@]}" tail "$W/t/audit.jsonl" "$W/saved.ckpt" >"$W/tail.out" || fail "audittamper tail"
expect 0 pyverify "$W/t/audit.jsonl"
expect 0 cverify "$W/t"
expect 1 pyverify --checkpoint "$W/saved.ckpt" "$W/t/audit.jsonl"
has "records were cut from its end" "$W/err" || { cat "$W/err"; fail "auditverify: the cut tail not shown against the saved checkpoint"; }
expect 1 cverify "$W/t" --checkpoint "$W/saved.ckpt"
has "records were cut from its end" "$W/err" "$W/out" ||
	{ cat "$W/out" "$W/err"; fail "signet audit verify: the cut tail not shown against the saved checkpoint"; }
# The saved checkpoint over the untouched trail: both pass.
expect 0 pyverify --checkpoint "$W/saved.ckpt" "$GOOD/audit.jsonl"
expect 0 cverify "$GOOD" --checkpoint "$W/saved.ckpt"
note "records cut after the last checkpoint: $(cat "$W/tail.out"); only the saved checkpoint shows it"
# `signet audit consistency OLD NEW` on the home's own trail, cut the
# same way there (the hash store, derived data, removed too, as an
# attacker would): the saved checkpoint is out of the trail's reach.
python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())["note"], end="")' "$W/saved.ckpt" >"$W/saved.note"
expect 0 signet --home "$SIGNET_HOME" audit consistency "$W/saved.note" "$W/saved.note"
for f in "$GOOD"/audit.jsonl.[0-9]*; do cmp -s "$f" "$(dirname "$AUDIT")/${f##*/}" || fail "${f##*/} differs from the home's"; done
cp "$W/t/audit.jsonl" "$AUDIT"
rm -f "$AUDIT.tree"
records_left=$(cat "$W/t"/audit.jsonl.[0-9]* "$W/t/audit.jsonl" | wc -l)
echo "$records_left" >"$W/now.size"
# From what the trail holds now to the saved checkpoint: the trail no
# longer reaches it.  (In the other order the refusal only says the
# sizes are reversed.)
expect 1 signet --home "$SIGNET_HOME" audit consistency "$W/now.size" "$W/saved.note"
has "holds $records_left records, fewer than the $(sed -n 2p "$W/saved.note") asked for" "$W/err" ||
	{ cat "$W/err"; fail "signet audit consistency: the cut is not named"; }
note "signet audit consistency NOW SAVED: refused after the cut ($(head -c 200 "$W/err"))"
