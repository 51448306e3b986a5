#!/bin/bash
# SPDX-License-Identifier: MIT
# sriovd in the kernel lab (docs/sriovd.md): bind and unbind with every
# setting read back with `ip -j link show`, restore and scrub, InfiniBand
# GUIDs, vfio-pci on real PCI VFs, bad requests changing nothing, drift
# repaired, quarantine and operator clear, restart. One PASS/FAIL per check.
. /lab/lib.sh || exit 1

NVME=0000:01:00.0
echo 4 >/sys/class/net/eth0/device/sriov_numvfs
echo 2 >/sys/class/net/eth1/device/sriov_numvfs
echo 2 >/sys/class/net/ib0/device/sriov_numvfs
echo 2 >/sys/bus/pci/devices/$NVME/sriov_numvfs
# dirty state before sriovd starts: a VF left by "someone else"
ip link set eth0 vf 1 vlan 77 mac 02:de:ad:00:00:01

mkdir -p /etc/sriov
cat >/etc/sriov/sriovd.yaml <<EOF
physnets:
  physnet1: [eth0]
  physnet2: [eth1]
  ibnet: [ib0]
  nvmenet: ["$NVME"]
exclude_devices:
  - "eth0:vf3"
guid:
  policy: allocate
  prefix: "02:5e:00:01"
state_dir: /tmp/sriovd
socket: $S
socket_mode: "0666"
check_interval: 2
metrics_file: /tmp/sriovd.prom
EOF
check "config: --check-config accepts the lab config" sriovd --check-config
printf 'physnets:\n  p: [eth0]\n  q: [eth0]\n' >/tmp/bad.yaml
out=$(sriovd -c /tmp/bad.yaml 2>&1)
check "config: a PF in two physnets is refused with line:column" \
	has err "$out" "/tmp/bad.yaml:3:7: physnets: pf 'eth0' is listed twice"

check "sriovd starts and answers health" sriovd_start

check "socket: mode from the config (0666)" eq mode "$(stat -c %a $S)" 666
check "startup: eth0 vf 1 left by someone else is scrubbed (vlan 0)" \
	eq vlan "$(vfinfo eth0 1 '.vlan_list[0].vlan // 0')" 0
check "startup: eth0 vf 1 mac zeroed" eq mac "$(vfinfo eth0 1 .address)" 00:00:00:00:00:00
check "startup: free eth0 vf 0 link disabled" eq state "$(vfinfo eth0 0 .link_state)" disable
check "startup: excluded eth0 vf 3 untouched (link auto)" eq state "$(vfinfo eth0 3 .link_state)" auto
check "vf list: 10 VFs known" eq n "$(PJ vfs | jq length)" 10

# --- Ethernet bind with every setting ---
r=$(PJ bind t1 network physnet1 vlan 100 qos 2 mac 02:11:22:33:44:55 \
	trust on spoofchk off min_tx_rate 10 max_tx_rate 100)
v1=$(echo "$r" | jq -r .vf)
check "bind t1: answered with pf eth0" eq pf "$(echo "$r" | jq -r .pf)" eth0
check "bind t1: mac reads back" eq mac "$(vfinfo eth0 $v1 .address)" 02:11:22:33:44:55
check "bind t1: vlan reads back" eq vlan "$(vfinfo eth0 $v1 '.vlan_list[0].vlan')" 100
check "bind t1: qos reads back" eq qos "$(vfinfo eth0 $v1 '.vlan_list[0].qos')" 2
check "bind t1: trust on" eq trust "$(vfinfo eth0 $v1 .trust)" true
check "bind t1: spoofchk off" eq spoofchk "$(vfinfo eth0 $v1 .spoofchk)" false
check "bind t1: rates" eq rate "$(vfinfo eth0 $v1 '"\(.rate.min_tx) \(.rate.max_tx)"')" "10 100"
check "bind t1: link enabled" eq state "$(vfinfo eth0 $v1 .link_state)" enable
check "bind t1: numa_node a node or null (README's JSON)" \
	eq numa "$(echo "$r" | jq '.numa_node | . == null or . >= 0')" true
check "bind t1: no libvirt xml for a non-PCI VF, and says why" \
	has note "$(echo "$r" | jq -r .libvirt_xml_note)" "no pci function"
