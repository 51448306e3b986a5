#!/bin/sh
# SPDX-License-Identifier: MIT
# Kernel lab (docs/lab-kernel.md, docs/vf.md): every VF setting on netdevsim
# VFs set with sriovctl, then read back by sriovctl and by iproute2, which
# must agree; bad input refused with a clear error and nothing changed;
# InfiniBand VF GUIDs through the patched netdevsim. One PASS/FAIL line per
# check; exit 1 if any failed.
. /lab/lib.sh || exit 1
ourvf() { # ourvf DEV VF JQ-FILTER: what sriovctl reports
	sriovctl -j vf show "$1" "$2" |
		jq -r 'def colon: ltrimstr("0x") | [scan("..")] | join(":"); '".[0] | $3"
}
# Both tools must report WANT for one setting.
agree() { # agree DEV VF WHAT IP-FILTER OUR-FILTER WANT
	check "$1 vf $2 $3: ip reads '$6'" eq "ip $3" "$(vfinfo "$1" "$2" "$4")" "$6"
	check "$1 vf $2 $3: sriovctl reads '$6'" eq "sriovctl $3" "$(ourvf "$1" "$2" "$5")" "$6"
}

# --- Ethernet PF eth0: VFs through sriovctl ---
check "sriovctl pf set eth0 numvfs 8" sriovctl pf set eth0 numvfs 8
check "eth0 has 8 VFs (sysfs)" eq numvfs "$(cat /sys/class/net/eth0/device/sriov_numvfs)" 8
check "eth0 has 8 VFs (ip)" eq count "$(ip -j link show eth0 | jq '.[0].vfinfo_list | length')" 8

check "vf set eth0 3: every setting in one command" \
	sriovctl vf set eth0 3 mac 02:00:00:00:03:01 vlan 100 qos 3 proto 802.1ad \
	spoofchk on trust on state disable min_tx_rate 10 max_tx_rate 100
agree eth0 3 mac .address .mac 02:00:00:00:03:01
agree eth0 3 vlan '.vlan_list[0].vlan' .vlan 100
agree eth0 3 qos '.vlan_list[0].qos' .qos 3
agree eth0 3 proto '.vlan_list[0].protocol' .proto 802.1ad
agree eth0 3 spoofchk .spoofchk .spoofchk true
agree eth0 3 trust .trust .trust true
agree eth0 3 state .link_state .state disable
agree eth0 3 min_tx_rate .rate.min_tx .min_tx_rate 10
agree eth0 3 max_tx_rate .rate.max_tx .max_tx_rate 100

# Each setting alone, to other values; one rate bound keeps the other.
check "vf set eth0 3 vlan 4095 qos 7 proto 802.1Q" \
	sriovctl vf set eth0 3 vlan 4095 qos 7 proto 802.1Q
