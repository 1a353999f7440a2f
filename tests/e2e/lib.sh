# tests/e2e/lib.sh — shared set-up for the end-to-end tests (sourced).
#
# world_new [--public-bin]  a fresh temporary world (--public-bin: the
#                      programs copied where other users can run them): $W (short path under /tmp),
#                      an embedded-default Signet home in $SIGNET_HOME,
#                      policyd started.  Everything is stopped by pid and
#                      removed on exit.
# project_new NAME ALGO SIGNER...   signet project create
# gpghome_new H [--as USER] [--project P]...   signet setup into GnuPG home H
# fpr_of H UID-SUBSTRING              fingerprint of the key in H
# sig_mpi SIGFILE                     hex of the RSA value in an OpenPGP signature
# validity_under_trust CERT TRUSTFPR KEY KEYFPR   KEYFPR's validity in a keyring
#                      that trusts TRUSTFPR ultimately and imported CERT and KEY
# audit_check [args]                  tests/tools/audit-check.py on the trail
# expect RC CMD...                    run CMD, require exit status RC; output in $W/out, $W/err
# alive PID / gone PID                running and not a zombie / not so
# scratch_new                         $W, a short temporary folder, and PIDS=(): on exit
#                      the pids in PIDS are killed, on failure the tails of
#                      $W's *.log, *.err and *.out printed, and $W removed
# free_port                           a free TCP port on 127.0.0.1
# wait_for FILE PATTERN SECS WHAT     until FILE has a line matching PATTERN (ERE), or fail
# deb_tiny DIR [EMAIL]                a tiny Debian source package to sign
# attack_world ATTACKER SIGNER PROJECT  users ATTACKER and SIGNER (removed at exit),
#                      world_new --public-bin, PROJECT signed by SIGNER with a
#                      GnuPG home $W/SIGNER/g (key $FPR); $SOCK, $LOG (policyd's),
#                      $W/pd-attack.py (tests/tools) for the attacker to run
# wait_until SECS WHAT CMD...          until CMD succeeds (every 0.1 s), or fail with WHAT
# policy_set PROJECT KEY=VALUE...      signet project set (as root, an admin)
# signet_as USER ARGS...               signet ARGS as USER, in the world's home
# rpm_tiny DIR NAME                   build the noarch package NAME-1.0-1 under DIR
# tsa_mkca NAME / tsa_mkcert NAME KEYGEN-ARGS...  a test CA / a TSA certificate
#                      it issued (EKU timeStamping), in the current folder
#                      (rpmbuild's topdir); prints the .rpm's path
# tsa_conf FILE PORT THREADS [LINE...] a signet-tsa.conf for a file key $W/tsa.key with
#                      certificate $W/tsa.pem, serial, audit and log in $W, no clock check
set -euo pipefail
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=$E2E_DIR/../tools
SIGNET_BIN=$(cd "${SIGNET_BIN:-$E2E_DIR/../../build/bin}" && pwd)
export PATH=$SIGNET_BIN:$PATH
unset GNUPGHOME

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "   $*"; }
# grep -q at the end of a pipe exits at its first match; under pipefail the
# writer then dies of SIGPIPE and the pipeline fails although it matched
# (it did, in CI, on a long audit trail).  has reads everything.
has() { grep "$@" >/dev/null; }

expect() { # RC CMD...
	local want=$1 rc=0
	shift
	"$@" >"$W/out" 2>"$W/err" || rc=$?
	if ((rc != want)); then
		cat "$W/out" "$W/err" >&2
		fail "'$*' exited $rc, expected $want"
	fi
}
# A zombie counts as gone: the process that should reap it may be slow.
alive() { # PID
	local st
	st=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $st && $st != Z && $st != X ]]
}

gone() { ! alive "$1"; } # PID

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() { # FILE PATTERN SECONDS WHAT
	local end=$((SECONDS + $3))
	until grep -qE "$2" "$1" 2>/dev/null; do
		((SECONDS < end)) || { cat "$1" >&2 2>/dev/null; fail "$4 (no /$2/ in $1 after $3 s)"; }
		sleep 0.1
	done
}

wait_until() { # SECS WHAT CMD...
	local secs=$1 end=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || fail "$what (not so after $secs s)"
		sleep 0.1
	done
}

