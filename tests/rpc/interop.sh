#!/bin/bash
# SPDX-License-Identifier: MIT
#
# sriov's rpc layer against the real oslo.messaging, on the private RabbitMQ
# that tests/rpc/broker started (CTest fixture rpc_broker).
#
#   tests/rpc/interop.sh CASE RPC_PEER BROKER_DIR
#
#   c-calls-oslo   our client calls an oslo.messaging RPC server: a result,
#                  a remote failure decoded, a call nobody serves times out
#   oslo-calls-c   oslo.messaging casts, fanout-casts and calls our server;
#                  then an oslo.messaging server declares the same queues
#                  (equivalent declarations or the broker refuses them)
#   reconnect      the broker is killed and started again: our connection
#                  reports the loss, backs off, reconnects, reports it,
#                  calls again and its listener gets casts again
#   tls            TLS (ssl, ssl_ca_file, ssl_cert_file, ssl_key_file,
#                  ssl_enforce_hostname_verification): the chain, the name
#                  or address, client certificates; oslo.messaging reads the
#                  same URL the same way
#   latency        round trip of a call, ours against oslo.messaging's own
#                  client, to the same oslo.messaging server: printed as a
#                  ratio, never asserted (tests/bench/rpc.sh runs it)
set -u
me=rpc-interop
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 3 ] || { echo "usage: $0 CASE RPC_PEER BROKER_DIR" >&2; exit 2; }
case_=$1
peer=$2
bdir=$3
py=/usr/bin/python3
oslo="$py $here/oslo_peer.py"

if [ ! -f "$bdir/env" ]; then
	echo "$me: CANNOT RUN: no broker in $bdir (rpc.broker.start skipped or failed)" >&2
	if [ -n "${CI:-}" ] || [ "${SRIOV_LAB_STRICT:-0}" = 1 ]; then
		exit 1
	fi
	exit 77
fi
# shellcheck disable=SC1091
. "$bdir/env"
url=$RPC_URL
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

fails=0
passes=0
ok() {
	echo "ok: $*"
	passes=$((passes + 1))
}
bad() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# bg NAME CMD...: run in the background, output in $work/NAME
bg() {
	local name=$1
	shift
	"$@" >"$work/$name" 2>"$work/$name.err" &
	pids+=($!)
}

