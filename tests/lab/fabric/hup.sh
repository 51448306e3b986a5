#!/bin/bash
# SPDX-License-Identifier: MIT
#
# `sriovctl fabric render --hup PIDFILE` in the fabric lab (run it through
# tests/lab/fabric/run): the file is installed first; then only a process
# that /proc shows is opensm gets SIGHUP.
#   1. a pid file naming `sleep`: refused, sleep survives, the file is new;
#   2. a pid file naming no process, or holding no number: refused;
#   3. an "opensm" (a copy of sleep by that name) the caller may not
#      signal (root only: sriovctl runs as nobody): the error says the file
#      is in place and OpenSM has not reread it; the process survives;
#   4. the real OpenSM, running on the simulated fabric: signalled, it
#      sweeps again and programs the new file's P-keys.
#
# SRIOVCTL (or SRIOV_BUILD_DIR) locates sriovctl.
set -u
. "$FABRIC_LAB_DIR/lib.sh"

src=$(cd "$FABRIC_LAB_DIR/../../.." && pwd)
echo "interceptor_via_lib:libumad2sim.so" >"$FABRIC_DIR/asan.supp"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:suppressions=$FABRIC_DIR/asan.supp:detect_leaks=0
sriovctl=${SRIOVCTL:-${SRIOV_BUILD_DIR:-$src/build}/src/cli/sriovctl}
[ -x "$sriovctl" ] || { echo "hup: error: no sriovctl at $sriovctl" >&2; exit 1; }
fail=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }
D=$FABRIC_DIR
conf=$D/partitions.conf
started=()
stop_started() {
	local p
	for p in "${started[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}
trap stop_started EXIT
# alive PID: running, not a zombie (a killed child of ours stays one).
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# intent N: tenant 0x0100 with Hca2 full and, for N=2, Hca3 full as well.
intent() {
	cat <<YAML
partitions:
  - name: Default
    pkey: 0x7fff
    members:
      - {group: ALL, membership: full}
  - name: tenant$1
    pkey: 0x0${1}00
    members:
      - {guid: 0x0002c90300000021, membership: full}
YAML
	[ "$1" = 2 ] && echo "      - {guid: 0x0002c90300000031, membership: full}"
}
intent 1 >"$D/i1.yaml"
intent 2 >"$D/i2.yaml"
"$sriovctl" fabric render "$D/i1.yaml" -o "$conf" >/dev/null || { failed "render without --hup"; exit 1; }

# 1. sleep is not OpenSM.
sleep 600 &
sl=$!
started+=("$sl")
echo "$sl" >"$D/sleep.pid"
if "$sriovctl" fabric render "$D/i2.yaml" -o "$conf" --hup "$D/sleep.pid" >"$D/out" 2>"$D/err"; then
	failed "a pid file naming sleep was accepted"
elif ! grep -q "is 'sleep', not opensm" "$D/err" || ! grep -qF "'$conf' is in place" "$D/err"; then
	failed "refusal of sleep does not say why, or where the file is: $(cat "$D/err")"
else
	pass "sleep refused: $(cat "$D/err")"
fi
alive "$sl" && pass "sleep (pid $sl) survived" || failed "sleep (pid $sl) was signalled"
grep -q "tenant2=0x0200" "$conf" && pass "file rendered though not signalled" || failed "file not rendered"

# 2. no such process; not a number.
"$sriovctl" fabric render "$D/i1.yaml" -o "$conf" >/dev/null
dead=$(sh -c 'echo $$')
echo "$dead" >"$D/dead.pid"
if "$sriovctl" fabric render "$D/i2.yaml" -o "$conf" --hup "$D/dead.pid" 2>"$D/err" >/dev/null; then
	failed "a pid file naming no process was accepted"
elif grep -qF "'$conf' is in place" "$D/err" && grep -q "tenant2" "$conf"; then
	pass "no process: $(cat "$D/err")"
else
	failed "no process: $(cat "$D/err")"
fi
echo "opensm" >"$D/word.pid"
if "$sriovctl" fabric render "$D/i2.yaml" -o "$conf" --hup "$D/word.pid" 2>"$D/err" >/dev/null; then
	failed "a pid file holding a word was accepted"
else
	grep -q "not a process id" "$D/err" && pass "not a number: $(cat "$D/err")" || failed "not a number: $(cat "$D/err")"
fi

# 3. An opensm the caller may not signal.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$D/fake" && cp "$(command -v sleep)" "$D/fake/opensm"
	"$D/fake/opensm" 600 &
	fk=$!
	started+=("$fk")
	echo "$fk" >"$D/fake.pid"
	# nobody must reach the files in $D by name
	chmod 0711 "$D"
	mkdir -m 0777 "$D/nobody"
	"$sriovctl" fabric render "$D/i1.yaml" -o "$D/nobody/p.conf" >/dev/null
	chmod 0666 "$D/nobody/p.conf"
	if setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$sriovctl" fabric render "$D/i2.yaml" -o "$D/nobody/p.conf" --hup "$D/fake.pid" 2>"$D/err" >/dev/null; then
		failed "sending SIGHUP to another user's opensm succeeded"
	elif grep -q "is in place, but OpenSM has not reread it" "$D/err" && grep -q tenant2 "$D/nobody/p.conf"; then
		pass "signal refused by the kernel: $(cat "$D/err")"
	else
		failed "failed signal: $(cat "$D/err")"
	fi
	alive "$fk" && pass "unsignalled opensm survived" || failed "unsignalled opensm is gone"
else
	echo "note: not root (or no setpriv): the EPERM case is not run"
fi

# 4. The real OpenSM, as a daemon on the simulated fabric (-d2: its log
# is flushed at once, so the test sees "SUBNET UP").
"$sriovctl" fabric render "$D/i1.yaml" -o "$conf" >/dev/null
(cd "$D" && exec opensm -e -P "$conf" -f "$D/osm-daemon.log" -s 0 -D 0x07 -d2) >"$D/osm-daemon.out" 2>&1 &
osm=$!
started+=("$osm")
echo "$osm" >>"$D/pids"
echo "$osm" >"$D/opensm.pid"
up() {
	local n
	n=$(grep -ac "SUBNET UP" "$D/osm-daemon.log" 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
}
for _ in $(seq 1 200); do up 1 && break; sleep 0.1; done
up 1 || { failed "OpenSM did not bring the subnet up: $(tail -3 "$D/osm-daemon.log")"; exit 1; }
lid=$(fabric_lid 0x0002c90300000031)
before=$(fabric_pkeys "$lid" 1)
[ "$before" = "0xffff" ] && pass "Hca3 before: $before" || failed "Hca3 before: '$before', want 0xffff"
if "$sriovctl" -j fabric render "$D/i2.yaml" -o "$conf" --hup "$D/opensm.pid" >"$D/out" 2>"$D/err" &&
	jq -e '.signalled == true' "$D/out" >/dev/null; then
	pass "opensm (pid $osm) signalled"
else
	failed "opensm not signalled: $(cat "$D/err")"
fi
after=""
for _ in $(seq 1 100); do
	after=$(fabric_pkeys "$lid" 1)
	[ "$after" = "0x8200 0xffff" ] && break
	sleep 0.2
done
[ "$after" = "0x8200 0xffff" ] && pass "OpenSM reread the file: Hca3 now $after" ||
	failed "Hca3 after SIGHUP: '$after', want '0x8200 0xffff'"
alive "$osm" && pass "OpenSM still runs after SIGHUP" || failed "OpenSM died of SIGHUP"

[ "$fail" -eq 0 ] && echo "PASS: hup" || echo "FAIL: hup"
exit "$fail"
