#!/bin/bash
# SPDX-License-Identifier: MIT
# Nova's ebrctl calls against our ebrctl and sriovd on the real kernel
# (docs/openstack.md). $NOVA_CALLS is the argv python3-nova's own VIF
# driver ran for an ib_hostdev VIF ({"plug": [...], "unplug": [...]},
# recorded on the host by tests/nova/ebrctl.py --record; see
# tests/lab/kernel/ebrctl-nova). The VIF's VF is the patched netdevsim
# InfiniBand PF's vf 1 (no PCI function: named ib0:vf1); the named-VF
# form with a real PCI address is checked on the NVMe PF's VFs. One
# PASS/FAIL per check.
. /lab/lib.sh || exit 1

[ -n "$NOVA_CALLS" ] || {
	echo "FAIL: NOVA_CALLS is empty (run through tests/lab/kernel/ebrctl-nova)"
	exit 1
}
# (no /dev/fd in the guest for <(...))
mapfile -t PLUG <<<"$(echo "$NOVA_CALLS" | jq -r '.plug[]')"
mapfile -t UNPLUG <<<"$(echo "$NOVA_CALLS" | jq -r '.unplug[]')"
MAC=${PLUG[2]} UUID=${PLUG[3]} FABRIC=${PLUG[4]} SLOT=${PLUG[6]}
VF=${SLOT##*:vf}
ID="ib-$MAC"
# eswitchd's rule, written here apart from our C: the MAC's first three
# bytes, 00:00, its last three
GUID=$(echo "$MAC" | awk -F: '{ printf "%s:%s:%s:00:00:%s:%s:%s", $1, $2, $3, $4, $5, $6 }')
check "nova's argv: ebrctl add-port MAC UUID FABRIC ib_hostdev SLOT" \
	eq plug "${PLUG[0]} ${PLUG[1]} ${PLUG[5]} ${#PLUG[@]}" "ebrctl add-port ib_hostdev 7"
check "nova's argv: ebrctl del-port FABRIC MAC" \
	eq unplug "${UNPLUG[*]}" "ebrctl del-port $FABRIC $MAC"

NVME=0000:01:00.0
echo 4 >/sys/class/net/ib0/device/sriov_numvfs
echo 2 >/sys/class/net/eth0/device/sriov_numvfs
echo 3 >/sys/bus/pci/devices/$NVME/sriov_numvfs
mkdir -p /etc/sriov
cat >/etc/sriov/sriovd.yaml <<EOF
physnets:
  $FABRIC: [ib0]
  physnet1: [eth0]
  nvmenet: ["$NVME"]
exclude_devices:
  - "ib0:vf3"
guid:
  policy: given
state_dir: /tmp/sriovd
socket: $S
check_interval: 0
EOF
export SRIOVD_SOCKET=$S
check "sriovd starts" sriovd_start

# the kernel's view of a VF, and sriovd's of everything: what must not
# change when a request is refused
vfstate() { ip -j link show ib0 | jq -c ".[0].vfinfo_list[$1]"; }
state() { PJ vfs; PJ list; ip -j link show ib0 | jq -c '.[0].vfinfo_list'; }
logged() { grep "warning: port.bind: " /tmp/sriovd.log | grep -cF -- "$1"; }

# --- plug: the argv Nova ran ---
out=$("${PLUG[@]}" 2>/tmp/err)
rc=$?
check "plug: exit 0 (Nova raises on any other)" eq rc "$rc" 0
check "plug: prints the vf's slot, as eswitchd's ebrctl" eq out "$out" "$SLOT"
check "plug: node guid is the mac's (eswitchd's rule)" \
	eq node "$(vfinfo ib0 "$VF" '."node guid"')" "$GUID"
check "plug: port guid is the mac's" eq port "$(vfinfo ib0 "$VF" '."port guid"')" "$GUID"
check "plug: link enabled" eq state "$(vfinfo ib0 "$VF" .link_state)" enable
p=$(PJ show "$ID")
check "plug: port $ID on $FABRIC" eq net "$(echo "$p" | jq -r .network)" "$FABRIC"
check "plug: exactly the vf named (vf $VF, though vf 0 is free)" \
	eq vf "$(echo "$p" | jq -r '"\(.pf) \(.vf)"')" "ib0 $VF"
check "plug: the instance is the port's device_id" \
	eq dev "$(echo "$p" | jq -r .settings.device_id)" "$UUID"
check "plug: stored guid is the mac's" \
	eq guid "$(echo "$p" | jq -r .settings.guid | sed 's/^0x//; s/../&:/g; s/:$//')" "$GUID"
check "plug: no pkey given (Nova knows none; a Neutron port update does)" \
	eq pkey "$(echo "$p" | jq -r '.settings.network.pkey // "none"')" none
check "plug: vf 0 still free" eq st "$(PJ vfs | jq -r '.[] | select(.pf=="ib0" and .vf==0) | .state')" free

# --- plug again (Nova restarting, a retried spawn): nothing changes ---
before=$(state)
out=$("${PLUG[@]}" 2>&1)
check "plug again: exit 0" eq rc "$?" 0
check "plug again: nothing changed (store and kernel)" eq state "$(state)" "$before"
check "plug again: no journal entry (port list unchanged, no bind logged)" \
	eq n "$(grep -c "bind port $ID: journal" /tmp/sriovd.log)" 1

# --- bad input: refused by sriovd, in its log, nothing half applied ---
bad() { # bad NAME WANT ARGV...: exit 1, WANT in stderr and sriovd's log, state unchanged
	local name=$1 want=$2 before out rc
	shift 2
	before=$(state)
	out=$("$@" 2>&1)
	rc=$?
	check "bad $name: exit 1" eq rc "$rc" 1
	check "bad $name: the reason on stderr" has err "$out" "$want"
	check "bad $name: the reason in sriovd's log" test "$(logged "$want")" -ge 1
	check "bad $name: nothing changed" eq state "$(state)" "$before"
}
P bind other network "$FABRIC" guid 0x0200000000000c01 pci_slot ib0:vf2 >/dev/null
M2=fa:16:3e:5b:2c:02
bad "pci slot malformed" "invalid pci_slot '0000:zz:00.1'" \
	ebrctl add-port $M2 "$UUID" "$FABRIC" ib_hostdev 0000:zz:00.1
bad "mac malformed" "invalid guid_from_mac 'fa:16:3e:5b:2c'" \
	ebrctl add-port fa:16:3e:5b:2c "$UUID" "$FABRIC" ib_hostdev ib0:vf0
bad "vf not free" "is not free: port 'other' holds it" \
	ebrctl add-port $M2 "$UUID" "$FABRIC" ib_hostdev ib0:vf2
bad "vf excluded" "(pf ib0 vf 3) is excluded" \
	ebrctl add-port $M2 "$UUID" "$FABRIC" ib_hostdev ib0:vf3
nv1=$(basename "$(readlink /sys/bus/pci/devices/$NVME/virtfn1)")
bad "vf on another physnet" "is on network 'nvmenet', not '$FABRIC'" \
	ebrctl add-port $M2 "$UUID" "$FABRIC" ib_hostdev "$nv1"
bad "vf of another physnet's pf" "pf 'eth0' is not a pf of network '$FABRIC'" \
	ebrctl add-port $M2 "$UUID" "$FABRIC" ib_hostdev eth0:vf0
bad "unknown fabric" "unknown network 'nofabric'" \
	ebrctl add-port $M2 "$UUID" nofabric ib_hostdev ib0:vf0
before=$(state)
out=$(ebrctl add-port "$MAC" "$UUID" "$FABRIC" ib_hostdev ib0:vf0 2>&1)
check "same mac on another vf: exit 1, del-port first" eq rc "$?" 1
check "same mac on another vf: says so" has err "$out" "already bound to vf"
check "same mac on another vf: nothing changed" eq state "$(state)" "$before"
P unbind other >/dev/null

# --- unplug: the argv Nova ran ---
out=$("${UNPLUG[@]}" 2>&1)
check "unplug: exit 0" eq rc "$?" 0
check "unplug: node guid invalidated" eq node "$(vfinfo ib0 "$VF" '."node guid"')" ff:ff:ff:ff:ff:ff:ff:ff
check "unplug: port guid invalidated" eq port "$(vfinfo ib0 "$VF" '."port guid"')" ff:ff:ff:ff:ff:ff:ff:ff
check "unplug: link disabled" eq state "$(vfinfo ib0 "$VF" .link_state)" disable
check "unplug: vf free" eq st "$(PJ vfs | jq -r ".[] | select(.pf==\"ib0\" and .vf==$VF) | .state")" free
check "unplug: no port left" eq n "$(PJ list | jq length)" 0
out=$("${UNPLUG[@]}" 2>&1)
check "unplug again: exit 0, nothing to do" eq rc "$?" 0
check "unplug again: says so" has err "$out" "nothing to do"

# --- a Neutron port update first (what an agent will send: the same key,
# the VF, the MAC's GUID, the network's P-key), then Nova's plug: the
# plug finds its port and leaves the VF as the update made it ---
P bind "$ID" network "$FABRIC" pkey 0x8001 guid_from_mac "$MAC" pci_slot "$SLOT" >/dev/null
after_update=$(vfstate "$VF")
check "update first: guids are the mac's" \
	eq node "$(vfinfo ib0 "$VF" '"\(."node guid") \(."port guid")"')" "$GUID $GUID"
out=$("${PLUG[@]}" 2>&1)
check "update first, then plug: exit 0" eq rc "$?" 0
check "update first, then plug: the vf as the update left it" eq vf "$(vfstate "$VF")" "$after_update"
check "update first, then plug: the port keeps its pkey" \
	eq pkey "$(PJ show "$ID" | jq -r .settings.network.pkey)" 0x8001
"${UNPLUG[@]}" 2>/dev/null
check "update first: unplug scrubs" eq node "$(vfinfo ib0 "$VF" '."node guid"')" ff:ff:ff:ff:ff:ff:ff:ff

# --- the named-VF form with a real PCI address (the NVMe PF's VFs) ---
nv2=$(basename "$(readlink /sys/bus/pci/devices/$NVME/virtfn2)")
r=$(PJ bind nv network nvmenet pci_slot "$(echo "$nv2" | tr a-f A-F)")
check "pci slot: exactly that vf (vf 2, vf 0 free)" eq vf "$(echo "$r" | jq -r .vf)" 2
check "pci slot: its address" eq addr "$(echo "$r" | jq -r .address)" "$nv2"
check "pci slot: on vfio-pci" eq driver "$(basename "$(readlink /sys/bus/pci/devices/$nv2/driver)")" vfio-pci
out=$(P bind nv-2 network nvmenet pci_slot "$nv2" 2>&1)
check "pci slot: bound already, refused naming its port" has err "$out" "port 'nv' holds it"
P unbind nv >/dev/null

kill "$PID"
wait "$PID" 2>/dev/null
finish ebrctl
