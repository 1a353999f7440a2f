#!/bin/bash
. "$(dirname "$0")/lib.sh"
for u in sm-bob sm-carol; do user_new $u; done
trap 'world_cleanup; userdel sm-bob; userdel sm-carol' EXIT
world_new --public-bin
trap 'world_cleanup; userdel sm-bob; userdel sm-carol' EXIT
me=$(id -un)
project_new gr rsa2048 "user:$me"
H=$W/g; gpghome_new "$H"; FPR=$(fpr_of "$H" gr@signet.test)
set_policy() {
	local prj=$1; shift
	python3 - "$SIGNET_HOME/signet.conf" "$prj" "$@" <<'PY'
import sys,re
path,prj,kvs=sys.argv[1],sys.argv[2],sys.argv[3:]
lines=open(path).read().split("\n")
out=[];sec=None
start=[i for i,l in enumerate(lines) if l.strip()=="[project %s]"%prj][0]
end=start+1
while end<len(lines) and not lines[end].startswith("["): end+=1
body=lines[start+1:end]
for kv in kvs:
    k,v=kv.split("=",1)
    body=[l for l in body if not l.startswith(k+" =")]
    if v: body.insert(len([x for x in body if x.strip()]), "%s = %s"%(k,v))
lines=lines[:start+1]+body+lines[end:]
open(path,"w").write("\n".join(lines))
PY
	n=$(grep -c 'reloaded' "$SIGNET_HOME/run/policyd.log")
	kill -HUP "$(cat "$SIGNET_HOME/run/policyd.pid")"
	for _ in $(seq 100); do (( $(grep -c 'reloaded\|reload failed\|not reloaded' "$SIGNET_HOME/run/policyd.log") > n )) && break; sleep 0.1; done
	tail -n 2 "$SIGNET_HOME/run/policyd.log"
}
set +e
set_policy gr "approvers=user:sm-bob user:sm-carol" approvals=2 approval_wait=0
S() { as_user "$1" env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" "${@:2}"; }
echo a >"$W/a"
GNUPGHOME=$H gpg --batch --yes -u $FPR --detach-sign -o $W/a.sig $W/a 2>&1 | tail -1
S root why
id=$(S root request --project gr --count 2 --reason "release 1.0" | head -n1); echo "id=$id"
S root approve $id; echo "self approve rc=$?"
S sm-bob pending
S sm-bob approve $id --comment "ok"; S sm-bob approve $id
S sm-carol show $id --json; echo
S sm-carol approve $id
S root grants
for i in 1 2 3; do GNUPGHOME=$H gpg --batch --yes -u $FPR --detach-sign -o $W/a.sig $W/a 2>&1 | tail -1; echo "sign $i rc=$?"; done
S root why
set_policy gr approval_wait=30s
GNUPGHOME=$H gpg --batch --yes -u $FPR --detach-sign -o $W/b.sig $W/a 2>$W/b.err & gp=$!
for _ in $(seq 50); do S sm-bob pending --json | grep -q '"kind":"sign"' && break; sleep 0.2; done
S root status
wid=$(S sm-bob pending --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
S sm-bob approve $wid; S sm-carol approve $wid
wait $gp; echo "waiting sign rc=$?"; cat $W/b.err
gpgv --keyring $W/gr.gpg $W/b.sig $W/a 2>&1 | tail -1
GNUPGHOME=$H gpg --batch --yes -u $FPR --detach-sign -o $W/c.sig $W/a 2>$W/c.err & gp=$!
for _ in $(seq 50); do S sm-bob pending --json | grep -q '"kind":"sign"' && break; sleep 0.2; done
wid=$(S sm-bob pending --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
t0=$(date +%s%N); S sm-carol deny $wid --reason "not today"; wait $gp; echo "denied rc=$? in $((($(date +%s%N)-t0)/1000000)) ms"; cat $W/c.err
tail -n 12 $AUDIT | cut -c1-250
