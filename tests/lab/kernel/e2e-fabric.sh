#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 14 end to end, all inside the kernel-lab guest (loopback only):
# sriovd binds InfiniBand ports on real netdevsim VFs and publishes them in
# etcd; sriov-fabricd renders OpenSM's partitions.conf from the store and
# signals the real OpenSM, which programs an ibsim fabric whose HCA ports
# carry the GUIDs sriovd assigned (the topology is written after the binds,
# from the GUIDs the kernel reports on the VFs); each member is read back
# with `smpquery pkeys`.
#
#   1. bind: each port's P-key in its HCA port's table
#   2. unbind: the member leaves (re-render, SIGHUP, the table without it)
#   3. kill -9 of h2's sriovd: its member stays through --grace once its
#      lease is gone, and leaves after it
#   4. kill -9 of h1's sriovd and a restart within the grace: the file, the
#      status's checksum and the table unchanged, OpenSM not signalled again
#
# Run with --with for etcd, etcdctl, ibsim, opensm, smpquery, ibnetdiscover,
# curl, libumad2sim.so, the build's sriov-fabricd ($FABRICD) and the fabric
# lab's helpers ($FABRIC_LIB); see tests/lab/kernel/e2e.cmake.
. /lab/lib.sh || exit 1

for t in etcd etcdctl ibsim opensm smpquery ibnetdiscover curl "${FABRICD:-}"; do
	command -v "$t" >/dev/null || {
		echo "SKIP: '$t' is not in the guest (run --with it; --env FABRICD=PATH)" >&2
		exit 77
	}
done
for f in "${UMAD2SIM:-}" "${FABRIC_LIB:-}"; do
	[ -f "$f" ] || {
		echo "SKIP: '$f' is not in the guest (run --with it; --env UMAD2SIM=, FABRIC_LIB=)" >&2
		exit 77
	}
done
T0=$(date +%s)
at() { echo "--- $* ($(($(date +%s) - T0)) s)"; }
D=/tmp/fab
mkdir -p $D
export FABRIC_DIR=$D OSM_TMP_DIR=$D OSM_CACHE_DIR=$D IBSIM_SOCKNAME=e2e SIM_HOST=sm
. "$FABRIC_LIB"
# Only the MAD tools talk to ibsim: sriovd, sriovctl and etcd stay as
# they are.
smpquery() { LD_PRELOAD=$UMAD2SIM command smpquery "$@"; }
ibnetdiscover() { LD_PRELOAD=$UMAD2SIM command ibnetdiscover "$@"; }
GRACE=15
TTL=4
K=/sriov/v1
conf=$D/partitions.conf
# poll SECONDS 'SHELL TEXT': until the text, evaluated each time, succeeds
# (TCG is slow: polls, not sleeps)
poll() {
	local until=$(($(date +%s) + $1))
	shift
	while :; do
		eval "$*" 2>/dev/null && return 0
		[ "$(date +%s)" -lt $until ] || return 1
		sleep 0.2
	done
}

at etcd
# --- etcd: one member on loopback (sriovd-cluster.sh says why one) ---
EP=http://127.0.0.1:23791
etcd --name m1 --data-dir /tmp/etcd-m1 \
	--listen-client-urls $EP --advertise-client-urls $EP \
	--listen-peer-urls http://127.0.0.1:23801 \
	--initial-advertise-peer-urls http://127.0.0.1:23801 \
	--initial-cluster m1=http://127.0.0.1:23801 --initial-cluster-state new \
	--heartbeat-interval 100 --election-timeout 1000 \
	--logger zap --log-level error >/tmp/etcd.log 2>&1 &
E() { ETCDCTL_API=3 etcdctl --dial-timeout 2s --command-timeout 5s --endpoints $EP "$@"; }
check "etcd: takes writes" poll 90 'E put /lab/ping 1 >/dev/null'
# a key that is there, or not
present() { test -n "$(E get "$1")"; }
absent() { test -z "$(E get "$1")"; }

