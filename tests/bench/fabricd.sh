#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmarks of issue 14 (figures printed, nothing asserted): bind to
# partitions.conf latency, rendering 100,000 ports, cluster place against
# Nova's filter; against a real 3-member etcd on loopback.
#   tests/bench/fabricd.sh [BUILD_DIR] [--only latency|render|place]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${SRIOV_BUILD_DIR:-$src/build}
case "${1:-}" in /*|./*|../*) build=$1; shift ;; esac
exec "$src/tests/cluster/run" python3 "$here/fabricd-bench.py" "$build" "$@"