# As an admin would: `signet project set`, which asks policyd to edit its
# configuration and reload.
policy_set() { # PROJECT KEY=VALUE...
	signet --home "$SIGNET_HOME" project set "$@" >"$W/policy-set.out" 2>&1 ||
		{ cat "$W/policy-set.out"; fail "signet project set $*"; }
}

signet_as() { # USER ARGS...
	local u=$1
	shift
	as_user "$u" env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" "$@"
}

tsa_conf() { # FILE PORT THREADS [LINE...]
	local f=$1 port=$2 threads=$3
	shift 3
	cat >"$f" <<CONF
[tsa]
listen = 127.0.0.1:$port
threads = $threads
policies = 1.3.6.1.4.1.99999.1.1
key = file:$W/tsa.key
cert = $W/tsa.pem
serial_file = $W/tsa.serial
audit = $W/audit.jsonl
log = $W/tsa.log
clock_check = none
CONF
	printf '%s\n' "$@" >>"$f"
}

# A test PKI for time-stamping, in the current folder: tsa_mkca NAME makes
# the CA NAME.pem/NAME.key (P-256); tsa_mkcert NAME KEYGEN-ARGS... a TSA
# certificate NAME.pem (critical EKU timeStamping) for the new key
# NAME.key, issued by ca.pem.
tsa_mkca() { # NAME
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.pem" \
		-subj "/CN=Signet Test $1" -days 30 -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
tsa_mkcert() { # NAME KEYGEN-ARGS...
	local n=$1
	shift
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\n' >tsa-ext.cnf
	openssl req -new "$@" -nodes -keyout "$n.key" -subj "/CN=Signet TSA $n" -out "$n.csr" 2>/dev/null
	openssl x509 -req -in "$n.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
		-extfile tsa-ext.cnf -out "$n.pem" 2>/dev/null
}

scratch_cleanup() {
	local rc=$? p l
	set +e
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	if ((rc != 0)); then
		for l in "$W"/*.log "$W"/*.err "$W"/*.out; do [[ -f $l ]] && { echo "---- $l"; tail -n 20 "$l"; }; done
	fi
	[[ -n ${KEEP_WORLD:-} ]] || rm -rf "$W"
	return $rc
}

scratch_new() {
	W=$(mktemp -d /tmp/sgXXXXXX)
	PIDS=()
	trap scratch_cleanup EXIT
}

_HOMES=()
_USERS=()
world_cleanup() {
	local rc=$? h
	set +e
	for h in "${_HOMES[@]}"; do
		gpgconf --homedir "$h" --kill all >/dev/null 2>&1
	done
	[[ -n ${SIGNET_HOME:-} && -d ${SIGNET_HOME:-/nonexistent} ]] && signet --home "$SIGNET_HOME" stop >/dev/null 2>&1
	if ((rc != 0)) && [[ -n ${W:-} ]]; then
		echo "---- policyd log (tail)"; tail -n 30 "$SIGNET_HOME/run/policyd.log" 2>/dev/null
		for h in "${_HOMES[@]}"; do
			[[ -f $h/signet-scd.log ]] && { echo "---- $h/signet-scd.log (tail)"; tail -n 20 "$h/signet-scd.log"; }
		done
	fi
	[[ -n ${KEEP_WORLD:-} ]] || rm -rf "${W:-/nonexistent}"
	return $rc
}

world_new() { # [--public-bin]
	W=$(mktemp -d /tmp/sgXXXXXX)
	chmod 755 "$W"
	if [[ ${1:-} == --public-bin ]]; then
		# Other users run our programs: the checkout may sit below a
		# private folder (/root is 0700), so give them a copy they can reach.
		mkdir -m 755 "$W/bin"
		cp "$SIGNET_BIN"/signet "$SIGNET_BIN"/signet-policyd "$SIGNET_BIN"/signet-scd "$SIGNET_BIN"/signet-tsa "$W/bin/"
		chmod 755 "$W"/bin/*
		SIGNET_BIN=$W/bin
		export PATH=$SIGNET_BIN:$PATH
	fi
	export SIGNET_HOME=$W/h
	trap world_cleanup EXIT
	signet --home "$SIGNET_HOME" init >"$W/init.out" || { cat "$W/init.out"; fail "signet init"; }
	signet --home "$SIGNET_HOME" start >"$W/start.out" || { cat "$W/start.out"; fail "signet start"; }
	AUDIT=$SIGNET_HOME/audit/audit.jsonl
}

project_new() { # NAME ALGO SIGNER...
	local name=$1 algo=$2 s args=()
	shift 2
	for s in "$@"; do args+=(--signer "$s"); done
	signet --home "$SIGNET_HOME" project create "$name" --algo "$algo" \
		--uid "Project $name <$name@signet.test>" "${args[@]}" >"$W/create-$name.out" 2>&1 ||
		{ cat "$W/create-$name.out"; fail "project create $name"; }
	signet --home "$SIGNET_HOME" project export "$name" >"$W/$name.asc"
	gpg --dearmor <"$W/$name.asc" >"$W/$name.gpg"
}

# Make a unix user for access-control tests (removed at exit).
user_new() { # NAME
	local u=$1
	id "$u" >/dev/null 2>&1 || useradd --no-create-home --shell /usr/sbin/nologin "$u"
	_USERS+=("$u")
}

as_user() { # USER CMD...  (root: runuser; the user must exist)
	local u=$1
	shift
	if [[ $u == root || $u == "$(id -un)" ]]; then "$@"; else runuser -u "$u" -- "$@"; fi
}

gpghome_new() { # H [--as USER] [setup args...]
	local h=$1 u
	u=$(id -un)
	shift
	if [[ ${1:-} == --as ]]; then u=$2; shift 2; fi
	mkdir -p "$h"
	chmod 700 "$h"
	[[ $u == "$(id -un)" ]] || chown "$u" "$h"
	_HOMES+=("$h")
	as_user "$u" env SIGNET_HOME="$SIGNET_HOME" "$SIGNET_BIN/signet" setup --gnupghome "$h" "$@" \
		>"$h.setup.out" 2>&1 || { cat "$h.setup.out"; fail "signet setup $h as $u"; }
}

fpr_of() { # H UIDPART
	gpg --homedir "$1" --batch --with-colons --list-keys "$2" 2>/dev/null | awk -F: '/^fpr/{print $10; exit}'
}

sig_mpi() { python3 "$TOOLS/pgpsig.py" "$1"; }

# The victim of the certification trick: a fresh keyring that trusts the
# project key ultimately (as Signet 0.1's setup did) imports KEY, which
# carries a certification made through policyd; prints KEYFPR's validity
# there (gpg's field 2: f or u means the forged certification worked).
validity_under_trust() { # CERT TRUSTFPR KEY KEYFPR
	local v
	v=$(mktemp -d "$W/victimXXXX")
	chmod 700 "$v"
	_HOMES+=("$v")
	gpg --homedir "$v" --batch --quiet --import "$1" 2>/dev/null
	echo "$2:6:" | gpg --homedir "$v" --batch --import-ownertrust 2>/dev/null
	gpg --homedir "$v" --batch --quiet --import "$3" 2>/dev/null || true
	gpg --homedir "$v" --batch --check-trustdb >/dev/null 2>&1 || true
	gpg --homedir "$v" --batch --with-colons --list-keys "$4" 2>/dev/null | awk -F: '/^pub/{print $2; exit}'
}

audit_check() { python3 "$TOOLS/audit-check.py" "$AUDIT" "$@"; }
# The trail's records but the log's own checkpoints, which come every
# checkpoint_every records, checkpoint_interval after one, and at a clean
# stop: counts and "the last record" of a test must not depend on them.
records() { grep -vc '"event":"checkpoint"' "$AUDIT" || true; }
last_record() { grep -v '"event":"checkpoint"' "$AUDIT" | tail -n 1; }

# Sign FILE in home H with key FPR as USER; detached signature to FILE.sig.
# A git repository DIR whose commits are by "Release Bot <EMAIL>" and
# whose tags and signed commits use SIGNINGKEY; one commit of a.txt unless
# --empty.
repo_new() { # DIR EMAIL SIGNINGKEY [--empty]
	git init -q "$1"
	git -C "$1" config user.name "Release Bot"
	git -C "$1" config user.email "$2"
	git -C "$1" config user.signingkey "$3"
	[[ ${4:-} == --empty ]] && return 0
	echo one >"$1/a.txt"
	git -C "$1" add a.txt
	git -C "$1" commit -q -m one
}

# A tiny native Debian source package in DIR, unsigned, maintained by
# EMAIL (default pkg@signet.test): DIR/signet-src_1.0.dsc and
# DIR/signet-src_1.0_source.changes.
deb_tiny() { # DIR [EMAIL]
	local D=$1 m=${2:-pkg@signet.test}
	mkdir -p "$D/signet-src-1.0/debian/source"
	(
		cd "$D/signet-src-1.0"
		echo '3.0 (native)' >debian/source/format
		printf 'signet-src (1.0) unstable; urgency=low\n\n  * Test upload.\n\n -- Signet Tests <%s>  Mon, 01 Jan 2024 00:00:00 +0000\n' "$m" >debian/changelog
		printf 'Source: signet-src\nSection: misc\nPriority: optional\nMaintainer: Signet Tests <%s>\nStandards-Version: 4.6.2\n\nPackage: signet-src\nArchitecture: all\nDescription: test fixture\n Tiny source package signed in the Signet end-to-end tests.\n' "$m" >debian/control
		printf '#!/usr/bin/make -f\n%%:\n\tdh $@\n' >debian/rules
		chmod 755 debian/rules
		echo hello >hello.txt
		cd .. && dpkg-source -b signet-src-1.0 >build.log 2>&1 &&
			cd signet-src-1.0 && dpkg-genchanges -S -O../signet-src_1.0_source.changes >>../build.log 2>&1
	) || { cat "$D/build.log"; fail "building the Debian source package"; }
}

sign_detached() { # USER H FPR FILE
	as_user "$1" env GNUPGHOME="$2" gpg --batch --yes --no-tty -u "$3" --detach-sign -o "$4.sig" "$4"
}

# Stop PID and its children (as_user CMD & is a subshell running runuser,
# which runs CMD): by pid, children by parent pid.
stop_tree() { # PID
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do stop_tree "$c"; done
	kill "$1" 2>/dev/null || true
}

# The attack clients in PIDS run under runuser: stop them (by pid, and
# their children by parent pid) before the world and the users go.
attack_cleanup() {
	local rc=$? p u
	set +e
	for p in "${PIDS[@]}"; do stop_tree "$p"; done
	(exit $rc)
	world_cleanup
	for u in $_ATTACK_USERS; do userdel "$u" 2>/dev/null; done
	return $rc
}

attack_world() { # ATTACKER SIGNER PROJECT
	local atk=$1 sig=$2 prj=$3
	[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
	user_new "$atk"
	user_new "$sig"
	_ATTACK_USERS="$atk $sig"
	PIDS=()
	trap attack_cleanup EXIT
	world_new --public-bin
	trap attack_cleanup EXIT
	cp "$TOOLS/pd-attack.py" "$W/pd-attack.py" && chmod 755 "$W/pd-attack.py"
	SOCK=$(sed -n 's/^socket = //p' "$SIGNET_HOME/signet.conf")
	LOG=$SIGNET_HOME/run/policyd.log
	project_new "$prj" rsa2048 "user:$sig"
	mkdir -p "$W/$sig" && chown "$sig" "$W/$sig"
	gpghome_new "$W/$sig/g" --as "$sig" --project "$prj"
	FPR=$(fpr_of "$W/$sig/g" "$prj@signet.test")
	[[ -n $FPR ]] || fail "no $prj key in $sig's home"
}

rpm_tiny() { # DIR NAME
	local r=$1 n=$2
	mkdir -p "$r"/{SPECS,BUILD,RPMS,SRPMS,SOURCES,BUILDROOT,tmp}
	cat >"$r/SPECS/$n.spec" <<SPEC
Name: $n
Version: 1.0
Release: 1
Summary: tiny package signed in the Signet tests
License: MIT
BuildArch: noarch
%description
Tiny package signed in the Signet end-to-end tests.
%install
mkdir -p %{buildroot}/usr/share/$n
echo hello > %{buildroot}/usr/share/$n/hello
%files
/usr/share/$n/hello
SPEC
	rpmbuild --quiet --nodeps --define "_topdir $r" --define "_tmppath $r/tmp" \
		-bb "$r/SPECS/$n.spec" >"$r/rpmbuild.log" 2>&1 || { cat "$r/rpmbuild.log" >&2; fail "rpmbuild $n"; }
	echo "$r/RPMS/noarch/$n-1.0-1.noarch.rpm"
}