at sriovd
# --- two hosts: h1 on ib0 (the lab's), h2 on ib1 ---
echo "101 1" >/sys/bus/netdevsim/new_device
echo 64 >/sys/kernel/debug/netdevsim/netdevsim101/max_vfs
check "netdevsim: ib1 exists" test -e /sys/class/net/ib1
for n in ib0 ib1; do echo 2 >/sys/class/net/$n/device/sriov_numvfs; done
PF=([1]=ib0 [2]=ib1)
mkdir -p /etc/sriov
for n in 1 2; do
	cat >/etc/sriov/h$n.yaml <<-EOF
	physnets:
	  ibnet: [${PF[$n]}]
	guid: {policy: allocate, prefix: '02:5e:00:01'}
	state_dir: /tmp/h$n
	socket: /run/h$n.sock
	check_interval: 0
	cluster:
	  etcd: [$EP]
	  host_id: h$n
	  lease_ttl: $TTL
	  fabric: {ibnet: fab1}
	EOF
done
declare -A HPID
HJ() { local n=$1; shift; sriovctl -j port --socket /run/h$n.sock "$@"; }
cluster_ok() { [ "$(HJ $1 health | jq -r .cluster.status)" = ok ]; }
hstart() { # hstart N: sriovd of host N (stderr to /tmp/hN.log), until ok
	sriovd -c /etc/sriov/h$1.yaml 2>>/tmp/h$1.log &
	HPID[$1]=$!
	poll 60 cluster_ok $1
}
for n in 1 2; do check "h$n: sriovd starts, cluster ok" hstart $n; done

at binds
# --- the binds; their GUIDs as the bind, the kernel and the store say ---
# port host pkey (the P-key as the port's table holds it: 0x8... is full)
PORTS="h1-p1 1 0x8a01
h1-p2 1 0x8a02
h2-p1 2 0x0a03"
declare -A GUID HOST PKEY
while read -r p n pk; do
	HOST[$p]=$n PKEY[$p]=$pk
	r=$(HJ $n bind $p network ibnet pkey $pk)
	g=$(echo "$r" | jq -r .guid)
	vf=$(echo "$r" | jq -r .vf)
	GUID[$p]=$g
	check "bind $p on h$n: a GUID ($g)" test "${g#0x}" != "$g"
	kg=$(vfinfo ${PF[$n]} "$vf" '."port guid"' | tr -d :)
	check "bind $p: the VF carries it (kernel)" eq guid "0x$kg" "$g"
	check "bind $p: ports/$p names it (store)" eq guid \
		"$(E get --print-value-only $K/ports/$p | jq -r .guid)" "$g"
done <<<"$PORTS"

at ibsim
# --- the fabric: a switch, the SM's HCA and one HCA per bound port, whose
# port 1 (node GUID + 1 in ibsim) carries the GUID the kernel reported ---
{
	echo 'switchguid=0x0002c903000e0a01'
	echo 'Switch	8 "Sw"'
	echo '[1]	"sm"[1]'
	i=2
	while read -r p _; do
		echo "[$i]	\"$p\"[1]"
		i=$((i + 1))
	done <<<"$PORTS"
	echo
	printf 'caguid=0x0002c903000e0010\nHca\t1 "sm"\n[1]\t"Sw"[1]\n\n'
	i=2
	while read -r p _; do
		printf 'caguid=0x%016x\nHca\t1 "%s"\n[1]\t"Sw"[%d]\n\n' $((GUID[$p] - 1)) "$p" $i
		i=$((i + 1))
	done <<<"$PORTS"
} >$D/e2e.net
(cd $D && exec ibsim -s -n $D/e2e.net) </dev/null >$D/ibsim.log 2>&1 &
check "ibsim: ready" poll 60 'grep -q "Network simulator ready" $D/ibsim.log'

at opensm
# OpenSM in the background, its pid file written here (OpenSM writes none);
# -s 0: no periodic sweep, so each "SUBNET UP" after the first is a sweep
# a SIGHUP asked for.
(cd $D && LD_PRELOAD=$UMAD2SIM exec opensm -e -P $conf -f $D/osm.log -s 0 -d2) \
	</dev/null >$D/osm.out 2>&1 &
