#!/bin/sh
# SPDX-License-Identifier: MIT
# make demo, inside the kernel lab: real VFs made by the real kernel,
# discovered by sriovctl.
say() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
PF=/sys/bus/pci/devices/0000:01:00.0

say "the guest's kernel: $(uname -r), booted with: $(cat /proc/cmdline)"
say "sriovctl doctor (before any VF exists)"
sriovctl doctor
say "create VFs: 3 on the NVMe PF (real PCI functions), 8 on netdevsim eth0, 2 on the InfiniBand PF ib0"
if sriovctl pf set 0000:01:00.0 numvfs 3 --no-autoprobe >/dev/null 2>&1; then
	echo "sriovctl pf set 0000:01:00.0 numvfs 3 --no-autoprobe"
else
	echo 0 >$PF/sriov_drivers_autoprobe
	echo 3 >$PF/sriov_numvfs
fi
sriovctl pf set eth0 numvfs 8 >/dev/null 2>&1 || echo 8 >/sys/class/net/eth0/device/sriov_numvfs
sriovctl pf set ib0 numvfs 2 >/dev/null 2>&1 || echo 2 >/sys/class/net/ib0/device/sriov_numvfs
vf0=$(basename "$(readlink $PF/virtfn0)")
echo vfio-pci >"/sys/bus/pci/devices/$vf0/driver_override"
echo "$vf0" >/sys/bus/pci/drivers_probe
echo "bound $vf0 to vfio-pci: /dev/vfio/$(basename "$(readlink "/sys/bus/pci/devices/$vf0/iommu_group")")"
say "sriovctl show"
sriovctl show
if sriovctl vf set eth0 0 mac 52:54:00:12:34:56 vlan 100 qos 3 spoofchk on trust off >/dev/null 2>&1; then
	say "sriovctl vf set eth0 0 mac 52:54:00:12:34:56 vlan 100 qos 3 spoofchk on trust off; sriovctl vf show eth0 0"
	sriovctl vf show eth0 0
	say "the same VF as iproute2 sees it"
	ip -d link show eth0 | grep 'vf 0 '
fi
say "sriovctl doctor"
sriovctl doctor
exit 0
