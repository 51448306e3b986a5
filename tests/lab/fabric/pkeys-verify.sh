#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Round trip in the fabric lab (run it through tests/lab/fabric/run):
# render partitions.conf from an intent, let the real OpenSM program the
# fabric, and `sriovctl fabric verify` must pass; then break the fabric in
# two ways and verify must report exactly the damage:
#   1. one P-key table entry changed behind OpenSM's back (SubnSet);
#   2. one member dropped from the file OpenSM reads.
#
# SRIOVCTL (or SRIOV_BUILD_DIR) locates sriovctl.
set -u
. "$FABRIC_LAB_DIR/lib.sh"

src=$(cd "$FABRIC_LAB_DIR/../../.." && pwd)
# A sanitizer build runs under the lab's LD_PRELOAD of umad2sim, whose
# read() copies more than libibumad's buffer holds (ibsim 0.10): ASan
# blames that on umad2sim, not on us.
echo "interceptor_via_lib:libumad2sim.so" >"$FABRIC_DIR/asan.supp"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:suppressions=$FABRIC_DIR/asan.supp:detect_leaks=0
sriovctl=${SRIOVCTL:-${SRIOV_BUILD_DIR:-$src/build}/src/cli/sriovctl}
[ -x "$sriovctl" ] || { echo "pkeys-verify: error: no sriovctl at $sriovctl" >&2; exit 1; }
fail=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }
s() { (cd "$FABRIC_DIR" && "$sriovctl" "$@"); }

intent=$FABRIC_DIR/intent.yaml
cat >"$intent" <<'YAML'
partitions:
  - name: Default
    pkey: 0x7fff
    ipoib: true
    members:
      - {group: ALL, membership: full}
  - name: tenantA
    pkey: 0x0100
    ipoib: true
    members:
      - {guid: 0x0002c90300000021, membership: full}
      - {guid: 0x0002c90300000031}
      - {guid: 0x0002c90300000051, membership: limited}
  - name: tenantB
    pkey: 0x0200
    defmember: full
    members:
      - {guid: 0x0002c90300000031}
      - {guid: 0x0002c90300000061, membership: limited}
      - {group: SELF, membership: full}
YAML
conf=$FABRIC_DIR/partitions.conf
if s fabric render "$intent" -o "$conf" >/dev/null; then
	pass "render"
else
	failed "render"; exit 1
fi
opensm-once "$conf" || failed "opensm on the rendered file"
grep -q "PARSE ERROR\|retrying with default" "$FABRIC_DIR/osm.log" &&
	failed "OpenSM did not take the rendered file: $(grep -m1 PARSE "$FABRIC_DIR/osm.log")"

out=$(s -j fabric verify "$intent")
rc=$?
if [ "$rc" -eq 0 ] && [ "$(jq .differences <<<"$out")" = 0 ]; then
	pass "verify after OpenSM: no differences ($(jq .ports <<<"$out") ports)"
else
	failed "verify after OpenSM: rc $rc: $out"
fi

# 1. Behind OpenSM's back: Hca3 (limited in tenantA) loses 0x0100, gets
# 0x0300 in the same slot.
lid3=$(fabric_lid 0x0002c90300000031)
idx=$(fabric_pkeys_raw "$lid3" 1 | grep -n '^0x0100$' | cut -d: -f1)
if [ -z "$lid3" ] || [ -z "$idx" ]; then
	failed "Hca3 (lid '$lid3') holds no 0x0100: $(fabric_pkeys "$lid3" 1)"
else
	s fabric set-pkey "$lid3" 1 $((idx - 1)) 0x0300 || failed "set-pkey"
	out=$(s -j fabric verify "$intent")
	rc=$?
	got=$(jq -c '[.diffs[] | {guid, kind, want, have}] | sort_by(.kind)' <<<"$out")
	want='[{"guid":"0x0002c90300000031","kind":"extra","want":null,"have":"0x0300"},{"guid":"0x0002c90300000031","kind":"missing","want":"0x0100","have":null}]'
	if [ "$rc" -eq 1 ] && [ "$got" = "$want" ]; then
		pass "table changed behind OpenSM: verify reports exactly it"
	else
		failed "after set-pkey: rc $rc, diffs $got, expected $want"
	fi
	# A membership change in place: 0x0100 -> 0x8100 on the same port.
	s fabric set-pkey "$lid3" 1 $((idx - 1)) 0x8100 || failed "set-pkey"
	got=$(s -j fabric verify "$intent" | jq -c '[.diffs[] | {guid, kind, want, have}]')
	want='[{"guid":"0x0002c90300000031","kind":"membership","want":"0x0100","have":"0x8100"}]'
	[ "$got" = "$want" ] && pass "membership flipped: reported as such" ||
		failed "membership flip: $got, expected $want"
fi

# 2. A member dropped from the file OpenSM reads: Hca6 out of tenantB.
grep -v '0x0002c90300000061' "$intent" >"$FABRIC_DIR/intent-less.yaml"
s fabric render "$FABRIC_DIR/intent-less.yaml" -o "$conf" >/dev/null || failed "render less"
opensm-once "$conf" || failed "opensm on the smaller file"
out=$(s -j fabric verify "$intent")
rc=$?
got=$(jq -c '[.diffs[] | {guid, kind, want, have}]' <<<"$out")
want='[{"guid":"0x0002c90300000061","kind":"missing","want":"0x0200","have":null}]'
if [ "$rc" -eq 1 ] && [ "$got" = "$want" ]; then
	pass "member dropped from the file: verify reports exactly it"
else
	failed "dropped member: rc $rc, diffs $got, expected $want"
fi
# And the file's own intent now matches.
s fabric verify --conf "$conf" >/dev/null && pass "verify --conf on the file OpenSM read" ||
	failed "verify --conf: $(s fabric verify --conf "$conf" 2>&1 | tail -3)"

[ "$fail" -eq 0 ] && echo "PASS: pkeys-verify" || { echo "FAIL: pkeys-verify"; exit 1; }
