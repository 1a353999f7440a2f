#!/bin/bash
# The virtual card as GnuPG's own card tools and a busy signer see it, for
# every key type: gpg --card-status, and where GnuPG has it (2.3 and
# later) gpg-card's read-only commands — `list` must show the card with
# the project's signing key (keygrip, attributes), `checkkeys` must find
# gpg-agent's stub of it, and a command the card cannot honour (readcert:
# it holds no certificate) fails on its own without ending the run.
# Then parallel signing: eight gpg processes at once from one GnuPG home,
# and four each from two homes of two users, each signature verified and
# audited once.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create users"; exit 0; }
note "$(gpg --version | head -n1); gpg-agent $(gpg-agent --version | head -n1 | awk '{print $NF}')"
user_new sg-par2
user_new sg-par-done
trap 'world_cleanup; userdel sg-par2 2>/dev/null; userdel sg-par-done 2>/dev/null; true' EXIT
world_new --public-bin
trap 'world_cleanup; userdel sg-par2 2>/dev/null; userdel sg-par-done 2>/dev/null; true' EXIT
ME=$(id -un)
have_card=0
command -v gpg-card >/dev/null && have_card=1

for type in rsa2048 p256 ed25519; do
	case $type in
	rsa2048) curve=rsa2048 ;;
	p256) curve=nistp256 ;;
	ed25519) curve=ed25519 ;;
	esac
	P=cp$type
	project_new "$P" "$type" "user:$ME" "user:sg-par2"
	H=$W/g-$type
	gpghome_new "$H" --project "$P"
	FPR=$(fpr_of "$H" "$P@signet.test")
	[[ -n $FPR ]] || fail "$type: no key after setup"
	sgrip=$(gpg --homedir "$H" --batch --with-colons --with-keygrip --list-keys "$FPR" |
		awk -F: '/^sub/{s=1} s && /^grp/{print $10; exit}')

	# --- GnuPG's card tools ------------------------------------------------
	GNUPGHOME=$H gpg --batch --card-status >"$W/$type.status" 2>&1 ||
		{ cat "$W/$type.status"; fail "$type: gpg --card-status"; }
	has "^Key attributes \.*: $curve\$" "$W/$type.status" ||
		{ cat "$W/$type.status"; fail "$type: --card-status shows no $curve key"; }
	if ((have_card)); then
		GNUPGHOME=$H gpg-card --no-history list </dev/null >"$W/$type.list" 2>&1 ||
			{ cat "$W/$type.list"; fail "$type: gpg-card list"; }
		has -i "$sgrip" "$W/$type.list" ||
			{ cat "$W/$type.list"; fail "$type: gpg-card list does not show the signing key's keygrip"; }
		has -i "$curve" "$W/$type.list" ||
			{ cat "$W/$type.list"; fail "$type: gpg-card list does not show the key type"; }
		# Read-only commands in one run: a certificate the virtual card
		# does not hold ('-': gpg-card goes on after its error), the
		# key checks, then the listing again.
		GNUPGHOME=$H gpg-card --no-history list -- -readcert OPENPGP.3 -- checkkeys -- list \
			</dev/null >"$W/$type.list2" 2>&1 || { cat "$W/$type.list2"; fail "$type: gpg-card list, readcert, checkkeys, list"; }
		has -i "OpenPGP $sgrip SIGNET\.$P\.[0-9A-F]* shadowed" "$W/$type.list2" ||
			{ cat "$W/$type.list2"; fail "$type: checkkeys does not find the agent's stub of the card's key"; }
		[[ $(grep -ci "^Key SIGNET\.$P\.[0-9A-F]*: $sgrip" "$W/$type.list2") == 2 ]] ||
			{ cat "$W/$type.list2"; fail "$type: gpg-card did not list the card's key twice"; }
		note "$type: --card-status and gpg-card list show $curve, keygrip $sgrip; readcert, checkkeys and list again"
	else
		note "$type: --card-status shows $curve (gpg-card is not in this GnuPG)"
	fi

	# --- parallel: one home, eight at once -----------------------------------
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		echo "one home $type $i" >"$W/p-$type-$i"
		sign_detached "$ME" "$H" "$FPR" "$W/p-$type-$i" 2>"$W/p-$type-$i.err" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { cat "$W/p-$type-$((i + 1)).err"; fail "$type: parallel signature $((i + 1)) of 8 (one home)"; }
	done
	for i in 1 2 3 4 5 6 7 8; do
		gpgv --keyring "$W/$P.gpg" "$W/p-$type-$i.sig" "$W/p-$type-$i" 2>/dev/null ||
			fail "$type: parallel signature $i (one home) does not verify"
		audit_check --has-sig "$(sig_mpi "$W/p-$type-$i.sig")" >/dev/null
	done

	# --- parallel: two homes of two users, four each --------------------------
	H2=$W/g2-$type
	gpghome_new "$H2" --as sg-par2 --project "$P"
	D1=$W/d1-$type D2=$W/d2-$type   # each user's files, in a folder of theirs
	mkdir -p "$D1" "$D2"
	chown sg-par2 "$D2"
	pids=()
	for i in 1 2 3 4; do
		echo "home 1 $type $i" >"$D1/f$i"
		as_user sg-par2 sh -c "echo 'home 2 $type $i' >'$D2/f$i'"
		sign_detached "$ME" "$H" "$FPR" "$D1/f$i" 2>"$D1/f$i.err" &
		pids+=($!)
		sign_detached sg-par2 "$H2" "$FPR" "$D2/f$i" 2>"$W/d2-$type-f$i.err" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || { cat "$D1"/*.err "$W"/d2-"$type"-*.err; fail "$type: a parallel signature from two homes failed"; }
	done
	for d in "$D1" "$D2"; do
		for i in 1 2 3 4; do
			gpgv --keyring "$W/$P.gpg" "$d/f$i.sig" "$d/f$i" 2>/dev/null ||
				fail "$type: $d/f$i.sig does not verify"
			audit_check --has-sig "$(sig_mpi "$d/f$i.sig")" >/dev/null
		done
	done
	note "$type: 8 at once from one home, 4 + 4 from two users' homes: all verify, each audited"
	# The card shows a signer's first key: the next type's turn.
	policy_set "$P" "signers=user:sg-par-done"
done
audit_check >/dev/null