r=$(PJ bind t2 network physnet1 vlan 200 proto 802.1ad)
v2=$(echo "$r" | jq -r .vf)
check "bind t2: another VF" test "$v2" != "$v1"
check "bind t2: vlan 200" eq vlan "$(vfinfo eth0 $v2 '.vlan_list[0].vlan')" 200
check "bind t2: 802.1ad" eq proto "$(vfinfo eth0 $v2 '.vlan_list[0].protocol')" 802.1ad
r=$(PJ bind t3 network physnet1)
v3=$(echo "$r" | jq -r .vf)
check "bind t3: flat port gets vlan 0" eq vlan "$(vfinfo eth0 $v3 '.vlan_list[0].vlan // 0')" 0
out=$(P bind t4 network physnet1 2>&1)
check "bind t4: no free vf (vf3 excluded)" has err "$out" "no free vf on network 'physnet1'"
check "bind: the excluded vf 3 was never chosen" \
	eq vfs "$(echo $v1 $v2 $v3 | tr ' ' '\n' | sort | tr '\n' ' ')" "0 1 2 "
out=$(P bind t1 network physnet1 2>&1)
check "bind t1 again: refused, already bound" has err "$out" "already bound"

# --- unbind: restore then scrub, read back ---
r=$(PJ unbind t1)
check "unbind t1: vf free" eq state "$(echo "$r" | jq -r .vf_state)" free
check "unbind t1: vlan gone" eq vlan "$(vfinfo eth0 $v1 '.vlan_list[0].vlan // 0')" 0
check "unbind t1: qos gone" eq qos "$(vfinfo eth0 $v1 '.vlan_list[0].qos // 0')" 0
check "unbind t1: mac gone" eq mac "$(vfinfo eth0 $v1 .address)" 00:00:00:00:00:00
check "unbind t1: trust off" eq trust "$(vfinfo eth0 $v1 .trust)" false
check "unbind t1: spoofchk on" eq spoofchk "$(vfinfo eth0 $v1 .spoofchk)" true
check "unbind t1: link disabled" eq state "$(vfinfo eth0 $v1 .link_state)" disable
check "unbind t1: rates restored to the original (0 0)" \
	eq rate "$(vfinfo eth0 $v1 '"\(.rate.min_tx) \(.rate.max_tx)"')" "0 0"
out=$(P show t1 2>&1)
check "show t1 after unbind: no such port" has err "$out" "no port 't1'"

# --- InfiniBand: GUID allocated, invalidated on release ---
r=$(PJ bind ib-a network ibnet pkey 0x8001)
vi=$(echo "$r" | jq -r .vf)
g=$(echo "$r" | jq -r .guid)
# README's JSON form "0x" + 16 hex; ip prints xx:..:xx
check "ib bind: guid under the configured prefix, as README's JSON writes it" \
	test "$(echo "$g" | grep -cE '^0x025e0001[0-9a-f]{8}$')" = 1
gc=$(echo "${g#0x}" | sed 's/../&:/g; s/:$//')
check "ib bind: node guid reads back" eq node "$(vfinfo ib0 $vi '."node guid"')" "$gc"
check "ib bind: port guid reads back" eq port "$(vfinfo ib0 $vi '."port guid"')" "$gc"
check "ib bind: pkey in the answer" eq pkey "$(echo "$r" | jq -r .pkey)" 0x8001
out=$(P bind ib-b network ibnet guid "$g" 2>&1)
check "ib bind: a guid in use is refused" has err "$out" "in use by another port"
out=$(P bind ib-c network ibnet vlan 5 2>&1)
check "ib bind: a vlan on InfiniBand is refused" has err "$out" "InfiniBand"
P unbind ib-a >/dev/null
check "ib unbind: node guid invalidated" eq node "$(vfinfo ib0 $vi '."node guid"')" ff:ff:ff:ff:ff:ff:ff:ff
check "ib unbind: port guid invalidated" eq port "$(vfinfo ib0 $vi '."port guid"')" ff:ff:ff:ff:ff:ff:ff:ff

# --- NVMe PF: real PCI VFs, vfio-pci, libvirt XML ---
vf0=$(basename "$(readlink /sys/bus/pci/devices/$NVME/virtfn0)")
orig=$(basename "$(readlink /sys/bus/pci/devices/$vf0/driver)" 2>/dev/null)
r=$(PJ bind nv1 network nvmenet mac 02:00:00:00:aa:01)
out=$(P bind nv9 network nvmenet vlan 10 2>&1)
check "nvme: vlan on a PF without netdev is refused" has err "$out" "has no netdev"
va=$(echo "$r" | jq -r .address)
numa=$(cat /sys/bus/pci/devices/$va/numa_node)
check "nvme bind: numa_node $numa in sysfs is $([ "$numa" = -1 ] && echo null || echo "$numa") in the answer" \
	eq numa "$(echo "$r" | jq -c .numa_node)" "$([ "$numa" = -1 ] && echo null || echo "$numa")"
check "nvme bind: answered with a PCI address" test -e "/sys/bus/pci/devices/$va/physfn"
check "nvme bind: vf bound to vfio-pci" \
	eq driver "$(basename "$(readlink /sys/bus/pci/devices/$va/driver)")" vfio-pci
