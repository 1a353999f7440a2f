#!/bin/bash
# When the audit record cannot be written (here: a file size limit on
# policyd, as a full disk would do), no signature leaves policyd: gpg fails
# with "Input/output error", the trail keeps only whole lines, and after a
# restart with room again signing goes on with a gap-free trail.
. "$(dirname "$0")/lib.sh"
world_new
project_new full rsa2048 "user:$(id -un)"
H=$W/g
gpghome_new "$H"
FPR=$(fpr_of "$H" full@signet.test)
# The limit is per file and policyd writes its state store too (policyd.db
# and SQLite's 32 KiB shared-memory index beside it): grow the trail with
# real signatures past the largest of them, so that the limit stops the
# trail, not the store.
SOCK=$(sed -n 's/^socket = //p' "$SIGNET_HOME/signet.conf")
digest=$(printf 'x%.0s' $(seq 64))
digest=${digest//x/a}
biggest() { stat -c %s "$(dirname "$AUDIT")"/policyd.db* | sort -n | tail -n1; }
until (($(stat -c %s "$AUDIT") > $(biggest) + 1024)); do
	python3 "$TOOLS/pd-hammer.py" "$SOCK" 0.3 "SIGN --hash=sha256 full $digest" >/dev/null
done
signet --home "$SIGNET_HOME" stop >/dev/null
before=$(grep -c '"event":"sign"' "$AUDIT")

# Room for about three more sign records (~900 bytes each for rsa2048).
size=$(stat -c %s "$AUDIT")
limit_kb=$(((size + 2900) / 1024 + 1))
(
	ulimit -f "$limit_kb"
	exec "$SIGNET_BIN/signet-policyd" --config "$SIGNET_HOME/signet.conf" --daemon \
		--pidfile "$SIGNET_HOME/run/policyd.pid"
) || fail "policyd did not start under a file size limit"

ok=0 refused=0
for i in $(seq 8); do
	echo "file $i" >"$W/f$i"
	if GNUPGHOME=$H gpg --batch --yes --no-tty -u "$FPR" --detach-sign -o "$W/f$i.sig" "$W/f$i" 2>"$W/e$i"; then
		ok=$((ok + 1))
		gpgv --keyring "$W/full.gpg" "$W/f$i.sig" "$W/f$i" 2>/dev/null || fail "signature $i does not verify"
		audit_check --has-sig "$(sig_mpi "$W/f$i.sig")" >/dev/null
	else
		refused=$((refused + 1))
		grep -q 'Input/output error' "$W/e$i" || { cat "$W/e$i"; fail "refusal $i is not 'Input/output error'"; }
		[[ ! -s $W/f$i.sig ]] || fail "a signature file was left for refused request $i"
	fi
done
((ok >= 1 && refused >= 1)) || fail "expected some signatures and then refusals, got $ok and $refused"
note "$ok signed, then $refused refused with 'Input/output error' once the trail could not grow"
grep -q 'audit .*write of record' "$SIGNET_HOME/run/policyd.log" || fail "policyd's log does not name the audit failure"
kill -0 "$(cat "$SIGNET_HOME/run/policyd.pid")" 2>/dev/null || fail "policyd died on the failed write"
audit_check --count sign=$((before + ok))

signet --home "$SIGNET_HOME" stop >/dev/null
signet --home "$SIGNET_HOME" start >/dev/null || fail "policyd does not start again on the trail it left"
echo again >"$W/g1"
sign_detached "$(id -un)" "$H" "$FPR" "$W/g1" || fail "signing after the restart"
audit_check --has-sig "$(sig_mpi "$W/g1.sig")" --count sign=$((before + ok + 1))
