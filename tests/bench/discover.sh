#!/bin/sh
# SPDX-License-Identifier: MIT
# Discovery of a fixture host with 4 PFs and 512 VFs (ConnectX-6 in
# InfiniBand mode, each VF with a netdev and an RDMA device): time per
# `sriovctl -j show` run, and per `sriovctl doctor` run.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${SRIOV_BUILD_DIR:-$top/build}
sriovctl=$build/src/cli/sriovctl
runs=${RUNS:-50}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/host.json" <<'PY'
import json, sys
pci = []
for p in range(4):
    bus = 0x41 + p
    vfs = []
    for i in range(128):
        dev, fn = 1 + i // 8, i % 8
        vfs.append({"index": i, "address": f"0000:{bus:02x}:{dev:02x}.{fn}",
                    "driver": "mlx5_core", "iommu_group": 1000 + p * 128 + i,
                    "net": [{"name": f"ib{p}v{i}", "type": 32}],
                    "ib": {"name": f"mlx5_{4 + p * 128 + i}", "node_guid": f"b859:9f03:00{p:02x}:{i:04x}",
                           "ports": [{"port": 1, "gid0": f"fe80:0000:0000:0000:b859:9f03:00{p:02x}:{i:04x}",
                                      "pkeys": ["0xffff"], "pkey_table_len": 4}]}})
    pci.append({"address": f"0000:{bus:02x}:00.0", "vendor": "15b3", "device": "101b", "class": "020700",
                "driver": "mlx5_core", "numa_node": p // 2, "iommu_group": 100 + p,
                "sriov": {"totalvfs": 128, "vf_device": "101c"},
                "net": [{"name": f"ib{p}", "type": 32}],
                "ib": {"name": f"mlx5_{p}", "node_guid": f"b859:9f03:00{p:02x}:ff00",
                       "ports": [{"port": 1, "gid0": f"fe80:0000:0000:0000:b859:9f03:00{p:02x}:ff00",
                                  "pkeys": ["0xffff", "0x8100"], "pkey_table_len": 128}]},
                "vfs": vfs})
json.dump({"cmdline": "intel_iommu=on iommu=pt", "iommu": "intel", "pci": pci}, open(sys.argv[1], "w"))
PY
python3 "$top/tests/fixtures/mkhost.py" "$tmp/host.json" "$tmp/host"
n=$("$sriovctl" -j --root "$tmp/host/sys" show | python3 -c 'import json,sys; print(sum(len(p["vfs"]) for p in json.load(sys.stdin)["pfs"]))')
[ "$n" = 512 ] || { echo "bench: expected 512 VFs, discovered $n" >&2; exit 1; }

timeit() {
	start=$(date +%s%N)
	i=0
	while [ $i -lt "$runs" ]; do
		"$@" >/dev/null || [ $? -eq 1 ]
		i=$((i + 1))
	done
	end=$(date +%s%N)
	echo $(((end - start) / runs / 1000))
}
show_us=$(timeit "$sriovctl" -j --root "$tmp/host/sys" show)
doctor_us=$(timeit "$sriovctl" -j --root "$tmp/host/sys" --proc-root "$tmp/host/proc" doctor)
# The reference: what operators' scripts do today, one cat per attribute.
script_us=$(timeit sh -c 'for d in "$0"/bus/pci/devices/*; do cat "$d/vendor" "$d/device" "$d/class" >/dev/null; [ -e "$d/sriov_numvfs" ] && cat "$d/sriov_numvfs" "$d/sriov_totalvfs" >/dev/null; readlink "$d/driver" >/dev/null || true; done' "$tmp/host/sys")
echo "discover: 4 PFs, 512 VFs: sriovctl -j show ${show_us} us/run, doctor ${doctor_us} us/run ($runs runs)"
echo "discover: shell loop reading 5 attributes per function: ${script_us} us/run; ratio $(python3 -c "print(f'{$script_us/$show_us:.1f}')")x"