echo $! >$D/opensm.pid
sweeps() { grep -ac 'SUBNET UP' $D/osm.log 2>/dev/null; }
check "opensm: subnet up" poll 180 '[ "$(sweeps)" -ge 1 ]'
# lid_of GUID: fabric_lid, but compared as text: the guest's busybox awk
# reads 0x... as numbers, and doubles do not tell adjacent GUIDs apart
# (a pipe: the guest has no /dev/fd for <(...))
lid_of() {
	fabric_ports | while read -r _ lid _ guid _; do
		[ "$guid" = "$1" ] && echo "$lid" && break
	done
}
declare -A LID
GUID[sm]=0x0002c903000e0011
for p in sm $(echo "$PORTS" | cut -d' ' -f1); do
	LID[$p]=$(lid_of "${GUID[$p]}")
	check "ibsim: $p's HCA port has its GUID (LID ${LID[$p]})" test -n "${LID[$p]}"
done

at fabricd
cat >$D/static.yaml <<'YAML'
partitions:
  - name: Default
    pkey: 0x7fff
    members:
      - {group: ALL, membership: full}
YAML
echo "interceptor_via_lib:libumad2sim.so" >$D/asan.supp
(cd $D && LD_PRELOAD=$UMAD2SIM \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:suppressions=$D/asan.supp:detect_leaks=0 \
	exec "$FABRICD" --etcd $EP --fabric fab1 --static $D/static.yaml \
	--partitions $conf --opensm-pid $D/opensm.pid --grace $GRACE \
	--lease-ttl $TTL --id ctl --verify-timeout 60 \
	--metrics-listen 127.0.0.1:9464) </dev/null 2>$D/fabricd.log &
