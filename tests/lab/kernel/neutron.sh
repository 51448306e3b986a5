#!/bin/bash
# SPDX-License-Identifier: MIT
# lab.openstack.neutron, inside the guest: sriovd is the SR-IOV agent of a
# real neutron-server (Debian's, with RabbitMQ and MariaDB, run by
# tests/lab/kernel/neutron-lab in a network namespace whose tap0 is this
# guest's lab0) and configures real VFs (netdevsim). Everything is driven
# through Neutron's REST API (noauth) and read back from the kernel with
# `ip -j link`. Every wait polls with a deadline: under TCG nothing is
# quick, and a fixed sleep would be an assertion on timing.
#
# Environment (from neutron-lab): NEUTRON_API, RPC_URL, GUEST_ADDR.
. /lab/lib.sh || exit 1

HOST=compute-lab
UUID=6a2e1f5c-0b6e-4d0e-9f43-0a1b2c3d4e5f

for v in NEUTRON_API RPC_URL GUEST_ADDR; do
	[ -n "${!v:-}" ] || {
		echo "FAIL: $v is empty (run through tests/lab/kernel/neutron-lab)"
		exit 1
	}
done

# --- helpers ---
now() { date +%s; }
waitfor() { # waitfor SECONDS COMMAND...: poll COMMAND until it succeeds
	local end=$(($(now) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(now)" -ge "$end" ] && return 1
		sleep 0.5
	done
}
api() { # api METHOD PATH [JSON]: sets $code (HTTP status) and $body
	local data=()
	[ $# -ge 3 ] && data=(-d "$3")
	code=$(curl -sS -m 60 -o /tmp/body -w '%{http_code}' -X "$1" \
		-H 'Content-Type: application/json' "${data[@]}" "$NEUTRON_API$2")
	body=$(cat /tmp/body 2>/dev/null)
}
status_is() { # status_is PORT STATUS: Neutron's status of PORT is STATUS
	api GET "/v2.0/ports/$1"
	[ "$(echo "$body" | jq -r .port.status)" = "$2" ]
}
agent_alive() { # agent_alive true|false: the NIC Switch agent of $HOST
	api GET "/v2.0/agents?host=$HOST&agent_type=NIC%20Switch%20agent"
	[ "$(echo "$body" | jq -r '.agents[0].alive')" = "$1" ]
}
net() { # net NAME PHYSNET SEG: a VLAN network; its id in $NET
	api POST /v2.0/networks "{\"network\": {\"name\": \"$1\", \"provider:network_type\": \"vlan\", \"provider:physical_network\": \"$2\", \"provider:segmentation_id\": $3}}"
	NET=$(echo "$body" | jq -r .network.id)
	[ "$code" = 201 ]
}
port() { # port NET MAC PCI_SLOT PHYSNET: a direct port bound here; $PORT
	api POST /v2.0/ports "{\"port\": {\"network_id\": \"$1\", \"mac_address\": \"$2\", \"device_id\": \"$UUID\", \"binding:host_id\": \"$HOST\", \"binding:vnic_type\": \"direct\", \"binding:profile\": {\"pci_slot\": \"$3\", \"physical_network\": \"$4\"}}}"
	PORT=$(echo "$body" | jq -r .port.id)
	PORTJ=$body
	[ "$code" = 201 ]
}
vf() { ip -j link show "$1" | jq -c ".[0].vfinfo_list[$2]"; }
vf_is() { [ "$(vfinfo "$1" "$2" "$3")" = "$4" ]; }
kview() { # the kernel's view of every VF of the lab's netdev PFs
	local d
	for d in eth0 eth1 ib0; do ip -j link show $d | jq -c '.[0].vfinfo_list'; done
}
logged() { grep -F -- "$1" /tmp/sriovd.log | grep -qF -- "$2"; }
showlog() { echo "--- sriovd log (last 40 lines)"; tail -40 /tmp/sriovd.log 2>/dev/null; }
must() { # must NAME COMMAND...: check, and stop here if it failed (what
	# every later check needs: rather than wait out every deadline)
	local before=${fails:?}
	check "$@"
	[ "$fails" -eq "$before" ] && return 0
	showlog
	finish neutron
}

# --- the link to the namespace ---
ip addr add "$GUEST_ADDR" dev lab0 && ip link set lab0 up
must "lab0 up, neutron-server answers over it" waitfor 60 curl -sf -m 5 -o /dev/null "$NEUTRON_API/v2.0/networks"

echo 4 >/sys/class/net/eth0/device/sriov_numvfs
echo 2 >/sys/class/net/eth1/device/sriov_numvfs
echo 4 >/sys/class/net/ib0/device/sriov_numvfs
mkdir -p /etc/sriov
cat >/etc/sriov/sriovd.yaml <<EOF
physnets:
  physnet1: [eth0]
  physnet2: [eth1]
  ibnet: [ib0]
guid:
  policy: given
state_dir: /tmp/sriovd
socket: $S
check_interval: 0
neutron:
  transport_url: "$RPC_URL"
  host: $HOST
  report_interval: 1
  rpc_timeout: 30
EOF
export SRIOVD_SOCKET=$S
must "sriovd starts" sriovd_start
must "neutron-server lists sriovd's NIC Switch agent alive" waitfor 90 agent_alive true
echo "$body" | jq -c '.agents[0] | {binary, host, alive, configurations}'

# --- Ethernet: a VLAN network, a direct port naming eth0 vf 1 ---
must "vlan network 101 on physnet1 created" net eth physnet1 101
ETH=$NET
free1=$(vf eth0 1)
M1=fa:16:3e:00:01:01
check "direct port on eth0:vf1 created" port "$ETH" $M1 eth0:vf1 physnet1
P1=$PORT
check "sriovnicswitch bound it: vif type hw_veb" \
	eq vif "$(echo "$PORTJ" | jq -r '.port["binding:vif_type"]')" hw_veb
check "the port goes ACTIVE" waitfor 60 status_is "$P1" ACTIVE
check "eth0 vf 1: the port's MAC (ip -j link)" eq mac "$(vfinfo eth0 1 .address)" $M1
check "eth0 vf 1: the network's VLAN 101" eq vlan "$(vfinfo eth0 1 '.vlan_list[0].vlan // 0')" 101
check "eth0 vf 1: spoof check on (port security)" eq spoof "$(vfinfo eth0 1 .spoofchk)" true

api PUT "/v2.0/ports/$P1" '{"port": {"admin_state_up": false}}'
check "admin_state_up false: eth0 vf 1 link disable" waitfor 30 vf_is eth0 1 .link_state disable
api PUT "/v2.0/ports/$P1" '{"port": {"admin_state_up": true}}'
check "admin_state_up true: eth0 vf 1 link enable" waitfor 30 vf_is eth0 1 .link_state enable

api POST /v2.0/qos/policies '{"policy": {"name": "tx20"}}'
QOS=$(echo "$body" | jq -r .policy.id)
api POST "/v2.0/qos/policies/$QOS/bandwidth_limit_rules" \
	'{"bandwidth_limit_rule": {"max_kbps": 20000, "direction": "egress"}}'
check "qos policy with an egress max 20000 kbps rule created" eq code "$code" 201
api PUT "/v2.0/ports/$P1" "{\"port\": {\"qos_policy_id\": \"$QOS\"}}"
check "qos policy on the port: eth0 vf 1 max_tx_rate 20 (Mbps)" waitfor 30 vf_is eth0 1 .rate.max_tx 20
check "qos: the MAC and VLAN stay" eq vf "$(vfinfo eth0 1 '"\(.address) \(.vlan_list[0].vlan)"')" "$M1 101"

api DELETE "/v2.0/ports/$P1"
check "port deleted (204)" eq code "$code" 204
scrubbed1() { [ "$(vf eth0 1)" = "$free1" ]; }
check "deleted: eth0 vf 1 scrubbed back to its free state" waitfor 30 scrubbed1 ||
	echo "  got $(vf eth0 1), want $free1"
check "scrubbed: MAC 00:00:00:00:00:00, VLAN 0, rate 0" \
	eq vf "$(vfinfo eth0 1 '"\(.address) \(.vlan_list[0].vlan // 0) \(.rate.max_tx)"')" "00:00:00:00:00:00 0 0"
check "scrubbed: sriovd holds no port" eq n "$(PJ list | jq length)" 0

# --- InfiniBand through our ML2 driver, and Nova's ebrctl in both orders ---
must "vlan network 100 on ibnet created (P-key 0x8064)" net ib ibnet 100
IB=$NET
MI=fa:16:3e:00:02:01
GUID=$(echo "$MI" | awk -F: '{ printf "%s:%s:%s:00:00:%s:%s:%s", $1, $2, $3, $4, $5, $6 }')
ibstate() { # the VF as the kernel and sriovd see it, what both orders must agree on
	echo "kernel $(vf ib0 1)"
	PJ show "ib-$MI" | jq -c '{pf, vf, guid: .settings.guid, pkey: .settings.network.pkey, network}'
}
ibfree() { vf_is ib0 1 '."node guid"' ff:ff:ff:ff:ff:ff:ff:ff; }

# order 1: Neutron's port update, then Nova's plug
check "ib port on ib0:vf1 created" port "$IB" $MI ib0:vf1 ibnet
PI=$PORT
check "sriov_infiniband bound it: ib_hostdev, pkey 0x8064" \
	eq vif "$(echo "$PORTJ" | jq -r '.port | "\(.["binding:vif_type"]) \(.["binding:vif_details"].pkey)"')" "ib_hostdev 0x8064"
check "ib port goes ACTIVE" waitfor 60 status_is "$PI" ACTIVE
check "ib0 vf 1: node guid of the MAC" eq node "$(vfinfo ib0 1 '."node guid"')" "$GUID"
check "ib0 vf 1: port guid of the MAC" eq port "$(vfinfo ib0 1 '."port guid"')" "$GUID"
check "ib0 vf 1: P-key 0x8064 in sriovd's port" eq pkey "$(PJ show "ib-$MI" | jq -r .settings.network.pkey)" 0x8064
out=$(ebrctl add-port $MI $UUID ibnet ib_hostdev ib0:vf1 2>&1)
check "then ebrctl add-port: exit 0" eq rc "$?" 0 || echo "  $out"
after_update_plug=$(ibstate)
api DELETE "/v2.0/ports/$PI"
check "ib port deleted: ib0 vf 1 guids invalidated" waitfor 30 ibfree
ebrctl del-port ibnet $MI >/dev/null 2>&1

# order 2: Nova's plug, then Neutron's port update
out=$(ebrctl add-port $MI $UUID ibnet ib_hostdev ib0:vf1 2>&1)
check "ebrctl add-port first: exit 0" eq rc "$?" 0 || echo "  $out"
check "ib port on ib0:vf1 created again" port "$IB" $MI ib0:vf1 ibnet
PI=$PORT
check "ib port goes ACTIVE (plugged first)" waitfor 60 status_is "$PI" ACTIVE
pkey_set() { [ "$(PJ show "ib-$MI" | jq -r .settings.network.pkey)" = 0x8064 ]; }
check "plug first: the port update brings P-key 0x8064" waitfor 30 pkey_set
check "both plug orders end with the same VF state" eq state "$(ibstate)" "$after_update_plug"
echo "  ib0 vf 1 after either order: $(echo "$after_update_plug" | tr '\n' ' ')"

# --- a second Ethernet port kept across kill -9 ---
M2=fa:16:3e:00:01:02
check "direct port on eth0:vf2 created" port "$ETH" $M2 eth0:vf2 physnet1
P2=$PORT
check "eth0:vf2 port ACTIVE" waitfor 60 status_is "$P2" ACTIVE
check "eth0 vf 2: MAC and VLAN" eq vf "$(vfinfo eth0 2 '"\(.address) \(.vlan_list[0].vlan)"')" "$M2 101"

kbefore=$(kview)
before=$(PJ list)
kill -9 "$PID"
wait "$PID" 2>/dev/null
check "kill -9: neutron-server lists the agent dead" waitfor 60 agent_alive false
check "kill -9: the VFs stay as they were" eq state "$(kview)" "$kbefore"
check "sriovd restarts" sriovd_start
check "restarted: alive again" waitfor 60 agent_alive true
resynced() { [ "$(grep -c 'neutron: resync:' /tmp/sriovd.log)" -ge 2 ]; }
check "restarted: resynced with Neutron" waitfor 60 resynced
check "restarted: nothing lost in the kernel" eq state "$(kview)" "$kbefore"
check "restarted: nothing lost in sriovd's ports" eq ports "$(PJ list)" "$before"
check "restarted: both ports still ACTIVE" eq st "$(status_is "$P2" ACTIVE && status_is "$PI" ACTIVE && echo yes)" yes

# --- bad binding profiles: refused, in sriovd's log, not ACTIVE, VFs untouched ---
bad() { # bad NAME PCI_SLOT MAC WANT: the port ERROR, WANT in the log, no VF changed
	local name=$1 before
	before=$(kview; PJ list)
	check "bad $name: port created" port "$ETH" "$3" "$2" physnet1
	check "bad $name: the port goes ERROR, not ACTIVE" waitfor 60 status_is "$PORT" ERROR
	check "bad $name: the reason in sriovd's log" waitfor 30 logged "port $PORT refused" "$4"
	check "bad $name: no VF changed, sriovd holds nothing new" eq state "$(kview; PJ list)" "$before"
	api DELETE "/v2.0/ports/$PORT"
}
bad "vf of another physnet (eth1:vf0, physnet2's)" eth1:vf0 fa:16:3e:00:03:01 "pf 'eth1' is not a pf of network 'physnet1'"
bad "vf already bound (eth0:vf2)" eth0:vf2 fa:16:3e:00:03:02 "is not free"
bad "malformed pci_slot" zz:zz fa:16:3e:00:03:03 "invalid pci_slot 'zz:zz'"

[ "${fails:?}" -ne 0 ] && showlog
cp /tmp/sriovd.log "$SRIOV_LAB_OUT/" 2>/dev/null
kill "$PID"
wait "$PID" 2>/dev/null
finish neutron