# wait_for FILE PATTERN SECONDS
wait_for() {
	local i
	for i in $(seq 1 $(($3 * 10))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "$me: no '$2' in $1 after $3 s:" >&2
	cat "$1" "$1.err" >&2 2>/dev/null
	return 1
}

# same_json A B: equal as JSON values
same_json() {
	$py -c 'import json, sys; sys.exit(json.loads(sys.argv[1]) != json.loads(sys.argv[2]))' "$1" "$2"
}

elapsed() {
	$py -c 'import sys; print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"
}

case_c_calls_oslo() {
	local out rc t0 t1 dt
	bg server $oslo serve "$url" neutron sriov_a s1
	wait_for "$work/server" ready 30 || { bad "the oslo.messaging server did not start"; return; }

	out=$(timeout 30 "$peer" call "$url" neutron sriov_a echo '{"x": 1, "y": [1, "two"]}' --server s1)
	rc=$?
	if [ $rc = 0 ] && same_json "$out" '{"args": {"x": 1, "y": [1, "two"]}, "request_id": "req-sriov-test"}'; then
		ok "call to topic.server answered by oslo.messaging: $out"
	else
		bad "call to topic.server: rc $rc, got '$out'"
	fi
	out=$(timeout 30 "$peer" call "$url" neutron sriov_a echo '{"unicode": "\u00e9t\u00e9"}')
	rc=$?
	if [ $rc = 0 ] && same_json "$out" '{"args": {"unicode": "\u00e9t\u00e9"}, "request_id": "req-sriov-test"}'; then
		ok "call to the topic (any server): $out"
	else
		bad "call to the topic: rc $rc, got '$out'"
	fi
	out=$(timeout 30 "$peer" call "$url" neutron sriov_a fail '{"k": "v"}' --server s1)
	rc=$?
	if [ $rc = 3 ] && [ "$out" = 'remote builtins.ValueError: boom: {"k": "v"}' ]; then
		ok "a method that raises: our decoded failure: $out"
	else
		bad "a method that raises: rc $rc, got '$out'"
	fi
	t0=$(date +%s.%N)
	out=$(timeout 30 "$peer" call "$url" neutron sriov_nobody echo '{}' --timeout 1500)
	rc=$?
	t1=$(date +%s.%N)
	dt=$(elapsed "$t0" "$t1")
	if [ $rc = 4 ] && $py -c "import sys; sys.exit(not 1.4 <= $dt <= 4.0)"; then
		ok "a call nobody serves times out cleanly after ${dt} s (1.5 s asked): $out"
	else
		bad "a call nobody serves: rc $rc after $dt s, got '$out'"
	fi
}

case_oslo_calls_c() {
	local out rc
	bg csrv "$peer" serve "$url" neutron sriov_b host1 --expect 4 --seconds 60
	wait_for "$work/csrv" ready 15 || { bad "our server did not start"; return; }
	csrv_pid=${pids[-1]}

	$oslo cast "$url" neutron sriov_b port_update '{"port_id": "p1", "network_type": "vlan"}' || bad "oslo cast failed"
	$oslo cast "$url" neutron sriov_b network_update '{"network": {"id": "n1"}}' --fanout || bad "oslo fanout cast failed"
	out=$($oslo call "$url" neutron sriov_b echo '{"z": 3}' --server host1)
	rc=$?
	if [ $rc = 0 ] && same_json "$out" '{"args": {"z": 3}, "request_id": "req-sriov-test"}'; then
		ok "oslo.messaging called our server: $out"
	else
		bad "oslo.messaging calling our server: rc $rc, got '$out'"
	fi
	out=$($oslo call "$url" neutron sriov_b fail '{"k": 1}' --server host1)
	rc=$?
	case "$out" in
	*ValueError*"boom: {\"k\": 1}"*) [ $rc = 3 ] && ok "our failure raised in oslo.messaging: $out" || bad "failure: rc $rc" ;;
	*) bad "our failure reply, as oslo.messaging read it: rc $rc, '$out'" ;;
	esac
	if wait "$csrv_pid"; then
		ok "our server got its 4 requests"
	else
		bad "our server: $(cat "$work/csrv.err")"
	fi
	$py - "$work/csrv" <<-'EOF' && ok "every request reached us as oslo.messaging sent it" || bad "requests as we read them: $(cat "$work/csrv")"
		import json, sys
		got = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
		by = {g["method"]: g for g in got}
		ctx = {"user_id": None, "project_id": None, "tenant_id": None,
		       "is_admin": True, "request_id": "req-sriov-test", "roles": ["admin"]}
		want = {
		    "port_update": ({"port_id": "p1", "network_type": "vlan"}, False),
		    "network_update": ({"network": {"id": "n1"}}, False),
		    "echo": ({"z": 3}, True),
		    "fail": ({"k": 1}, True),
		}
		assert sorted(by) == sorted(want), by
		for m, (args, call) in want.items():
		    assert by[m]["args"] == args, (m, by[m])
		    assert by[m]["call"] == call, (m, by[m])
		    assert by[m]["context"] == ctx, (m, by[m])
	EOF
	# the queues we declared, declared again by oslo.messaging: the broker
	# refuses a declaration that is not equivalent (406), oslo would not start
	bg osrv $oslo serve "$url" neutron sriov_b host2
	if wait_for "$work/osrv" ready 30 && ! grep -q PRECONDITION "$work/osrv.err"; then
		ok "oslo.messaging declares our queues again without complaint"
	else
		bad "oslo.messaging on our queues: $(tail -5 "$work/osrv.err")"
	fi
}

