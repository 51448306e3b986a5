#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Fabric lab smoke test (run it through tests/lab/fabric/run): the real
# OpenSM applies a partitions.conf to the default topology and the P-key
# tables read back over SMPs say what the file says.
#
#   Hca2 (0x0002c90300000021)  full member of tenant 0x7003  -> 0xf003
#   Hca3 (0x0002c90300000031)  limited member                -> 0x7003
#   Hca4 (0x0002c90300000041)  not listed                    -> neither
#
# Then a file with a parse error: OpenSM logs PARSE ERROR with the line,
# and falls back to its default (Default=0x7fff, everyone full, no tenant).
set -u
. "$FABRIC_LAB_DIR/lib.sh"

fail=0
pass() { echo "PASS: $*"; }
failed() { echo "FAIL: $*"; fail=1; }
# has LID PKEY / lacks LID PKEY
has() {
	local t
	t=$(fabric_pkeys "$1" 1)
	case " $t " in
	*" $2 "*) pass "lid $1 has $2 ($t)" ;;
	*) failed "lid $1 lacks $2 ($t)" ;;
	esac
}
lacks() {
	local t
	t=$(fabric_pkeys "$1" 1)
	case " $t " in
	*" $2 "*) failed "lid $1 has $2 ($t)" ;;
	*) pass "lid $1 lacks $2 ($t)" ;;
	esac
}

full=0x0002c90300000021
limited=0x0002c90300000031
other=0x0002c90300000041

good=$FABRIC_DIR/good.conf
cat >"$good" <<CONF
# smoke: one tenant, one full and one limited member
Default=0x7fff, ipoib : ALL=full ;
tenantA=0x7003, ipoib :
	$full=full,
	$limited=limited ;
CONF

if opensm-once "$good"; then
	pass "opensm ran on good.conf"
else
	failed "opensm failed on good.conf"
fi
if grep -q "PARSE ERROR" "$FABRIC_DIR/osm.log"; then
	failed "good.conf: unexpected PARSE ERROR: $(grep 'PARSE ERROR' "$FABRIC_DIR/osm.log")"
else
	pass "good.conf: no PARSE ERROR"
fi

lid_full=$(fabric_lid $full)
lid_limited=$(fabric_lid $limited)
lid_other=$(fabric_lid $other)
if [ -z "$lid_full" ] || [ -z "$lid_limited" ] || [ -z "$lid_other" ]; then
	failed "could not resolve LIDs (full='$lid_full' limited='$lid_limited' other='$lid_other')"
	fabric_ports
	exit 1
fi
pass "LIDs: full=$lid_full limited=$lid_limited other=$lid_other"

has "$lid_full" 0xf003
lacks "$lid_full" 0x7003
has "$lid_limited" 0x7003
lacks "$lid_limited" 0xf003
lacks "$lid_other" 0xf003
lacks "$lid_other" 0x7003
for l in "$lid_full" "$lid_limited" "$lid_other"; do
	has "$l" 0xffff
done

bad=$FABRIC_DIR/bad.conf
cat >"$bad" <<CONF
Default=0x7fff, ipoib : ALL=full ;
tenantA=0x7003 ipoib : $full=full ;
CONF
opensm-once "$bad" || failed "opensm failed on bad.conf"
if grep -q "PARSE ERROR: line 2:" "$FABRIC_DIR/osm.log"; then
	pass "bad.conf: $(grep -o 'PARSE ERROR: line 2:.*' "$FABRIC_DIR/osm.log" | head -n 1)"
else
	failed "bad.conf: no 'PARSE ERROR: line 2:' in osm.log"
fi
if grep -q "retrying with default config" "$FABRIC_DIR/osm.log"; then
	pass "bad.conf: OpenSM fell back to its default configuration"
else
	failed "bad.conf: no fallback message in osm.log"
fi
lacks "$lid_full" 0xf003
lacks "$lid_full" 0x7003
has "$lid_full" 0xffff
has "$lid_other" 0xffff

if [ "$fail" -ne 0 ]; then
	echo "FAIL: smoke (osm.log: $FABRIC_DIR/osm.log)"
	exit 1
fi
echo "PASS: smoke"
