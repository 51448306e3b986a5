#!/bin/bash
# SPDX-License-Identifier: MIT
#
# VF GUIDs against the GUIDs of a simulated fabric (ibsim). Run it as is:
# it writes a topology (default.net plus Hca9, whose port GUID is chosen to
# be the GUID our derived scheme gives VF 0 of the mlx4-seed fixture host)
# and runs itself again through tests/lab/fabric/run.
#
# Checks: `sriovctl ib guids check` finds every GUID ibnetdiscover reports;
# `ib guid --allocate` on the fixture host (a copy of its fake sysfs) gives
# VF 1 a GUID the fabric does not use, refuses VF 0 (the deliberate
# collision with Hca9) without touching its admin GUID, and a pool skips
# the GUIDs the fabric holds. Expected GUIDs are computed here from the
# layout documented in docs/infiniband.md.
#
# SRIOVCTL (or SRIOV_BUILD_DIR) locates sriovctl.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../../.." && pwd)
build=${SRIOV_BUILD_DIR:-$src/build}

# PF mlx4_0 port 2 of tests/fixtures/hosts/mlx4-seed.json: gids/0 is
# fe80::0002:c903:0010:4a72. Derived port GUID of VF v:
# 0x02, then v in 16 bits, then the low 40 bits of the PF's.
pf_guid=0x0002c90300104a72
derive() { printf '0x02%04x%010x' "$1" $((pf_guid & 0xffffffffff)); }
collide=$(derive 0)

if [ -z "${FABRIC_DIR:-}" ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/sriov-guid-net.XXXXXX") || exit 1
	trap 'rm -rf "$tmp"' EXIT
	# ibsim: a CA's port 1 GUID is its node GUID + 1.
	awk -v hca="$(printf '0x%016x' $((collide - 1)))" '
		{ print }
		/^\[4\]\t"Hca4"\[1\]$/ && !done { print "[5]\t\"Hca9\"[1]"; done = 1 }
		END { print ""; print "caguid=" hca; print "Hca\t1 \"Hca9\""; print "[1]\t\"Switch1\"[5]" }
	' "$here/default.net" >"$tmp/guid.net"
	"$here/run" --net "$tmp/guid.net" "${BASH_SOURCE[0]}"
	exit $?
fi

. "$FABRIC_LAB_DIR/lib.sh"
echo "interceptor_via_lib:libumad2sim.so" >"$FABRIC_DIR/asan.supp"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:suppressions=$FABRIC_DIR/asan.supp:detect_leaks=0
sriovctl=${SRIOVCTL:-$build/src/cli/sriovctl}
[ -x "$sriovctl" ] || { echo "guid-unique: error: no sriovctl at $sriovctl" >&2; exit 1; }
fixture=$build/tests/fixtures/mlx4-seed/sys
[ -d "$fixture" ] || { echo "guid-unique: error: no fixture tree $fixture (build first)" >&2; exit 1; }
cp -a "$fixture" "$FABRIC_DIR/host"
fail=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }
s() { (cd "$FABRIC_DIR" && "$sriovctl" "$@"); }
host() { s --root "$FABRIC_DIR/host" "$@"; }
admin() { cat "$FABRIC_DIR/host/class/infiniband/mlx4_0/iov/ports/2/admin_guids/$1"; }

# The fabric's GUIDs as ibnetdiscover sees them (nodes and ports).
fabric_guids=$( (cd "$FABRIC_DIR" && ibnetdiscover) |
	sed -n 's/.*\(guid\|GUID\)=\(0x[0-9a-fA-F]*\).*/\2/p; s/^\[[0-9]*\](\([0-9a-f]*\)).*/0x\1/p' |
	while read -r g; do printf '0x%016x\n' "$g"; done | sort -u)
n=$(wc -l <<<"$fabric_guids")
if grep -qx "$(printf '0x%016x' "$collide")" <<<"$fabric_guids"; then
	pass "Hca9 holds the derived GUID of VF 0 ($collide); $n fabric GUIDs"
else
	failed "the topology did not give Hca9 port GUID $collide: $fabric_guids"
fi

# 1. Every GUID of the fabric is reported in use, with exit 1.
out=$(s -j ib guids check $fabric_guids)
rc=$?
inuse=$(jq '[.[] | select(.in_use)] | length' <<<"$out")
if [ "$rc" = 1 ] && [ "$inuse" = "$n" ]; then
	pass "guids check: all $n fabric GUIDs in use"
else
	failed "guids check on the fabric's GUIDs: rc $rc, $inuse of $n in use"
fi
out=$(s -j ib guids check 0x0202c90300000001)
if [ $? = 0 ] && [ "$(jq '.[0].in_use' <<<"$out")" = false ]; then
	pass "guids check: a free GUID is free"
else
	failed "guids check on a free GUID: $out"
fi

# 2. VF 1: the derived GUID is free on the fabric and is set.
want=$(derive 1)
out=$(host -j ib guid mlx4_0 1 --allocate)
if [ $? = 0 ] && [ "$(jq -r .admin_guid <<<"$out")" = "$want" ] &&
	[ "$(admin 2)" = "${want#0x0}" ]; then
	pass "allocate VF 1: $want, written to admin_guids/2"
else
	failed "allocate VF 1: want $want: $out; admin_guids/2 $(admin 2)"
fi
grep -qx "$want" <<<"$fabric_guids" && failed "VF 1's GUID is on the fabric"

# 3. VF 0: the derived GUID is Hca9's port GUID: refused, nothing written.
before=$(admin 1)
err=$(host ib guid mlx4_0 0 --allocate 2>&1 >/dev/null)
rc=$?
if [ "$rc" = 1 ] && grep -q "$collide" <<<"$err" && grep -q "in use" <<<"$err" &&
	[ "$(admin 1)" = "$before" ]; then
	pass "allocate VF 0: collision with Hca9 detected, admin_guids/1 unchanged"
else
	failed "allocate VF 0: rc $rc: $err; admin_guids/1 $before -> $(admin 1)"
fi

# 4. A pool over Hca1's GUIDs (node ...10, port ...11): the first free one.
out=$(host -j ib guid mlx4_0 0 --allocate --pool-range 0x0002c90300000010-0x0002c90300000013)
if [ $? = 0 ] && [ "$(jq -r .admin_guid <<<"$out")" = 0x0002c90300000012 ]; then
	pass "pool: skips the fabric's GUIDs, VF 0 gets 0x0002c90300000012"
else
	failed "pool allocation: $out"
fi
out=$(s -j ib guids check "$want" 0x0002c90300000012)
if [ $? = 0 ]; then
	pass "guids check: the allocated GUIDs are free on the fabric"
else
	failed "guids check of the allocated GUIDs: $out"
fi

exit $fail