# backoff window of attempt K after a loss, ms: rabbit_retry_interval 1,
# rabbit_retry_backoff 2: 1 + 2 * (2^K - 1) s, at most 30, jitter [d/2, d]
case_reconnect() {
	local rc
	bg server $oslo serve "$url" neutron sriov_c s1
	wait_for "$work/server" ready 30 || { bad "the oslo.messaging server did not start"; return; }
	bg watch "$peer" watch "$url" neutron sriov_c s1 --reconnects 1 --seconds 90 --listen sriov_c_agent
	watch_pid=${pids[-1]}
	wait_for "$work/watch" "call ok" 15 || { bad "no call before the broker went away"; return; }
	"$here/broker" kill "$bdir" || { bad "cannot kill the broker"; return; }
	wait_for "$work/watch" "event disconnected" 10 || { bad "the loss was not reported"; return; }
	sleep 3
	"$here/broker" revive "$bdir" || { bad "cannot start the broker again"; return; }
	# once we report the reconnection, our listener's queues are back
	wait_for "$work/watch" "event connected reconnect=1" 60 || { bad "no reconnection reported"; return; }
	$oslo cast "$url" neutron sriov_c_agent port_update '{"after": "reconnect"}' || bad "oslo cast after the reconnection failed"
	wait "$watch_pid"
	rc=$?
	echo "--- what our connection reported:"
	grep -v '^call ok' "$work/watch"
	echo "---"
	[ $rc = 0 ] || { bad "no reconnection and call after it: $(cat "$work/watch.err")"; return; }
	$py - "$work/watch" <<-'EOF' && ok "loss reported, back-off grew, reconnection reported, calls work again" || bad "the events: see above"
		import re, sys
		lines = open(sys.argv[1]).read().splitlines()
		i = next(i for i, l in enumerate(lines) if l.startswith("event disconnected"))
		assert any(l == "call ok" for l in lines[:i]), "no call before the loss"
		delays = []
		for l in lines[i:]:
		    m = re.match(r"event disconnected delay_ms=(\d+) attempt=(\d+)", l)
		    if m:
		        delays.append((int(m.group(2)), int(m.group(1))))
		        continue
		    if l.startswith("event connected"):
		        m = re.match(r"event connected reconnect=1 attempt=(\d+)", l)
		        assert m, l
		        assert int(m.group(1)) == len(delays) - 1, (l, delays)
		        break
		else:
		    raise AssertionError("no reconnection reported")
		assert len(delays) >= 2, "the broker was down for seconds: attempts must have failed"
		for attempt, d in delays:
		    full = min(30, 1 + 2 * (2 ** attempt - 1)) * 1000
		    assert full // 2 <= d <= full, (attempt, d, full)
		k = lines.index(l)
		assert "call ok" in lines[k:], "no call after the reconnection"
		assert any(l.startswith("pending call ended -107: connection to 127.0.0.1:") for l in lines[:k]), "the pending call did not end with ENOTCONN"
		assert any('"after":"reconnect"' in l for l in lines[k:]), "the cast after the reconnection did not reach our listener"
		print("attempts and their delays (ms):", delays)
	EOF
}

# tls_call NAME WANT HOST QUERY: our call over TLS; WANT ok or the error
tls_call() {
	local name=$1 want=$2 host=$3 q=$4 out rc
	out=$(timeout 30 "$peer" call "rabbit://guest:guest@$host:$RPC_TLS_PORT/?$q" neutron sriov_t echo '{"tls": 1}' 2>"$work/tls.err")
	rc=$?
	if [ "$want" = ok ]; then
		if [ $rc = 0 ] && same_json "$out" '{"args": {"tls": 1}, "request_id": "req-sriov-test"}'; then
			ok "TLS, $name: answered"
		else
			bad "TLS, $name: rc $rc, '$out' $(cat "$work/tls.err")"
		fi
	elif [ $rc = 1 ] && grep -q -- "$want" "$work/tls.err"; then
		ok "TLS, $name: refused: $(grep -- "$want" "$work/tls.err")"
	else
		bad "TLS, $name: rc $rc, expected '$want': '$out' $(cat "$work/tls.err")"
	fi
}

