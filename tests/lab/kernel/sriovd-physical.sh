#!/bin/bash
# SPDX-License-Identifier: MIT
# sriovd and whole PFs (vnic_type direct-physical) in the kernel lab, on
# the NVMe controller's real PCI PF: refused while it has VFs, handed to
# vfio-pci when it has none, its VFs not offered meanwhile, drift (a PF
# taken off vfio-pci) repaired, kept over a restart, given back to the
# driver it had on unbind, and rolled back after kill -9 in the middle of
# a hand-over. One PASS/FAIL per check.
. /lab/lib.sh || exit 1
NVME=0000:01:00.0
D=/sys/bus/pci/devices/$NVME
driver() { basename "$(readlink $D/driver)" 2>/dev/null; }
override() { cat $D/driver_override; }
row() { PJ vfs | jq -c ".[] | select(.whole_pf == true and .pf == \"$NVME\") | {state, excluded, port}"; }

orig=$(driver)
echo "the PF: $NVME on $orig"
echo 2 >$D/sriov_numvfs
mkdir -p /etc/sriov
cat >/etc/sriov/sriovd.yaml <<EOF
physnets:
  nvmenet: ["$NVME"]
  physnet1: [eth0]
direct_physical: ["$NVME", eth0]
state_dir: /tmp/sriovd
socket: $S
check_interval: 2
EOF
check "sriovd starts with direct_physical PFs" sriovd_start
check "a netdevsim PF (not PCI) is not offered whole" \
	has log "$(cat /tmp/sriovd.log)" "pf eth0 is not handed out whole: pf eth0 is on the netdevsim bus"
check "the PF with 2 VFs is listed whole, not available" \
	eq row "$(row)" '{"state":"free","excluded":true,"port":null}'

out=$(P bind w1 network nvmenet vnic direct-physical 2>&1)
check "with VFs: a whole-PF bind is refused" has err "$out" "no free whole pf on network 'nvmenet'"
check "with VFs: the PF stays on $orig" eq driver "$(driver)" "$orig"
out=$(P bind w1 network nvmenet vnic direct-physical vlan 10 2>&1)
check "a vlan on a whole PF is refused" has err "$out" "no host setting can hold to a vlan"
r=$(PJ bind v1 network nvmenet)
check "with VFs: a VF port binds" eq vf "$(echo "$r" | jq -r .vf)" 0
P unbind v1 >/dev/null

echo 0 >$D/sriov_numvfs
r=$(PJ bind w1 network nvmenet vnic direct-physical)
check "without VFs: the whole PF binds" eq whole "$(echo "$r" | jq -c '[.whole_pf, .vf, .address]')" "[true,null,\"$NVME\"]"
check "handed over: the PF is on vfio-pci" eq driver "$(driver)" vfio-pci
check "handed over: driver_override pins vfio-pci" eq override "$(override)" vfio-pci
grp=$(basename "$(readlink $D/iommu_group)")
check "handed over: its vfio group /dev/vfio/$grp exists" test -c /dev/vfio/$grp
xml=$(echo "$r" | jq -r .libvirt_xml)
check "libvirt xml: a hostdev of the PF" \
	has xml "$xml" "<hostdev mode='subsystem' type='pci' managed='yes'>"
check "libvirt xml: its address" \
	has xml "$xml" "domain='0x0000' bus='0x01' slot='0x00' function='0x0'"
echo "$xml" >"$SRIOV_LAB_OUT/whole-pf-hostdev.xml" 2>/dev/null
check "vf.list: the PF row is bound to w1" eq row "$(row)" '{"state":"bound","excluded":false,"port":"w1"}'
m=$(P metrics)
check "metrics: the whole PF in its state" \
	has metrics "$m" "sriovd_whole_pf{pf=\"$NVME\",physnet=\"nvmenet\",state=\"bound\"} 1"
check "metrics: the whole PF is not counted as a VF" \
	has metrics "$m" "sriovd_vfs{pf=\"$NVME\",physnet=\"nvmenet\",state=\"bound\"} 0"
check "port list: w1 holds the whole PF" \
	eq list "$(PJ list | jq -c '.[] | [.id, .vnic_type, .whole_pf, .vf]')" '["w1","direct-physical",true,null]'
out=$(P bind v2 network nvmenet 2>&1)
check "handed over: no VF port on that network" has err "$out" "no free vf on network 'nvmenet'"
out=$(P bind w2 network nvmenet vnic direct-physical 2>&1)
check "handed over: not twice" has err "$out" "no free whole pf"
out=$(P list)
check "text: the port list says (whole)" has list "$out" "nvmenet    $NVME (whole) $NVME"

# Drift: the PF taken off vfio-pci behind sriovd's back.
repaired() { P metrics | sed -n 's/^sriovd_drift_repaired_total //p'; }
r0=$(repaired)
echo $NVME >/sys/bus/pci/drivers/vfio-pci/unbind
for _ in $(seq 60); do [ "$(driver)" = vfio-pci ] && break; sleep 0.2; done
check "drift: the PF is handed over again" eq driver "$(driver)" vfio-pci
check "drift: counted as repaired" eq repaired "$(repaired)" $((r0 + 1))

kill -9 $PID
wait $PID 2>/dev/null
check "restart after kill -9" sriovd_start
check "restart: w1 still holds the PF" eq row "$(row)" '{"state":"bound","excluded":false,"port":"w1"}'
check "restart: the PF still on vfio-pci" eq driver "$(driver)" vfio-pci

r=$(PJ unbind w1)
check "unbind: the PF is free again" eq state "$(echo "$r" | jq -r .vf_state)" free
check "unbind: the PF is back on $orig" eq driver "$(driver)" "$orig"
check "unbind: no driver_override left" eq override "$(override)" "(null)"
check "unbind: the PF makes VFs again" sh -c "echo 2 >$D/sriov_numvfs && test -e $D/virtfn1"
echo 0 >$D/sriov_numvfs

# kill -9 inside a hand-over: every step 3 s longer, a kill at 1.5, 4.5
# and 7.5 s lands before the save, between save and hand-over, and after
# the hand-over before the bind is done; each must be rolled back.
kill $PID
wait $PID
for at in 1.5 4.5 7.5; do
	SRIOVD_TEST_STEP_DELAY_MS=3000 sriovd_start
	P bind k1 network nvmenet vnic direct-physical >/dev/null 2>&1 &
	sleep $at
	kill -9 $PID
	wait $PID 2>/dev/null
	wait
	before=$(grep -c 'recovery:.*did not finish' /tmp/sriovd.log)
	sriovd_start || fail "restart after a kill at $at s"
	after=$(grep -c 'recovery:.*did not finish' /tmp/sriovd.log)
	check "kill -9 at $at s into a hand-over: rolled back on restart" eq recovered $((after - before)) 1
	check "kill -9 at $at s: the PF is on $orig" eq driver "$(driver)" "$orig"
	check "kill -9 at $at s: no driver_override left" eq override "$(override)" "(null)"
	check "kill -9 at $at s: the PF row is free, no port" \
		eq state "$(row)/$(PJ list | jq length)" '{"state":"free","excluded":false,"port":null}/0'
	kill $PID
	wait $PID
done

if grep -q Sanitizer /tmp/sriovd.log; then
	fail "no sanitizer reports"
fi
if [ $fails -ne 0 ]; then
	echo "--- sriovd log"
	cat /tmp/sriovd.log
fi
finish sriovd-physical
