# SPDX-License-Identifier: MIT
# sriovd as the SR-IOV agent of a real neutron-server on real VFs
# (docs/neutron.md): the services run in a network namespace the test makes,
# the guest reaches them over a tap device; included by CMakeLists.txt.
add_test(NAME lab.openstack.neutron
	 COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/neutron-lab)
set_tests_properties(lab.openstack.neutron PROPERTIES
		     LABELS "lab;openstack"
		     SKIP_RETURN_CODE 77
		     TIMEOUT 900
		     ENVIRONMENT SRIOV_BUILD_DIR=${CMAKE_BINARY_DIR}
		     RUN_SERIAL TRUE)
