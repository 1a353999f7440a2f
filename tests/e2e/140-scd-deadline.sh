#!/bin/bash
# signet-scd towards a policyd that stops answering (SIGSTOP: frozen, its
# socket still accepting): gpg fails with a clear error ("Connection timed
# out") within signet-scd's deadlines instead of hanging, and signs again
# once policyd runs.  And signet-scd's own long-line reader is bounded: a
# 50 KB line is refused and the connection goes on; a line longer than the
# limit ends the connection instead of being read for ever.
. "$(dirname "$0")/lib.sh"
world_new
project_new dl rsa2048 "user:$(id -un)"
H=$W/g
gpghome_new "$H"
FPR=$(fpr_of "$H" dl@signet.test)
echo one >"$W/f1"
sign_detached "$(id -un)" "$H" "$FPR" "$W/f1" || fail "first signature"

pid=$(cat "$SIGNET_HOME/run/policyd.pid")
kill -STOP "$pid"
trap 'kill -CONT '"$pid"' 2>/dev/null; world_cleanup' EXIT
echo two >"$W/f2"
t0=$SECONDS
if GNUPGHOME=$H timeout 120 gpg --batch --yes --no-tty -u "$FPR" --detach-sign -o "$W/f2.sig" "$W/f2" 2>"$W/frozen.err"; then
	fail "signing succeeded with policyd stopped"
fi
secs=$((SECONDS - t0))
grep -q 'Connection timed out' "$W/frozen.err" || { cat "$W/frozen.err"; fail "gpg's error does not say 'Connection timed out'"; }
# SIGN: 15 s without a line; before it, a key-list refresh and a new
# connection may each take their 10 s.
((secs <= 40)) || fail "gpg took $secs s to fail against a frozen policyd"
grep -q 'did not answer in time' "$H/signet-scd.log" || fail "signet-scd.log does not explain the timeout"
note "frozen policyd: gpg failed after $secs s: $(grep -m1 'signing failed' "$W/frozen.err")"
kill -CONT "$pid"
sign_detached "$(id -un)" "$H" "$FPR" "$W/f2" || fail "signing after SIGCONT"
gpgv --keyring "$W/dl.gpg" "$W/f2.sig" "$W/f2" 2>/dev/null || fail "signature after SIGCONT bad"
note "policyd running again: signed"

# The long-line reader, on signet-scd's pipe (as gpg-agent talks to it).
mkdir -m 700 "$W/scdhome"
printf 'policyd_socket = %s\nserial = D276000124010304FFFE1A2B3C4D0000\n' "$W/nowhere.sock" >"$W/scdhome/signet-scd.conf"
python3 - "$SIGNET_BIN/signet-scd" "$W/scdhome" <<'PY' || fail "signet-scd's long-line reader"
import subprocess, sys, time
scd, home = sys.argv[1], sys.argv[2]

def run(payload):
    p = subprocess.Popen([scd, "--multi-server", "--homedir", home], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out, _ = p.communicate(payload, timeout=30)
    return [l for l in out.decode(errors="replace").splitlines() if not l.startswith("#")]

# 50 KB (under the 64 KiB limit): refused, then the next command is answered.
lines = run(b"X" * 50000 + b"\nGETINFO version\n")
assert lines[0].startswith("OK"), lines
assert lines[1].startswith("ERR") and "too long" in lines[1], lines
assert lines[2].startswith("D ") and lines[3] == "OK", lines
print("   50 KB line: %s; next command answered" % lines[1][:60])
# 1 MB in one line: past the 64 KiB limit, the connection ends there and
# the command after it is never read.
t0 = time.monotonic()
lines = run(b"X" * 1000000 + b"\nGETINFO version\n")
assert not any(l.startswith("D ") for l in lines), lines
print("   1 MB line: connection ended after the limit (%d answer lines, %.1f s)" % (len(lines), time.monotonic() - t0))
PY
true
