#!/bin/sh
# SPDX-License-Identifier: MIT
# Kernel lab (docs/lab-kernel.md, docs/vf.md): VF counts on the NVMe SR-IOV
# PF (real PCI VFs) through sriovctl: 0 -> 4 -> 2 (through 0, which the
# kernel requires), beyond sriov_totalvfs (ERANGE), vfio-pci binding and
# back. One PASS/FAIL line per check; exit 1 if any failed.
PF=0000:01:00.0
SYS=/sys/bus/pci/devices/$PF
. /lab/lib.sh || exit 1
drv_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)"; }
vfaddr() { basename "$(readlink "$SYS/virtfn$1")"; }

check "pf show: numvfs 0, totalvfs 4" \
	eq show "$(sriovctl -j pf show $PF | jq -c '[.numvfs, .totalvfs]')" "[0,4]"
check "pf set numvfs 4" sriovctl pf set $PF numvfs 4
check "sysfs reads 4" eq numvfs "$(cat $SYS/sriov_numvfs)" 4
for i in 0 1 2 3; do
	check "virtfn$i exists and is bound (autoprobe)" test -n "$(drv_of "$(vfaddr $i)")"
done
check "pf set numvfs 4 again: unchanged" sh -c \
	"sriovctl -j pf set $PF numvfs 4 | jq -e '.changed == false' >/dev/null"
# 4 -> 2: the kernel refuses a direct change (EBUSY); sriovctl goes through 0.
check "a direct write 4 -> 2 is EBUSY (the kernel's rule)" \
	sh -c "! echo 2 >$SYS/sriov_numvfs 2>/dev/null"
check "pf set numvfs 2 (through 0)" sriovctl pf set $PF numvfs 2
check "sysfs reads 2" eq numvfs "$(cat $SYS/sriov_numvfs)" 2
check "virtfn2 is gone" test ! -e $SYS/virtfn2
check "pf set numvfs 5: beyond totalvfs is refused" sh -c \
	"! sriovctl pf set $PF numvfs 5 2>/tmp/e.err && cat /tmp/e.err &&
	 grep -q 'supports at most 4 VFs (sriov_totalvfs), not 5' /tmp/e.err"
check "ERANGE refusal changed nothing" eq numvfs "$(cat $SYS/sriov_numvfs)" 2
# The kernel's own ERANGE, past our check: the message names the cause.
check "the kernel answers ERANGE for 5 (its rule)" \
	sh -c "{ echo 5 >$SYS/sriov_numvfs; } 2>&1 | grep -q 'out of range'"
check "pf set numvfs 0" sriovctl pf set $PF numvfs 0
check "sysfs reads 0" eq numvfs "$(cat $SYS/sriov_numvfs)" 0
check "pf set numvfs 3 --no-autoprobe" sriovctl pf set $PF numvfs 3 --no-autoprobe
check "new VFs stay unbound" eq driver "$(drv_of "$(vfaddr 0)")" ""
check "vf show lists 3 VFs, unbound" eq show \
	"$(sriovctl -j vf show $PF | jq -c '[.[] | .driver]')" "[null,null,null]"

# vfio-pci and back
vf0=$(vfaddr 0)
check "vf set $PF 0 driver vfio-pci" sriovctl vf set $PF 0 driver vfio-pci
check "$vf0 bound to vfio-pci" eq driver "$(drv_of "$vf0")" vfio-pci
grp=$(basename "$(readlink "/sys/bus/pci/devices/$vf0/iommu_group")")
check "/dev/vfio/$grp exists" test -c "/dev/vfio/$grp"
check "vf show reports vfio-pci" eq driver "$(sriovctl -j vf show $PF 0 | jq -r '.[0].driver')" vfio-pci
check "vf set driver vfio-pci again: nothing to do" sh -c \
	"sriovctl -j vf set $PF 0 driver vfio-pci | jq -e '.set == []' >/dev/null"
# autoprobe is off (--no-autoprobe): default still finds the driver.
check "vf set $PF 0 driver default" sriovctl vf set $PF 0 driver default
check "$vf0 back on pci-pf-stub" eq driver "$(drv_of "$vf0")" pci-pf-stub
check "driver_override cleared" eq override "$(cat /sys/bus/pci/devices/$vf0/driver_override)" "(null)"
check "vf set $PF 0 driver none" sriovctl vf set $PF 0 driver none
check "$vf0 unbound" eq driver "$(drv_of "$vf0")" ""
check "vf set $PF 1 driver bogus is refused" sh -c \
	"! sriovctl vf set $PF 1 driver bogus 2>/tmp/e.err &&
	 grep -q \"invalid driver 'bogus' (expected vfio-pci, default or none)\" /tmp/e.err"
check "vf 3 is out of range" sh -c \
	"! sriovctl vf set $PF 3 driver vfio-pci 2>/tmp/e.err &&
	 grep -q 'VF 3 is out of range' /tmp/e.err"
check "NVMe PF has no netdev: settings refused" sh -c \
	"! sriovctl vf set $PF 1 trust on 2>/tmp/e.err && grep -q 'has no netdev' /tmp/e.err"
check "pf set numvfs 0 with a VF on vfio-pci" sh -c \
	"sriovctl vf set $PF 1 driver vfio-pci && sriovctl pf set $PF numvfs 0"
check "sysfs reads 0 at the end" eq numvfs "$(cat $SYS/sriov_numvfs)" 0

finish vf-lifecycle
