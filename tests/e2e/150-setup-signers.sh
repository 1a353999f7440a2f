#!/bin/bash
# signet setup --git [--global], --rpm and --debsign: each run twice — the
# second run changes nothing and says so — then git tag -s, rpmsign
# --addsign and debsign sign with only what setup wrote (no GNUPGHOME, no
# -u/-k/--define), and the signatures verify.  A ~/.rpmmacros and a
# ~/.devscripts with other lines keep them.  The user's home is a scratch
# folder ($HOME), so nothing of the machine's own dotfiles is touched.
. "$(dirname "$0")/lib.sh"
for t in git rpmbuild rpmsign rpmkeys debsign dpkg-source dpkg-genchanges; do
	command -v "$t" >/dev/null || fail "$t is missing (tests/deps.sh installs git, rpm, devscripts, dpkg-dev)"
done
world_new
project_new ship rsa2048 "user:$(id -un)"
export HOME=$W/home
mkdir -m 700 "$HOME"
printf '%%_topdir %s/rpmbuild\n%%_smp_mflags -j1\n' "$W" >"$HOME/.rpmmacros"
printf '# mine\nDEBEMAIL=me@example.org\nDEBSIGN_KEYID=DEADBEEF\n' >"$HOME/.devscripts"
H=$W/g
_HOMES+=("$H")
R=$W/repo
git init -q "$R"
git -C "$R" config user.name "Release Bot"
git -C "$R" config user.email ship@signet.test

setup_run() { # OUT ARGS...
	local out=$1
	shift
	(cd "$R" && signet setup --gnupghome "$H" "$@") >"$out" 2>&1 || { cat "$out"; fail "signet setup $*"; }
}
setup_run "$W/setup1.out" --git --rpm --debsign
setup_run "$W/setup2.out" --git --rpm --debsign
setup_run "$W/setup3.out" --git --global
setup_run "$W/setup4.out" --git --global
KEY=$(sed -n 's/^Signing programs use project ship, key \([0-9A-F]*!\):$/\1/p' "$W/setup1.out")
[[ $KEY =~ ^[0-9A-F]{40}!$ ]] || { cat "$W/setup1.out"; fail "setup did not name the signing key as FPR!"; }
note "setup names the signing key $KEY"

# The first run says what it set; the second changes nothing.
for want in "git config --local user.signingkey: $KEY" "git config --local gpg.program: $H/signet-gpg" \
	"$HOME/.rpmmacros: updated" "+ %_gpg_name $KEY" "+ %_gpg_path $H" \
	"$HOME/.devscripts: updated" "- DEBSIGN_KEYID=DEADBEEF" "+ DEBSIGN_KEYID='$KEY'"; do
	has -F -- "$want" "$W/setup1.out" || { cat "$W/setup1.out"; fail "first setup did not say: $want"; }
done
for f in setup2 setup4; do
	if grep -E '(updated|created|written|->)|^  [+-] |: [0-9A-F]{40}!$' "$W/$f.out"; then
		cat "$W/$f.out"
		fail "$f: running setup again changed something"
	fi
done
has -F "git config --local user.signingkey: unchanged" "$W/setup2.out" || fail "second run: git not reported unchanged"
has -F "$HOME/.rpmmacros: unchanged" "$W/setup2.out" || fail "second run: ~/.rpmmacros not reported unchanged"
has -F "$HOME/.devscripts: unchanged" "$W/setup2.out" || fail "second run: ~/.devscripts not reported unchanged"
has -F "git config --global user.signingkey: $KEY" "$W/setup3.out" || { cat "$W/setup3.out"; fail "--global"; }
has -F "git config --global user.signingkey: unchanged" "$W/setup4.out" || fail "--global twice"
note "each helper run twice: the second run reports unchanged"

