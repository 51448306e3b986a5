#!/bin/sh
# SPDX-License-Identifier: MIT
# Kernel lab (docs/vf.md): sriovctl apply -f host.yaml on netdevsim and NVMe
# PFs: plan, apply, read back (checked with iproute2 and sysfs), a second
# run changes nothing, failures leave the PF as it was, YAML errors name
# file:line:column. One PASS/FAIL line per check; exit 1 if any failed.
. /lab/lib.sh || exit 1
snap() { # what must not change: eth0/eth1/ib0 VFs and the NVMe count
	{ ip -j link show eth0; ip -j link show eth1; ip -j link show ib0
	  cat /sys/bus/pci/devices/0000:01:00.0/sriov_numvfs
	  for f in /sys/bus/pci/devices/0000:01:00.0/virtfn*; do
		[ -e "$f" ] && readlink "$f/driver"; done; } 2>/dev/null
}
NVME=0000:01:00.0

cat >/tmp/host.yaml <<'YAML'
pfs:
  - name: eth0
    numvfs: 8
    vfs:
      - vf: 0-7
        mac: 02:00:00:00:00:10
        vlan: 100
        spoofchk: on
        trust: off
      - vf: 3
        vlan: 200
        qos: 2
        proto: 802.1ad
        trust: on
        state: disable
        min_tx_rate: 10
        max_tx_rate: 100
  - pci: 0000:01:00.0
    numvfs: 2
    driver: vfio-pci
  - name: ib0
    numvfs: 2
    vfs:
      - vf: 0-1
        node_guid: 02:00:00:00:00:00:01:00
        port_guid: 02:00:00:00:00:00:02:00
YAML

check "dry run plans numvfs and settings" sh -c \
	'sriovctl apply -f /tmp/host.yaml --dry-run >/tmp/plan.txt && cat /tmp/plan.txt &&
	 grep -q "^eth0 numvfs: 0 -> 8" /tmp/plan.txt &&
	 grep -q "^eth0 vf 7 mac: (new) -> 02:00:00:00:00:17" /tmp/plan.txt &&
	 grep -q "planned (dry run, nothing changed)" /tmp/plan.txt'
check "dry run changed nothing" eq numvfs "$(cat /sys/class/net/eth0/device/sriov_numvfs)" 0

check "apply" sh -c 'sriovctl apply -f /tmp/host.yaml >/tmp/out1.txt 2>&1; rc=$?; cat /tmp/out1.txt; exit $rc'
check "eth0 numvfs 8" eq numvfs "$(cat /sys/class/net/eth0/device/sriov_numvfs)" 8
check "eth0 vf 0 mac (range start)" eq mac "$(vfinfo eth0 0 .address)" 02:00:00:00:00:10
check "eth0 vf 7 mac (counts up)" eq mac "$(vfinfo eth0 7 .address)" 02:00:00:00:00:17
check "eth0 vf 5 vlan 100 spoofchk on trust off" eq vf5 \
	"$(vfinfo eth0 5 '"\(.vlan_list[0].vlan) \(.spoofchk) \(.trust)"')" "100 true false"
check "eth0 vf 3: later entry wins" eq vf3 \
	"$(vfinfo eth0 3 '"\(.vlan_list[0].vlan) \(.vlan_list[0].qos) \(.vlan_list[0].protocol) \(.trust) \(.link_state) \(.rate.min_tx) \(.rate.max_tx)"')" \
	"200 2 802.1ad true disable 10 100"
check "nvme numvfs 2" eq numvfs "$(cat /sys/bus/pci/devices/$NVME/sriov_numvfs)" 2
for i in 0 1; do
	check "nvme vf $i on vfio-pci" eq driver \
		"$(basename "$(readlink /sys/bus/pci/devices/$NVME/virtfn$i/driver)")" vfio-pci
done
check "ib0 vf 1 guids" eq guids "$(vfinfo ib0 1 '"\(."node guid") \(."port guid")"')" \
	"02:00:00:00:00:00:01:01 02:00:00:00:00:00:02:01"

snap >/tmp/s1
check "second apply changes nothing and says so" sh -c \
	'sriovctl apply -f /tmp/host.yaml >/tmp/out2.txt && cat /tmp/out2.txt &&
	 grep -q "^nothing to change: the host matches /tmp/host.yaml" /tmp/out2.txt'
snap >/tmp/s2
check "second apply: ip and sysfs unchanged" cmp -s /tmp/s1 /tmp/s2
check "second apply -j: changed false" sh -c \
	'sriovctl -j apply -f /tmp/host.yaml | jq -e ".changed == false and ([.pfs[].status] | unique) == [\"unchanged\"]" >/dev/null'

# Changing one value changes only that.
sed 's/max_tx_rate: 100/max_tx_rate: 300/' /tmp/host.yaml >/tmp/host2.yaml
check "apply a one-value edit: one change" sh -c \
	'sriovctl -j apply -f /tmp/host2.yaml >/tmp/o.json && jq -e "[.pfs[].changes[]] | length == 1" /tmp/o.json >/dev/null'
