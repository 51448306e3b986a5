#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark (docs/vf.md), run in the kernel lab:
#   tests/lab/kernel/run tests/bench/vf-apply.sh
# Configure 64 netdevsim VFs with mac, vlan, spoofchk and trust, once with
# the loop of `ip link set` commands scripts use today and once with
# `sriovctl apply`; print both times and their ratio. Each run starts from
# fresh VFs with the same values, and both results are checked with ip.
if [ -z "${SRIOV_LAB_OUT:-}" ]; then # on the host: boot the lab
	here=$(cd "$(dirname "$0")" && pwd)
	exec "$here/../lab/kernel/run" "$here/vf-apply.sh"
fi
N=${N:-64}
DEV=eth0
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; } # 10 ms steps
fresh() {
	echo 0 >/sys/class/net/$DEV/device/sriov_numvfs
	echo "$N" >/sys/class/net/$DEV/device/sriov_numvfs
}
mac() { printf '02:00:00:00:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }
expect() { # every VF as configured
	ip -j link show $DEV | jq -e --argjson n "$N" '[.[0].vfinfo_list[] |
		select(.vlan_list[0].vlan == 100 and .spoofchk and .trust)] |
		length == $n' >/dev/null &&
	[ "$(ip -j link show $DEV | jq -r ".[0].vfinfo_list[$((N - 1))].address")" = "$(mac $((N - 1)))" ]
}

# Both binaries once before timing: the first exec from the initramfs
# pays for loading it and its libraries (over 1 s for sriovctl under TCG).
ip link show $DEV >/dev/null
sriovctl version >/dev/null
fresh
t0=$(now_ms)
i=0
while [ $i -lt "$N" ]; do
	ip link set $DEV vf $i mac "$(mac $i)" vlan 100 spoofchk on trust on
	i=$((i + 1))
done
t1=$(now_ms)
expect || { echo "vf-apply bench: the ip loop did not configure the VFs"; exit 1; }

cat >/tmp/bench.yaml <<YAML
pfs:
  - name: $DEV
    vfs:
      - vf: 0-$((N - 1))
        mac: 02:00:00:00:00:00
        vlan: 100
        spoofchk: on
        trust: on
YAML
fresh
t2=$(now_ms)
sriovctl apply -f /tmp/bench.yaml >/dev/null || { echo "vf-apply bench: apply failed"; exit 1; }
t3=$(now_ms)
expect || { echo "vf-apply bench: apply did not configure the VFs"; exit 1; }

ip_ms=$((t1 - t0)) apply_ms=$((t3 - t2))
[ $apply_ms -gt 0 ] || apply_ms=1
echo "vf-apply bench: $N VFs x (mac, vlan, spoofchk, trust)"
echo "  ip link set loop: ${ip_ms} ms"
echo "  sriovctl apply:   ${apply_ms} ms (includes reading back and verifying)"
echo "  ratio: $(awk "BEGIN { printf \"%.1f\", $ip_ms / $apply_ms }")x"
