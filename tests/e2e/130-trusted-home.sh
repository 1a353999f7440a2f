#!/bin/bash
# 130-trusted-home — issue 7 (5): a home, its configuration and what that
# names are trusted only when owned by root (or the user running Signet)
# and writable by no one else, as OpenSSH's StrictModes.  Written as the
# attacks of a local user, sg3-mal:
#   A. a home or signet.conf mallory can write (group-writable, or owned by
#      her) is refused, the message naming the file: signet-policyd
#      (--check-config and a real start), signet start, signet setup (root
#      and another signer); a PKCS#11 module of hers is refused; signet init
#      of a new home in a checkout she owns is refused.
#   B. root running `cd /tmp && signet start` next to her /tmp/var
#      (signet.conf naming her module, which would leave a marker if ever
#      loaded) does not load it: the default home is a fixed place.
#   C. the runtime folder for a long home's socket cannot be squatted: her
#      /tmp/signet-0 is not used; when she re-makes the recorded folder
#      after it was removed, signet start and signet setup refuse it and
#      name her.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
MAL=sg3-mal
PLANTED=()
gone() {
	local p
	for p in "${PLANTED[@]}"; do rm -rf "$p"; done
	[[ -n ${LONG:-} && -d ${LONG:-/nonexistent} ]] && signet --home "$LONG" stop >/dev/null 2>&1
	userdel "$MAL" 2>/dev/null; userdel sg3-bob 2>/dev/null; true
}
user_new "$MAL"
user_new sg3-bob
trap 'world_cleanup; gone' EXIT
world_new --public-bin
trap 'world_cleanup; gone' EXIT
project_new th rsa2048 user:sg3-bob
CONF=$SIGNET_HOME/signet.conf
mkdir -m 700 "$W/bob" && chown sg3-bob "$W/bob"

# Refused with a message naming FILE (and WHY), as the output of CMD.
refused() { # FILE WHY CMD...
	local file=$1 why=$2 rc=0
	shift 2
	"$@" >"$W/out" 2>&1 || rc=$?
	((rc != 0)) || { cat "$W/out"; fail "'$*' accepted $file ($why)"; }
	grep -qF "$file: $why" "$W/out" || { cat "$W/out"; fail "'$*' does not say '$file: $why'"; }
}

note "A. a home or configuration another user can write"
signet --home "$SIGNET_HOME" stop >/dev/null
chgrp "$MAL" "$CONF" && chmod g+w "$CONF"
refused "$CONF" "writable by group $MAL" signet-policyd --config "$CONF" --check-config
refused "$CONF" "writable by group $MAL" timeout 20 signet-policyd --config "$CONF"
refused "$CONF" "writable by group $MAL" signet --home "$SIGNET_HOME" start
note "group-writable signet.conf: $(head -n1 "$W/out")"
refused "$CONF" "writable by group $MAL" signet --home "$SIGNET_HOME" setup --gnupghome "$W/g-root" --project th
refused "$CONF" "writable by group $MAL" as_user sg3-bob env SIGNET_HOME="$SIGNET_HOME" \
	"$SIGNET_BIN/signet" setup --gnupghome "$W/bob/g" --project th
chgrp root "$CONF" && chmod g-w "$CONF"
chown "$MAL" "$SIGNET_HOME"
refused "$SIGNET_HOME" "owned by $MAL" signet --home "$SIGNET_HOME" start
refused "$SIGNET_HOME" "owned by $MAL" as_user sg3-bob env SIGNET_HOME="$SIGNET_HOME" \
	"$SIGNET_BIN/signet" setup --gnupghome "$W/bob/g" --project th
refused "$SIGNET_HOME" "owned by $MAL" signet-policyd --config "$CONF" --check-config
note "home owned by another user: $(head -n1 "$W/out")"
chown root "$SIGNET_HOME"
# Her copy of the module, named by an otherwise good configuration.
mkdir -m 755 "$W/mal" && chown "$MAL" "$W/mal"
MODULE=$(sed -n 's/^module *= *//p' "$CONF")
as_user "$MAL" cp "$MODULE" "$W/mal/p11.so"
sed "s|^module *=.*|module = $W/mal/p11.so|" "$CONF" >"$W/evil.conf"
refused "$W/mal/p11.so" "owned by $MAL" signet-policyd --config "$W/evil.conf" --check-config
grep -q '\[hsm\] module' "$W/out" || { cat "$W/out"; fail "the refusal does not name [hsm] module"; }
note "module in her folder: $(head -n1 "$W/out")"
# A socket in a folder she made in /tmp: setup will not point signet-scd at
# it, even when named outright.
SQ=/tmp/sg3-mal-sock.$$
PLANTED+=("$SQ")
as_user "$MAL" mkdir -m 755 "$SQ"
refused "$SQ" "owned by $MAL" signet setup --socket "$SQ/policyd.sock" --gnupghome "$W/g-sock"
# A checkout in her folder, `make demo` style (--home var/demo, made new).
mkdir -m 755 "$W/mal/checkout" && chown "$MAL" "$W/mal/checkout"
refused "$W/mal/checkout" "owned by $MAL" sh -c "cd $W/mal/checkout && signet --home var/demo init"
[[ ! -e $W/mal/checkout/var ]] || fail "init made a home in her checkout"
note "checkout in her folder: $(head -n1 "$W/out")"
signet --home "$SIGNET_HOME" start >"$W/start.out" || { cat "$W/start.out"; fail "start after the fix"; }
gpghome_new "$W/bob/g" --as sg3-bob --project th
note "fixed: start and bob's setup work again"
# The SO PIN is needed only for --init-token: an admin may remove it.
mv "$SIGNET_HOME/secrets/so-pin" "$W/so-pin.saved"
expect 0 signet-policyd --config "$CONF" --check-config
mv "$W/so-pin.saved" "$SIGNET_HOME/secrets/so-pin"

