#!/bin/bash
# The slow-client attack on signet-tsa: 1,400 connections asked for from
# twenty addresses (so at least 1,000 held), each dribbling a header byte
# every half second (never idle) and reconnecting when cut, must not stop
# a normal client (before, 1,400 such connections stopped every other
# client): every
# time-stamp request made during the attack is answered within 1 s,
# measured here.  The whole-request deadline cuts every dribbling
# connection (none lives much past request_timeout), and one address cannot
# hold more than max_connections_per_ip connections.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "   skip: curl not installed"; exit 0; }
scratch_new
TSA=$SIGNET_BIN/signet-tsa
SLOW=$TOOLS/slow-clients.py
cd "$W"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tsa.key -out tsa.pem \
	-subj "/CN=Signet slow TSA" -days 30 -addext basicConstraints=critical,CA:FALSE \
	-addext keyUsage=critical,digitalSignature -addext extendedKeyUsage=critical,timeStamping 2>/dev/null
PORT=$(free_port)
PER_IP=64
REQ_TIMEOUT=4
tsa_conf tsa.conf "$PORT" 4 "max_connections = 2048" "max_connections_per_ip = $PER_IP" \
	"connection_timeout = 2s" "request_timeout = ${REQ_TIMEOUT}s"
"$TSA" --config "$W/tsa.conf" --daemon --pidfile "$W/tsa.pid" || fail "signet-tsa did not start"
TSA_PID=$(cat tsa.pid)
PIDS+=("$TSA_PID")
grep -q '^Max open files *[0-9]* *[0-9]*' "/proc/$TSA_PID/limits"
nofile=$(awk '/^Max open files/ { print $4 }' "/proc/$TSA_PID/limits")
((nofile >= 2048)) || fail "RLIMIT_NOFILE of signet-tsa is $nofile, below max_connections"
grep -q '^Max core file size *0 ' "/proc/$TSA_PID/limits" || fail "signet-tsa may dump core"

echo hello >data.txt
openssl ts -query -data data.txt -sha256 -cert -out q.tsq 2>/dev/null
# One normal request: HTTP 200, a granted reply, and its time in seconds.
timed_request() { # OUT → prints time_total
	local out=$1 code t
	read -r code t < <(curl -s -o "$out" -w '%{http_code} %{time_total}\n' --max-time 5 \
		--data-binary @q.tsq -H 'Content-Type: application/timestamp-query' "http://127.0.0.1:$PORT/" || true)
	[[ $code == 200 ]] || fail "normal request: HTTP ${code:-none} (t=${t:-?})"
	openssl ts -reply -in "$out" -text 2>/dev/null | has 'Status: Granted' || fail "normal request: not granted"
	echo "$t"
}
base=$(timed_request r0.tsr)
note "baseline request: ${base}s"

# ---- 1,400 slow connections from 127.0.0.2 .. 127.0.0.21 (70 each; 64 held).
srcs=()
for i in $(seq 2 21); do srcs+=("127.0.0.$i"); done
ATTACK_SECS=$((REQ_TIMEOUT * 3 + 4))
python3 "$SLOW" 127.0.0.1 "$PORT" 1400 "$ATTACK_SECS" 0.5 "$W/ready" "${srcs[@]}" >attack.out 2>attack.err &
ATTACK=$!
PIDS+=("$ATTACK")
for _ in $(seq 200); do [[ -s ready ]] && break; sleep 0.05; done
[[ -s ready ]] || fail "the attack never got going"
note "attack: $(cat ready) connections open"
worst=0
for n in $(seq 1 10); do
	t=$(timed_request "r$n.tsr")
	python3 -c "import sys; sys.exit(0 if float('$t') < 1.0 else 1)" ||
		fail "request $n took ${t}s under 1,000 slow connections (limit 1 s)"
	worst=$(python3 -c "print(max($worst, $t))")
	sleep 0.$((RANDOM % 9 + 1))
done
note "10 requests under attack, slowest ${worst}s"
wait "$ATTACK" || fail "the attack tool failed"
read -r opened cut max_held peak < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["opened"], s["cut"], s["max_held"], s["peak"])' attack.out)
note "attack: opened $opened, cut $cut, peak $peak open, longest held ${max_held}s"
((peak >= 1000)) || fail "the server did not take 1,000 slow connections (peak $peak)"
((cut >= 1000)) || fail "only $cut dribbling connections were cut off (expected every one held)"
python3 -c "import sys; sys.exit(0 if $max_held <= $REQ_TIMEOUT + 1.5 else 1)" ||
	fail "a dribbling connection lived ${max_held}s (request_timeout ${REQ_TIMEOUT}s)"
grep -q 'not complete within request_timeout' tsa.log || fail "the cut-offs were not logged"

# ---- One address: at most max_connections_per_ip held.
python3 "$SLOW" 127.0.0.1 "$PORT" 300 3 0.5 "$W/ready1" 127.0.0.99 >one.out 2>one.err ||
	fail "the one-address attack tool failed"
held=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["held_1s"])' one.out)
note "one address asking for 300: $held held"
((held <= PER_IP && held >= PER_IP / 2)) || fail "one address held $held connections (limit $PER_IP)"
timed_request r99.tsr >/dev/null
alive "$TSA_PID" || fail "signet-tsa died"
note "slow clients held off"
