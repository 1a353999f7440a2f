#!/bin/bash
# The second factor, end to end, with a real user, real gpg and codes the
# test computes itself (RFC 6238, from the secret in the URI the user got
# at enrolment).  Projects tp and tp2 have second_factor = totp.
#   - before enrolment: "Not initialized"; enrolment prints an otpauth URI;
#     enrolling again without a reset is refused (someone at the user's
#     shell must not replace the secret);
#   - the right code signs (gpg --pinentry-mode loopback --passphrase);
#     a wrong code and a reused code fail with "Bad PIN", and the card's
#     PIN retry counter counts down;
#   - 5 wrong codes in a row lock that project ("PIN blocked"), even for a
#     right code, and only that project; the user cannot reset themselves;
#     `signet totp reset USER` by an admin unlocks (and forgets the secret);
#   - the secret (base32, hex, raw) is in no file of the world but the
#     user's own copy of the URI: no log, no audit record, no state file.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
U=sg-tina
user_new "$U"
trap 'world_cleanup; userdel "$U" 2>/dev/null; true' EXIT
world_new --public-bin
trap 'world_cleanup; userdel "$U" 2>/dev/null; true' EXIT
project_new tp rsa2048 "user:$U"
project_new tp2 rsa2048 "user:$U"
# project create appends each [project] section: put the key in both.
python3 - "$SIGNET_HOME/signet.conf" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r'(\[project (tp|tp2)\]\n)', r'\1second_factor = totp\n', s)
open(p, 'w').write(s)
PY
SOCK=$SIGNET_HOME/run/policyd.sock
gpg-connect-agent -S "$SOCK" RELOAD /bye >"$W/reload.out" 2>&1
grep -q '^OK' "$W/reload.out" || { cat "$W/reload.out"; fail "RELOAD with second_factor = totp"; }

D=$W/$U
mkdir -m 700 "$D" && chown "$U" "$D"
gpghome_new "$D/g" --as "$U" --project tp --project tp2
FPR=$(fpr_of "$D/g" tp@signet.test)
FPR2=$(fpr_of "$D/g" tp2@signet.test)
[[ -n $FPR && -n $FPR2 ]] || fail "no tp/tp2 keys in $U's home"
echo "payload" >"$D/f" && chown "$U" "$D/f"

# The code of SECRET (base32) for time step STEP; "wrong": a code that is
# none of the steps around now.
cat >"$W/totp.py" <<'PY'
import base64, hashlib, hmac, struct, sys, time
def code(key, step):
    mac = hmac.new(key, struct.pack('>Q', step), hashlib.sha1).digest()
    o = mac[-1] & 15
    return '%06d' % ((struct.unpack('>I', mac[o:o + 4])[0] & 0x7fffffff) % 1000000)
b32 = sys.argv[1]
key = base64.b32decode(b32 + '=' * (-len(b32) % 8))
if sys.argv[2] == 'wrong':
    now = int(time.time()) // 30
    near = {code(key, s) for s in range(now - 3, now + 4)}
    print(next('%06d' % i for i in range(1000000) if '%06d' % i not in near))
elif sys.argv[2] == 'hex':
    print(key.hex())
else:
    print(code(key, int(sys.argv[2])))
