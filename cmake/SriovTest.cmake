# SPDX-License-Identifier: MIT
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)

# sriov_unit_test(NAME SOURCES...): one cmocka binary per module, label "unit".
# Tests find fixtures through SRIOV_FIXTURES (source tree) and
# SRIOV_FIXTURES_BUILD (trees generated at build time).
function(sriov_unit_test name)
	add_executable(test_${name} ${ARGN})
	target_link_libraries(test_${name} PRIVATE sriov PkgConfig::CMOCKA)
	target_compile_definitions(test_${name} PRIVATE
		SRIOV_FIXTURES="${PROJECT_SOURCE_DIR}/tests/fixtures"
		SRIOV_FIXTURES_BUILD="${PROJECT_BINARY_DIR}/tests/fixtures")
	add_test(NAME unit.${name} COMMAND test_${name})
	set_tests_properties(unit.${name} PROPERTIES LABELS "unit" SKIP_RETURN_CODE 77)
endfunction()
