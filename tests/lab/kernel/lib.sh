# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shell helpers for kernel-lab scripts. tests/lab/kernel/run puts this file
# in the guest as /lab/lib.sh, beside the script; a script starts with
#
#	. /lab/lib.sh || exit 1
#
# (without "|| exit 1", bash would go on with no helpers, and a script
# whose every check is missing would pass). Works under the guest's
# /bin/sh (bash in POSIX mode) and under bash.

# --- results: one PASS or FAIL line per check, $fails counts the FAILs ---
fails=0
pass() { echo "PASS $*"; }
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
check() { # check NAME COMMAND...: PASS NAME if COMMAND succeeds, else FAIL
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}
eq() { # eq WHAT GOT WANT: GOT is WANT, or say both
	[ "$2" = "$3" ] && return 0
	echo "  $1: got '$2', want '$3'"
	return 1
}
has() { # has WHAT TEXT NEEDLE: TEXT contains NEEDLE, or say both
	case "$2" in *"$3"*) return 0 ;; esac
	echo "  $1: '$2' lacks '$3'"
	return 1
}
finish() { # finish NAME [NOTE]: the closing line; exit 1 if a check failed
	if [ "$fails" -ne 0 ]; then
		echo "$1: $fails check(s) failed"
		exit 1
	fi
	echo "$1: all checks passed${2:+ $2}"
	exit 0
}

# --- the kernel's view, independent of our code ---
vfinfo() { # vfinfo DEV VF JQ-FILTER: what iproute2 reports for one VF
	ip -j link show "$1" | jq -r ".[0].vfinfo_list[$2] | $3"
}

# --- sriovd ---
S=/run/sriovd.sock
P() { sriovctl port --socket $S "$@"; }
PJ() { sriovctl -j port --socket $S "$@"; }
sriovd_start() { # start sriovd (stderr to /tmp/sriovd.log), PID; wait for health
	sriovd 2>>/tmp/sriovd.log &
	PID=$!
	for _ in $(seq 100); do
		[ -S $S ] && P health >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