check "eth0 vf 3 max_tx_rate 300, min kept" eq rate "$(vfinfo eth0 3 '"\(.rate.min_tx) \(.rate.max_tx)"')" "10 300"

# --- failures leave the PF as it was ---
snap >/tmp/s1
bad_file() { # bad_file NAME PATTERN: apply /tmp/bad.yaml fails, says PATTERN, changes nothing
	if sriovctl apply -f /tmp/bad.yaml >/tmp/b.out 2>/tmp/b.err; then
		fail "$1: accepted"; return
	fi
	snap >/tmp/s2
	if ! grep -q "$2" /tmp/b.err; then
		fail "$1: message does not say '$2'"; cat /tmp/b.err
	elif ! cmp -s /tmp/s1 /tmp/s2; then
		fail "$1: the host changed"; diff /tmp/s1 /tmp/s2 | head
	else
		pass "$1: $(head -n 1 /tmp/b.err)"
	fi
}
printf 'pfs:\n  - name: eth0\n    vfs:\n      - vf: 0-8\n        trust: on\n' >/tmp/bad.yaml
bad_file "VF index beyond the count" "/tmp/bad.yaml:4:13: vf: VF 8 is beyond the VF count of eth0 (8"
printf 'pfs:\n  - name: eth0\n    numvfs: 4\n    vfs:\n      - vf: 5\n        trust: on\n' >/tmp/bad.yaml
bad_file "VF index beyond a new count" "/tmp/bad.yaml:5:13: vf: VF 5 is beyond the VF count of eth0 (4, from numvfs)"
printf 'pfs:\n  - name: eth0\n    vfs:\n      - vf: 1\n        vlan: 4096\n' >/tmp/bad.yaml
bad_file "vlan 4096" "/tmp/bad.yaml:5:15: vf 1: invalid vlan '4096' (expected 0 to 4095)"
printf 'pfs:\n  - name: eth0\n    vfs:\n      - vf: 1\n        vlanid: 5\n' >/tmp/bad.yaml
bad_file "unknown key" "/tmp/bad.yaml:5:9: unknown key 'vlanid' in a vfs entry (expected vf, mac"
printf 'pfs:\n  - name: eth0\n    vfs:\n      - vf: 1\n        trust: on\n  - pci: 0000:09:00.0\n' >/tmp/bad.yaml
bad_file "unknown PF (nothing applied to the others)" "/tmp/bad.yaml:6:10: pci: no netdev or PCI device '0000:09:00.0'"
printf 'pfs:\n  - name: eth0\n    numvfs: [8]\n' >/tmp/bad.yaml
bad_file "numvfs a list" "/tmp/bad.yaml:3:13: 'numvfs' takes a value, not a list"
printf 'pfs:\n  - name: eth0\n   numvfs: 8\n' >/tmp/bad.yaml
bad_file "YAML syntax" "/tmp/bad.yaml:3:"
printf 'pfs:\n  - pci: 0000:01:00.0\n    numvfs: 5\n' >/tmp/bad.yaml
bad_file "numvfs beyond totalvfs" "/tmp/bad.yaml:3:13: numvfs: 0000:01:00.0 supports at most 4 VFs"
# A value the driver refuses, after others were sent: all of eth0 restored.
cat >/tmp/bad.yaml <<'YAML'
pfs:
  - name: eth0
    vfs:
      - vf: 0-2
        mac: 02:00:00:00:0a:00
        trust: on
      - vf: 4
        node_guid: 00:11:22:33:44:55:66:77
YAML
bad_file "refused by the driver: restored" "eth0: vf 4: node_guid: the PF driver does not support this setting.*restored"
# A refused count change: numvfs goes back, and so do the old VF settings.
cat >/tmp/bad.yaml <<'YAML'
pfs:
  - name: eth0
    numvfs: 6
    vfs:
      - vf: 0
        mac: 02:00:00:00:0b:00
      - vf: 1
        node_guid: 00:11:22:33:44:55:66:77
YAML
bad_file "numvfs changed then refused: count and settings restored" "restored"

# --present skips PFs that are not there (as at boot)
printf 'pfs:\n  - name: eth9\n    numvfs: 2\n  - name: eth1\n    numvfs: 2\n' >/tmp/p.yaml
check "apply --present skips a missing PF" sh -c \
	'sriovctl apply --present -f /tmp/p.yaml && [ "$(cat /sys/class/net/eth1/device/sriov_numvfs)" = 2 ]'

# render: the rule names the PFs of the file
check "render udev: one rule per PF" sh -c \
	'sriovctl render udev -f /tmp/host.yaml >/tmp/r && [ "$(grep -c "RUN+=" /tmp/r)" = 3 ]'

finish vf-apply