PY
LAST=0
# C: a right code never used: the step after the last one used, or now's;
# waits (at most one step) when that is beyond the ±1 window.
fresh_code() {
	local now want
	while :; do
		now=$(($(date +%s) / 30))
		want=$((LAST + 1 > now ? LAST + 1 : now))
		((want <= now + 1)) && break
		sleep 1
	done
	LAST=$want
	C=$(python3 "$W/totp.py" "$SECRET" "$want")
}
# gpg_sign NAME FPR CODE: 0 if it signed; gpg's stderr in $W/NAME.err.
gpg_sign() {
	runuser -u "$U" -- env GNUPGHOME="$D/g" gpg --batch --yes --no-tty --pinentry-mode loopback \
		--passphrase "$3" -u "$2" --detach-sign -o "$D/$1.sig" "$D/f" 2>"$W/$1.err"
}
refused_with() { # NAME FPR CODE TEXT
	if gpg_sign "$1" "$2" "$3"; then fail "$1: signed, expected '$4'"; fi
	grep -q "$4" "$W/$1.err" || { cat "$W/$1.err"; fail "$1: gpg did not say '$4'"; }
}
retry_counter() { # the PIN retry counter gpg --card-status shows
	runuser -u "$U" -- env GNUPGHOME="$D/g" gpg --batch --no-tty --card-status 2>/dev/null |
		sed -n 's/^PIN retry counter *: *\([0-9]*\).*/\1/p'
}
enroll() { # OUT: signet totp enroll as the user, its stdout to OUT (the user's own)
	runuser -u "$U" -- env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" totp enroll >"$1" 2>"$W/enroll.err"
}
tty_enroll() { # OUT: the same on a terminal (a pty), where a QR code may show
	python3 - "$1" "$U" "$SIGNET_HOME" "$SIGNET_BIN/signet" <<'PY'
import os, pty, subprocess, sys
out, user, home, signet = sys.argv[1:5]
m, s = pty.openpty()
p = subprocess.Popen(['runuser', '-u', user, '--', 'env', 'SIGNET_HOME=' + home, signet, 'totp', 'enroll'],
                     stdin=subprocess.DEVNULL, stdout=s, stderr=s)
os.close(s)
data = b''
while True:
    try:
        b = os.read(m, 65536)
    except OSError:
        break
    if not b:
        break
    data += b
rc = p.wait()
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, data)
os.close(fd)
sys.exit(rc)
PY
}

# ---- not enrolled
refused_with noenrol "$FPR" 123456 'Not initialized'
note "before enrolment: $(grep -m1 'signing failed' "$W/noenrol.err")"

