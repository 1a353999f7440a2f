#!/bin/bash
# The audit key signs checkpoints and nothing else (doc/audit-format.md
# §9.2), whatever the configuration says: an admin who points a project's
# key URI at the token object "#signet-audit" (percent-encoded, as RFC
# 7512 wants the '#') gets the reload refused, naming the audit key, and
# the running configuration stays; a restart with that file refuses to
# start; the audit key, its verifier key and the trail are unchanged.
# (By CKA_ID: tests/unit/test_auditkey.c, where the key's id is known.)
. "$(dirname "$0")/lib.sh"
world_new
ME=$(id -un)
project_new rel ed25519 "user:$ME"
CONF=$SIGNET_HOME/signet.conf
SOCK=$(awk -F' *= *' '$1 == "socket" { print $2 }' "$CONF")
VKEY=$(cat "$AUDIT.vkey") || fail "no verifier key"

cp "$CONF" "$W/conf.good"
cat >>"$CONF" <<CONF

[project thief]
key = pkcs11:token=signet;object=%23signet-audit
algo = ed25519
uid = Thief <thief@signet.test>
cert = $SIGNET_HOME/certs/thief.pgp
created = $(date +%s)
signers = user:$ME
CONF
REFUSAL="audit key (label #signet-audit), which signs audit checkpoints only"
ans=$(python3 "$TOOLS/pd-hammer.py" "$SOCK" 0 RELOAD)
[[ $ans == ERR* ]] || fail "RELOAD with a project on the audit key: $ans"
has -F "$REFUSAL" "$SIGNET_HOME/run/policyd.log" ||
	{ tail -n 5 "$SIGNET_HOME/run/policyd.log"; fail "the refusal does not name the audit key"; }
audit_check --has config:error:root
# The old configuration is in force: rel still lists, thief never did.
ans=$(python3 "$TOOLS/pd-hammer.py" "$SOCK" 0 "CERT thief")
[[ $ans == ERR* ]] || fail "project thief exists: $ans"
note "RELOAD with a project keyed on #signet-audit: refused, naming the audit key; old configuration kept"

signet --home "$SIGNET_HOME" stop >/dev/null
signet --home "$SIGNET_HOME" start >"$W/start-bad.out" 2>&1 && fail "policyd started with a project on the audit key"
has -F "$REFUSAL" "$W/start-bad.out" ||
	{ cat "$W/start-bad.out"; fail "start: the refusal does not name the audit key"; }
cp "$W/conf.good" "$CONF"
signet --home "$SIGNET_HOME" start >"$W/start2.out" 2>&1 || { cat "$W/start2.out"; fail "signet start"; }
[[ $(cat "$AUDIT.vkey") == "$VKEY" ]] || fail "the audit key changed"
signet --home "$SIGNET_HOME" audit verify >"$W/verify.out" 2>&1 || { cat "$W/verify.out"; fail "audit verify"; }
note "start with it refused too; afterwards the same audit key, and the trail verifies"
