#!/bin/bash
# Restarting the card daemon is invisible to the signer: right after each
# way a user restarts or resets it (gpgconf --kill scdaemon, SCD RESTART,
# SCD KILLSCD through gpg-agent, gpgconf --reload gpg-agent) the very next
# gpg --detach-sign succeeds at once and verifies — no retry.  Under
# gpg-agent 2.2, which notices a dead scdaemon only on its 4-second tick,
# this holds because signet-scd restarts in place (signet-scd(1),
# "Restarting"); gpg-agent 2.4 reaps it at once and starts a new one.
# Where the step restarts the daemon, the log shows a new start, so the
# test cannot pass by ignoring the request.
. "$(dirname "$0")/lib.sh"
world_new
project_new rs rsa2048 "user:$(id -un)"
H=$W/g
gpghome_new "$H"
FPR=$(fpr_of "$H" rs@signet.test)
[[ -n $FPR ]] || fail "no key for rs in $H"
note "gpg-agent $(gpg-agent --version | head -n1 | awk '{print $3}')"

starts() { grep -c 'starting (home' "$H/signet-scd.log" 2>/dev/null || true; }

n=0
sign_now() { # WHAT
	n=$((n + 1))
	echo "payload $n $1" >"$W/p$n"
	GNUPGHOME=$H gpg --batch --yes --no-tty -u "$FPR" --detach-sign -o "$W/p$n.sig" "$W/p$n" \
		2>"$W/sign$n.err" || { cat "$W/sign$n.err" >&2; fail "gpg --detach-sign right after $1"; }
	gpgv --keyring "$W/rs.gpg" "$W/p$n.sig" "$W/p$n" 2>"$W/gpgv$n.out" ||
		{ cat "$W/gpgv$n.out" >&2; fail "the signature made after $1 does not verify"; }
}

sign_now "the first start"
# Two sessions' worth of use, so that gpg-agent holds the pipe for reuse
# and knows the extra socket, as in daily work.
sign_now "a second signature"

step() { # RESTARTS WHAT CMD...
	local want=$1 what=$2 before after
	shift 2
	before=$(starts)
	GNUPGHOME=$H "$@" >"$W/step.out" 2>&1 || { cat "$W/step.out" >&2; fail "$what"; }
	sign_now "$what"
	after=$(starts)
	if ((want)) && ((after <= before)); then
		fail "$what: signet-scd did not start again (log shows $before then $after starts)"
	fi
	note "$what: the next signature made and verified at once"
}

step 1 "gpgconf --kill scdaemon" gpgconf --kill scdaemon
step 0 "SCD RESTART" gpg-connect-agent 'SCD RESTART' /bye
step 1 "SCD KILLSCD" gpg-connect-agent 'SCD KILLSCD' /bye
step 0 "gpgconf --reload gpg-agent" gpgconf --reload gpg-agent
# Twice in a row, and once more after a signature: a restarted daemon
# restarts again.
step 1 "a second gpgconf --kill scdaemon" gpgconf --kill scdaemon
step 1 "gpgconf --kill scdaemon right after another" gpgconf --kill scdaemon
sign_now "a settled restart"

# KILLSCD on the extra socket: while one gpg-agent session holds the pipe
# (its SCD SERIALNO keeps it until the session ends), another's SCD
# KILLSCD goes over the socket.  signet-scd restarts when the pipe is
# between two commands (at once here), and the held session's next
# command is answered by the new image as if nothing happened.
AGENT_SOCK=$(GNUPGHOME=$H gpgconf --list-dirs agent-socket)
python3 - "$AGENT_SOCK" "$W/hold" <<'PY' &
import os, socket, sys, time
sock, base = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
f = s.makefile("rwb", buffering=0)
def answer(cmd):
    if cmd:
        f.write(cmd.encode() + b"\n")
    while True:
        l = f.readline()
        if not l or l.startswith(b"OK") or l.startswith(b"ERR"):
            return l.decode().strip() or "EOF"
def put(name, text):
    with open(base + "." + name + ".tmp", "w") as o:
        o.write(text + "\n")
    os.rename(base + "." + name + ".tmp", base + "." + name)
answer(None)
put("held", answer("SCD SERIALNO"))
end = time.monotonic() + 60
while not os.path.exists(base + ".go") and time.monotonic() < end:
    time.sleep(0.05)
put("next", answer("SCD GETINFO version"))
answer("BYE")
PY
PIDS_HOLD=$!
wait_for "$W/hold.held" . 20 "the held session's SCD SERIALNO"
has '^OK' "$W/hold.held" || fail "SCD SERIALNO in the held session: $(cat "$W/hold.held")"
step 1 "SCD KILLSCD over the extra socket" gpg-connect-agent 'SCD KILLSCD' /bye
touch "$W/hold.go"
wait_for "$W/hold.next" . 20 "the held session's next command"
has '^OK' "$W/hold.next" || fail "the held session's command after the socket's KILLSCD: $(cat "$W/hold.next")"
wait "$PIDS_HOLD" || fail "the held session"
sign_now "the held session ended"

# Each signature reached policyd once: no hidden retry behind the scenes.
audit_check --count sign=$n --has "sign:granted:$(id -un):rs"
