#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Benchmarks of issue 5 (times printed, nothing asserted):
#   1. render + check an intent of 10,000 members in 500 partitions;
#   2. verify a simulated fabric of NHCA HCAs (default 320) on 20 switches
#      in the fabric lab (ibsim + OpenSM), after OpenSM programmed it.
#
#   tests/bench/partitions.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-${SRIOV_BUILD_DIR:-$src/build}}
sriovctl=$build/src/cli/sriovctl
nhca=${NHCA:-320}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. 500 partitions x 20 GUID members, half full.
{
	echo "partitions:"
	echo "  - {name: Default, pkey: 0x7fff, members: [{group: ALL, membership: full}]}"
	for p in $(seq 1 500); do
		printf '  - name: t%d\n    pkey: 0x%04x\n    ipoib: true\n    members:\n' "$p" "$p"
		for m in $(seq 1 20); do
			printf '      - {guid: 0x0002c903%08x, membership: %s}\n' \
				$((p * 20 + m)) $([ $((m % 2)) = 0 ] && echo full || echo limited)
		done
	done
} >"$tmp/big.yaml"
t0=$(date +%s.%N)
"$sriovctl" fabric render "$tmp/big.yaml" -o "$tmp/big.conf" >/dev/null
t1=$(date +%s.%N)
"$sriovctl" fabric check "$tmp/big.conf" >/dev/null 2>&1
t2=$(date +%s.%N)
echo "render 10000 members / 500 partitions: $(echo "$t1 - $t0" | bc) s (includes the check of the rendered text)"
echo "check  10000 members / 500 partitions: $(echo "$t2 - $t1" | bc) s"

# 2. A fabric of nhca HCAs on 20 switches in a chain.
nsw=20
per=$(((nhca + nsw - 1) / nsw))
{
	for s in $(seq 1 $nsw); do
		printf 'switchguid=0x0002c903%08x\nSwitch\t%d "S%d"\n' $((0xa000 + s)) $((per + 2)) "$s"
		for k in $(seq 1 $per); do
			h=$(((s - 1) * per + k))
			[ "$h" -le "$nhca" ] && printf '[%d]\t"H%d"[1]\n' "$k" "$h"
		done
		[ "$s" -gt 1 ] && printf '[%d]\t"S%d"[%d]\n' $((per + 1)) $((s - 1)) $((per + 2))
		[ "$s" -lt $nsw ] && printf '[%d]\t"S%d"[%d]\n' $((per + 2)) $((s + 1)) $((per + 1))
		echo
	done
	for h in $(seq 1 "$nhca"); do
		s=$(((h - 1) / per + 1))
		k=$(((h - 1) % per + 1))
		printf 'caguid=0x0002c903%08x\nHca\t1 "H%d"\n[1]\t"S%d"[%d]\n\n' $((h * 16)) "$h" "$s" "$k"
	done
} >"$tmp/big.net"
{
	echo "partitions:"
	echo "  - {name: Default, pkey: 0x7fff, members: [{group: ALL, membership: full}]}"
	for p in $(seq 1 40); do
		printf '  - name: t%d\n    pkey: 0x%04x\n    members:\n' "$p" "$p"
		for h in $(seq "$p" 40 "$nhca"); do
			printf '      - {guid: 0x0002c903%08x, membership: full}\n' $((h * 16 + 1))
		done
	done
} >"$tmp/fab.yaml"
cat >"$tmp/verify.sh" <<EOS
set -e
"$sriovctl" fabric render "$tmp/fab.yaml" -o "\$FABRIC_DIR/p.conf" >/dev/null
t0=\$(date +%s.%N)
OPENSM_TIMEOUT=600 opensm-once "\$FABRIC_DIR/p.conf"
t1=\$(date +%s.%N)
cd "\$FABRIC_DIR"
out=\$("$sriovctl" -j fabric verify "$tmp/fab.yaml") || true
t2=\$(date +%s.%N)
echo "opensm sweep of $nhca HCAs + $nsw switches: \$(echo "\$t1 - \$t0" | bc) s"
echo "verify $nhca HCAs + $nsw switches: \$(echo "\$t2 - \$t1" | bc) s, \$(echo "\$out" | jq -c '{ports, differences}')"
EOS
SIM_HOST=H1 "$src/tests/lab/fabric/run" --net "$tmp/big.net" "$tmp/verify.sh"
