#!/bin/bash
# SPDX-License-Identifier: MIT
#
# sriovd as Neutron's SR-IOV agent, measured in the kernel lab against a
# real neutron-server (tests/lab/kernel/neutron-lab: the services in a
# network namespace, the guest on its tap device): port create -> ACTIVE
# (p50/p99 over BENCH_PORTS ports, default 20, one at a time), RPC
# messages per bind, sriovd's idle CPU over 60 s. The guest runs under
# TCG, so the figures are slow in absolute terms; what matters is their
# shape (no 2 s polling). Needs root and the OpenStack packages; prints,
# asserts nothing.
#
# Debian's neutron-sriov-agent cannot be the reference here: it finds a
# PF's VFs only through /sys/class/net/PF/device/virtfnN, PCI functions
# (eswitch_manager.PciOsWrapper.scan_vf_devices), and netdevsim's VFs have
# none; the NVMe PF's VFs are PCI functions but have no netdev PF.
#
#   tests/bench/neutron.sh [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
export SRIOV_BUILD_DIR=${1:-${SRIOV_BUILD_DIR:-$src/build}}
"$src/tests/lab/kernel/neutron-lab" "$here/neutron.guest" 2>&1 |
	grep -v '^openstack-services: \|^lab.openstack.neutron: guest ran'
