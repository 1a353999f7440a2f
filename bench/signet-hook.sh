# bench/signet-hook.sh — the benchmark kit's hook for Signet.
#
# The kit sources this file with GNUPGHOME, BK_DIR (this backend's state
# folder; all state stays under it), BK_NAME, SCD_PROGRAM, SOFTHSM2_CONF,
# PKCS11_MODULE, BENCH_TOKEN, BENCH_PIN, BENCH_SRC and BENCH_DIR exported,
# and calls: hook_configure (write the scdaemon's configuration before
# gpg-agent starts; HOOK_AGENT_CONF holds extra gpg-agent.conf lines),
# hook_start (start helper daemons, idempotent, pids under $BK_DIR) and
# hook_stop (stop exactly those, by pid).
#
# Signet runs against the kit's own SoftHSM2 token: a policyd configuration
# in $BK_DIR/h whose projects are the token's RSA keys (labels rsa2048,
# rsa3072, rsa4096), signers = the benchmarking user; signet-scd in the
# backend's GNUPGHOME points at that policyd.  The audit trail is durable
# (fdatasync per record, group commit) exactly as in production.
SIGNET_BIN=${SIGNET_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../build/bin" && pwd)}

signet_bench_home() { echo "$BK_DIR/h"; }

hook_configure() {
	local h inst kt
	h=$(signet_bench_home)
	mkdir -p "$h/run" "$h/audit" "$h/certs" "$h/secrets"
	chmod 700 "$h/secrets"
	printf '%s' "$BENCH_PIN" >"$h/secrets/user-pin"
	chmod 600 "$h/secrets/user-pin"
	inst=5167BE4C
	{
		echo "[policyd]"
		echo "socket = $h/run/policyd.sock"
		echo "audit = $h/audit/audit.jsonl"
		echo "log = $h/run/policyd.log"
		echo "instance = $inst"
		echo "[hsm]"
		echo "module = $PKCS11_MODULE"
		echo "token = $BENCH_TOKEN"
		echo "pin_file = $h/secrets/user-pin"
		echo "softhsm2_conf = $SOFTHSM2_CONF"
		for kt in rsa2048 rsa3072 rsa4096; do
			echo "[project $kt]"
			echo "key = pkcs11:token=$BENCH_TOKEN;object=$kt"
			echo "algo = $kt"
			echo "uid = Bench $kt <$kt@signet.bench.invalid>"
			echo "created = 1700000000"
			echo "cert = $h/certs/$kt.pgp"
			echo "signers = user:$(id -un)"
			echo "hashes = sha256 sha384 sha512"
		done
	} >"$h/signet.conf"
	# The kit makes its own OpenPGP key in gpg with each token key as the
	# signing primary (gpg --gen-key with Key-Grip:), so these are projects
	# in the Signet 0.1 model: a certificate file without key state lets the
	# primary sign (signet-policyd(8), KEYS).  The signing path measured is
	# the same as for a signing subkey.
	for kt in rsa2048 rsa3072 rsa4096; do
		[[ -e $h/certs/$kt.pgp ]] || : >"$h/certs/$kt.pgp"
	done
	{
		echo "policyd_socket = $h/run/policyd.sock"
		echo "serial = D276000124010304FFFE${inst}0000"
	} >"$GNUPGHOME/signet-scd.conf"
}

hook_start() {
	local h
	h=$(signet_bench_home)
	if [[ -f $h/run/policyd.pid ]] && kill -0 "$(cat "$h/run/policyd.pid")" 2>/dev/null; then
		return 0
	fi
	"$SIGNET_BIN/signet-policyd" --config "$h/signet.conf" --daemon --pidfile "$h/run/policyd.pid"
}

hook_stop() {
	local h p i
	h=$(signet_bench_home)
	[[ -f $h/run/policyd.pid ]] || return 0
	p=$(cat "$h/run/policyd.pid")
	kill "$p" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
}
