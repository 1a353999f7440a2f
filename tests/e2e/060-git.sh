#!/bin/bash
# git tag -s + git verify-tag; git commit -S + git verify-commit.
. "$(dirname "$0")/lib.sh"
world_new
project_new gitproj rsa3072 "user:$(id -un)"
H=$W/g
gpghome_new "$H"
FPR=$(fpr_of "$H" gitproj@signet.test)
export GNUPGHOME=$H
R=$W/repo
repo_new "$R" rel@signet.test "$FPR" --empty
cd "$R"
git config gpg.program gpg
echo one >a.txt
git add a.txt
git commit -q -S -m "signed commit"
git verify-commit HEAD 2>"$W/vc.out" || { cat "$W/vc.out"; fail "git verify-commit"; }
grep -q 'Good signature' "$W/vc.out" || fail "verify-commit: no good signature"
note "signed commit verified"
git tag -s -m "release 1.0" v1.0
git verify-tag v1.0 2>"$W/vt.out" || { cat "$W/vt.out"; fail "git verify-tag"; }
grep -q 'Good signature' "$W/vt.out" || fail "verify-tag: no good signature"
note "signed tag verified"
git cat-file tag v1.0 | sed -n '/-----BEGIN PGP SIGNATURE-----/,$p' >"$W/tag.sig"
git cat-file commit HEAD | sed -n '/^gpgsig /,/-----END PGP SIGNATURE-----/p' |
	sed -e 's/^gpgsig //' -e 's/^ //' >"$W/commit.sig"
audit_check --has-sig "$(sig_mpi "$W/tag.sig")" --has-sig "$(sig_mpi "$W/commit.sig")"
