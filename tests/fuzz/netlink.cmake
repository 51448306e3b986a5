# SPDX-License-Identifier: MIT
# The VF netlink decoder's fuzz target. Included from tests/fuzz/CMakeLists.txt.
# The corpus replay is a plain CTest test built with the normal compiler;
# the libFuzzer binary is built only with clang (cmake -DSRIOV_FUZZ=ON
# -DCMAKE_C_COMPILER=clang-14), and its crashes become corpus files.
add_executable(fuzz_vfinfo_replay ${CMAKE_CURRENT_LIST_DIR}/fuzz_vfinfo.c
	${CMAKE_CURRENT_LIST_DIR}/replay.c)
target_link_libraries(fuzz_vfinfo_replay PRIVATE sriov)
# Seeds: the golden kernel-layout messages generated at build time, plus
# the committed corpus (crashers found earlier, minimised).
add_test(NAME fuzz.vfinfo.seeds
	COMMAND sh -c "mkdir -p '${PROJECT_BINARY_DIR}/tests/fuzz/seeds' && python3 '${PROJECT_SOURCE_DIR}/tests/fixtures/netlink/mk-newlink.py' '${PROJECT_BINARY_DIR}/tests/fuzz/seeds' || exit 77")
set_tests_properties(fuzz.vfinfo.seeds PROPERTIES FIXTURES_SETUP vfinfo_seeds
	SKIP_RETURN_CODE 77 LABELS "fuzz")
file(GLOB VFINFO_CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus/vfinfo/*)
add_test(NAME fuzz.vfinfo.replay
	COMMAND sh -c "exec \"$0\" \"$@\" '${PROJECT_BINARY_DIR}'/tests/fuzz/seeds/*.nl"
		$<TARGET_FILE:fuzz_vfinfo_replay> ${VFINFO_CORPUS})
set_tests_properties(fuzz.vfinfo.replay PROPERTIES
	FIXTURES_REQUIRED vfinfo_seeds LABELS "fuzz")
if(SRIOV_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
	add_executable(fuzz_vfinfo ${CMAKE_CURRENT_LIST_DIR}/fuzz_vfinfo.c)
	target_compile_options(fuzz_vfinfo PRIVATE -fsanitize=fuzzer)
	target_link_options(fuzz_vfinfo PRIVATE -fsanitize=fuzzer)
	target_link_libraries(fuzz_vfinfo PRIVATE sriov)
endif()