note "B. root in /tmp does not load /tmp/var"
if [[ -e /tmp/var || -e /var/lib/signet ]]; then
	note "SKIP part B: /tmp/var or /var/lib/signet exists on this machine"
else
	PLANTED+=(/tmp/var)
	as_user "$MAL" mkdir -m 755 /tmp/var
	MARK=$W/pwned
	if command -v cc >/dev/null; then
		printf '#include <fcntl.h>\n__attribute__((constructor)) static void f(void) { creat("%s", 0644); }\n' \
			"$MARK" >"$W/evil.c"
		cc -shared -fPIC -o "$W/evil.so" "$W/evil.c"
		as_user "$MAL" cp "$W/evil.so" /tmp/var/evil.so
	fi
	sed "s|^module *=.*|module = /tmp/var/evil.so|" "$CONF" >"$W/planted.conf"
	as_user "$MAL" cp "$W/planted.conf" /tmp/var/signet.conf
	rc=0
	(cd /tmp && env -u SIGNET_HOME "$SIGNET_BIN/signet" start) >"$W/out" 2>&1 || rc=$?
	((rc != 0)) || { cat "$W/out"; fail "signet start in /tmp succeeded"; }
	grep -q '/var/lib/signet' "$W/out" || { cat "$W/out"; fail "signet start did not use the fixed home"; }
	! grep -q '/tmp/var' "$W/out" || { cat "$W/out"; fail "signet start looked at /tmp/var"; }
	[[ ! -e $MARK ]] || fail "her module was loaded"
	note "cd /tmp && signet start: $(head -n1 "$W/out")"
	# A signer's setup there neither: /etc/signet or /var/lib/signet only.
	rc=0
	(cd /tmp && env -u SIGNET_HOME "$SIGNET_BIN/signet" setup --gnupghome "$W/g-tmp") >"$W/out" 2>&1 || rc=$?
	((rc != 0)) || { cat "$W/out"; fail "signet setup in /tmp succeeded"; }
	grep -Eq '/etc/signet|/var/lib/signet' "$W/out" || { cat "$W/out"; fail "setup did not use a fixed home"; }
	! grep -q '/tmp/var' "$W/out" || { cat "$W/out"; fail "signet setup looked at /tmp/var"; }
	# Even named outright, her home is refused before anything is loaded.
	refused /tmp/var "owned by $MAL" signet --home /tmp/var start
	note "signet --home /tmp/var start: $(head -n1 "$W/out")"
	refused /tmp/var/signet.conf "owned by $MAL" signet-policyd --config /tmp/var/signet.conf --check-config
	[[ ! -e $MARK ]] || fail "her module was loaded"
fi

note "C. the runtime folder of a long home"
for d in /tmp/signet-0 /tmp/signet-0-AAAAAA; do
	if [[ ! -e $d ]]; then as_user "$MAL" mkdir -m 777 "$d"; PLANTED+=("$d"); fi
done
LONG=$W/$(printf 'l%.0s' {1..60})/$(printf 'm%.0s' {1..40})/home
mkdir -p "$(dirname "$LONG")"
signet --home "$LONG" init >"$W/long-init.out" 2>&1 || { cat "$W/long-init.out"; fail "init of a long home"; }
SOCK=$(sed -n 's/^socket *= *//p' "$LONG/signet.conf")
RUNDIR=$(dirname "$SOCK")
[[ $RUNDIR == /tmp/signet-0-* && $RUNDIR != /tmp/signet-0-AAAAAA ]] || fail "unexpected runtime folder $RUNDIR"
[[ $(stat -c %U:%a "$RUNDIR") == root:755 ]] || fail "runtime folder $RUNDIR is $(stat -c %U:%a "$RUNDIR")"
PLANTED+=("$RUNDIR")
signet --home "$LONG" start >"$W/long-start.out" 2>&1 || { cat "$W/long-start.out"; fail "start of a long home"; }
[[ -S $SOCK ]] || fail "no socket at $SOCK"
signet --home "$LONG" stop >/dev/null
note "recorded runtime folder: $RUNDIR (hers, /tmp/signet-0, untouched)"
# After a reboot-style clean-up she makes the recorded folder first.
rm -rf "$RUNDIR"
as_user "$MAL" mkdir -m 755 "$RUNDIR"
refused "$RUNDIR" "owned by $MAL" signet --home "$LONG" start
note "squatted: $(head -n1 "$W/out")"
refused "$RUNDIR" "owned by $MAL" signet --home "$LONG" setup --gnupghome "$W/g-long"
refused "$RUNDIR" "owned by $MAL" signet-policyd --config "$LONG/signet.conf"
[[ ! -e $SOCK ]] || fail "a socket was made in her folder"
rm -rf "$RUNDIR"
signet --home "$LONG" start >"$W/long-start.out" 2>&1 || { cat "$W/long-start.out"; fail "start once the folder is gone"; }
[[ $(stat -c %U "$RUNDIR") == root ]] || fail "the re-made runtime folder is not root's"
signet --home "$LONG" stop >/dev/null
note "re-made by signet start when missing"
