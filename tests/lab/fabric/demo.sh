#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo, in the fabric lab: two InfiniBand tenants partitioned from an
# intent file, the real OpenSM programs the simulated fabric, and
# `sriovctl fabric verify` proves the fabric enforces the intent; then a
# P-key table changed behind OpenSM's back is caught.
. "$FABRIC_LAB_DIR/lib.sh"
say() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
src=$(cd "$FABRIC_LAB_DIR/../../.." && pwd)
sriovctl=${SRIOV_BUILD_DIR:-$src/build}/src/cli/sriovctl
# ibsim's umad2sim shim and sanitizer builds: see pkeys-verify.sh
echo "interceptor_via_lib:libumad2sim.so" >"$FABRIC_DIR/asan.supp"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:suppressions=$FABRIC_DIR/asan.supp:detect_leaks=0
s() { printf '$ sriovctl %s\n' "$*"; (cd "$FABRIC_DIR" && "$sriovctl" "$@"); }

cat >"$FABRIC_DIR/tenants.yaml" <<'YAML'
partitions:
  - name: Default
    pkey: 0x7fff
    members:
      - {group: SELF, membership: full}
      - {group: ALL, membership: limited}
  - name: tenantA
    pkey: 0x0a00
    ipoib: true
    members:
      - {guid: 0x0002c90300000021, membership: full}
      - {guid: 0x0002c90300000031, membership: full}
  - name: tenantB
    pkey: 0x0b00
    ipoib: true
    members:
      - {guid: 0x0002c90300000041, membership: full}
      - {guid: 0x0002c90300000051, membership: full}
YAML
say "a simulated fabric (ibsim): 2 switches, 8 HCAs; the intent for two tenants"
cat "$FABRIC_DIR/tenants.yaml"
say "render partitions.conf (checked by our parser before it replaces anything)"
s fabric render "$FABRIC_DIR/tenants.yaml" -o "$FABRIC_DIR/partitions.conf"
cat "$FABRIC_DIR/partitions.conf"
say "the real OpenSM programs the fabric from it"
opensm-once "$FABRIC_DIR/partitions.conf" && echo "opensm: one sweep done, $(grep -c 'PARSE ERROR' "$FABRIC_DIR/osm.log") PARSE ERROR(s) in its log"
say "verify: every port's P-key table, read over MADs, against the intent"
s fabric verify "$FABRIC_DIR/tenants.yaml"
say "someone adds tenant B's P-key to a tenant A host behind OpenSM's back"
lid=$(fabric_lid 0x0002c90300000021)
free=$(fabric_pkeys_raw "$lid" 1 | grep -n '^0x0000$' | head -n 1 | cut -d: -f1)
s fabric set-pkey "$lid" 1 $((free - 1)) 0x8b00
s fabric verify "$FABRIC_DIR/tenants.yaml"
echo "(exit $?: verify fails when the fabric does not enforce the intent)"
say "and a typo in a hand-written partitions.conf is caught before OpenSM falls back to 'everyone in Default'"
printf 'Default=0x7fff : ALL=limited, SELF=full ;\ntenantA=0x0a00, ipoib  0x0002c90300000021=full, 0x0002c90300000031=full ;\n' >"$FABRIC_DIR/typo.conf"
cat "$FABRIC_DIR/typo.conf"
s fabric check "$FABRIC_DIR/typo.conf"
echo "(exit $?)"
exit 0
