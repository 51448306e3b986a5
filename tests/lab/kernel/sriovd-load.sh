#!/bin/bash
# SPDX-License-Identifier: MIT
# sriovd under load in the kernel lab: many concurrent clients binding and
# unbinding on few VFs. Every request is answered, no VF is ever owned
# twice, the binds that succeed equal the VFs free. Then the benchmark
# figures (tests/bench/sriovd.sh reads the BENCH lines).
. /lab/lib.sh || exit 1
NVF=${NVF:-4}
CLIENTS=${CLIENTS:-16}

echo $NVF >/sys/class/net/eth0/device/sriov_numvfs
mkdir -p /etc/sriov
cat >/etc/sriov/sriovd.yaml <<EOF
physnets:
  physnet1: [eth0]
state_dir: /tmp/sriovd
socket: $S
check_interval: 5
EOF
sriovd_start

# Round after round: $CLIENTS clients bind at once, exactly $NVF succeed.
for round in 1 2 3; do
	rm -rf /tmp/res && mkdir /tmp/res
	for c in $(seq $CLIENTS); do
		(P bind r$round-c$c network physnet1 vlan $((100 + c)) \
			>/tmp/res/$c.out 2>/tmp/res/$c.err
		echo $? >/tmp/res/$c.rc) &
	done
	wait $(jobs -p | grep -v "^$PID$") 2>/dev/null
	answered=$(cat /tmp/res/*.rc | wc -l)
	ok=$(grep -l '^0$' /tmp/res/*.rc | wc -l)
	nospace=$(grep -l "no free vf" /tmp/res/*.err | wc -l)
	check "round $round: all $CLIENTS requests answered" eq answered "$answered" $CLIENTS
	check "round $round: successes == free VFs ($NVF)" eq ok "$ok" $NVF
	check "round $round: every failure is 'no free vf'" eq nospace "$nospace" $((CLIENTS - NVF))
	owners=$(PJ vfs | jq -r '.[] | select(.state=="bound") | .port' | sort)
	check "round $round: no VF owned twice" eq dup "$(echo "$owners" | uniq -d)" ""
	check "round $round: bound VFs == ports" \
		eq n "$(echo "$owners" | grep -c .)" "$(PJ list | jq length)"
	# each VF's kernel VLAN is its owner's
	for p in $(PJ list | jq -r '.[] | "\(.vf):\(.settings.network.vlan)"'); do
		v=$(vfinfo eth0 "${p%%:*}" '.vlan_list[0].vlan')
		[ "$v" = "${p#*:}" ] || fail "round $round: vf ${p%%:*} vlan $v, owner wants ${p#*:}"
	done
	for id in $(PJ list | jq -r '.[].id'); do P unbind $id >/dev/null & done
	wait $(jobs -p | grep -v "^$PID$") 2>/dev/null
	check "round $round: all unbound, all free" \
		eq free "$(PJ vfs | jq '[.[] | select(.state=="free")] | length')" $NVF
done

# Churn: every client binds and unbinds its own port, over and over.
rm -rf /tmp/churn && mkdir /tmp/churn
for c in $(seq 8); do
	(n=0 a=0
	for i in $(seq 10); do
		P bind ch$c network physnet1 vlan $((200 + c)) >/dev/null 2>/tmp/churn/$c.e1
		rc=$?
		n=$((n + 1))
		if [ $rc = 0 ] || grep -q "no free vf" /tmp/churn/$c.e1; then a=$((a + 1)); fi
		if [ $rc = 0 ]; then
			P unbind ch$c >/dev/null 2>&1 && a=$((a + 1))
			n=$((n + 1))
		fi
	done
	echo "$n $a" >/tmp/churn/$c) &
done
wait $(jobs -p | grep -v "^$PID$") 2>/dev/null
sent=$(cat /tmp/churn/[0-9] | awk '{s += $1} END {print s}')
good=$(cat /tmp/churn/[0-9] | awk '{s += $2} END {print s}')
check "churn: every request answered as expected ($sent)" eq answered "$good" "$sent"
check "churn: all VFs free at the end" \
	eq free "$(PJ vfs | jq '[.[] | select(.state=="free")] | length')" $NVF
check "churn: journal has nothing pending" \
	eq pending "$(PJ health | jq .pending_operations)" 0

# ---- benchmark: sequential bind+unbind through sriovctl ----
# busybox date has no %N; bash 5 has $EPOCHREALTIME (seconds.micro)
now_us() { echo "${EPOCHREALTIME/./}"; }
N=${BENCH_N:-100}
rm -f /tmp/lat
t0=$(now_us)
for i in $(seq $N); do
	a=$(now_us)
	P bind b$i network physnet1 vlan 300 mac 02:00:00:00:01:01 >/dev/null || fail "bench bind $i"
	P unbind b$i >/dev/null || fail "bench unbind $i"
	echo $(($(now_us) - a)) >>/tmp/lat
done
t1=$(now_us)
sort -n /tmp/lat >/tmp/lat.s
p50=$(sed -n "$(((N + 1) / 2))p" /tmp/lat.s)
p99=$(sed -n "$(((N * 99 + 99) / 100))p" /tmp/lat.s)
echo "BENCH bind+unbind cycles=$N p50_us=$p50 p99_us=$p99 cycles_per_s=$(echo "$N $t0 $t1" | awk '{printf "%.1f", $1 / (($3 - $2) / 1e6)}')"
m=$(P metrics)
echo "$m" | grep -E '^sriovd_operation_seconds_(sum|count)' | sed 's/^/BENCH server /'
# client cost alone: a request that touches nothing
a=$(now_us)
for i in $(seq 20); do P health >/dev/null; done
echo "BENCH health round trip (sriovctl spawn included) us=$((($(now_us) - a) / 20))"
# idle CPU and memory (a drift check of the 4 VFs every 5 s included)
t=$(awk '{print $14 + $15}' /proc/$PID/stat)
sleep 10
t2=$(awk '{print $14 + $15}' /proc/$PID/stat)
echo "BENCH idle cpu_ticks_per_10s=$((t2 - t)) (USER_HZ $(getconf CLK_TCK 2>/dev/null || echo 100))"
grep -E 'VmRSS|VmHWM' /proc/$PID/status | sed 's/^/BENCH /'

kill $PID
wait $PID
if grep -q Sanitizer /tmp/sriovd.log; then
	fail "no sanitizer reports"
fi
if [ $fails -ne 0 ]; then
	echo "--- sriovd log"
	cat /tmp/sriovd.log
fi
finish sriovd-load
