# SPDX-License-Identifier: MIT
# ebrctl in the kernel lab (docs/openstack.md): the argv python3-nova's VIF
# driver runs for an ib_hostdev VIF, replayed against our ebrctl and
# sriovd; included by CMakeLists.txt.
add_test(NAME lab.kernel.ebrctl
	 COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/ebrctl-nova)
set_tests_properties(lab.kernel.ebrctl PROPERTIES
		     LABELS "lab"
		     SKIP_RETURN_CODE 77
		     TIMEOUT 1200
		     ENVIRONMENT SRIOV_BUILD_DIR=${CMAKE_BINARY_DIR}
		     RUN_SERIAL TRUE)
