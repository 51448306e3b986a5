#!/bin/bash
# SPDX-License-Identifier: MIT
#
# OpenSM oracle for partitions.conf (run it through tests/lab/fabric/run):
# for each corpus file, run the real OpenSM once on the simulated fabric and
# record what it did, as one JSON object per file.
#
#   tests/lab/fabric/run tests/lab/fabric/oracle.sh [-o OUTDIR] [FILE|DIR...]
#
# Default corpus: tests/fixtures/partitions/*.conf. Without -o the objects
# go to stdout as JSON lines; with -o each goes to OUTDIR/<file>.json, and
# OpenSM's log to OUTDIR/<file>.osm.log. Each object:
#
#   file          corpus file name
#   opensm_args   extra OpenSM arguments, from a first line
#                 "# oracle-opensm-args: ARGS" (e.g. --allow_both_pkeys)
#   opensm_status OpenSM's exit status
#   parse_error   OpenSM logged any "PARSE ERROR" (fatal or not)
#   error_lines   sorted line numbers named by "PARSE ERROR" messages
#   fallback      OpenSM discarded the file and applied its default
#                 ("Partition configuration in error; retrying with default
#                 config"): any fatal parse error, or an empty file
#   messages      the partition-related lines of OpenSM's log (PARSE
#                 ERROR/WARN, fallback, ERR 05xx, IP MC group, port not
#                 found, duplicated partition), without time stamps
#   ports         one entry per LID-bearing port (CA ports, switch port 0),
#                 keyed by port GUID: name, type, lid, port, index0 (the
#                 P-key at table index 0) and pkeys (non-empty entries,
#                 sorted, "0x8001" style)
#
# Before each file OpenSM runs once without a partitions.conf, so every
# file starts from the same fabric state (every port: 0xffff only) and the
# results do not depend on corpus order.
set -u
. "$FABRIC_LAB_DIR/lib.sh"

outdir=""
if [ "${1:-}" = "-o" ]; then
	[ $# -ge 2 ] || { echo "usage: oracle.sh [-o OUTDIR] [FILE|DIR...]" >&2; exit 2; }
	outdir=$2
	shift 2
	mkdir -p "$outdir" || exit 1
fi
[ $# -gt 0 ] || set -- "$FABRIC_LAB_DIR/../../fixtures/partitions"

files=()
for a in "$@"; do
	if [ -d "$a" ]; then
		for f in "$a"/*.conf; do
			[ -e "$f" ] && files+=("$f")
		done
	else
		files+=("$a")
	fi
done
if [ ${#files[@]} -eq 0 ]; then
	echo "oracle.sh: error: no corpus files in: $*" >&2
	exit 2
fi

# One JSON object describing the fabric's P-key tables (one smpquery per
# port, one jq for all: the oracle runs this once per corpus file).
ports_json() {
	local type lid port guid name
	fabric_ports | while read -r type lid port guid name; do
		printf '%s %s %s %s %s ' "$guid" "$name" "$type" "$lid" "$port"
		(cd "$FABRIC_DIR" && smpquery pkeys "$lid" "$port") | awk '
		/^ *[0-9]+:/ {
			for (i = 2; i <= NF; i++) {
				if (++n == 1) i0 = $i
				if ($i != "0x0000") k = k " " $i
			}
		}
		END { print i0 k }'
	done | jq -cRn '[inputs | split(" ") | map(select(. != "")) |
		{(.[0]): {name: .[1], type: .[2], lid: (.[3] | tonumber),
			  port: (.[4] | tonumber), index0: .[5],
			  pkeys: (.[6:] | sort)}}] | add // {}'
}

log=$FABRIC_DIR/osm.log
fail=0
for f in "${files[@]}"; do
	name=$(basename "$f")
	args=$(sed -n '1s/^# oracle-opensm-args:[[:space:]]*//p' "$f")

	opensm-once "$FABRIC_DIR/no-such-partitions.conf" >/dev/null 2>&1

	# shellcheck disable=SC2086 # ARGS is a word list on purpose
	opensm-once "$f" $args
	status=$?
	[ "$status" -eq 0 ] || fail=1

	messages=$(grep -aE 'PARSE (ERROR|WARN)|Partition configuration|ERR 05|IP MC group|port 0x[0-9a-f]+ not found|Duplicated partition' "$log" |
		sed -E 's/^.* -> [A-Za-z0-9_]+: //')
	obj=$(jq -cn --arg file "$name" --arg args "$args" \
		--argjson status "$status" --arg messages "$messages" \
		--argjson ports "$(ports_json)" '
		($messages | split("\n") | map(select(. != ""))) as $m |
		{file: $file,
		 opensm_args: ($args | split(" ") | map(select(. != ""))),
		 opensm_status: $status,
		 parse_error: ($m | any(test("PARSE ERROR"))),
		 error_lines: ($m | map(select(test("PARSE ERROR"))
				   | capture("line (?<n>[0-9]+)").n | tonumber)
			       | unique),
		 fallback: ($m | any(test("retrying with default config"))),
		 messages: $m,
		 ports: $ports}')
	if [ -n "$outdir" ]; then
		printf '%s\n' "$obj" | jq . >"$outdir/$name.json"
		cp "$log" "$outdir/$name.osm.log"
	else
		printf '%s\n' "$obj"
	fi
done
exit "$fail"
