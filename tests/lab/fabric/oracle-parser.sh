#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Our partitions.conf parser against the real OpenSM (run it through
# tests/lab/fabric/run). For every corpus file, oracle.sh runs OpenSM on
# the simulated fabric now, and this script checks that
#   - `sriovctl fabric check` says "OpenSM falls back" exactly when OpenSM
#     fell back to its default configuration;
#   - the lines our errors (and PARSE-ERROR-level mgid warnings) name in
#     OpenSM's numbering are the lines OpenSM's "PARSE ERROR" messages name;
#   - `sriovctl fabric predict` gives, for every LID-bearing port, the
#     P-key table OpenSM programmed, and its index 0 where we claim one;
#   - every error names line and column, and `check` exits 1 on errors.
# Files where OpenSM's parser reads past the end of a line are refused
# ("read-past-line": the tables are still compared, as OpenSM reads what
# earlier lines left); where it reads memory no line wrote
# ("undefined-read") its outcome is undefined: check must refuse the file
# and predict must decline, and what OpenSM did is only reported.
# Nothing here is a recorded result: OpenSM is the oracle at test time.
#
#   tests/lab/fabric/run tests/lab/fabric/oracle-parser.sh [FILE|DIR...]
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
if [ ! -x "$sriovctl" ]; then
	echo "oracle-parser: error: no sriovctl at $sriovctl (set SRIOVCTL or SRIOV_BUILD_DIR)" >&2
	exit 1
fi
command -v jq >/dev/null || { echo "oracle-parser: error: jq missing" >&2; exit 1; }
[ $# -gt 0 ] || set -- "$src/tests/fixtures/partitions"

out=$FABRIC_DIR/oracle
"$FABRIC_LAB_DIR/oracle.sh" -o "$out" "$@" >/dev/null 2>&1
# Each port's P-key table size, as the port reports it.
fabric_ports | while read -r type lid port guid pname; do
	cap=$(cd "$FABRIC_DIR" && smpquery pkeys "$lid" "$port" | sed -n 's/^\([0-9]*\) pkeys capacity.*/\1/p')
	echo "$type $lid $port $guid $pname cap=${cap:-0}"
done >"$FABRIC_DIR/ports.txt"
sm=$(awk -v h="${SIM_HOST:-Hca1}" '$5 == h { print $4 }' "$FABRIC_DIR/ports.txt")
if [ -z "$sm" ] || [ "$(wc -l <"$FABRIC_DIR/ports.txt")" -lt 3 ]; then
	echo "FAIL: fabric discovery gave no SM port ($SIM_HOST)"
	cat "$FABRIC_DIR/ports.txt"
	exit 1
fi

files=()
for a in "$@"; do
	if [ -d "$a" ]; then files+=("$a"/*.conf); else files+=("$a"); fi
done

fail=0 n=0 n_undef=0
for f in "${files[@]}"; do
	name=$(basename "$f")
	o=$out/$name.json
	n=$((n + 1))
	if [ ! -s "$o" ]; then
		echo "FAIL: $name: the oracle recorded nothing"
		fail=1
		continue
	fi
	both=""
	jq -e '.opensm_args | index("--allow_both_pkeys")' "$o" >/dev/null && both=--allow-both
	mine=$("$sriovctl" -j fabric check $both "$f" 2>/dev/null)
	rc=$?
	if [ -z "$mine" ]; then
		echo "FAIL: $name: sriovctl fabric check printed nothing"
		fail=1
		continue
	fi
	nerr=$(jq '[.diagnostics[] | select(.level == "error")] | length' <<<"$mine")
	if [ "$rc" -ne "$([ "$nerr" -gt 0 ] && echo 1 || echo 0)" ]; then
		echo "FAIL: $name: fabric check exited $rc with $nerr error(s)"
		fail=1
	fi
	nocol=$(jq -r '.diagnostics[] | select(.level == "error" and (.line == 0 or .column == 0)) | .message' <<<"$mine")
	if [ -n "$nocol" ]; then
		echo "FAIL: $name: an error without line and column: $nocol"
		fail=1
	fi
	# undef-*.conf: OpenSM's source says its outcome is undefined (the
	# oracle cannot see that); our check must say so too, and only there.
	undef=no
	jq -e 'any(.diagnostics[]; .code == "undefined-read")' <<<"$mine" >/dev/null && undef=yes
	case "$name:$undef" in
	undef-*:no)
		echo "FAIL: $name: OpenSM reads memory no line wrote here, but fabric check does not refuse it as undefined"
		fail=1 ;;
	undef-*:yes) ;;
	*:yes)
		echo "FAIL: $name: fabric check calls OpenSM's outcome undefined; name the file undef-*.conf if it is"
		fail=1 ;;
	esac
	if [ "$undef" = yes ]; then
		n_undef=$((n_undef + 1))
		if "$sriovctl" -j fabric predict $both --ports "$FABRIC_DIR/ports.txt" --sm "$sm" "$f" >/dev/null 2>"$FABRIC_DIR/predict.err" ||
			! grep -q undefined "$FABRIC_DIR/predict.err"; then
			echo "FAIL: $name: OpenSM's outcome is undefined, but fabric predict did not refuse it: $(cat "$FABRIC_DIR/predict.err")"
			fail=1
		fi
		echo "note: $name: undefined, refused (this time OpenSM $(jq -r 'if .fallback then "fell back" else "accepted it" end' "$o"))"
		continue
	fi
	want=$(jq -c '{fallback, lines: .error_lines}' "$o")
	got=$(jq -c '{fallback, lines: ([.diagnostics[]
		| select((.level == "error" and .code != "read-past-line")
			 or .code == "mgid-not-multicast")
		| .osm_line | select(. > 0)] | unique)}' <<<"$mine")
	if [ "$want" != "$got" ]; then
		echo "FAIL: $name: OpenSM $want, sriovctl $got"
		fail=1
	fi
	pred=$("$sriovctl" -j fabric predict $both --ports "$FABRIC_DIR/ports.txt" --sm "$sm" "$f" 2>&1)
	diff=$(jq -n --argjson o "$(jq -c .ports "$o")" --argjson p "$(jq -c .ports <<<"$pred" 2>/dev/null || echo null)" '
		if $p == null then ["no prediction"] else
		[$o | keys[] as $g
		 | if ($p[$g] == null) then "\($g): not predicted"
		   elif ($o[$g].pkeys != $p[$g].pkeys) then
			"\($g) (\($o[$g].name)): OpenSM \($o[$g].pkeys | join(" ")), predicted \($p[$g].pkeys | join(" "))"
		   elif ($p[$g].index0 != null and $p[$g].index0 != $o[$g].index0) then
			"\($g) (\($o[$g].name)): index 0 OpenSM \($o[$g].index0), predicted \($p[$g].index0)"
		   else empty end] end | .[]' -r)
	if [ -n "$diff" ]; then
		echo "FAIL: $name: P-key tables differ:"
		printf '    %s\n' "$diff"
		fail=1
	fi
done
if [ "$fail" -ne 0 ]; then
	echo "FAIL: oracle-parser ($n files; OpenSM logs in $out)"
	exit 1
fi
echo "PASS: oracle-parser: $n files: same accept/reject, error lines and P-key tables as OpenSM; $n_undef where OpenSM's outcome is undefined refused"
