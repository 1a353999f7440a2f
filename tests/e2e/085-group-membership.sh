#!/bin/bash
# 085-group-membership — issue 7 (2): group membership comes from the user
# database only, never from the gid a process runs with.  sg2-dave signs
# for project "rel" as a member of group sg2-release; sg2-erin runs admin
# commands as a member of sg2-admins.  Each keeps what a process can keep
# after being removed: a setgid-group copy of python3 made by the user, and
# an `sg` session opened while still a member (gpg-agent and signet-scd
# started inside it).  After gpasswd -d every path is refused — direct SIGN
# and RELOAD over the protocol, gpg signing through signet-scd — and every
# refusal is in the audit trail.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
for t in sg gpasswd python3; do command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 0; }; done
SESS=()
gone() {
	local p
	for p in "${SESS[@]}"; do kill "$p" 2>/dev/null; done
	for u in sg2-dave sg2-erin; do userdel "$u" 2>/dev/null; done
	groupdel sg2-release 2>/dev/null; groupdel sg2-admins 2>/dev/null; true
}
for u in sg2-dave sg2-erin; do user_new "$u"; done
for g in sg2-release sg2-admins; do getent group "$g" >/dev/null || groupadd "$g"; done
usermod -a -G sg2-release sg2-dave
usermod -a -G sg2-admins sg2-erin
trap 'world_cleanup; gone' EXIT
world_new --public-bin
trap 'world_cleanup; gone' EXIT
project_new rel rsa2048 group:sg2-release
CONF=$SIGNET_HOME/signet.conf
SOCK=$(sed -n 's/^socket *= *//p' "$CONF" | head -n1)
[[ -S $SOCK ]] || fail "no policyd socket in $CONF"
sed -i 's/^\[policyd\]$/[policyd]\nadmins = group:sg2-admins/' "$CONF"
cp "$TOOLS/pd-cmd.py" "$W/pd-cmd.py" && chmod 755 "$W/pd-cmd.py"
PDCMD=$W/pd-cmd.py
"$PDCMD" "$SOCK" RELOAD >/dev/null || fail "reload with admins = group:sg2-admins"
REL=$(getent group sg2-release | cut -d: -f3)
ADM=$(getent group sg2-admins | cut -d: -f3)
DIGEST=$(printf 'ab%.0s' {1..32})

for u in sg2-dave sg2-erin; do mkdir -p "$W/$u" && chown "$u" "$W/$u"; done
gpghome_new "$W/sg2-dave/g" --as sg2-dave --project rel
FPR=$(fpr_of "$W/sg2-dave/g" rel@signet.test)
[[ -n $FPR ]] || fail "dave has no rel key"
echo one >"$W/sg2-dave/f1" && echo two >"$W/sg2-dave/f2" && chown sg2-dave "$W/sg2-dave"/f*
sign_detached sg2-dave "$W/sg2-dave/g" "$FPR" "$W/sg2-dave/f1" || fail "dave (group member) could not sign"

# The users make their own setgid-group programs while still members.
as_user sg2-dave sh -c "cp /usr/bin/python3 $W/sg2-dave/py && chgrp sg2-release $W/sg2-dave/py && chmod 2755 $W/sg2-dave/py"
as_user sg2-erin sh -c "cp /usr/bin/python3 $W/sg2-erin/py && chgrp sg2-admins $W/sg2-erin/py && chmod 2755 $W/sg2-erin/py"
rc=0; as_user sg2-dave "$W/sg2-dave/py" "$PDCMD" --want-gid "$REL" "$SOCK" "SIGN --hash=sha256 rel $DIGEST" >"$W/pre-dave.out" 2>&1 || rc=$?
((rc != 3)) || { echo "SKIP: setgid programs do not run setgid here ($(findmnt -no OPTIONS -T "$W"))"; exit 0; }
((rc == 0)) || { cat "$W/pre-dave.out"; fail "dave's setgid program could not sign while a member"; }
as_user sg2-erin "$W/sg2-erin/py" "$PDCMD" --want-gid "$ADM" "$SOCK" RELOAD >"$W/pre-erin.out" 2>&1 ||
	{ cat "$W/pre-erin.out"; fail "erin's setgid program could not RELOAD while an admin"; }
note "as members: setgid SIGN and RELOAD granted"

