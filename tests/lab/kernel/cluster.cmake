# SPDX-License-Identifier: MIT
# sriovd in the cluster on the real kernel (docs/cluster.md): etcd runs
# inside the guest, which has loopback only; included by CMakeLists.txt.
add_test(NAME lab.kernel.sriovd-cluster
	 COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run --timeout 1200
		 --with /usr/bin/etcd --with /usr/bin/etcdctl
		 --with $<TARGET_FILE:sriovd_cluster>
		 --env SRIOVD_CLUSTER=$<TARGET_FILE:sriovd_cluster>
		 ${CMAKE_CURRENT_SOURCE_DIR}/sriovd-cluster.sh)
set_tests_properties(lab.kernel.sriovd-cluster PROPERTIES
		     LABELS "lab"
		     SKIP_RETURN_CODE 77
		     TIMEOUT 1500
		     ENVIRONMENT SRIOV_BUILD_DIR=${CMAKE_BINARY_DIR}
		     RUN_SERIAL TRUE)
