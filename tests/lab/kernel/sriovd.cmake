# SPDX-License-Identifier: MIT
# sriovd in the kernel lab (docs/sriovd.md); included by CMakeLists.txt.
foreach(t basic physical load faults)
	add_test(NAME lab.kernel.sriovd-${t}
		 COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run --timeout 1200
			 ${CMAKE_CURRENT_SOURCE_DIR}/sriovd-${t}.sh)
	set_tests_properties(lab.kernel.sriovd-${t} PROPERTIES
			     LABELS "lab"
			     SKIP_RETURN_CODE 77
			     TIMEOUT 1500
			     ENVIRONMENT SRIOV_BUILD_DIR=${CMAKE_BINARY_DIR}
			     RUN_SERIAL TRUE)
endforeach()