# sg sessions opened while members.  Dave's starts a fresh gpg-agent (and so
# signet-scd) inside the session, after the removal.
gpgconf --homedir "$W/sg2-dave/g" --kill all
cat >"$W/dave-sg.sh" <<SH
touch $W/sg2-dave/in-group
python3 $PDCMD --want-gid $REL --wait $W/go $SOCK "SIGN --hash=sha256 rel $DIGEST" >$W/sg2-dave/dave-sg.out 2>&1
echo \$? >$W/sg2-dave/dave-sg.rc
GNUPGHOME=$W/sg2-dave/g gpg --batch --yes --no-tty -u "$FPR" --detach-sign -o $W/sg2-dave/f2.sig $W/sg2-dave/f2 2>$W/sg2-dave/dave-gpg.err
echo \$? >$W/sg2-dave/dave-gpg.rc
SH
cat >"$W/erin-sg.sh" <<SH
touch $W/sg2-erin/in-group
python3 $PDCMD --want-gid $ADM --wait $W/go $SOCK RELOAD >$W/sg2-erin/erin-sg.out 2>&1
echo \$? >$W/sg2-erin/erin-sg.rc
SH
chmod 644 "$W"/*-sg.sh
# Debian 13's sg (util-linux's, where Debian 12's was shadow's) runs -c
# through the user's login shell: a shell, not nologin, for these two.
usermod -s /bin/sh sg2-dave
usermod -s /bin/sh sg2-erin
runuser -u sg2-dave -- sg sg2-release -c "sh $W/dave-sg.sh" & SESS+=($!)
runuser -u sg2-erin -- sg sg2-admins -c "sh $W/erin-sg.sh" & SESS+=($!)

# sg checks membership when it starts: remove them only once both are in.
for i in $(seq 600); do
	[[ -e $W/sg2-dave/in-group && -e $W/sg2-erin/in-group ]] && break
	sleep 0.05
done
[[ -e $W/sg2-dave/in-group && -e $W/sg2-erin/in-group ]] || fail "the sg sessions did not start"
gpasswd -d sg2-dave sg2-release >/dev/null
gpasswd -d sg2-erin sg2-admins >/dev/null
touch "$W/go"
for p in "${SESS[@]}"; do wait "$p" || true; done
SESS=()

# The sg sessions really ran with the group (else exit 3), and were refused.
[[ $(cat "$W/sg2-dave/dave-sg.rc") == 1 ]] || { cat "$W/sg2-dave/dave-sg.out"; fail "dave's sg session: SIGN not refused"; }
grep -q 'not a signer of project rel' "$W/sg2-dave/dave-sg.out" || { cat "$W/sg2-dave/dave-sg.out"; fail "dave's sg refusal does not say why"; }
[[ $(cat "$W/sg2-dave/dave-gpg.rc") != 0 ]] || fail "dave signed with gpg from an sg session after removal"
# The card lists only keys policyd lets dave use (KEYLIST), so his old stub
# finds no key: gpg stops before any signature is asked for.  gpg-agent
# 2.2 then says "No secret key"; 2.4 asks (pinentry) for the card holding
# the key to be inserted, which fails here, without a terminal, as
# "Inappropriate ioctl for device".
grep -Eq 'No policy match|No secret key|Inappropriate ioctl for device' "$W/sg2-dave/dave-gpg.err" ||
	{ cat "$W/sg2-dave/dave-gpg.err"; fail "dave's gpg error is not 'No policy match', 'No secret key' (2.2) or the card prompt failing (2.4)"; }
[[ ! -s $W/sg2-dave/f2.sig ]] || fail "a signature file was written"
[[ $(cat "$W/sg2-erin/erin-sg.rc") == 1 ]] || { cat "$W/sg2-erin/erin-sg.out"; fail "erin's sg session: RELOAD not refused"; }
grep -q 'RELOAD is an admin command' "$W/sg2-erin/erin-sg.out" || { cat "$W/sg2-erin/erin-sg.out"; fail "erin's refusal does not say why"; }
note "sg sessions refused: $(cat "$W/sg2-dave/dave-sg.out") / $(grep -m1 'signing failed' "$W/sg2-dave/dave-gpg.err")"

# The setgid programs still run with the group, and are refused.
expect 1 as_user sg2-dave "$W/sg2-dave/py" "$PDCMD" --want-gid "$REL" "$SOCK" "SIGN --hash=sha256 rel $DIGEST"
grep -q 'not a signer of project rel' "$W/out" || fail "dave's setgid refusal does not say why: $(cat "$W/out")"
expect 1 as_user sg2-erin "$W/sg2-erin/py" "$PDCMD" --want-gid "$ADM" "$SOCK" RELOAD
grep -q 'RELOAD is an admin command' "$W/out" || fail "erin's setgid refusal does not say why: $(cat "$W/out")"
expect 1 as_user sg2-erin "$W/sg2-erin/py" "$PDCMD" --want-gid "$ADM" "$SOCK" "KEYGEN --algo=rsa2048 erinkey"
note "setgid programs refused: $(cat "$W/out")"

audit_check --has sign:granted:sg2-dave:rel --has deny:denied:sg2-dave:rel --has deny:denied:sg2-erin
# Refusals of one user in one second share a record with a count.
refused() { # USER
	python3 -c 'import json,sys
print(sum(r.get("count", 1) for r in map(json.loads, open(sys.argv[1]))
          if r.get("event") == "deny" and r.get("user") == sys.argv[2]))' "$AUDIT" "$1"
}
# A count held back is written within about two seconds: wait for it.
for i in $(seq 200); do
	(($(refused sg2-dave) >= 2 && $(refused sg2-erin) >= 3)) && break
	sleep 0.05
done
n=$(refused sg2-dave)
((n >= 2)) || fail "expected 2 audited refusals for dave (sg SIGN, setgid SIGN), found $n"
n=$(refused sg2-erin)
((n >= 3)) || fail "expected 3 audited admin refusals for erin (sg RELOAD, setgid RELOAD, KEYGEN), found $n"
note "refusals audited"
