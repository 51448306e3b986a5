#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The round trip of an RPC call, ours (src/lib/rpc, through rpc_peer)
# against oslo.messaging's own client, to the same oslo.messaging server
# on a private RabbitMQ (tests/rpc/broker, loopback only). Printed as a
# ratio; nothing is asserted.
#
#   tests/bench/rpc.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:-${SRIOV_BUILD_DIR:-$src/build}}
peer=$build/tests/rpc/rpc_peer
[ -x "$peer" ] || { echo "rpc.sh: no $peer (build first)" >&2; exit 1; }
bdir=$(mktemp -d)
trap '"$src/tests/rpc/broker" stop "$bdir" >/dev/null 2>&1 || true' EXIT
"$src/tests/rpc/broker" start "$bdir" >/dev/null
"$src/tests/rpc/interop.sh" latency "$peer" "$bdir" 2>/dev/null | grep -E '^(round trip|FAIL)'
