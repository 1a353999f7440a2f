#!/bin/bash
# make check-debian13: build Signet and run its unit and end-to-end tests
# in a Debian 13 ("trixie") chroot, against that release's own GnuPG 2.4,
# OpenSSL 3.5, rpm, devscripts and libraries.
#
#   DEBIAN13_ROOT    the chroot, kept between runs (default
#                    /var/cache/signet/debian13; `make clean` leaves it)
#   DEBIAN13_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   DEBIAN13_FRESH=1 build the chroot anew
#   DEBIAN13_FUZZ=1  build and run every fuzz target too (default: one, to
#                    show clang's libFuzzer works there)
#   E2E_ONLY         as for tests/run-e2e.sh
#
# The chroot is complete when its marker file exists (written after
# debootstrap and the package installation succeeded); a chroot without
# it is removed and made again.  The tree copied in is the working tree's
# files as `git status` sees them (tracked, with their uncommitted
# changes, and new files not ignored), so what is tested is what the
# developer has.  The mounts (proc, sys, devpts, /dev/shm, /tmp) are made
# in a mount namespace of their own and unmounted on exit however it ends.
# Needs root (debootstrap, chroot, mount).
set -euo pipefail

ROOT=${DEBIAN13_ROOT:-/var/cache/signet/debian13}
ROOT=${ROOT%/}
MIRROR=${DEBIAN13_MIRROR:-http://deb.debian.org/debian}
export DEBIAN13_ROOT=$ROOT
SUITE=trixie
MARKER=.signet-debian13-complete
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DST=/src/signet   # in the chroot

say() { printf 'check-debian13: %s\n' "$*"; }
die() { printf 'check-debian13: %s\n' "$*" >&2; exit 1; }
stamp() { date +%s; }

# Mount points under ROOT (deepest last), for the refusal to delete a
# chroot something is still mounted in.
mounts_under() {
	awk -v r="$ROOT" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo
}

# ---- inside the private mount namespace: mount, run, unmount ------------

MOUNTED=()
unmount_all() {
	local i
	for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}" 2>/dev/null ||
			echo "check-debian13: cannot unmount ${MOUNTED[i]}" >&2
	done
	MOUNTED=()
}
mnt() { # DIR MOUNT-ARGS...
	local d=$ROOT/$1
	shift
	mkdir -p "$d"
	mount "$@" "$d" || die "mount $* $d failed"
	MOUNTED+=("$d")
}
# What the run started and left in the chroot (a test's daemon, a
# gpg-agent): every process whose root is the chroot, by pid.
stop_leftovers() {
	local p r pids=()
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		[[ $r == "$ROOT" ]] && pids+=("${p#/proc/}")
	done
	((${#pids[@]})) || return 0
	say "stopping ${#pids[@]} process(es) left in the chroot: ${pids[*]}"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "${pids[@]}" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "${pids[@]}" 2>/dev/null || true
}
on_exit_inside() {
	local rc=$?
	set +e
	stop_leftovers
	unmount_all
	exit "$rc"
}
mount_all() {
	mnt proc -t proc proc
	mnt sys -t sysfs -o ro sysfs
	# A devpts of its own (the host's ttys are not the chroot's business)
	# and ptmx through it; the static nodes debootstrap made do the rest.
	mnt dev/pts -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts
	if [[ ! -L $ROOT/dev/ptmx ]]; then
		rm -f "$ROOT/dev/ptmx"
		ln -s pts/ptmx "$ROOT/dev/ptmx"
	fi
	mnt dev/shm -t tmpfs -o mode=1777,nosuid,nodev shm
	# A fresh /tmp each run: the tests make their worlds there (suid
	# allowed: e2e 085 runs setgid programs from its world).
	mnt tmp -t tmpfs -o mode=1777,nodev tmp
}
# chroot with a clean environment (the host's GNUPGHOME & co. stay out).
in_chroot() { # CMD...
	local env=(HOME=/root LANG=C.UTF-8 TERM=dumb
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
	[[ -n ${CI:-} ]] && env+=("CI=$CI")
	[[ -n ${E2E_ONLY:-} ]] && env+=("E2E_ONLY=$E2E_ONLY")
	chroot "$ROOT" /usr/bin/env -i "${env[@]}" "$@"
}
inside() {
	trap on_exit_inside EXIT
	trap 'exit 130' INT TERM
	mount_all
	# tests/deps.sh of this tree: what the tree needs, in the chroot too.
	in_chroot sh -c "cd $DST && tests/deps.sh --if-missing" || die "tests/deps.sh failed in the chroot"
	in_chroot sh -c '. /etc/os-release; echo "check-debian13: $PRETTY_NAME"'
	in_chroot dpkg-query -W -f='check-debian13:   ${Package} ${Version}\n' gnupg openssl libssl-dev rpm \
		devscripts libassuan-dev libp11-dev softhsm2 libmicrohttpd-dev default-jdk-headless
	local t0 fuzz="build-fuzz/hex" e2e=0 rest=0
	t0=$(stamp)
	in_chroot sh -c "cd $DST && make -j$(nproc) all unit" || die "build or unit tests failed on Debian 13"
	mv "$ROOT$BUILT.new" "$ROOT$BUILT"
	say "build + unit tests: $(($(stamp) - t0)) s"
	t0=$(stamp)
	in_chroot nice -n 10 sh -c "cd $DST && make e2e" || e2e=$?
	say "e2e: $(($(stamp) - t0)) s"
	t0=$(stamp)
	if [[ ${DEBIAN13_FUZZ:-0} == 1 ]]; then
		in_chroot nice -n 10 sh -c "cd $DST && make fuzz-smoke" || rest=$?
	else
		in_chroot nice -n 10 sh -c "cd $DST && make $fuzz && $fuzz -max_total_time=3 >$fuzz.log 2>&1 &&
			tail -n 1 $fuzz.log" || rest=$?
	fi
	say "fuzz: $(($(stamp) - t0)) s"
	((e2e == 0)) || die "end-to-end tests failed on Debian 13 (above)"
	((rest == 0)) || die "fuzz target failed on Debian 13 (above)"
	say "Debian 13: all passed"
}

# ---- outside: the chroot, the tree, then the namespace -----------------

make_chroot() {
	local t0 left
	left=$(mounts_under)
	[[ -z $left ]] || die "mounted under $ROOT: $left — unmount them (umount -R) and run again"
	if [[ -e $ROOT ]]; then
		say "removing the incomplete (or unwanted) chroot $ROOT"
		rm -rf --one-file-system "$ROOT"
	fi
	command -v debootstrap >/dev/null || {
		say "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null ||
			die "debootstrap is missing and apt-get could not install it"
	}
	t0=$(stamp)
	mkdir -p "$(dirname "$ROOT")"
	say "debootstrap --variant=minbase $SUITE $ROOT $MIRROR"
	debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1 ||
		{ tail -n 20 "$ROOT.debootstrap.log" >&2; die "debootstrap failed (log: $ROOT.debootstrap.log)"; }
	say "debootstrap: $(($(stamp) - t0)) s"
	copy_host_files
	# The packages now, with proc mounted, so the marker means "ready".
	copy_tree
	t0=$(stamp)
	unshare --mount --propagation private -- env SIGNET_D13_STAGE=deps "$0" ||
		die "installing the packages in the chroot failed"
	say "packages: $(($(stamp) - t0)) s"
	date -u +%FT%TZ >"$ROOT/$MARKER"
}
# Name resolution for apt; localhost for the tests.
copy_host_files() {
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
	[[ -s $ROOT/etc/hosts ]] || printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
}
# The working tree's files (tracked, and new ones git does not ignore)
# into DST, replacing the last run's copy.  The last build's output stays,
# so make rebuilds only what changed — judged by content, not by the
# files' times (the last build may have been of another tree, a branch,
# whose objects are newer than this tree's sources): every file whose
# content differs from what the last build was made of (BUILT, written
# once a build succeeded) is touched; with no such record the build
# output goes.  The host's build output never goes in.
BUILT=$DST.built-from   # in the chroot: "SHA-256  path" of the last built tree
copy_tree() {
	local d=$ROOT$DST
	mkdir -p "$d"
	find "$d" -mindepth 1 -maxdepth 1 ! -name build ! -name build-san ! -name build-fuzz ! -name .git \
		-exec rm -rf --one-file-system {} +
	git -C "$SRC" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[[ -e $SRC/$f || -L $SRC/$f ]] && printf '%s\0' "$f"
		done | sort -zu | tar -C "$SRC" --null --no-recursion -T - -cf - | tar -C "$d" -xf -
	source_sums "$d" >"$ROOT$BUILT.new"
	if [[ -s $ROOT$BUILT ]]; then
		comm -13 "$ROOT$BUILT" "$ROOT$BUILT.new" | cut -c67- |
			(cd "$d" && xargs -r -d '\n' touch --no-dereference --)
	else
		rm -rf --one-file-system "$d/build" "$d/build-san" "$d/build-fuzz"
	fi
	copy_history "$d"
}
# "SHA-256  path" of every file of the copy in DIR but the build output,
# sorted for comm.
source_sums() { # DIR
	(cd "$1" && find . \( -path ./build -o -path ./build-san -o -path ./build-fuzz -o -path ./.git \) -prune \
		-o -type f -print0 | xargs -0 -r sha256sum | LC_ALL=C sort)
}
# The checkout's history under the copy, its HEAD the checkout's (e2e 310
# builds Signet 0.1 from it; `git status` there shows the uncommitted
# changes).  Fetched into the last run's repository: only what is new.
copy_history() { # DIR
	[[ -d $1/.git ]] || git init -q "$1"
	git -C "$1" fetch -q --no-tags "$SRC" HEAD || die "cannot copy the git history of $SRC"
	git -C "$1" update-ref HEAD FETCH_HEAD
	git -C "$1" reset -q
}
deps_inside() {
	trap on_exit_inside EXIT
	mount_all
	say "installing the packages (apt-get's output: $ROOT.deps.log)"
	in_chroot sh -c "cd $DST && tests/deps.sh" >"$ROOT.deps.log" 2>&1 ||
		{ tail -n 30 "$ROOT.deps.log" >&2; die "tests/deps.sh failed in the chroot (log: $ROOT.deps.log)"; }
}

case ${SIGNET_D13_STAGE:-} in
inside) inside; exit ;;
deps) deps_inside; exit ;;
esac

[[ $(id -u) == 0 ]] || die "needs root (debootstrap, chroot and mounts); run it as root, e.g. sudo make check-debian13"
command -v git >/dev/null && git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 ||
	die "$SRC is not a git checkout (the files to test are the ones git lists)"
T0=$(stamp)
mkdir -p "$(dirname "$ROOT")"
# One run at a time per chroot.
exec 9>"$ROOT.lock"
flock -n 9 || die "another check-debian13 is using $ROOT ($ROOT.lock)"
if [[ ${DEBIAN13_FRESH:-0} == 1 || ! -e $ROOT/$MARKER ]]; then
	make_chroot
else
	say "reusing $ROOT (made $(cat "$ROOT/$MARKER"); DEBIAN13_FRESH=1 makes it anew)"
	copy_host_files
	copy_tree
fi
rc=0
unshare --mount --propagation private -- env SIGNET_D13_STAGE=inside "$0" || rc=$?
say "total: $(($(stamp) - T0)) s"
exit "$rc"
