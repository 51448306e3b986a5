# SPDX-License-Identifier: MIT
# VF lab tests (docs/vf.md): one QEMU boot per tests/lab/kernel/vf-*.sh.
file(GLOB SRIOV_VF_LAB_SCRIPTS CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/vf-*.sh)
foreach(script ${SRIOV_VF_LAB_SCRIPTS})
	get_filename_component(name ${script} NAME_WE)
	add_test(NAME lab.kernel.${name}
		 COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run ${script})
	set_tests_properties(lab.kernel.${name} PROPERTIES
			     LABELS "lab"
			     SKIP_RETURN_CODE 77
			     TIMEOUT 900
			     ENVIRONMENT SRIOV_BUILD_DIR=${CMAKE_BINARY_DIR}
			     RUN_SERIAL TRUE)
endforeach()
