#!/bin/bash
# SPDX-License-Identifier: MIT
# sriovd in the cluster on the real kernel (docs/cluster.md): an etcd
# member inside the guest, on loopback (the guest has no other network),
# and three sriovd instances, one per netdevsim InfiniBand PF, each its
# own host id, all allocating GUIDs from one prefix. One member: each
# preallocates two 64 MB WAL segments, and the guest's / is RAM-backed
# tmpfs that three of them fill (failover and quorum are tests/cluster's,
# with three members on the host).
#
#   1. concurrent InfiniBand binds on the three hosts: every bind gets a
#      GUID nobody else holds, in guids/ and on the VFs as the kernel
#      reports them
#   2. publication: a bind writes ports/<id> (read back by the schema
#      module: sriovd_cluster parse), an unbind deletes it and its claim;
#      kill -9 and a restart republish from SQLite and delete a stale key;
#      a sriovd gone for longer than lease_ttl loses its keys
#   3. the member killed: an InfiniBand bind is refused with nothing
#      journaled and every free VF still scrubbed; an Ethernet bind is
#      configured, and published once the member is back
#
# Run with --with for etcd, etcdctl and the build's sriovd_cluster, whose
# path is $SRIOVD_CLUSTER (tests/lab/kernel/cluster.cmake). One PASS/FAIL
# line per check.
. /lab/lib.sh || exit 1

PARSE=${SRIOVD_CLUSTER:-}
for t in etcd etcdctl "$PARSE"; do
	command -v "$t" >/dev/null || {
		echo "SKIP: '$t' is not in the guest (run --with it, and --env SRIOVD_CLUSTER=PATH)" >&2
		exit 77
	}
done

# --- etcd: one member on loopback (above); TCG is slow, elections too ---
EP=http://127.0.0.1:23791
initial=m1=http://127.0.0.1:23801
member() { # member N: start member N on its data dir (new or old)
	etcd --name m$1 --data-dir /tmp/etcd-m$1 \
		--listen-client-urls http://127.0.0.1:2379$1 \
		--advertise-client-urls http://127.0.0.1:2379$1 \
		--listen-peer-urls http://127.0.0.1:2380$1 \
		--initial-advertise-peer-urls http://127.0.0.1:2380$1 \
		--initial-cluster $initial --initial-cluster-token lab \
		--initial-cluster-state new --heartbeat-interval 100 \
		--election-timeout 1000 --logger zap --log-level error \
		>>/tmp/etcd-m$1.log 2>&1 &
	echo $! >/tmp/etcd-m$1.pid
}
E() { ETCDCTL_API=3 etcdctl --dial-timeout 2s --command-timeout 5s --endpoints $EP "$@"; }
members_up() { # wait (up to 90 s) for the member to take writes
	local until=$(($(date +%s) + 90)) n
	while [ "$(date +%s)" -lt $until ]; do
		E put /lab/ping 1 >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	df -k / | sed 's/^/  /'
	for n in 1; do
		echo "  member $n's log:"
		tail -5 /tmp/etcd-m$n.log
	done
	return 1
}
member 1
check "etcd: a member that takes writes" members_up

# --- the PFs: ib0 (the lab's), ib1 and ib2 made here; eth0 ---
for id in 101 102; do
	echo "$id 1" >/sys/bus/netdevsim/new_device
	echo 64 >/sys/kernel/debug/netdevsim/netdevsim$id/max_vfs
done
check "netdevsim: ib1 and ib2 exist" test -e /sys/class/net/ib1 -a -e /sys/class/net/ib2
for n in ib0 ib1 ib2; do echo 4 >/sys/class/net/$n/device/sriov_numvfs; done
echo 2 >/sys/class/net/eth0/device/sriov_numvfs

