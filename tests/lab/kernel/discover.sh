#!/bin/sh
# SPDX-License-Identifier: MIT
# Discovery on the real kernel: `sriovctl -j show` inside the guest, compared
# with what the kernel shows through sysfs read by shell and through
# iproute2 (independent of our code). Also leaves a capture of the guest in
# $SRIOV_LAB_OUT/capture (with the netlink answers of its PFs, VF settings
# set by iproute2) and the facts in $SRIOV_LAB_OUT/facts.json, which
# `tests/lab/kernel/capture-replay` checks on the host and
# `tests/lab/kernel/capture-fixture` turns into tests/fixtures/captured/.
# One PASS/FAIL line per check, a FAIL with what sriovctl said (got) and what
# the kernel shows (want); exit 1 if any failed.
PF=/sys/bus/pci/devices/0000:01:00.0
. /lab/lib.sh || exit 1

# A host with VFs of every kind: NVMe PCI VFs (one on vfio-pci, one with no
# driver), netdevsim Ethernet and InfiniBand VFs.
echo 0 >$PF/sriov_drivers_autoprobe
echo 3 >$PF/sriov_numvfs
vf0=$(basename "$(readlink $PF/virtfn0)")
echo vfio-pci >"/sys/bus/pci/devices/$vf0/driver_override"
echo "$vf0" >/sys/bus/pci/drivers_probe
echo 4 >/sys/class/net/eth0/device/sriov_numvfs
echo 2 >/sys/class/net/ib0/device/sriov_numvfs
# VF settings for the capture's netlink answers to carry, set by iproute2
# (not our code); the IB GUIDs one per message (docs/vf.md)
ip link set eth0 vf 0 mac 02:00:00:00:0e:00 vlan 100 qos 2
ip link set eth0 vf 1 vlan 200 proto 802.1ad spoofchk off trust on
ip link set eth0 vf 2 state disable min_tx_rate 10 max_tx_rate 100
ip link set ib0 vf 1 node_guid 00:11:22:33:44:55:66:77
ip link set ib0 vf 1 port_guid 88:99:aa:bb:cc:dd:ee:ff

sriovctl -j show >/tmp/show.json || { echo "FAIL sriovctl show exited $?"; exit 1; }
pf() { jq -r --arg a "$1" ".pfs[] | select(.address == \$a) | $2" /tmp/show.json; }

# NVMe PF, against sysfs read here with cat/readlink
for attr in sriov_totalvfs sriov_numvfs; do
	check "nvme $attr" eq sriovctl "$(pf 0000:01:00.0 ".$attr")" "$(cat $PF/$attr)"
done
check "nvme vendor" eq sriovctl "$(pf 0000:01:00.0 .vendor)" "$(sed 's/^0x//' $PF/vendor)"
check "nvme device" eq sriovctl "$(pf 0000:01:00.0 .device)" "$(sed 's/^0x//' $PF/device)"
check "nvme class" eq sriovctl "$(pf 0000:01:00.0 .class)" "$(sed 's/^0x//' $PF/class)"
check "nvme driver" eq sriovctl "$(pf 0000:01:00.0 .driver)" "$(basename "$(readlink $PF/driver)")"
check "nvme iommu_group" eq sriovctl "$(pf 0000:01:00.0 .iommu_group)" "$(basename "$(readlink $PF/iommu_group)")"
check "nvme vf count" eq sriovctl "$(pf 0000:01:00.0 '.vfs | length')" \
	"$(ls -d $PF/virtfn* | wc -l)"
for i in 0 1 2; do
	a=$(basename "$(readlink $PF/virtfn$i)")
	check "nvme vf $i address" eq sriovctl "$(pf 0000:01:00.0 ".vfs[$i].address")" "$a"
	d=$(readlink "/sys/bus/pci/devices/$a/driver" || true)
	check "nvme vf $i driver" eq sriovctl "$(pf 0000:01:00.0 ".vfs[$i].driver // \"\"")" "${d##*/}"
	check "nvme vf $i iommu_group" eq sriovctl "$(pf 0000:01:00.0 ".vfs[$i].iommu_group")" \
		"$(basename "$(readlink "/sys/bus/pci/devices/$a/iommu_group")")"
	check "nvme vf $i device" eq sriovctl "$(pf 0000:01:00.0 ".vfs[$i].device")" \
		"$(sed 's/^0x//' "/sys/bus/pci/devices/$a/device")"
