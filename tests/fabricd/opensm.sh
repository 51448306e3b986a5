#!/bin/bash
# SPDX-License-Identifier: MIT
#
# sriov-fabricd --once with the real OpenSM on ibsim and a real etcd:
# bindings written into the store (tests/fabricd/bindings, the schema
# module) become P-keys OpenSM programs, read back with `smpquery pkeys`.
# The ibsim topology is made here so that its HCA ports carry the GUIDs of
# the bindings; an mlx4-style binding (an alias GUID the SM does not see,
# and its PF's port GUID) puts the PF's port in each of its P-keys.
# Then --opensm-pid naming a process that is not opensm: the file is in
# place, that process is not signalled and survives, the status says so.
#
#   tests/fabricd/opensm.sh BUILD_DIR
#   (it runs itself again inside tests/cluster/run and tests/lab/fabric/run)
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)

# port pkey membership guid pf_guid fabric: the bindings, and so the
# expected tables.
bindings_table() {
	cat <<'EOF'
v1 0x0b02 full    0x0002c903000b0011 - fab0
v2 0x0b02 limited 0x0002c903000b0021 - fab0
v3 0x0c03 full    0x0002c903000b0031 - fab0
v4 0x0a01 limited 0x0002c903000b0041 - fab0
m1 0x0c03 full    0x0002c903000cff01 0x0002c903000b0051 fab0
m2 0x0d04 limited 0x0002c903000cff02 0x0002c903000b0051 fab0
x1 0x0b02 full    0x0002c903000b0071 - fab1
EOF
}

if [ "${1:-}" != --inner ]; then
	build=${1:?usage: opensm.sh BUILD_DIR}
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/fabricd-opensm.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# One switch; the SM's HCA and b1..b8, whose port GUIDs (ibsim gives
	# port 1 the node GUID + 1) are those of the table, b6 the static
	# intent's, b8 one bound later.
	{
		echo 'switchguid=0x0002c903000b0a01'
		echo 'Switch	12 "Sw"'
		i=1
		for h in sm b1 b2 b3 b4 b5 b6 b7 b8; do
			echo "[$i]	\"$h\"[1]"
			i=$((i + 1))
		done
		echo
		i=0
		for h in sm b1 b2 b3 b4 b5 b6 b7 b8; do
			printf 'caguid=0x0002c903000b00%x0\nHca\t1 "%s"\n[1]\t"Sw"[%d]\n\n' "$i" "$h" $((i + 1))
			i=$((i + 1))
		done
	} >"$tmp/fabricd.net"
	export SIM_HOST=sm FABRICD_BUILD=$build
	"$src/tests/cluster/run" "$src/tests/lab/fabric/run" --net "$tmp/fabricd.net" \
		"$here/opensm.sh" --inner
	exit $?
fi