TTL=4
host_conf() { # host_conf N PF [ETH]: /etc/sriov/hN.yaml
	mkdir -p /etc/sriov
	{
		echo "physnets:"
		echo "  ibnet: [$2]"
		[ -n "${3:-}" ] && echo "  ethnet: [$3]"
		echo "guid: {policy: allocate, prefix: '02:5e:00:01'}"
		echo "state_dir: /tmp/h$1"
		echo "socket: /run/h$1.sock"
		echo "check_interval: 0"
		echo "cluster:"
		echo "  etcd: [${EP//,/, }]"
		echo "  host_id: h$1"
		echo "  lease_ttl: $TTL"
		echo "  fabric: {ibnet: fab1}"
	} >/etc/sriov/h$1.yaml
}
host_conf 1 ib0 eth0
host_conf 2 ib1
host_conf 3 ib2
declare -A HPID
hstart() { # hstart N: sriovd of host N, stderr to /tmp/hN.log; wait for it
	sriovd -c /etc/sriov/h$1.yaml 2>>/tmp/h$1.log &
	HPID[$1]=$!
	for _ in $(seq 200); do
		HJ $1 health >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
HJ() { local n=$1; shift; sriovctl -j port --socket /run/h$n.sock "$@"; }
cstatus() { HJ $1 health | jq -r '.cluster.status'; }
wait_status() { # wait_status N STATUS SECONDS
	for _ in $(seq $(($3 * 10))); do
		[ "$(cstatus $1)" = "$2" ] && return 0
		sleep 0.1
	done
	echo "  h$1: cluster status $(cstatus $1), want $2"
	return 1
}
for n in 1 2 3; do check "h$n: sriovd starts" hstart $n; done
for n in 1 2 3; do check "h$n: cluster status ok" wait_status $n ok 30; done
# every value the schema module reads back, one line per key
parse() { E get --print-value-only "$1" | $PARSE parse "$1"; }
K=/sriov/v1

# --- 1. concurrent InfiniBand binds, one GUID pool ---
binds=()
for i in 1 2 3 4; do
	for n in 1 2 3; do
		HJ $n bind h$n-p$i network ibnet pkey 0x8a01 >/tmp/b-$n-$i.json 2>&1 &
		binds+=($!)
	done
done
wait "${binds[@]}"
ok=0
for n in 1 2 3; do for i in 1 2 3 4; do
	jq -e '.guid' /tmp/b-$n-$i.json >/dev/null 2>&1 && ok=$((ok + 1))
done; done
check "race: 12 binds on 3 hosts at once, all bound" eq bound $ok 12
[ $ok = 12 ] || cat /tmp/b-*.json
guids=$(cat /tmp/b-*.json | jq -r '.guid // empty' | sort)
check "race: 12 distinct GUIDs answered" eq distinct "$(echo "$guids" | sort -u | wc -l)" 12
claims=$(E get --prefix $K/guids/ --keys-only | grep . | sed 's|.*/||' | sort)
check "race: guids/ holds exactly those 12" eq claims "$claims" "$guids"
bad=0
for n in 1 2 3; do for i in 1 2 3 4; do
	g=$(jq -r .guid /tmp/b-$n-$i.json)
	has "claim of $g" "$(parse $K/guids/$g)" "port=h$n-p$i host=h$n" || bad=$((bad + 1))
done; done
check "race: each claim names its port and host" eq bad $bad 0
# the kernel's view: every bound VF carries its port's GUID, none twice
vfguids=$(for p in ib0 ib1 ib2; do ip -j link show $p | jq -r '.[0].vfinfo_list[]."port guid"'; done |
	grep -v ff:ff:ff:ff:ff:ff:ff:ff | sort)
check "race: 12 VFs carry a GUID, all distinct" eq vfs \
	"$(echo "$vfguids" | sort -u | wc -l) $(echo "$vfguids" | wc -l)" "12 12"
colon=$(echo "$guids" | sed 's/^0x//; s/\(..\)/\1:/g; s/:$//' | sort)
check "race: the VFs' GUIDs are the answered ones" eq vf_guids "$vfguids" "$colon"
races=0
for n in 1 2 3; do
	r=$(HJ $n metrics | jq -r .text | sed -n 's/^sriovd_cluster_guid_races_total //p')
	races=$((races + r))
done
echo "race: $races claim(s) lost to another host and retried"

# --- 2. publication ---
a=$(cat /tmp/b-1-1.json)
g=$(echo "$a" | jq -r .guid)
vf=$(echo "$a" | jq -r .vf)
out=$(parse $K/ports/h1-p1)
check "publish: ports/h1-p1 read back by the schema module" \
	has port "$out" "port=h1-p1 host=h1 physnet=ibnet vnic_type=direct vf=ib0:vf$vf state=bound vlan=-1 fabric=fab1 pkey=0x0a01 membership=full guid=$g"
lease=$(E get $K/ports/h1-p1 -w json | jq -r '.kvs[0].lease')
check "publish: with h1's lease" eq lease "$lease" "$(HJ 1 health | jq -r .cluster.lease)"
check "publish: hosts/h1 names its PFs" \
	eq pfs "$(E get --print-value-only $K/hosts/h1 | jq -c '[.pfs[] | [.name, .link, .fabric, .vfs.bound]]')" \
	'[["ib0","infiniband","fab1",4],["eth0","ethernet",null,0]]'
HJ 1 unbind h1-p4 >/dev/null
check "unbind: ports/h1-p4 deleted" test -z "$(E get $K/ports/h1-p4)"
g4=$(jq -r .guid /tmp/b-1-4.json)
check "unbind: its claim released" test -z "$(E get $K/guids/$g4)"
check "unbind: its VF's GUID scrubbed" \
	eq guid "$(vfinfo ib0 "$(jq -r .vf /tmp/b-1-4.json)" '."port guid"')" ff:ff:ff:ff:ff:ff:ff:ff

kill -9 "${HPID[1]}"
wait "${HPID[1]}" 2>/dev/null
check "kill -9: ports/h1-p1 outlives sriovd" test -n "$(E get $K/ports/h1-p1)"
E put $K/ports/h1-stale '{"port":"h1-stale","host":"h1","physnet":"ibnet","vnic_type":"direct","vf":"ib0:vf3","state":"bound","vlan":null}' >/dev/null
check "restart: h1 starts" hstart 1
check "restart: h1 ok" wait_status 1 ok 30
check "restart: the same lease (within lease_ttl)" eq lease "$(HJ 1 health | jq -r .cluster.lease)" "$lease"
check "restart: h1-p1..3 republished" eq ports \
	"$(for i in 1 2 3; do parse $K/ports/h1-p$i | grep -c 'host=h1'; done | tr -d '\n')" 111
check "restart: a key SQLite does not hold deleted" test -z "$(E get $K/ports/h1-stale)"

kill -9 "${HPID[3]}"
wait "${HPID[3]}" 2>/dev/null
t0=$(date +%s)
gone=0
for _ in $(seq 200); do
	[ -z "$(E get --prefix $K/ports/h3- --keys-only)" ] && { gone=1; break; }
	sleep 0.2
done
t=$(($(date +%s) - t0))
check "lease: h3's ports gone after lease_ttl without sriovd" eq gone $gone 1
check "lease: not before lease_ttl ($t s, ttl $TTL s)" test $t -ge $((TTL - 1))
check "lease: its claims too" test -z "$(E get --prefix $K/guids/ | grep '"host":"h3"')"
check "lease: h2's ports stay" eq n "$(E get --prefix $K/ports/h2- --keys-only | grep -c .)" 4
check "lease: h3 starts again" hstart 3
check "lease: h3 ok" wait_status 3 ok 30
check "lease: h3's ports republished from SQLite" eq n "$(E get --prefix $K/ports/h3- --keys-only | grep -c .)" 4

# --- 3. the store down ---
kill -9 "$(cat /tmp/etcd-m1.pid)"
wait "$(cat /tmp/etcd-m1.pid)" 2>/dev/null
before=$(HJ 1 vfs | jq -c .)
pend0=$(HJ 1 health | jq .pending_operations)
out=$(sriovctl port --socket /run/h1.sock bind h1-ib-down network ibnet pkey 0x8a01 2>&1)
check "down: the InfiniBand bind is refused" has err "$out" \
	"InfiniBand binds claim their guid in the cluster store, which does not answer"
check "down: and says nothing changed" has err "$out" "nothing was changed"
check "down: no journal entry pending" eq pending "$(HJ 1 health | jq .pending_operations)" "$pend0"
check "down: VFs as they were" eq vfs "$(HJ 1 vfs | jq -c .)" "$before"
free_ok=1
for v in $(HJ 1 vfs | jq -r '.[] | select(.pf == "ib0" and .state == "free") | .vf'); do
	eq "ib0 vf $v guid" "$(vfinfo ib0 $v '."port guid"')" ff:ff:ff:ff:ff:ff:ff:ff || free_ok=0
	eq "ib0 vf $v link" "$(vfinfo ib0 $v .link_state)" disable || free_ok=0
done
check "down: every free InfiniBand VF still scrubbed" eq scrubbed $free_ok 1
r=$(HJ 1 bind h1-eth network ethnet vlan 300 2>&1)
check "down: the Ethernet bind is bound" eq vlan "$(echo "$r" | jq -r .vlan)" 300
ve=$(echo "$r" | jq -r .vf)
check "down: its VF has vlan 300" eq vlan "$(vfinfo eth0 "$ve" '.vlan_list[0].vlan')" 300
check "down: health says unreachable" eq status "$(cstatus 1)" unreachable
check "down: publication pending" eq pending "$(HJ 1 health | jq -r .cluster.publication_pending)" true
member 1
check "back: the member takes writes" members_up
check "back: h1 ok" wait_status 1 ok 60
out=$(parse $K/ports/h1-eth)
check "back: the Ethernet port is published" has port "$out" "port=h1-eth host=h1 physnet=ethnet vnic_type=direct vf=eth0:vf$ve state=bound vlan=300"
check "back: no fabric fields on it" test "${out#*fabric=}" = "$out"
r=$(HJ 1 bind h1-ib-up network ibnet pkey 0x8a01)
check "back: an InfiniBand bind works again" test -n "$(E get $K/guids/$(echo "$r" | jq -r .guid))"

for n in 1 2 3; do kill "${HPID[$n]}" 2>/dev/null; done
kill "$(cat /tmp/etcd-m1.pid)" 2>/dev/null
wait 2>/dev/null
for n in 1 2 3; do
	if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" /tmp/h$n.log; then
		fail "h$n: sanitizer report"
		grep -A20 "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" /tmp/h$n.log | head -40
	fi
done
finish sriovd-cluster "(${races} lost claim(s) retried)"
