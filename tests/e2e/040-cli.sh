#!/bin/bash
# The `signet` command line end to end: init (idempotent, files and modes,
# no PIN anywhere it should not be), start/stop, status with and without
# policyd, project create/export/list and their refusals, and setup of a
# fresh GnuPG home that then signs with gpg and verifies with gpgv.
#   SIGNET_BIN  folder with signet, signet-policyd, signet-scd (build/bin)
. "$(dirname "$0")/lib.sh"
SIGNET=$SIGNET_BIN/signet
MODULE=${SIGNET_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
unset GNUPGHOME SIGNET_HOME

W=$(mktemp -d /tmp/sgXXXXXX)
chmod 755 "$W"
H=$W/h
G=$W/g
cleanup() {
	local rc=$? pid
	set +e
	[[ -d $G ]] && gpgconf --homedir "$G" --kill all >/dev/null 2>&1
	if [[ -f $H/run/policyd.pid ]]; then
		pid=$(cat "$H/run/policyd.pid")
		if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid"
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		fi
	fi
	if ((rc != 0)); then
		echo "---- policyd log (tail)"; tail -n 30 "$H/run/policyd.log" 2>/dev/null
		[[ -f $G/signet-scd.log ]] && { echo "---- signet-scd log (tail)"; tail -n 20 "$G/signet-scd.log"; }
	fi
	[[ -n ${KEEP_WORLD:-} ]] || rm -rf "$W"
	return $rc
}
trap cleanup EXIT

mode() { stat -c %a "$1"; }

# ---- usage and exit codes
expect 2 "$SIGNET"
expect 2 "$SIGNET" frobnicate
expect 0 "$SIGNET" --help
grep -q 'project' "$W/out" || fail "--help does not list the commands"
expect 2 "$SIGNET" --home "$H" project create
expect 1 "$SIGNET" --home "$H" status
grep -q "no Signet home at $H (run \`signet init --home $H\` first)" "$W/err" || fail "status before init: $(cat "$W/err")"
note "usage errors exit 2, a missing home is explained"

# ---- init, twice
expect 0 "$SIGNET" --home "$H" init
[[ $(mode "$H") == 755 && $(mode "$H/secrets") == 700 && $(mode "$H/secrets/user-pin") == 600 &&
	$(mode "$H/secrets/so-pin") == 600 && $(mode "$H/audit") == 750 && $(mode "$H/run") == 755 &&
	$(mode "$H/certs") == 755 && $(mode "$H/signet.conf") == 644 ]] ||
	fail "modes: $(stat -c '%a %n' "$H" "$H"/* "$H"/secrets/*)"
PIN=$(cat "$H/secrets/user-pin")
SOPIN=$(cat "$H/secrets/so-pin")
[[ $PIN =~ ^[0-9A-Za-z]{16}$ && $SOPIN =~ ^[0-9A-Za-z]{16}$ && $PIN != "$SOPIN" ]] || fail "PIN files are not 16 random characters"
grep -q "^directories.tokendir = $H/tokens$" "$H/softhsm2.conf" || fail "softhsm2.conf tokendir"
grep -q '^objectstore.backend = file$' "$H/softhsm2.conf" || fail "softhsm2.conf backend"
grep -Eq '^instance = [0-9A-F]{8}$' "$H/signet.conf" || fail "no instance in signet.conf"
grep -q "^socket = $H/run/policyd.sock$" "$H/signet.conf" || fail "socket path in signet.conf"
grep -q "^pin_file = $H/secrets/user-pin$" "$H/signet.conf" || fail "pin_file in signet.conf"
grep -qF -e "$PIN" -e "$SOPIN" "$W/out" "$W/err" && fail "init printed a PIN"
sums() { md5sum "$H/secrets/user-pin" "$H/secrets/so-pin" "$H/signet.conf" "$H/softhsm2.conf"; }
before=$(sums)
expect 0 "$SIGNET" --home "$H" init
[[ $(sums) == "$before" ]] || fail "second init changed PINs or configuration"
grep -q 'already initialised; nothing changed' "$W/out" || fail "second init does not say it changed nothing"
note "init: modes right, PINs random and never printed, second run changes nothing"

# ---- status without policyd, start, start again, stop, start
expect 1 "$SIGNET" --home "$H" status
grep -q "signet-policyd is not running at $H/run/policyd.sock; start it with \`signet --home $H start\`" "$W/err" ||
	fail "status without policyd: $(cat "$W/err")"
grep -q "from $H/signet.conf" "$W/out" || fail "status does not say where the socket came from"
expect 0 "$SIGNET" --home "$H" start
PID=$(cat "$H/run/policyd.pid")
alive "$PID" || fail "policyd pid $PID not alive"
expect 0 "$SIGNET" --home "$H" start
grep -q 'already running' "$W/out" || fail "second start: $(cat "$W/out")"
[[ $(cat "$H/run/policyd.pid") == "$PID" ]] || fail "second start replaced the daemon"
expect 0 "$SIGNET" --home "$H" status
grep -q 'running, version' "$W/out" || fail "status with policyd: $(cat "$W/out")"
expect 0 "$SIGNET" --home "$H" stop
alive "$PID" && fail "policyd $PID still alive after stop"
[[ -e $H/run/policyd.pid ]] && fail "pid file left after stop"
expect 0 "$SIGNET" --home "$H" stop
grep -q 'not running' "$W/out" || fail "stop when stopped: $(cat "$W/out")"
expect 0 "$SIGNET" --home "$H" start
PID=$(cat "$H/run/policyd.pid")
# (matched in bash: a grep would carry the PIN on its own command line)
cmdlines=$(ps -eo args)
[[ $cmdlines == *"$PIN"* || $cmdlines == *"$SOPIN"* ]] && fail "a PIN is on a command line"
note "start/stop/start; status with and without policyd"

# ---- project create, refusals
expect 0 "$SIGNET" --home "$H" project create rel --algo rsa2048 --uid 'Release Team <rel@signet.test>'
cat "$W/out"
grep -q 'no --signer given: user:' "$W/out" || fail "default signer not announced"
FPR=$(awk '/fingerprint/{print $2; exit}' "$W/out")
[[ $FPR =~ ^[0-9A-F]{40}$ ]] || fail "no fingerprint printed"
[[ -s $H/certs/rel.pgp ]] || fail "no certificate file"
grep -q '^\[project rel\]$' "$H/signet.conf" || fail "no [project rel] in signet.conf"
grep -q "^signers = user:$(id -un)$" "$H/signet.conf" || fail "default signer not in signet.conf"
conf_before=$(md5sum <"$H/signet.conf")
expect 1 "$SIGNET" --home "$H" project create rel --algo rsa2048 --uid 'X <x@signet.test>'
grep -q 'signet: create project rel: it already exists' "$W/err" || fail "duplicate create: $(cat "$W/err")"
expect 1 "$SIGNET" --home "$H" project create other --algo rsa1024 --uid 'X <x@signet.test>'
grep -q "check --algo 'rsa1024': unknown key algorithm; use rsa2048, rsa3072, rsa4096, p256, p384 or ed25519" "$W/err" ||
	fail "unknown algo: $(cat "$W/err")"
expect 1 "$SIGNET" --home "$H" project create 'bad/name' --algo rsa2048 --uid 'X <x@signet.test>'
# The TSA's key objects (signet-tsa, signet-tsa-ca) share the token.
for n in signet-tsa signet-tsa-ca signet-tsa-x; do
	expect 1 "$SIGNET" --home "$H" project create "$n" --algo rsa2048 --uid 'X <x@signet.test>'
	grep -q "check project name '$n': names signet-tsa and signet-tsa-\* are kept for the keys of the time-stamp authority" "$W/err" ||
		fail "project create $n: $(cat "$W/err")"
done
expect 1 "$SIGNET" --home "$H" project create other --algo rsa2048 --uid "$(printf 'X\001 <x@signet.test>')"
expect 1 "$SIGNET" --home "$H" project create other --algo rsa2048 --uid 'X <x@signet.test>' --signer nobody
expect 2 "$SIGNET" --home "$H" project create other --algo rsa2048
: >"$H/certs/stale.pgp.keys"
expect 1 "$SIGNET" --home "$H" project create stale --algo rsa2048 --uid 'X <x@signet.test>'
grep -q 'the key state of an old project' "$W/err" || fail "create over a stale key state: $(cat "$W/err")"
rm "$H/certs/stale.pgp.keys"
[[ $(md5sum <"$H/signet.conf") == "$conf_before" ]] || fail "a refused create changed signet.conf"
note "project created ($FPR); duplicate, bad algo, name, the TSA's key names, uid and signer refused"

# The key lives on the token, sensitive and never extractable.  (The PIN on
# pkcs11-tool's command line is the test's shortcut, never the product's.)
if command -v pkcs11-tool >/dev/null; then
	SOFTHSM2_CONF=$H/softhsm2.conf pkcs11-tool --module "$MODULE" --token-label signet --login \
		--pin "$PIN" --list-objects --type privkey >"$W/objs" 2>&1 || { cat "$W/objs"; fail "pkcs11-tool"; }
	# The primary (label rel) and the signing subkey (rel:sign:<created>).
	for l in 'rel$' 'rel:sign:[0-9]+$'; do
		grep -Eq "label: *$l" "$W/objs" || { cat "$W/objs"; fail "no private key '$l' on the token"; }
		grep -EA8 "label: *$l" "$W/objs" | grep 'Access:' | has 'sensitive' ||
			{ cat "$W/objs"; fail "key $l not sensitive"; }
		grep -EA8 "label: *$l" "$W/objs" | grep 'Access:' | has 'never extractable' ||
			{ cat "$W/objs"; fail "key $l extractable"; }
	done
	note "primary and signing subkey on the token: sensitive, never extractable"
else
	note "pkcs11-tool missing: token check skipped"
fi

# ---- export and list
expect 0 "$SIGNET" --home "$H" project export rel
cp "$W/out" "$W/rel.asc"
head -1 "$W/rel.asc" | has -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' || fail "export is not armored"
gpg --batch --with-colons --show-keys "$W/rel.asc" >"$W/show" 2>&1 || { cat "$W/show"; fail "gpg --show-keys"; }
[[ $(awk -F: '/^fpr/{print $10; exit}' "$W/show") == "$FPR" ]] || fail "exported fingerprint differs"
grep -q '^uid:.*Release Team <rel@signet.test>' "$W/show" || fail "exported uid wrong"
mkdir -m 700 "$W/imp"
gpg --homedir "$W/imp" --batch --import "$W/rel.asc" 2>"$W/imp.out" || { cat "$W/imp.out"; fail "gpg --import"; }
gpg --homedir "$W/imp" --batch --dearmor <"$W/rel.asc" >"$W/rel.gpg"
gpgconf --homedir "$W/imp" --kill all >/dev/null 2>&1 || true
expect 0 "$SIGNET" --home "$H" project list
grep -Eq "^rel +rsa2048 +$FPR +user:$(id -un)" "$W/out" || fail "project list: $(cat "$W/out")"
expect 0 "$SIGNET" --home "$H" status
grep -Eq "rel +rsa2048 +[0-9A-F]{40}" "$W/out" || fail "status does not list rel: $(cat "$W/out")"
grep -q "$FPR" "$W/out" && fail "status lists the primary key as a signing key: $(cat "$W/out")"
expect 0 "$SIGNET" --home "$H" stop
expect 0 "$SIGNET" --home "$H" project export rel
cmp -s "$W/out" "$W/rel.asc" || fail "export without policyd differs"
expect 0 "$SIGNET" --home "$H" start
note "export imports with the right uid and fingerprint (with and without policyd); list and status show it"

# ---- setup a fresh GnuPG home, sign, verify
expect 0 env SIGNET_HOME="$H" "$SIGNET" setup --gnupghome "$G"
cat "$W/out"
grep -qF "git config user.signingkey $FPR" "$W/out" || fail "setup: no git line"
grep -qF "export GNUPGHOME=$G" "$W/out" || fail "setup: no GNUPGHOME line"
[[ $(mode "$G") == 700 ]] || fail "GnuPG home mode $(mode "$G")"
grep -qx "scdaemon-program $SIGNET_BIN/signet-scd" "$G/gpg-agent.conf" || fail "gpg-agent.conf"
grep -qx "policyd_socket = $H/run/policyd.sock" "$G/signet-scd.conf" || fail "signet-scd.conf socket"
grep -Eqx 'serial = D27600012401[0-9A-F]{20}' "$G/signet-scd.conf" || fail "signet-scd.conf serial"
# The user's own lines stay.  (A real option: GnuPG 2.4's gpg-agent does
# not start with one it does not know.)
echo "default-cache-ttl 1234" >>"$G/gpg-agent.conf"
expect 0 env SIGNET_HOME="$H" "$SIGNET" setup --gnupghome "$G" --project rel
[[ $(grep -c '^scdaemon-program' "$G/gpg-agent.conf") == 1 ]] || fail "second setup duplicated scdaemon-program"
grep -qx 'default-cache-ttl 1234' "$G/gpg-agent.conf" || fail "setup dropped a line of gpg-agent.conf"
# An option gpg-agent does not know: 2.2 warns and starts, 2.3 and later
# refuse to start, and setup must then name the line rather than blame
# signet-scd.
echo "no-such-agent-option" >>"$G/gpg-agent.conf"
if gpg-agent --homedir "$G" --gpgconf-test >/dev/null 2>&1; then
	expect 0 env SIGNET_HOME="$H" "$SIGNET" setup --gnupghome "$G" --project rel
	note "gpg-agent $(gpg-agent --version | sed -n '1s/.* //p') accepts an unknown option in gpg-agent.conf; so does setup"
else
	expect 1 env SIGNET_HOME="$H" "$SIGNET" setup --gnupghome "$G" --project rel
	line=$(grep -n '^no-such-agent-option$' "$G/gpg-agent.conf" | cut -d: -f1)
	grep -q "gpg-agent.conf:$line: invalid option" "$W/err" || fail "setup with a bad gpg-agent.conf: $(cat "$W/err")"
	grep -q "gpg-agent refuses $G/gpg-agent.conf" "$W/err" || fail "setup with a bad gpg-agent.conf: $(cat "$W/err")"
	note "gpg-agent $(gpg-agent --version | sed -n '1s/.* //p') refuses an unknown option; setup names the line"
fi
sed -i '/^no-such-agent-option$/d' "$G/gpg-agent.conf"
expect 1 env SIGNET_HOME="$H" "$SIGNET" setup --gnupghome "$G" --project nosuch
grep -q 'nosuch: no such project' "$W/err" || fail "setup of unknown project: $(cat "$W/err")"
head -c 10000 /dev/urandom >"$W/payload"
GNUPGHOME=$G gpg --batch --yes --no-tty -u "$FPR" --detach-sign -o "$W/payload.sig" "$W/payload" 2>"$W/sign.out" ||
	{ cat "$W/sign.out"; fail "gpg --detach-sign through Signet"; }
gpgv --keyring "$W/rel.gpg" "$W/payload.sig" "$W/payload" 2>"$W/gpgv.out" || { cat "$W/gpgv.out"; fail "gpgv"; }
grep -q 'Good signature' "$W/gpgv.out" || fail "gpgv: no good signature"
note "setup (twice, idempotent), then gpg -u FPR (primary, no !) --detach-sign verified by gpgv"

grep -qF -e "$PIN" -e "$SOPIN" "$H/run/policyd.log" "$H/audit/audit.jsonl" "$G/signet-scd.log" 2>/dev/null &&
	fail "a PIN is in a log"
expect 0 "$SIGNET" --home "$H" stop
echo "ok: 040-cli"
