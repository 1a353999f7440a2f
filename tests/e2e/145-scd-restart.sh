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

# Each signature reached policyd once: no hidden retry behind the scenes.
audit_check --count sign=$n --has "sign:granted:$(id -un):rs"
