#!/bin/sh
# SPDX-License-Identifier: MIT
# sriovd in the kernel lab (QEMU TCG, so absolute figures are pessimistic):
# bind+unbind latency p50/p99 and throughput through sriovctl, the
# server-side histogram, idle CPU and memory. The figures are the BENCH
# lines of tests/lab/kernel/sriovd-load.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lab=$here/../lab/kernel
"$lab/run" --timeout 1200 --env BENCH_N="${BENCH_N:-200}" "$lab/sriovd-load.sh" |
	grep -E '^(BENCH|FAIL|sriovd-load)'