# ---- enrolment: the URI, once
enroll "$D/uri" || { cat "$W/enroll.err"; fail "signet totp enroll"; }
URI=$(grep -m1 '^otpauth://' "$D/uri") || { cat "$D/uri"; fail "no otpauth URI"; }
[[ $URI =~ ^otpauth://totp/Signet:$U@[0-9A-F]{8}\?secret=([A-Z2-7]{32})\&issuer=Signet\&algorithm=SHA1\&digits=6\&period=30$ ]] ||
	fail "URI has an unexpected form: $URI"
SECRET=${BASH_REMATCH[1]}
note "enrolled: ${URI%%\?*}"
if enroll "$W/again.out"; then fail "a second enrolment without reset succeeded"; fi
grep -q 'enrolled already' "$W/enroll.err" || { cat "$W/enroll.err"; fail "re-enrolment: no clear reason"; }
grep -q '^otpauth' "$W/again.out" && fail "re-enrolment printed a URI"
note "re-enrolment refused: $(head -n1 "$W/enroll.err")"

# ---- right, reused, wrong
fresh_code
gpg_sign right "$FPR" "$C" || { cat "$W/right.err"; fail "the right code did not sign"; }
gpgv --keyring "$W/tp.gpg" "$D/right.sig" "$D/f" 2>/dev/null || fail "signature with the code does not verify"
note "right code signed"
[[ $(retry_counter) == 5 ]] || fail "retry counter $(retry_counter), expected 5"
refused_with reused "$FPR" "$C" 'Bad PIN'
note "reused code refused: $(grep -m1 'signing failed' "$W/reused.err")"
[[ $(retry_counter) == 4 ]] || fail "retry counter after a reuse: $(retry_counter), expected 4"
runuser -u "$U" -- env GNUPGHOME="$D/g" gpg-connect-agent 'SCD GETATTR CHV-STATUS' /bye >"$W/chv.out" 2>&1
grep -Eq 'CHV-STATUS .0.127.127.127.4.0.3' "$W/chv.out" || { cat "$W/chv.out"; fail "GETATTR CHV-STATUS does not count 4 tries left"; }
note "gpg --card-status: PIN retry counter 4 (GETATTR CHV-STATUS too)"
refused_with wrong "$FPR" "$(python3 "$W/totp.py" "$SECRET" wrong)" 'Bad PIN'
refused_with short "$FPR" 12345 'Bad PIN'
fresh_code
gpg_sign right2 "$FPR" "$C" || { cat "$W/right2.err"; fail "a fresh right code after failures did not sign"; }
[[ $(retry_counter) == 5 ]] || fail "a right code did not reset the failures ($(retry_counter))"

# ---- lockout on tp2 only
for i in 1 2 3 4 5; do
	refused_with "wrong$i" "$FPR2" "$(python3 "$W/totp.py" "$SECRET" wrong)" 'Bad PIN'
done
fresh_code
refused_with locked "$FPR2" "$C" 'PIN blocked'
note "after 5 wrong codes on tp2, a right one: $(grep -m1 'signing failed' "$W/locked.err")"
LAST=$((LAST - 1))   # a locked project does not look at the code: it is still fresh
fresh_code
gpg_sign other "$FPR" "$C" || { cat "$W/other.err"; fail "tp locked too (failures are per project)"; }
note "tp still signs"

# The user cannot reset themselves; an admin can.
if runuser -u "$U" -- env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" totp reset "$U" >"$W/selfreset.out" 2>&1; then
	fail "the user reset their own second factor"
fi
grep -q 'not an admin' "$W/selfreset.out" || { cat "$W/selfreset.out"; fail "self-reset: no clear reason"; }
expect 1 signet totp reset sg-nosuchuser
grep -q 'no user sg-nosuchuser' "$W/err" || { cat "$W/err"; fail "reset of an unknown user: no clear reason"; }
expect 0 signet totp reset "$U"
note "admin: $(cat "$W/out")"
refused_with reset "$FPR2" 123456 'Not initialized'
tty_enroll "$D/uri2" || { cat "$D/uri2"; fail "enrolment after reset"; }
if command -v qrencode >/dev/null; then
	grep -q '▀\|▄\|█' "$D/uri2" || { cat "$D/uri2"; fail "no QR code on a terminal with qrencode installed"; }
	note "on a terminal: the URI and a QR code"
fi
OLD=$SECRET
SECRET=$(sed -n 's/.*secret=\([A-Z2-7]*\)&.*/\1/p' "$D/uri2")
[[ -n $SECRET && $SECRET != "$OLD" ]] || fail "the new enrolment has no new secret"
LAST=0
fresh_code
gpg_sign unlocked "$FPR2" "$C" || { cat "$W/unlocked.err"; fail "tp2 still locked after reset + enrol"; }
note "after reset and a new enrolment tp2 signs"

# ---- the sealing key: on the token, AES-256, never readable
if command -v pkcs11-tool >/dev/null; then
	SOFTHSM2_CONF=$SIGNET_HOME/softhsm2.conf pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so \
		--token-label signet --login --pin "$(cat "$SIGNET_HOME/secrets/user-pin")" \
		--list-objects --type secrkey >"$W/p11.out" 2>/dev/null || true
	grep -A6 'label: *signet:totp' "$W/p11.out" >"$W/p11key.out" || { cat "$W/p11.out"; fail "no signet:totp key on the token"; }
	grep -q 'sensitive' "$W/p11key.out" && grep -q 'never extractable' "$W/p11key.out" ||
		{ cat "$W/p11key.out"; fail "the sealing key is not sensitive and never extractable"; }
	[[ $(grep -c 'label: *signet:totp' "$W/p11.out") == 1 ]] || fail "more than one signet:totp key"
	note "sealing key signet:totp: $(grep -m1 'Access' "$W/p11key.out" | sed 's/^ *//')"
fi

# ---- the audit trail has the events, and never a secret
grep '"event":"totp_enroll"' "$AUDIT" | has "\"user\":\"$U\"" || fail "no totp_enroll record"
grep '"event":"totp_reset"' "$AUDIT" | has "\"by\":\"user:root\"" || fail "no totp_reset record with by"
grep -q '"event":"deny".*Bad PIN\|"event":"deny".*one-time code' "$AUDIT" || fail "no refusal of a wrong code audited"

python3 - "$W" "$D/uri" "$D/uri2" "$OLD" "$SECRET" <<'PY' || fail "a TOTP secret leaked (above)"
import base64, os, sys
root, own = sys.argv[1], {os.path.realpath(p) for p in sys.argv[2:4]}
needles = []
for b32 in sys.argv[4:6]:
    raw = base64.b32decode(b32)
    needles += [b32.encode(), b32.lower().encode(), raw, raw.hex().encode(), raw.hex().upper().encode()]
bad = 0
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        if os.path.realpath(p) in own or os.path.islink(p) or not os.path.isfile(p):
            continue
        try:
            data = open(p, 'rb').read()
        except OSError:
            continue
        for n in needles:
            if n in data:
                print('secret found in', p); bad = 1
sys.exit(bad)
PY
# The user's own copies are theirs alone.
[[ $(stat -c %a "$D") == 700 ]] || fail "the user's folder is readable by others"
note "no secret in any file of the world (logs, audit, state, gpg homes)"