xml=$(echo "$r" | jq -r .libvirt_xml)
fn=${va##*.}
check "nvme bind: libvirt xml is a hostdev interface with the mac" \
	has xml "$xml" "<interface type='hostdev' managed='yes'>"
check "nvme bind: libvirt xml carries the vf's function" has xml "$xml" "function='0x$fn'"
echo "$xml" >"$SRIOV_LAB_OUT/nvme-interface.xml" 2>/dev/null
P unbind nv1 >/dev/null
check "nvme unbind: driver restored ($orig)" \
	eq driver "$(basename "$(readlink /sys/bus/pci/devices/$va/driver)" 2>/dev/null)" "$orig"

# --- bad requests: clear errors, nothing changed ---
before=$(PJ vfs; PJ list)
bad() { # bad NAME EXPECTED-TEXT REQUEST
	out=$(P request "$3" 2>&1)
	has "$1" "$out" "$2"
}
check "bad: unknown network" bad net "unknown network 'nope'" \
	'{"op":"port.bind","port":{"id":"x","network":{"physnet":"nope"}}}'
check "bad: vlan 4096" bad vlan "invalid vlan 4096" \
	'{"op":"port.bind","port":{"id":"x","network":{"physnet":"physnet1","vlan":4096}}}'
check "bad: malformed mac" bad mac "invalid mac '02:11:22:33:44'" \
	'{"op":"port.bind","port":{"id":"x","mac":"02:11:22:33:44","network":{"physnet":"physnet1"}}}'
check "bad: malformed guid" bad guid "invalid guid '12:34'" \
	'{"op":"port.bind","port":{"id":"x","guid":"12:34","network":{"physnet":"ibnet"}}}'
check "bad: pf with /" bad slash "invalid pf '../eth0'" \
	'{"op":"port.bind","port":{"id":"x","pf":"../eth0","network":{"physnet":"physnet1"}}}'
check "bad: pf with .." bad dots "invalid pf '..'" \
	'{"op":"port.bind","port":{"id":"x","pf":"..","network":{"physnet":"physnet1"}}}'
check "bad: port id with /" bad id "invalid id 'a/b'" \
	'{"op":"port.unbind","id":"a/b"}'
check "bad: truncated json" bad trunc "truncated json" '{"op":"port.bind","port":{"id":"x"'
big=$(head -c 70000 /dev/zero | tr '\0' a)
check "bad: oversized request" bad big "request too large: more than 65536 bytes" \
	"{\"op\":\"health\",\"pad\":\"$big\"}"
check "bad: unknown op" bad op "unknown op 'port.explode'" '{"op":"port.explode"}'
grep -q '^nobody:' /etc/passwd 2>/dev/null || echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
other=""
if busybox su -s /bin/sh nobody -c "sriovctl port --socket $S health" >/tmp/other.out 2>&1 ||
	grep -q 'not allowed' /tmp/other.out; then
	other=$(cat /tmp/other.out)
fi
if [ -n "$other" ]; then
	check "bad: a client of another uid is refused" has other "$other" "uid 65534 is not allowed"
else
	echo "SKIP another-uid check: cannot switch uid in the guest ($(cat /tmp/other.out))"
fi
after=$(PJ vfs; PJ list)
check "bad: nothing changed (vf and port lists identical)" eq state "$after" "$before"

# --- drift: changed behind sriovd's back ---
ip link set eth0 vf $v2 vlan 999
ok=1
for _ in $(seq 50); do
	[ "$(vfinfo eth0 $v2 '.vlan_list[0].vlan')" = 200 ] && ok=0 && break
	sleep 0.1
done
check "drift: bound vf's vlan changed behind our back is repaired" test $ok = 0
ip link set eth0 vf $v1 state enable vlan 12
ok=1
for _ in $(seq 50); do
	[ "$(vfinfo eth0 $v1 .link_state)" = disable ] &&
		[ "$(vfinfo eth0 $v1 '.vlan_list[0].vlan // 0')" = 0 ] && ok=0 && break
	sleep 0.1
done
check "drift: free vf touched behind our back is scrubbed again" test $ok = 0

# --- quarantine: a VF that cannot be scrubbed is never handed out ---
P bind q1 network physnet2 >/dev/null
echo 0 >/sys/class/net/eth1/device/sriov_numvfs
r=$(PJ unbind q1)
check "quarantine: vf gone during unbind -> quarantined" \
	eq state "$(echo "$r" | jq -r .vf_state)" quarantined
echo 2 >/sys/class/net/eth1/device/sriov_numvfs
sleep 0.5
r=$(PJ bind q2 network physnet2)
qv=$(PJ vfs | jq -r '.[] | select(.state=="quarantined") | "\(.pf) \(.vf)"')
check "quarantine: the other eth1 vf is used, not the quarantined one" \
	test "$(echo "$r" | jq -r .vf)" != "${qv#* }"
out=$(P bind q3 network physnet2 2>&1)
check "quarantine: never handed out" has err "$out" "no free vf"
check "quarantine: health is degraded, saying why" \
	eq health "$(PJ health | jq -r '"\(.status) \(.vfs.quarantined) \(.reason | test("quarantined"))"')" \
	"degraded 1 true"
P clear $qv >/dev/null
check "quarantine: health is ok again after the clear" eq health "$(PJ health | jq -r .status)" ok
check "quarantine: operator clear frees it" \
	eq state "$(PJ vfs | jq -r ".[] | select(.pf==\"eth1\" and .vf==${qv#* }) | .state")" free
check "quarantine: cleared vf is scrubbed before use" \
	eq state "$(vfinfo eth1 ${qv#* } .link_state)" disable

# --- metrics, restart ---
m=$(P metrics)
check "metrics: vfs by state per pf and physnet" \
	has m "$m" 'sriovd_vfs{pf="eth0",physnet="physnet1",state="bound"} 2'
check "metrics: bind latency histogram" has m "$m" 'sriovd_operation_seconds_count{op="bind"}'
check "metrics: drift repaired counted" sh -c "echo '$m' | grep -q '^sriovd_drift_repaired_total [1-9]'"
check "metrics: textfile written" test -s /tmp/sriovd.prom
# per-VF counters (IFLA_VF_STATS): netdevsim has no ndo_get_vf_stats, so the
# kernel sends zeros; check presence and format, and that each value is the
# one ip -s reads for the same VF (iproute2 names tx ones tx_bytes and
# tx_packets inside "tx").
st=$(ip -s -j link show eth0 | jq -c ".[0].vfinfo_list[$v2].stats")
for c in rx_packets:.rx.packets 'tx_packets:(.tx.packets // .tx.tx_packets)' \
	rx_bytes:.rx.bytes 'tx_bytes:(.tx.bytes // .tx.tx_bytes)' broadcast:.rx.broadcast multicast:.rx.multicast \
	rx_dropped:.rx.dropped tx_dropped:.tx.dropped; do
	n=${c%%:*}
	want=$(echo "$st" | jq -r "${c#*:}")
	check "metrics: sriovd_vf_${n}_total of t2 is ip -s's ($want)" \
		has m "$m" "sriovd_vf_${n}_total{pf=\"eth0\",vf=\"$v2\",port=\"t2\"} $want"
	check "metrics: sriovd_vf_${n}_total typed counter" \
		has m "$m" "# TYPE sriovd_vf_${n}_total counter"
done
check "metrics: every vf counter line well formed" sh -c "echo '$m' | grep '^sriovd_vf_' | \
	grep -Evq '^sriovd_vf_[a-z_]+_total\{pf=\"[^\"]+\",vf=\"[0-9]+\",port=\"[^\"]*\"\} [0-9]+\$' && exit 1 || exit 0"
nvf=$(for l in eth0 eth1 ib0; do ip -j link show $l | jq '.[0].vfinfo_list | length'; done |
	awk '{ n += $1 } END { print n - 1 }') # eth0 vf3 is excluded
check "metrics: 8 counters for each of the $nvf managed netdev vfs" \
	eq lines "$(echo "$m" | grep -c '^sriovd_vf_.*_total{')" $((nvf * 8))
check "metrics: a free vf is exported with port=\"\"" \
	sh -c "echo '$m' | grep -q '^sriovd_vf_rx_bytes_total{pf=\"eth1\",vf=\"[0-9]\",port=\"\"}'"
check "metrics: the excluded eth0 vf 3 is not exported" \
	sh -c "! echo '$m' | grep -q '^sriovd_vf_rx_bytes_total{pf=\"eth0\",vf=\"3\"'"
kill $PID
wait $PID
check "restart: sriovd starts again" sriovd_start
check "restart: ports survive" eq ports "$(PJ list | jq -r '[.[].id] | sort | join(" ")')" "q2 t2 t3"
check "restart: t2 still has vlan 200" eq vlan "$(vfinfo eth0 $v2 '.vlan_list[0].vlan')" 200
kill $PID
wait $PID
if grep -q Sanitizer /tmp/sriovd.log; then
	fail "no sanitizer reports"
fi
if [ $fails -ne 0 ]; then
	echo "--- sriovd log"
	cat /tmp/sriovd.log
fi
finish sriovd-basic