done

# netdevsim PFs: not on PCI; numvfs against iproute2's VF list
for dev in eth0 eth1 ib0; do
	bus=$(basename "$(readlink /sys/class/net/$dev/device)")
	check "$dev is a netdevsim PF" eq sriovctl "$(pf "$bus" .bus)" netdevsim
	check "$dev netdev listed" eq sriovctl "$(pf "$bus" '.netdevs[0].name')" "$dev"
	check "$dev numvfs" eq sriovctl "$(pf "$bus" .sriov_numvfs)" \
		"$(ip -j link show "$dev" | jq '.[0].vfinfo_list // [] | length')"
done
check "ib0 link type" eq sriovctl "$(pf netdevsim100 '.netdevs[0].link_type')" \
	"$([ "$(cat /sys/class/net/ib0/type)" = 32 ] && echo infiniband)"
check "eth0 link type" eq sriovctl "$(pf netdevsim10 '.netdevs[0].link_type')" \
	"$([ "$(cat /sys/class/net/eth0/type)" = 1 ] && echo ethernet)"

# doctor on the real kernel: the guest boots with intel_iommu=on iommu=pt
sriovctl -j doctor >/tmp/doctor.json
for c in iommu_cmdline iommu_pt iommu_active iommu_acpi sriov_devices; do
	check "doctor $c" eq verdict "$(jq -r ".checks[] | select(.check == \"$c\") | .status" /tmp/doctor.json)" ok
done
check "doctor nvme vf_drivers (one VF has none)" eq verdict \
	"$(jq -r '.checks[] | select(.check == "vf_drivers" and .subject == "0000:01:00.0") | .status' /tmp/doctor.json)" warn

# Leave a capture and the kernel's facts for the fixture
if [ -n "${SRIOV_LAB_OUT:-}" ]; then
	sriovctl capture "$SRIOV_LAB_OUT/capture" >/dev/null
	{
		echo '{"nvme": {'
		printf '"numvfs": %s, "totalvfs": %s, "vfs": [' "$(cat $PF/sriov_numvfs)" "$(cat $PF/sriov_totalvfs)"
		sep=
		for l in $PF/virtfn*; do
			a=$(basename "$(readlink "$l")")
			d=$(readlink "/sys/bus/pci/devices/$a/driver" || true)
			printf '%s{"address": "%s", "driver": "%s"}' "$sep" "$a" "${d##*/}"
			sep=", "
		done
		echo ']},'
		printf '"netdevsim": {"eth0": %s, "eth1": %s, "ib0": %s},\n' \
			"$(ip -j link show eth0 | jq '.[0].vfinfo_list // [] | length')" \
			"$(ip -j link show eth1 | jq '.[0].vfinfo_list // [] | length')" \
			"$(ip -j link show ib0 | jq '.[0].vfinfo_list // [] | length')"
		# iproute2's view of each PF's VFs: check-captured.py compares the
		# replayed `vf show` with it, on the host
		printf '"ip_link": {"eth0": %s, "eth1": %s, "ib0": %s}}\n' \
			"$(ip -j link show eth0 | jq -c '.[0]')" \
			"$(ip -j link show eth1 | jq -c '.[0]')" \
			"$(ip -j link show ib0 | jq -c '.[0]')"
	} >"$SRIOV_LAB_OUT/facts.json"
	# replayed capture reads the same as the live kernel
	sriovctl -j --root "$SRIOV_LAB_OUT/capture/sys" show >/tmp/replay.json
	check "capture replays to the same show" eq md5sum "$(md5sum </tmp/replay.json)" "$(md5sum </tmp/show.json)"
	for dev in eth0 eth1 ib0; do
		check "capture holds $dev's netlink answer" eq ls \
			"$(ls "$SRIOV_LAB_OUT/capture/netlink/$dev.nlmsg" 2>&1)" \
			"$SRIOV_LAB_OUT/capture/netlink/$dev.nlmsg"
		check "capture replays to the same vf show $dev" eq md5sum \
			"$(sriovctl -j --root "$SRIOV_LAB_OUT/capture/sys" vf show $dev 2>&1 | md5sum)" \
			"$(sriovctl -j vf show $dev 2>&1 | md5sum)"
	done
fi

finish discover