agree eth0 3 vlan '.vlan_list[0].vlan' .vlan 4095
agree eth0 3 qos '.vlan_list[0].qos' .qos 7
# iproute2 prints the protocol only when it is not 802.1Q.
agree eth0 3 proto '.vlan_list[0].protocol // "802.1Q"' .proto 802.1Q
check "vf set eth0 3 spoofchk off" sriovctl vf set eth0 3 spoofchk off
agree eth0 3 spoofchk .spoofchk .spoofchk false
check "vf set eth0 3 trust off" sriovctl vf set eth0 3 trust off
agree eth0 3 trust .trust .trust false
check "vf set eth0 3 state enable" sriovctl vf set eth0 3 state enable
agree eth0 3 state .link_state .state enable
check "vf set eth0 3 state auto" sriovctl vf set eth0 3 state auto
agree eth0 3 state .link_state .state auto
check "vf set eth0 3 max_tx_rate 200 (min kept)" sriovctl vf set eth0 3 max_tx_rate 200
agree eth0 3 max_tx_rate .rate.max_tx .max_tx_rate 200
agree eth0 3 min_tx_rate .rate.min_tx .min_tx_rate 10
check "vf set eth0 3 min_tx_rate 20 (max kept)" sriovctl vf set eth0 3 min_tx_rate 20
agree eth0 3 min_tx_rate .rate.min_tx .min_tx_rate 20
agree eth0 3 max_tx_rate .rate.max_tx .max_tx_rate 200
# ip link's legacy rate: the maximum, the minimum kept by the kernel
check "vf set eth0 3 rate 300 (ip link's form)" sriovctl vf set eth0 3 rate 300
agree eth0 3 max_tx_rate .rate.max_tx .max_tx_rate 300
agree eth0 3 min_tx_rate .rate.min_tx .min_tx_rate 20
# ip link's number and MAC forms
check "vf set eth0 3 vlan 0x64 mac 2:0:0:0:3:3" sriovctl vf set eth0 3 vlan 0x64 mac 2:0:0:0:3:3
agree eth0 3 vlan '.vlan_list[0].vlan' .vlan 100
agree eth0 3 mac .address .mac 02:00:00:00:03:03
check "vf set eth0 3 vlan 0 removes the vlan" sriovctl vf set eth0 3 vlan 0
agree eth0 3 vlan '.vlan_list[0].vlan // 0' .vlan 0
check "vf set eth0 3 mac 02:00:00:00:03:02" sriovctl vf set eth0 3 mac 02:00:00:00:03:02
agree eth0 3 mac .address .mac 02:00:00:00:03:02
check "other VFs untouched (vf 2 mac)" eq mac "$(vfinfo eth0 2 .address)" 00:00:00:00:00:00
check "last VF (7) can be set" sriovctl vf set eth0 7 mac 02:00:00:00:07:01 trust on
agree eth0 7 mac .address .mac 02:00:00:00:07:01
agree eth0 7 trust .trust .trust true

# Whole listing: sriovctl and ip agree on every VF.
ip -j link show eth0 | jq -c '[.[0].vfinfo_list[] | [.vf, .address,
	(.vlan_list[0].vlan // 0), (.vlan_list[0].qos // 0), .spoofchk, .trust,
	.link_state, .rate.min_tx, .rate.max_tx]]' >/tmp/ip.json
sriovctl -j vf show eth0 | jq -c '[.[] | [.vf, .mac, .vlan, .qos, .spoofchk,
	.trust, .state, .min_tx_rate, .max_tx_rate]]' >/tmp/our.json
check "vf show eth0 agrees with ip on all 8 VFs" cmp -s /tmp/ip.json /tmp/our.json ||
	{ cat /tmp/ip.json /tmp/our.json; }

# --- Bad input: a clear error, and nothing changed ---
bad() { # bad NAME PATTERN COMMAND...: fails, says PATTERN, changes nothing
	name=$1 pat=$2
	shift 2
	ip -j link show eth0 >/tmp/before.json
	ip -j link show ib0 >>/tmp/before.json
	if "$@" >/tmp/bad.out 2>/tmp/bad.err; then
		fail "$name: accepted"
		return
	fi
	ip -j link show eth0 >/tmp/after.json
	ip -j link show ib0 >>/tmp/after.json
	if ! grep -q "^sriovctl: .*$pat" /tmp/bad.err; then
		fail "$name: message does not say '$pat'"
		cat /tmp/bad.err
	elif ! cmp -s /tmp/before.json /tmp/after.json; then
		fail "$name: ip link show changed"
	else
		pass "$name: $(head -n 1 /tmp/bad.err)"
	fi
}
check "ib0 numvfs 4" sriovctl pf set ib0 numvfs 4
bad "vlan 4096" "invalid vlan '4096' (expected 0 to 4095)" \
	sriovctl vf set eth0 1 mac 02:00:00:00:01:01 vlan 4096
bad "qos 8" "invalid qos '8' (expected 0 to 7)" sriovctl vf set eth0 1 vlan 5 qos 8
bad "qos without vlan" "qos needs a vlan" sriovctl vf set eth0 1 qos 2
bad "proto unknown" "invalid proto '802.1x'" sriovctl vf set eth0 1 vlan 5 proto 802.1x
bad "malformed mac" "invalid mac '02:00:00:00:01'" sriovctl vf set eth0 1 trust on mac 02:00:00:00:01
bad "mac with bad digit" "invalid mac '02:00:00:00:01:0g'" sriovctl vf set eth0 1 mac 02:00:00:00:01:0g
bad "multicast mac" "multicast" sriovctl vf set eth0 1 mac 01:00:5e:00:00:01
bad "malformed guid" "invalid guid '00:11:22:33:44:55:66'" \
	sriovctl vf set ib0 1 node_guid 00:11:22:33:44:55:66