# ---- inside both labs ----
. "$FABRIC_LAB_DIR/lib.sh"
build=$FABRICD_BUILD
echo "interceptor_via_lib:libumad2sim.so" >"$FABRIC_DIR/asan.supp"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:suppressions=$FABRIC_DIR/asan.supp:detect_leaks=0
fabricd=$build/src/fabricd/sriov-fabricd
sriovctl=$build/src/cli/sriovctl
bind=$build/tests/fabricd/bindings
fail=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }
D=$FABRIC_DIR
cd "$D" || exit 1
conf=$D/partitions.conf
started=()
trap 'for p in "${started[@]}"; do kill "$p" 2>/dev/null; done' EXIT
status() { ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" get /sriov/v1/fabrics/fab0/status --print-value-only; }

cat >"$D/static.yaml" <<'YAML'
partitions:
  - name: Default
    pkey: 0x7fff
    members:
      - {group: ALL, membership: full}
  - name: storage
    pkey: 0x0a01
    ipoib: true
    members:
      - {guid: 0x0002c903000b0061, membership: full}
YAML

while read -r port pkey ms guid pf fab; do
	args=()
	[ "$pf" != - ] && args=(--pf-guid "$pf")
	"$bind" "$ETCD_ENDPOINTS" bind "${args[@]}" "$port" "$fab" "$pkey" "$ms" "$guid" ||
		{ failed "bind $port"; exit 1; }
done < <(bindings_table)
pass "bindings written into the store"

# OpenSM as a daemon on the simulated fabric, before the file exists.
(exec opensm -e -P "$conf" -f "$D/osm.log" -s 0 -D 0x07 -d2) >"$D/osm.out" 2>&1 &
osm=$!
started+=("$osm")
echo "$osm" >>"$D/pids"
echo "$osm" >"$D/opensm.pid"
up() { [ "$(grep -ac 'SUBNET UP' "$D/osm.log" 2>/dev/null)" -ge 1 ]; }
for _ in $(seq 1 200); do up && break; sleep 0.1; done
up || { failed "OpenSM did not bring the subnet up"; exit 1; }

"$fabricd" --etcd "$ETCD_ENDPOINTS" --fabric fab0 --static "$D/static.yaml" \
	--partitions "$conf" --opensm-pid "$D/opensm.pid" --once --id ctl-once \
	--verify-timeout 30 2>"$D/fabricd.err"
rc=$?
[ $rc = 0 ] && pass "--once: exit 0" || failed "--once: exit $rc: $(cat "$D/fabricd.err")"
grep -q "signalled opensm (pid $osm)" "$D/fabricd.err" && pass "OpenSM signalled" ||
	failed "OpenSM not signalled: $(cat "$D/fabricd.err")"
if "$sriovctl" fabric check "$conf" >"$D/check.out" 2>&1; then
	pass "the file passes sriovctl fabric check"
else
	failed "fabric check: $(cat "$D/check.out")"
fi
st=$(status)
[ "$(echo "$st" | jq -r .verify)" = ok ] && pass "status: verify ok ($(echo "$st" | jq -r .verify_detail))" ||
	failed "status verify: $st"
[ -z "$(ETCDCTL_API=3 etcdctl --endpoints "$ETCD_ENDPOINTS" get /sriov/v1/fabrics/fab0/leader --print-value-only)" ] &&
	pass "--once resigned" || failed "--once left its election key"

# What OpenSM programmed, port by port, against what the bindings say.
# want GUID: the sorted table for that port GUID, from the table above.
want() {
	local g=$1 keys="0xffff"
	while read -r port pkey ms guid pf fab; do
		[ "$fab" = fab0 ] || continue
		if [ "$guid" = "$g" ] || [ "$pf" = "$g" ]; then
			case $ms in
			full) keys="$keys $(printf '0x%04x' $((pkey | 0x8000)))" ;;
			*) keys="$keys $pkey" ;;
			esac
		fi
	done < <(bindings_table)
	[ "$g" = 0x0002c903000b0061 ] && keys="$keys 0x8a01"
	echo $keys | tr ' ' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//'
}
for i in 1 2 3 4 5 6 7 8; do
	g=$(printf '0x0002c903000b00%x1' "$i")
	lid=$(fabric_lid "$g")
	[ -n "$lid" ] || { failed "no LID for $g"; continue; }
	have=$(fabric_pkeys "$lid" 1)
	w=$(want "$g")
	[ "$have" = "$w" ] && pass "b$i ($g): $have" || failed "b$i ($g): have '$have', want '$w'"
done

# --opensm-pid naming a process that is not opensm.
sleep 600 &
sl=$!
started+=("$sl")
echo "$sl" >"$D/sleep.pid"
"$bind" "$ETCD_ENDPOINTS" bind v9 fab0 0x0e05 full 0x0002c903000b0081 || failed "bind v9"
"$fabricd" --etcd "$ETCD_ENDPOINTS" --fabric fab0 --static "$D/static.yaml" \
	--partitions "$conf" --opensm-pid "$D/sleep.pid" --once --no-verify 2>"$D/fabricd2.err"
rc=$?
[ $rc = 1 ] && grep -q "is 'sleep', not opensm" "$D/fabricd2.err" &&
	pass "a pid file naming sleep: exit 1, $(grep -m1 'not opensm' "$D/fabricd2.err")" ||
	failed "a pid file naming sleep: exit $rc: $(cat "$D/fabricd2.err")"
kill -0 "$sl" 2>/dev/null && pass "sleep (pid $sl) was not signalled" || failed "sleep was signalled"
grep -q "0x0002c903000b0081=full" "$conf" && pass "the file is in place all the same" ||
	failed "the file lacks v9"
status | jq -e '.error | test("in place, but OpenSM was not signalled.*not opensm")' >/dev/null &&
	pass "the status says OpenSM was not signalled" || failed "status: $(status)"
kill -0 "$osm" && pass "OpenSM still runs" || failed "OpenSM died"

[ "$fail" = 0 ] && echo "PASS: fabricd opensm" || echo "FAIL: fabricd opensm"
exit "$fail"
