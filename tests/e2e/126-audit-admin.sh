#!/bin/bash
# What changes or probes the policy is in the audit trail: a non-admin's
# RELOAD, KEYGEN and MKCERT (refused and audited), the configuration in
# force at start, on RELOAD and on SIGHUP with the SHA-256 of the file's
# bytes and who did it, project creation and a signer change, and a
# `signet setup` refused because the user may not sign with the project.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
user_new sg-eve
world_new --public-bin
CONF=$SIGNET_HOME/signet.conf
SOCK=$(awk -F' *= *' '$1 == "socket" { print $2 }' "$CONF")
audit_check --has-field "config:digest=$(sha256sum <"$CONF" | cut -d' ' -f1)"
note "start: the configuration's SHA-256 is in the trail"

project_new acme rsa2048 user:root
audit_check --has-field "config:reason=project added: key $(sed -n 's/^key = //p' "$CONF"), signers user:root, hashes sha256 sha384 sha512" \
	--has-field "config:digest=$(sha256sum <"$CONF" | cut -d' ' -f1)" --has-field "config:user=root"
note "project creation audited with the new configuration's hash"

# Eve is neither admin nor signer.
as_eve() { runuser -u sg-eve -- python3 "$TOOLS/pd-hammer.py" "$SOCK" 0 "$1"; }
for cmd in RELOAD "KEYGEN --algo=rsa2048 evekey" "MKCERT acme"; do
	ans=$(as_eve "$cmd")
	[[ $ans == ERR* ]] || fail "eve's $cmd: $ans"
	audit_check --has-field "deny:reason=${cmd%% *} is an admin command and user sg-eve is not an admin (add it to [policyd] admins)" >/dev/null
done
audit_check --has deny:denied:sg-eve
note "eve's RELOAD, KEYGEN and MKCERT refused and audited"

mkdir -m 700 "$W/eve" && chown sg-eve "$W/eve"
if runuser -u sg-eve -- env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" setup --gnupghome "$W/eve/g" \
	--project acme >"$W/eve.out" 2>&1; then
	cat "$W/eve.out"; fail "setup for a non-signer succeeded"
fi
grep -q 'not a signer of project acme' "$W/eve.out" || { cat "$W/eve.out"; fail "eve's setup error: $(cat "$W/eve.out")"; }
audit_check --has deny:denied:sg-eve:acme \
	--has-field "deny:reason=setup: user sg-eve is not a signer of project acme (signers: user:root)"
note "eve's setup refused and audited: $(head -n1 "$W/eve.out")"

# The admin adds eve by editing the file and sending SIGHUP.
sed -i 's/^signers = user:root$/signers = user:root user:sg-eve/' "$CONF"
grep -q 'user:sg-eve' "$CONF" || fail "could not edit the signers"
sha=$(sha256sum <"$CONF" | cut -d' ' -f1)
kill -HUP "$(cat "$SIGNET_HOME/run/policyd.pid")"
for _ in $(seq 50); do
	audit_check --has-field "config:digest=$sha" >/dev/null 2>&1 && break
	sleep 0.1
done
audit_check --has-field "config:digest=$sha" \
	--has-field "config:reason=signers changed from user:root to user:root user:sg-eve"
python3 - "$AUDIT" "$sha" <<'PY' || fail "the SIGHUP record does not name who sent it"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
r = [r for r in recs if r["event"] == "config" and r.get("digest") == sys.argv[2]]
assert r and "(SIGHUP" in r[0]["reason"] and r[0].get("user") == "root" and r[0].get("pid"), r
PY
note "SIGHUP: new hash, the signer change and its sender audited"

# A broken file: the reload is refused, the old configuration stays, and
# that is audited too.
echo 'this is not a key' >>"$CONF"
ans=$(python3 "$TOOLS/pd-hammer.py" "$SOCK" 0 RELOAD)
[[ $ans == ERR* ]] || fail "RELOAD of a broken file: $ans"
audit_check --has config:error:root
sed -i '$d' "$CONF"
runuser -u sg-eve -- env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" setup --gnupghome "$W/eve/g" \
	--project acme >"$W/eve2.out" 2>&1 || { cat "$W/eve2.out"; fail "eve (now a signer) could not set up"; }
audit_check
note "a refused reload is audited; eve, now a signer, sets up"