FPID=$!
status() { E get --print-value-only $K/fabrics/fab1/status; }
metric() { curl -s http://127.0.0.1:9464/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
signals() { grep -c 'signalled opensm' $D/fabricd.log; }
# pkeys P: P's HCA port table (sorted, space separated); a query that
# answers nothing (a MAD lost under TCG) is asked again, twice
pkeys() {
	local t i
	for i in 1 2 3; do
		t=$(fabric_pkeys "${LID[$1]}" 1)
		[ -n "$t" ] && break
		echo "  $1 (LID ${LID[$1]}): smpquery pkeys answered nothing (try $i)" >&2
	done
	echo "$t"
}
table() { [ -n "$2" ] && [ "$(pkeys "$1")" = "$2" ]; }
want_table() { # want_table P WANT SECONDS: poll for it, or say what it is
	local port=$1 want=$2
	[ -n "${LID[$port]}" ] || { echo "  $port: no LID"; return 1; }
	poll "$3" 'table "$port" "$want"' && return 0
	echo "  $port (LID ${LID[$port]}): table '$(pkeys "$port")', want '$want'"
	return 1
}
in_file() { grep -q "${GUID[$1]}=" $conf; }
verified() { [ "$(status | jq -r .verify)" = ok ]; }

at "1. bind"
# --- 1. bind: each member in the table OpenSM programmed ---
check "fabricd: the file names every bound port" \
	poll 60 'in_file h1-p1 && in_file h1-p2 && in_file h2-p1'
check "fabricd: OpenSM signalled" poll 30 '[ "$(signals)" -ge 1 ]'
for p in h1-p1 h1-p2 h2-p1; do
	check "bind: $p's port holds ${PKEY[$p]}" want_table $p "${PKEY[$p]} 0xffff" 90
done
check "bind: the SM's port in Default only" want_table sm "0xffff" 30
check "fabricd: status verify ok" poll 90 verified
echo "bind: all in place $(($(date +%s) - T0)) s after boot"

at "2. unbind"
# --- 2. unbind: the member leaves ---
s0=$(signals) w0=$(sweeps)
HJ 1 unbind h1-p2 >/dev/null
check "unbind: ports/h1-p2 deleted" test -z "$(E get $K/ports/h1-p2)"
check "unbind: out of the file" poll 30 '! in_file h1-p2'
check "unbind: OpenSM signalled again" poll 30 '[ "$(signals)" -gt $s0 ]'
check "unbind: OpenSM swept again" poll 60 '[ "$(sweeps)" -gt $w0 ]'
check "unbind: h1-p2's port back to Default only" want_table h1-p2 "0xffff" 90
check "unbind: h1-p1's port kept ${PKEY[h1-p1]}" want_table h1-p1 "${PKEY[h1-p1]} 0xffff" 0
check "unbind: counted as an unbind" \
	eq unbinds "$(metric 'sriov_fabricd_port_departures_total{fabric="fab1",cause="unbind"}')" 1

at "3. lost"
# --- 3. kill -9 of h2's sriovd, for good: held through the grace ---
kill -9 "${HPID[2]}"
wait "${HPID[2]}" 2>/dev/null
check "lost: ports/h2-p1 gone with h2's lease" poll 60 'absent $K/ports/h2-p1'
t1=$(date +%s)
check "lost: held under fabrics/fab1/held/" present $K/fabrics/fab1/held/h2-p1
# half the grace: time enough for a member dropped too soon to leave the
# file and the table (a sweep takes a second or two here)
while [ $(($(date +%s) - t1)) -lt $((GRACE / 2)) ]; do sleep 0.5; done
check "lost: still in the file" in_file h2-p1
check "lost: still in its port's table" want_table h2-p1 "${PKEY[h2-p1]} 0xffff" 0
el=$(($(date +%s) - t1))
check "lost: those seen within the grace (${el} s of ${GRACE} s)" test $el -lt $GRACE
check "lost: out of the file after the grace" poll $((GRACE + 60)) '! in_file h2-p1'
el=$(($(date +%s) - t1))
check "lost: not before the grace ended (${el} s, grace ${GRACE} s)" test $el -ge $((GRACE - 1))
check "lost: out of its port's table" want_table h2-p1 "0xffff" 90
check "lost: the held key released" poll 30 'absent $K/fabrics/fab1/held/h2-p1'
check "lost: h1-p1's port kept ${PKEY[h1-p1]}" want_table h1-p1 "${PKEY[h1-p1]} 0xffff" 0

at "4. restart"
# --- 4. kill -9 of h1's sriovd, back within the grace: nothing changes ---
poll 30 verified
sum0=$(sha256sum $conf | cut -d' ' -f1) st0=$(status | jq -r .checksum)
s0=$(signals) w0=$(sweeps)
wr0=$(metric 'sriov_fabricd_renders_total{fabric="fab1",result="written"}')
kill -9 "${HPID[1]}"
wait "${HPID[1]}" 2>/dev/null
check "restart: ports/h1-p1 gone with h1's lease" poll 60 'absent $K/ports/h1-p1'
t1=$(date +%s)
check "restart: held" present $K/fabrics/fab1/held/h1-p1
check "restart: h1's sriovd back" hstart 1
check "restart: ports/h1-p1 republished, same GUID" \
	poll 30 '[ "$(E get --print-value-only $K/ports/h1-p1 | jq -r .guid)" = ${GUID[h1-p1]} ]'
el=$(($(date +%s) - t1))
check "restart: back within the grace (${el} s of ${GRACE} s)" test $el -lt $GRACE
check "restart: the held key released" poll 30 'absent $K/fabrics/fab1/held/h1-p1'
# past the end of the grace the lost key would have had
while [ $(($(date +%s) - t1)) -le $((GRACE + 3)) ]; do sleep 0.5; done
check "restart: the file unchanged" eq sha256 "$(sha256sum $conf | cut -d' ' -f1)" "$sum0"
check "restart: the status's checksum unchanged" eq checksum "$(status | jq -r .checksum)" "$st0"
check "restart: OpenSM not signalled" eq signals "$(signals)" "$s0"
check "restart: OpenSM did not sweep" eq sweeps "$(sweeps)" "$w0"
check "restart: no file written" eq written \
	"$(metric 'sriov_fabricd_renders_total{fabric="fab1",result="written"}')" "$wr0"
check "restart: h1-p1's port kept ${PKEY[h1-p1]}" want_table h1-p1 "${PKEY[h1-p1]} 0xffff" 0

kill "$FPID" "${HPID[1]}" 2>/dev/null
wait "$FPID" "${HPID[1]}" 2>/dev/null
for l in /tmp/h1.log /tmp/h2.log $D/fabricd.log; do
	if grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" $l; then
		fail "$l: sanitizer report"
		grep -A20 "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error" $l | head -40
	fi
done
if [ "$fails" -ne 0 ]; then
	for l in $D/fabricd.log $D/osm.out; do
		echo "--- $l (tail)"
		tail -n 20 $l
	done
	echo "--- $conf"
	cat $conf
fi
finish e2e-fabric "in $(($(date +%s) - T0)) s"
