# SPDX-License-Identifier: MIT
# Issue 14 end to end, all in the guest (loopback only): etcd, sriovd on
# netdevsim InfiniBand VFs, sriov-fabricd, ibsim, the real OpenSM and
# smpquery; included by CMakeLists.txt.
set(SRIOV_UMAD2SIM /usr/lib/x86_64-linux-gnu/umad2sim/libumad2sim.so)
add_test(NAME lab.e2e.fabric
	 COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run --timeout 420
		 --with /usr/bin/etcd --with /usr/bin/etcdctl
		 --with /usr/bin/ibsim --with /usr/sbin/opensm
		 --with /usr/sbin/smpquery --with /usr/sbin/ibnetdiscover
		 --with /usr/bin/curl --with ${SRIOV_UMAD2SIM}
		 --with $<TARGET_FILE:sriov-fabricd>
		 --with ${PROJECT_SOURCE_DIR}/tests/lab/fabric/lib.sh
		 --env FABRICD=$<TARGET_FILE:sriov-fabricd>
		 --env UMAD2SIM=${SRIOV_UMAD2SIM}
		 --env FABRIC_LIB=${PROJECT_SOURCE_DIR}/tests/lab/fabric/lib.sh
		 ${CMAKE_CURRENT_SOURCE_DIR}/e2e-fabric.sh)
set_tests_properties(lab.e2e.fabric PROPERTIES
		     LABELS "lab"
		     SKIP_RETURN_CODE 77
		     TIMEOUT 480
		     ENVIRONMENT SRIOV_BUILD_DIR=${CMAKE_BINARY_DIR}
		     RUN_SERIAL TRUE)