bad "all-zero guid" "reserved" sriovctl vf set ib0 1 port_guid 00:00:00:00:00:00:00:00
bad "all-ones guid" "reserved" sriovctl vf set ib0 1 node_guid ff:ff:ff:ff:ff:ff:ff:ff
bad "group guid" "group (I/G) bit" sriovctl vf set ib0 1 node_guid 01:00:00:00:00:00:00:01
bad "unknown keyword" "unknown vf setting 'vlanid'" sriovctl vf set eth0 1 trust on vlanid 5
bad "spoofchk yes" "invalid spoofchk 'yes' (expected on or off)" sriovctl vf set eth0 1 spoofchk yes
bad "state up" "invalid state 'up'" sriovctl vf set eth0 1 state up
bad "min above max" "min_tx_rate 300 is above max_tx_rate 100" \
	sriovctl vf set eth0 1 min_tx_rate 300 max_tx_rate 100
bad "vf index out of range" "VF 8 is out of range: .* has 8 VFs (0 to 7)" \
	sriovctl vf set eth0 8 mac 02:00:00:00:08:01
bad "vf index not a number" "invalid VF index 'x'" sriovctl vf set eth0 x trust on
bad "missing value" "'trust' needs a value" sriovctl vf set eth0 1 spoofchk on trust
bad "driver on a netdevsim VF" "not a PCI device" sriovctl vf set eth0 1 driver vfio-pci
bad "unknown PF" "no netdev or PCI device 'eth9'" sriovctl vf set eth9 0 trust on
# A value the driver refuses: reported for that attribute, others applied.
check "node_guid on Ethernet: refused alone" sh -c \
	'! sriovctl vf set eth0 1 trust on node_guid 00:11:22:33:44:55:66:77 2>/tmp/e.err &&
	 grep -q "vf 1: node_guid: not supported" /tmp/e.err'
agree eth0 1 "trust (applied beside a refused node_guid)" .trust .trust true

# --- InfiniBand: node and port GUIDs (patched netdevsim, no PCI driver) ---
check "vf set ib0 2 node_guid + port_guid in one command" \
	sriovctl vf set ib0 2 node_guid 00:11:22:33:44:55:66:77 port_guid 88:99:aa:bb:cc:dd:ee:ff
agree ib0 2 node_guid '."node guid"' '(.node_guid | colon)' 00:11:22:33:44:55:66:77
agree ib0 2 port_guid '."port guid"' '(.port_guid | colon)' 88:99:aa:bb:cc:dd:ee:ff
check "vf show -j: GUIDs as README's JSON writes them" \
	eq guid "$(ourvf ib0 2 .node_guid)" 0x0011223344556677
agree ib0 1 "node_guid of another VF" '."node guid"' '(.node_guid | colon)' 00:00:00:00:00:00:00:00
check "vf set ib0 3 port_guid alone" sriovctl vf set ib0 3 port_guid 02:00:00:00:00:00:03:01
agree ib0 3 port_guid '."port guid"' '(.port_guid | colon)' 02:00:00:00:00:00:03:01
agree ib0 3 node_guid '."node guid"' '(.node_guid | colon)' 00:00:00:00:00:00:00:00
check "ib0 vf mac is 20 bytes in sriovctl" \
	eq len "$(ourvf ib0 0 '.mac | length')" 59
check "vf set ib0 2 node_guid: rebind skipped on netdevsim, with a note" sh -c \
	'sriovctl vf set ib0 2 node_guid 00:11:22:33:44:55:66:78 2>/tmp/n.err &&
	 grep -q "no PCI driver to rebind" /tmp/n.err'
agree ib0 2 "node_guid after a second set" '."node guid"' '(.node_guid | colon)' 00:11:22:33:44:55:66:78

finish vf-settings
