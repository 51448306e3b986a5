#!/bin/sh
# SPDX-License-Identifier: MIT
# sriovctl render: the udev rule lines are exactly what udev(7) expects for
# each selector kind; the systemd unit passes systemd-analyze verify.
set -eu
ctl=$(realpath "$1")
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
printf 'pfs:\n  - name: eth-0\n  - pci: 0000:41:00.0\n  - vendor: 0x15b3\n    device: 0x101b\n' >"$d/host.yaml"
"$ctl" render udev -f "$d/host.yaml" --sriovctl /usr/bin/sriovctl >"$d/rules"
run="RUN+=\"/usr/bin/sriovctl apply --present -f $d/host.yaml\""
cat >"$d/want" <<EOW
ACTION=="add", SUBSYSTEM=="net", KERNEL=="eth-0", $run
ACTION=="bind", SUBSYSTEM=="pci", KERNEL=="0000:41:00.0", $run
ACTION=="bind", SUBSYSTEM=="pci", ATTR{vendor}=="0x15b3", ATTR{device}=="0x101b", ATTR{sriov_totalvfs}=="?*", $run
EOW
grep -v '^#' "$d/rules" | diff -u "$d/want" -
"$ctl" render systemd -f "$d/host.yaml" --sriovctl "$ctl" >"$d/sriov-apply.service"
grep -qx 'Wants=sys-subsystem-net-devices-eth\\x2d0.device' "$d/sriov-apply.service"
grep -qx "ExecStart=$ctl apply -f $d/host.yaml" "$d/sriov-apply.service"
grep -qx 'Before=network-pre.target shutdown.target' "$d/sriov-apply.service"
if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP: systemd-analyze missing (apt-get install systemd)" >&2
	exit 77
fi
# --man=no: sriovctl has no man page yet.
systemd-analyze verify --man=no "$d/sriov-apply.service"
echo "render: ok"