# Other lines stay.
has -Fx '%_topdir '"$W"'/rpmbuild' "$HOME/.rpmmacros" || fail "~/.rpmmacros lost %_topdir"
has -Fx '%_smp_mflags -j1' "$HOME/.rpmmacros" || fail "~/.rpmmacros lost %_smp_mflags"
has -Fx 'DEBEMAIL=me@example.org' "$HOME/.devscripts" || fail "~/.devscripts lost DEBEMAIL"
has -Fx '# mine' "$HOME/.devscripts" || fail "~/.devscripts lost a comment"
has DEADBEEF "$HOME/.devscripts" && fail "~/.devscripts kept the old DEBSIGN_KEYID"

# Outside a repository, --git without --global says what to do.
mkdir "$W/norepo"
(cd "$W/norepo" && signet setup --gnupghome "$H" --git) >"$W/norepo.out" 2>&1 &&
	fail "setup --git outside a repository succeeded"
has 'not in a git repository' "$W/norepo.out" || { cat "$W/norepo.out"; fail "no clear message outside a repository"; }

unset GNUPGHOME
# git: a signed tag with the repository's settings alone; and globally.
echo one >"$R/a.txt"
git -C "$R" add a.txt
git -C "$R" commit -q -m one
git -C "$R" tag -s -m v1 v1 2>"$W/tag.err" || { cat "$W/tag.err"; fail "git tag -s"; }
git -C "$R" verify-tag v1 2>"$W/vtag.err" || { cat "$W/vtag.err"; fail "git verify-tag"; }
git -C "$R" cat-file tag v1 | sed '/-----BEGIN PGP SIGNATURE-----/,$d' >"$W/tag.body"
git -C "$R" cat-file tag v1 | sed -n '/-----BEGIN PGP SIGNATURE-----/,$p' >"$W/tag.sig"
gpgv --keyring "$W/ship.gpg" "$W/tag.sig" "$W/tag.body" 2>/dev/null || fail "the tag's signature does not verify with gpgv"
G=$W/grepo
git init -q "$G"
git -C "$G" config --unset-all gpg.program 2>/dev/null || true
echo two >"$G/b.txt"
git -C "$G" add b.txt
git -C "$G" -c user.name=Bot -c user.email=ship@signet.test commit -q -S -m two 2>"$W/commit.err" ||
	{ cat "$W/commit.err"; fail "git commit -S with the --global settings"; }
git -C "$G" verify-commit HEAD 2>/dev/null || fail "git verify-commit"
note "git tag -s (repository settings) and commit -S (global settings) signed and verified"

# rpmsign with ~/.rpmmacros alone.
RPM=$(rpm_tiny "$W/rpmbuild" signet-tiny)
rpmsign --addsign "$RPM" </dev/null >"$W/rpmsign.log" 2>&1 || { cat "$W/rpmsign.log"; fail "rpmsign --addsign"; }
mkdir "$W/rpmdb"
rpmkeys --dbpath "$W/rpmdb" --import "$W/ship.asc" >/dev/null 2>&1 || fail "rpmkeys --import"
rpmkeys --dbpath "$W/rpmdb" --checksig -v "$RPM" >"$W/checksig.log" 2>&1 || { cat "$W/checksig.log"; fail "rpmkeys --checksig"; }
has -E 'Header V4 RSA/SHA(256|384|512) Signature, key ID [0-9a-f]+: OK' "$W/checksig.log" ||
	{ cat "$W/checksig.log"; fail "no verified header signature"; }
note "rpmsign: signed with ~/.rpmmacros alone, verified by rpmkeys"

# debsign with ~/.devscripts alone.
deb_tiny "$W/deb"
debsign --re-sign "$W/deb/signet-src_1.0_source.changes" </dev/null >"$W/debsign.log" 2>&1 ||
	{ cat "$W/debsign.log"; fail "debsign"; }
for f in signet-src_1.0.dsc signet-src_1.0_source.changes; do
	gpgv --keyring "$W/ship.gpg" "$W/deb/$f" 2>/dev/null || fail "gpgv $f"
done
note "debsign: signed with ~/.devscripts alone, .dsc and .changes verified by gpgv"
