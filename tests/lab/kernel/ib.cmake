# SPDX-License-Identifier: MIT
# InfiniBand host-side lab tests (issue 5), included from
# tests/lab/kernel/CMakeLists.txt.

# VF GUIDs allocated and set on the patched netdevsim IB PF, read back
# with iproute2.
add_test(NAME lab.kernel.ib-guid
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run ${CMAKE_CURRENT_SOURCE_DIR}/ib-guid.sh)
set_tests_properties(lab.kernel.ib-guid PROPERTIES
                     LABELS "lab" SKIP_RETURN_CODE 77 TIMEOUT 900
                     ENVIRONMENT SRIOV_BUILD_DIR=${CMAKE_BINARY_DIR}
                     RUN_SERIAL TRUE)

# Fabric lab: allocated GUIDs against the simulated fabric's GUIDs. The
# script starts its own fabric (it needs an extra HCA in the topology).
add_test(NAME lab.fabric.guid-unique
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/../fabric/guid-unique.sh)
set_tests_properties(lab.fabric.guid-unique PROPERTIES
                     LABELS "lab" SKIP_RETURN_CODE 77 TIMEOUT 600
                     ENVIRONMENT SRIOV_BUILD_DIR=${CMAKE_BINARY_DIR}
                     RUN_SERIAL TRUE)
