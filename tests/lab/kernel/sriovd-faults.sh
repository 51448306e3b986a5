#!/bin/bash
# SPDX-License-Identifier: MIT
# sriovd crash safety in the kernel lab: kill -9 at random points of binds
# and unbinds (KILLS times, default 60); after each restart no VF is
# leaked, double-owned or left with a tenant's settings, and nothing is
# pending in the journal.
fails=0
pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
S=/run/sriovd.sock
P() { sriovctl port --socket $S "$@"; }
PJ() { sriovctl -j port --socket $S "$@"; }
KILLS=${KILLS:-60}
NVF=4

echo $NVF >/sys/class/net/eth0/device/sriov_numvfs
echo 2 >/sys/class/net/ib0/device/sriov_numvfs
mkdir -p /etc/sriov
cat >/etc/sriov/sriovd.yaml <<EOF
physnets:
  physnet1: [eth0]
  ibnet: [ib0]
state_dir: /tmp/sriovd
socket: $S
check_interval: 0
EOF
start() {
	sriovd 2>>/tmp/sriovd.log &
	PID=$!
	for _ in $(seq 200); do P health >/dev/null 2>&1 && return 0; sleep 0.05; done
	echo "sriovd did not come up"
	return 1
}
vf() { ip -j link show "$1" | jq -c ".[0].vfinfo_list[$2]"; }

# The invariants, against the database and the kernel.
verify() { # verify ROUND
	local bad=0 vfs ports
	vfs=$(PJ vfs) || { echo "  round $1: vf.list failed"; return 1; }
	ports=$(PJ list)
	[ "$(PJ health | jq .pending_operations)" = 0 ] ||
		{ echo "  round $1: journal entries left pending"; bad=1; }
	[ -z "$(echo "$ports" | jq -r '.[] | select(.status!="bound") | .id')" ] ||
		{ echo "  round $1: half-bound ports: $(echo "$ports" | jq -c '.[] | select(.status!="bound")')"; bad=1; }
	dup=$(echo "$ports" | jq -r '.[] | "\(.pf) \(.vf)"' | sort | uniq -d)
	[ -z "$dup" ] || { echo "  round $1: VF owned twice: $dup"; bad=1; }
	[ "$(echo "$vfs" | jq '[.[] | select(.state=="bound")] | length')" = \
		"$(echo "$ports" | jq length)" ] || { echo "  round $1: bound VFs != ports"; bad=1; }
	# leaked: every VF is free, bound to a port, or quarantined (reported)
	q=$(echo "$vfs" | jq -r '.[] | select(.state=="quarantined") | "\(.pf) \(.vf): \(.reason)"')
	[ -z "$q" ] || { echo "  round $1: quarantined: $q"; bad=1; }
	for i in $(seq 0 $((NVF - 1))); do
		st=$(echo "$vfs" | jq -r ".[] | select(.pf==\"eth0\" and .vf==$i) | .state")
		k=$(vf eth0 $i)
		if [ "$st" = free ]; then
			# a free VF carries nothing of a tenant
			want='{"vlan":0,"mac":"00:00:00:00:00:00","link":"disable","trust":false}'
			got=$(echo "$k" | jq -c '{vlan: (.vlan_list[0].vlan // 0), mac: .address, link: .link_state, trust: .trust}')
			[ "$got" = "$want" ] || { echo "  round $1: free eth0 vf $i: $got"; bad=1; }
		elif [ "$st" = bound ]; then
			want=$(echo "$ports" | jq -r ".[] | select(.pf==\"eth0\" and .vf==$i) | .settings.network.vlan")
			got=$(echo "$k" | jq -r '.vlan_list[0].vlan')
			[ "$got" = "$want" ] || { echo "  round $1: bound eth0 vf $i has vlan $got, its port wants $want"; bad=1; }
		fi
	done
	for i in 0 1; do
		st=$(echo "$vfs" | jq -r ".[] | select(.pf==\"ib0\" and .vf==$i) | .state")
		g=$(vf ib0 $i | jq -r '."node guid"')
		if [ "$st" = free ] && [ "$g" != ff:ff:ff:ff:ff:ff:ff:ff ]; then
			echo "  round $1: free ib0 vf $i keeps guid $g"
			bad=1
		fi
	done
	return $bad
}

# A client that never stops: binds and unbinds ports with distinct VLANs.
client() {
	while :; do
		n=$((RANDOM % 6))
		if [ $((RANDOM % 3)) = 0 ]; then
			P bind ib$n network ibnet pkey 0x80$((10 + n)) >/dev/null 2>&1
			P unbind ib$n >/dev/null 2>&1
		else
			P bind p$n network physnet1 vlan $((100 + n)) mac 02:00:00:00:00:1$n \
				trust on >/dev/null 2>&1
			[ $((RANDOM % 2)) = 0 ] && P unbind p$n >/dev/null 2>&1
		fi
	done
}

set -m # the client in its own process group, stopped as a whole
start || exit 1
client &
CPID=$!
recovered=0
for round in $(seq $KILLS); do
	# a random point: 0..399 ms into the clients' stream of operations
	sleep "0.$(printf %03d $((RANDOM % 400)))"
	kill -9 $PID
	wait $PID 2>/dev/null
	kill -STOP -$CPID 2>/dev/null
	before=$(grep -c 'recovery:.*did not finish' /tmp/sriovd.log)
	start || { fail "round $round: restart"; break; }
	after=$(grep -c 'recovery:.*did not finish' /tmp/sriovd.log)
	recovered=$((recovered + after - before))
	if verify $round; then pass "round $round: consistent after kill -9"; else fail "round $round: consistent after kill -9"; fi
	kill -CONT -$CPID 2>/dev/null
done
kill -- -$CPID
wait $CPID 2>/dev/null
echo "faults: $KILLS kills, $recovered half-done operations finished or rolled back on restart"
[ $recovered -gt 0 ] || fail "faults: no kill landed inside an operation (test too coarse)"
# the end: everything unbinds cleanly
for id in $(PJ list | jq -r '.[].id'); do P unbind $id >/dev/null || fail "final unbind $id"; done
verify final && pass "final: all unbound and clean" || fail "final: all unbound and clean"
kill $PID
wait $PID
if grep -q Sanitizer /tmp/sriovd.log; then
	fail "no sanitizer reports"
fi
if [ $fails -ne 0 ]; then
	tail -50 /tmp/sriovd.log
	echo "sriovd-faults: $fails check(s) failed"
	exit 1
fi
echo "sriovd-faults: all checks passed"
