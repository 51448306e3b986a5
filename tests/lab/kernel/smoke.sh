#!/bin/sh
# SPDX-License-Identifier: MIT
# Kernel-lab smoke test, run inside the guest by tests/lab/kernel/run:
# real VFs on both PF kinds, VF settings through the kernel's rtnetlink read
# back with iproute2, vfio-pci binding, InfiniBand VF GUIDs on the patched
# netdevsim. One PASS/FAIL line per check; exit 1 if any failed.
PF=/sys/bus/pci/devices/0000:01:00.0
. /lab/lib.sh || exit 1

# --- NVMe PF (QEMU): real PCI VFs ---
check "nvme: pf bound to pci-pf-stub" \
	eq driver "$(basename "$(readlink $PF/driver)")" pci-pf-stub
check "nvme: sriov_totalvfs is 4" eq totalvfs "$(cat $PF/sriov_totalvfs)" 4
echo 0 >$PF/sriov_drivers_autoprobe
check "nvme: sriov_numvfs 0 -> 3" sh -c "echo 3 >$PF/sriov_numvfs"
check "nvme: sriov_numvfs reads 3" eq numvfs "$(cat $PF/sriov_numvfs)" 3
for i in 0 1 2; do
	vf=$PF/virtfn$i
	check "nvme: virtfn$i exists" test -e "$vf"
	check "nvme: virtfn$i/physfn points back" \
		eq physfn "$(cd "$vf/physfn" 2>/dev/null && pwd -P)" "$(cd $PF && pwd -P)"
	check "nvme: virtfn$i has an iommu group" test -e "$vf/iommu_group"
done
check "nvme: 3 -> 4 without going through 0 is EBUSY" \
	sh -c "! echo 4 >$PF/sriov_numvfs 2>/dev/null"

# vfio-pci: bind VF 0 through driver_override, as a VM manager would.
vf0=$(basename "$(readlink $PF/virtfn0)")
echo vfio-pci >"/sys/bus/pci/devices/$vf0/driver_override"
echo "$vf0" >/sys/bus/pci/drivers_probe
check "vfio: $vf0 bound to vfio-pci" \
	eq driver "$(basename "$(readlink "/sys/bus/pci/devices/$vf0/driver")")" vfio-pci
grp=$(basename "$(readlink "/sys/bus/pci/devices/$vf0/iommu_group")")
check "vfio: /dev/vfio/$grp exists" test -c "/dev/vfio/$grp"

# --- netdevsim Ethernet PFs: VFs over rtnetlink ---
for dev in eth0 eth1; do
	check "netdevsim: $dev has no VFs at boot" \
		eq numvfs "$(cat /sys/class/net/$dev/device/sriov_numvfs)" 0
done
check "netdevsim: eth0 sriov_numvfs 64 (max_vfs raised)" \
	sh -c "echo 64 >/sys/class/net/eth0/device/sriov_numvfs"
check "netdevsim: eth0 vfinfo_list has 64 VFs" \
	eq count "$(ip -j link show eth0 | jq '.[0].vfinfo_list | length')" 64
check "netdevsim: eth1 sriov_numvfs 2" \
	sh -c "echo 2 >/sys/class/net/eth1/device/sriov_numvfs"
check "netdevsim: eth1 vfinfo_list has 2 VFs" \
	eq count "$(ip -j link show eth1 | jq '.[0].vfinfo_list | length')" 2

check "ip: set eth0 vf 0 mac + vlan + qos" \
	ip link set eth0 vf 0 mac 02:00:00:00:00:01 vlan 100 qos 3
check "ip: eth0 vf 0 mac reads back" eq mac "$(vfinfo eth0 0 .address)" 02:00:00:00:00:01
check "ip: eth0 vf 0 vlan reads back" eq vlan "$(vfinfo eth0 0 '.vlan_list[0].vlan')" 100
check "ip: eth0 vf 0 qos reads back" eq qos "$(vfinfo eth0 0 '.vlan_list[0].qos')" 3
check "ip: set eth0 vf 63 trust on, spoofchk on, max_tx_rate 100" \
	ip link set eth0 vf 63 trust on spoofchk on max_tx_rate 100
check "ip: eth0 vf 63 trust/spoofchk/rate read back" \
	eq settings "$(vfinfo eth0 63 '"\(.trust) \(.spoofchk) \(.rate.max_tx)"')" "true true 100"
check "ip: vf index out of range is refused" \
	sh -c '! ip link set eth0 vf 64 mac 02:00:00:00:00:02 2>/dev/null'
check "ip: Ethernet PF reports no VF GUIDs" \
	eq guid "$(vfinfo eth0 0 '."node guid"')" null

# --- netdevsim InfiniBand PF (our patch): VF GUIDs over rtnetlink ---
check "netdevsim: ib0 is ARPHRD_INFINIBAND (32)" eq type "$(cat /sys/class/net/ib0/type)" 32
check "netdevsim: ib0 sriov_numvfs 2" \
	sh -c "echo 2 >/sys/class/net/ib0/device/sriov_numvfs"
check "ip: ib0 vf 0 GUIDs are zero before set" \
	eq guid "$(vfinfo ib0 0 '."node guid"')" 00:00:00:00:00:00:00:00
# One message per GUID: the kernel applies only the node GUID of a message
# carrying both (do_setvfinfo returns after it).
check "ip: set ib0 vf 0 node_guid" ip link set ib0 vf 0 node_guid 00:11:22:33:44:55:66:77
check "ip: set ib0 vf 0 port_guid" ip link set ib0 vf 0 port_guid 88:99:aa:bb:cc:dd:ee:ff
check "ip: ib0 vf 0 node guid reads back" \
	eq node_guid "$(vfinfo ib0 0 '."node guid"')" 00:11:22:33:44:55:66:77
check "ip: ib0 vf 0 port guid reads back" \
	eq port_guid "$(vfinfo ib0 0 '."port guid"')" 88:99:aa:bb:cc:dd:ee:ff
check "ip: ib0 vf 0 GUIDs in plain ip link show" \
	sh -c 'ip link show ib0 | grep -q "vf 0 .*NODE_GUID 00:11:22:33:44:55:66:77, PORT_GUID 88:99:aa:bb:cc:dd:ee:ff"'
check "ip: node_guid on an Ethernet PF is refused" \
	sh -c '! ip link set eth0 vf 0 node_guid 00:11:22:33:44:55:66:77 2>/dev/null'

# --- soft-RoCE: a real /sys/class/infiniband device ---
check "rxe: /sys/class/infiniband/rxe0 with port 1" test -d /sys/class/infiniband/rxe0/ports/1

# --- the project's binaries, when built: they start (ASan included) ---
for b in sriovctl sriovd; do
	command -v $b >/dev/null || { echo "SKIP $b: not built"; continue; }
	$b --help >/dev/null 2>/tmp/$b.err
	rc=$?
	if [ $rc -lt 128 ] && ! grep -q Sanitizer /tmp/$b.err; then
		pass "$b runs in the guest"
	else
		fail "$b runs in the guest (exit $rc)"
		cat /tmp/$b.err
	fi
done

finish smoke
