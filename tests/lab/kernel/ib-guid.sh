#!/bin/bash
# SPDX-License-Identifier: MIT
# Kernel lab (run through tests/lab/kernel/run): VF GUIDs allocated by
# `sriovctl ib guid --allocate` on the patched netdevsim InfiniBand PF ib0,
# set over the kernel's rtnetlink (one message per GUID: the kernel sets
# only the node GUID of a message carrying both) and read back with
# iproute2. Expected GUIDs are computed here from the layout documented in
# docs/infiniband.md, from ib0's own address, not taken from sriovctl.
. /lab/lib.sh || exit 1
vfguid() { # vfguid VF node|port -> 0x... from iproute2
	local g
	g=$(vfinfo ib0 "$1" ".\"$2 guid\"")
	echo "0x${g//:/}"
}
s() { sriovctl "$@"; }

echo 4 >/sys/class/net/ib0/device/sriov_numvfs ||
	{ echo "FAIL cannot create 4 VFs on ib0"; exit 1; }

# ib0's address: 4 bytes of QPN, then the port GID; its last 8 bytes are
# the port GUID, base of the derived scheme.
addr=$(cat /sys/class/net/ib0/address)
base=0x$(echo "$addr" | cut -d: -f13-20 | tr -d :)
echo "ib0 port guid $base"
derive() { # derive VF KIND(2=port, 6=node)
	printf '0x%02x%04x%010x' "$2" "$1" $((base & 0xffffffffff))
}

for vf in 0 1; do
	out=$(s -j ib guid ib0 $vf --allocate --no-fabric-check)
	check "allocate vf $vf" test $? -eq 0
	want_port=$(derive $vf 2)
	want_node=$(derive $vf 6)
	check "vf $vf port guid (sriovctl)" eq port "$(jq -r .port_guid <<<"$out")" "$want_port"
	check "vf $vf node guid (sriovctl)" eq node "$(jq -r .node_guid <<<"$out")" "$want_node"
	check "vf $vf port guid (ip -j link)" eq port "$(vfguid $vf port)" "$want_port"
	check "vf $vf node guid (ip -j link)" eq node "$(vfguid $vf node)" "$want_node"
done
check "vf 0 and vf 1 differ" sh -c "[ '$(vfguid 0 port)' != '$(vfguid 1 port)' ]"

# Again: the same GUIDs, nothing changed.
out=$(s -j ib guid ib0 0 --allocate --no-fabric-check)
check "allocate again is stable" eq changed "$(jq -r .changed <<<"$out")" false
check "vf 0 port guid unchanged" eq port "$(vfguid 0 port)" "$(derive 0 2)"

# A pool: the lowest free GUIDs, port first then node, skipping the GUIDs
# the other VFs hold (vf 2 takes start, start+1; vf 3 the next two).
start=0x0202c90300000100
s -j ib guid ib0 2 --allocate --no-fabric-check --pool-range "$start-0x0202c903000001ff" >/dev/null
check "pool: vf 2 allocate" test $? -eq 0
s -j ib guid ib0 3 --allocate --no-fabric-check --pool-range "$start-0x0202c903000001ff" >/dev/null
check "pool: vf 3 allocate" test $? -eq 0
check "pool: vf 2 port guid" eq port "$(vfguid 2 port)" 0x0202c90300000100
check "pool: vf 2 node guid" eq node "$(vfguid 2 node)" 0x0202c90300000101
check "pool: vf 3 port guid" eq port "$(vfguid 3 port)" 0x0202c90300000102
check "pool: vf 3 node guid" eq node "$(vfguid 3 node)" 0x0202c90300000103
# A pool too small for another VF's pair.
s ib guid ib0 1 --allocate --no-fabric-check \
	--pool-range "0x0202c90300000100-0x0202c90300000102" 2>/tmp/err
check "pool: exhausted pool is an error" grep -q "no free guid" /tmp/err
check "pool: vf 1 kept its GUIDs" eq port "$(vfguid 1 port)" "$(derive 1 2)"

# One GUID by hand, and the values that are refused before any message.
s ib guid ib0 3 0x0202c903000002aa >/dev/null
check "set vf 3 port guid by hand" eq port "$(vfguid 3 port)" 0x0202c903000002aa
s ib guid ib0 3 0x0102c903000002aa 2>/dev/null
check "group (I/G) guid refused" test $? -eq 2
check "vf 3 port guid unchanged after refusal" eq port "$(vfguid 3 port)" 0x0202c903000002aa
s ib guid ib0 3 --sm 2>/dev/null
check "--sm is mlx4-only: refused on a netlink PF" test $? -eq 1

# The Ethernet PF reports no VF GUIDs: allocation must say so.
echo 1 >/sys/class/net/eth0/device/sriov_numvfs
s ib guid eth0 0 --allocate --no-fabric-check 2>/tmp/err
check "Ethernet PF refused" test $? -eq 1
check "Ethernet PF: the error says why" grep -q "does not report VF GUIDs" /tmp/err

finish ib-guid
