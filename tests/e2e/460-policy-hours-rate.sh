#!/bin/bash
# The project's policy at SIGN time, with real gpg: signing hours (windows
# chosen relative to the current time, in two time zones), a rate limit
# whose window slides and survives a kill -9 of policyd, and allowed
# hashes.  Each refusal carries its own gpg error, is audited with its
# reason code, and `signet why` names it with what to do next.
. "$(dirname "$0")/lib.sh"
world_new
me=$(id -un)
project_new hr rsa2048 "user:$me"
project_new rt rsa2048 "user:$me"
H=$W/g
gpghome_new "$H"
HR=$(fpr_of "$H" hr@signet.test)
RT=$(fpr_of "$H" rt@signet.test)
[[ -n $HR && -n $RT ]] || fail "the keys are not set up"

try_sign() { # FPR FILE [gpg options...]: 0 if signed; gpg's stderr in FILE.err
	local fpr=$1 f=$2
	shift 2
	GNUPGHOME=$H gpg --batch --yes --no-tty -u "$fpr" "$@" --detach-sign -o "$f.sig" "$f" 2>"$f.err"
}
why_has() { # CODE
	signet --home "$SIGNET_HOME" why >"$W/why.out" 2>&1
	grep -q "$1" "$W/why.out" || { cat "$W/why.out"; fail "signet why does not name $1"; }
}

# --- rate: 2 per minute for each requester; started first, checked last,
# so that its window slides while the hours are tested.
policy_set rt rate=2/minute
t_before=$(date +%s)
for i in 1 2; do
	echo "r$i" >"$W/r$i"
	try_sign "$RT" "$W/r$i" || { cat "$W/r$i.err"; fail "signature $i of 2/minute refused"; }
done
t_after=$(date +%s)
echo r3 >"$W/r3"
try_sign "$RT" "$W/r3" && fail "a third signature within the minute was made"
grep -q 'Resource temporarily unavailable' "$W/r3.err" || { cat "$W/r3.err"; fail "rate refusal is not EAGAIN"; }
why_has rate_limited
note "rate: third signature in the minute refused: $(grep -m1 'signing failed' "$W/r3.err")"
# The window is state, not memory: kill -9 and start again, still refused.
pid=$(cat "$SIGNET_HOME/run/policyd.pid")
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
signet --home "$SIGNET_HOME" start >/dev/null || fail "policyd did not start again"
try_sign "$RT" "$W/r3" && fail "the rate window was forgotten by a restart"
note "rate: still refused after kill -9 and restart"

# --- hours: a window that starts in two hours (Berlin time) refuses now,
# one around now (New York time) allows.
window() { # ZONE FROM_MIN TO_MIN: "HH:MM-HH:MM" relative to now in ZONE
	python3 - "$1" "$2" "$3" <<'PY'
import sys, datetime, zoneinfo
z = zoneinfo.ZoneInfo(sys.argv[1]); now = datetime.datetime.now(z)
f = lambda m: (now + datetime.timedelta(minutes=int(m))).strftime("%H:%M")
print(f"{f(sys.argv[2])}-{f(sys.argv[3])}")
PY
}
policy_set hr "hours=Mon-Sun $(window Europe/Berlin 120 180) Europe/Berlin"
echo h1 >"$W/h1"
try_sign "$HR" "$W/h1" && fail "signed outside the project's hours"
grep -q 'Not enabled' "$W/h1.err" || { cat "$W/h1.err"; fail "hours refusal is not 'Not enabled'"; }
why_has outside_hours
note "hours: refused outside Europe/Berlin $(window Europe/Berlin 120 180)"
policy_set hr "hours=Mon-Sun $(window America/New_York -60 60) America/New_York"
try_sign "$HR" "$W/h1" || { cat "$W/h1.err"; fail "refused inside the project's hours"; }
gpgv --keyring "$W/hr.gpg" "$W/h1.sig" "$W/h1" 2>/dev/null || fail "signature inside the hours bad"
# Today is not in the days: refused whatever the time.
today=$(TZ=America/New_York date +%a)
others=$(python3 -c "d=['Mon','Tue','Wed','Thu','Fri','Sat','Sun'];print(','.join(x for x in d if x!='$today'))")
policy_set hr "hours=$others 00:00-24:00 America/New_York"
try_sign "$HR" "$W/h1" && fail "signed on a day that is not in the hours"
note "hours: signed inside America/New_York $(window America/New_York -60 60); refused on days $others"
policy_set hr hours=

# --- hashes
policy_set hr hashes=sha512
echo x1 >"$W/x1"
try_sign "$HR" "$W/x1" --digest-algo SHA256 && fail "signed with a hash the project does not allow"
grep -q 'Invalid digest algorithm' "$W/x1.err" || { cat "$W/x1.err"; fail "hash refusal text"; }
why_has hash_not_allowed
try_sign "$HR" "$W/x1" --digest-algo SHA512 || { cat "$W/x1.err"; fail "sha512 refused"; }
note "hashes: sha256 refused, sha512 signed"

# --- back to the rate: once a minute has passed since the first two, one
# more fits (the window slides, nothing resets it).
# Both were made at or after T_BEFORE (whole seconds) and at or before
# T_AFTER + 1.
while (($(date +%s) < t_before + 59)); do
	try_sign "$RT" "$W/r3" 2>/dev/null && fail "the rate window let a signature through early"
	sleep 1
done
until (($(date +%s) >= t_after + 61)); do sleep 0.5; done
try_sign "$RT" "$W/r3" || { cat "$W/r3.err"; fail "the rate window did not slide"; }
note "rate: a minute later the window slid and one more was signed"

audit_check --has deny:denied:"$me":rt --has deny:denied:"$me":hr
grep '"event":"deny"' "$AUDIT" | has '"code":"rate_limited"' || fail "no rate_limited record"
grep '"event":"deny"' "$AUDIT" | has '"code":"outside_hours"' || fail "no outside_hours record"
grep '"event":"deny"' "$AUDIT" | has '"code":"hash_not_allowed"' || fail "no hash_not_allowed record"