case_tls() {
	local t=$RPC_TLS_DIR out
	bg server $oslo serve "$url" neutron sriov_t s1
	wait_for "$work/server" ready 30 || { bad "the oslo.messaging server did not start"; return; }
	tls_call "chain and address verified" ok 127.0.0.1 "ssl=1&ssl_ca_file=$t/ca.pem&ssl_enforce_hostname_verification=true"
	tls_call "chain and name verified" ok localhost "ssl=1&ssl_ca_file=$t/ca.pem&ssl_enforce_hostname_verification=true"
	tls_call "no CA: encrypted, not verified (as oslo)" ok 127.0.0.2 "ssl=1"
	tls_call "a CA that did not sign the broker" "cert verification failed" 127.0.0.1 "ssl=1&ssl_ca_file=$t/other-ca.pem"
	tls_call "chain only, on an address not in the certificate" ok 127.0.0.2 "ssl=1&ssl_ca_file=$t/ca.pem"
	tls_call "address not in the certificate" "cert verification failed" 127.0.0.2 "ssl=1&ssl_ca_file=$t/ca.pem&ssl_enforce_hostname_verification=1"
	tls_call "client certificate" ok localhost "ssl=1&ssl_ca_file=$t/ca.pem&ssl_cert_file=$t/client.pem&ssl_key_file=$t/client.key"
	tls_call "client certificate of another CA" "cannot connect\|failed" localhost "ssl=1&ssl_ca_file=$t/ca.pem&ssl_cert_file=$t/bad-client.pem&ssl_key_file=$t/bad-client.key"
	tls_call "a key file that is no key" "ssl_key_file" localhost "ssl=1&ssl_ca_file=$t/ca.pem&ssl_cert_file=$t/client.pem&ssl_key_file=$t/ca.pem"
	out=$($oslo call "rabbit://guest:guest@127.0.0.1:$RPC_TLS_PORT/?ssl=1&ssl_ca_file=$t/ca.pem&ssl_enforce_hostname_verification=true&ssl_cert_file=$t/client.pem&ssl_key_file=$t/client.key" neutron sriov_t echo '{"tls": 1}' --timeout 10)
	if same_json "$out" '{"args": {"tls": 1}, "request_id": "req-sriov-test"}'; then
		ok "oslo.messaging's own client reads the same TLS URL the same way"
	else
		bad "oslo.messaging on the TLS URL: '$out'"
	fi
}

case_latency() {
	local ours theirs
	bg server $oslo serve "$url" neutron sriov_d s1
	wait_for "$work/server" ready 30 || { bad "the oslo.messaging server did not start"; return; }
	ours=$(timeout 120 "$peer" call "$url" neutron sriov_d echo '{"n": 1}' --server s1 --count 300) || { bad "our calls failed"; return; }
	theirs=$($oslo call "$url" neutron sriov_d echo '{"n": 1}' --server s1 --count 300) || { bad "oslo's calls failed"; return; }
	echo "ours: $ours"
	echo "oslo: $theirs"
	$py - "$ours" "$theirs" <<-'EOF' && ok "latency measured" || bad "the figures did not parse"
		import json, sys
		o, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
		r = o["p50_us"] / t["p50_us"]
		print("round trip p50: ours %.0f us, oslo.messaging %.0f us: ratio %.2f (mean %.2f)"
		      % (o["p50_us"], t["p50_us"], r, o["mean_us"] / t["mean_us"]))
	EOF
}

case "$case_" in
c-calls-oslo) case_c_calls_oslo ;;
oslo-calls-c) case_oslo_calls_c ;;
reconnect) case_reconnect ;;
tls) case_tls ;;
latency) case_latency ;;
*) echo "$me: unknown case '$case_'" >&2; exit 2 ;;
esac
echo "$passes passed, $fails failed"
[ $fails = 0 ] && [ $passes -gt 0 ]
