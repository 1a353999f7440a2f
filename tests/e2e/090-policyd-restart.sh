#!/bin/bash
# policyd killed and restarted between two signatures: the second works
# without restarting gpg-agent.  policyd not running: gpg fails fast.
. "$(dirname "$0")/lib.sh"
world_new
project_new rs rsa2048 "user:$(id -un)"
H=$W/g
gpghome_new "$H"
FPR=$(fpr_of "$H" rs@signet.test)
echo "log-file $H/agent.log" >>"$H/gpg-agent.conf"
gpgconf --homedir "$H" --reload gpg-agent
echo one >"$W/f1"
sign_detached "$(id -un)" "$H" "$FPR" "$W/f1"
agent_pid=$(GNUPGHOME=$H gpg-connect-agent --no-autostart 'GETINFO pid' /bye | sed -n 's/^D //p')
[[ -n $agent_pid ]] || fail "no agent pid"

pid=$(cat "$SIGNET_HOME/run/policyd.pid")
kill -9 "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "policyd survived kill -9"

echo two >"$W/f2"
t0=$(date +%s%N)
if GNUPGHOME=$H timeout 30 gpg --batch --yes --no-tty -u "$FPR" --detach-sign -o "$W/f2.sig" "$W/f2" 2>"$W/down.err"; then
	fail "signing succeeded with policyd down"
fi
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 5000)) || fail "gpg took ${ms} ms to fail with policyd down"
grep -q 'Connection refused' "$W/down.err" || { cat "$W/down.err"; fail "gpg error does not say 'Connection refused'"; }
grep -q 'signet-policyd' "$H/signet-scd.log" || fail "signet-scd.log does not explain the failure"
grep -q 'Connection refused' "$H/agent.log" || fail "the gpg-agent log does not say 'Connection refused'"
note "gpg-agent log: $(grep -m1 'Connection refused' "$H/agent.log" | cut -c1-100)"
note "signet-scd log: $(grep -m1 'cannot reach signet-policyd' "$H/signet-scd.log" | cut -c1-160)"
note "policyd down: gpg failed in ${ms} ms: $(grep -m1 'signing failed' "$W/down.err")"

signet --home "$SIGNET_HOME" start >/dev/null
sign_detached "$(id -un)" "$H" "$FPR" "$W/f2" || fail "signing after policyd restart"
gpgv --keyring "$W/rs.gpg" "$W/f2.sig" "$W/f2" 2>/dev/null || fail "signature after restart bad"
agent_pid2=$(GNUPGHOME=$H gpg-connect-agent --no-autostart 'GETINFO pid' /bye | sed -n 's/^D //p')
[[ $agent_pid == "$agent_pid2" ]] || fail "gpg-agent was restarted ($agent_pid -> $agent_pid2)"
note "signed again after restart, same gpg-agent ($agent_pid)"
audit_check --has-sig "$(sig_mpi "$W/f1.sig")" --has-sig "$(sig_mpi "$W/f2.sig")"
