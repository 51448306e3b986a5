#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo, inside the kernel lab: real VFs made by the real kernel,
# discovered by sriovctl, then two tenants' ports bound by sriovd on
# different VLANs, one unbound and shown scrubbed.
. /lab/lib.sh || exit 1
say() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
PF=/sys/bus/pci/devices/0000:01:00.0

say "a real kernel ($(uname -r)) under QEMU, booted with: $(cat /proc/cmdline)"
run sriovctl doctor | grep -v '^ *hint'
say "create VFs: 2 on the NVMe PF (real PCI functions), 4 on netdevsim eth0"
run sriovctl pf set 0000:01:00.0 numvfs 2 --no-autoprobe
run sriovctl pf set eth0 numvfs 4
say "what the kernel now has"
run sriovctl show

say "sriovd: physnet1 = eth0, tenant ports bound to VFs, state in SQLite"
mkdir -p /etc/sriov
cat >/etc/sriov/sriovd.yaml <<YAML
physnets:
  physnet1: [eth0]
  nvmenet: ["0000:01:00.0"]
state_dir: /tmp/sriovd
socket: $S
check_interval: 0
YAML
cat /etc/sriov/sriovd.yaml
sriovd_start
run sriovctl port --socket $S bind tenant-a-port network physnet1 vlan 100 mac 52:54:00:aa:00:01 spoofchk on
run sriovctl port --socket $S bind tenant-b-port network physnet1 vlan 200 qos 2 mac 52:54:00:bb:00:01 trust on
say "the VFs as the kernel reports them (iproute2)"
ip -d link show eth0 | grep ' vf '
say "the VFs as sriovd tracks them"
run sriovctl port --socket $S list
say "a VM's passthrough of a real PCI VF: the libvirt XML sriovd answers with"
sriovctl -j port --socket $S bind vm-disk network nvmenet | jq -r .libvirt_xml
say "tenant A leaves: unbind, and the VF is scrubbed (no VLAN, no MAC, link disabled)"
run sriovctl port --socket $S unbind tenant-a-port
ip -d link show eth0 | grep ' vf '
run sriovctl port --socket $S health
kill $PID 2>/dev/null
exit 0
