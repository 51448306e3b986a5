# SPDX-License-Identifier: MIT
# The partitions.conf parser's fuzz target. Included from
# tests/fuzz/CMakeLists.txt. The replay runs the committed corpus and the
# OpenSM corpus of tests/fixtures/partitions through the target with the
# normal compiler; the libFuzzer binary needs clang (-DSRIOV_FUZZ=ON).
add_executable(fuzz_partitions_replay
	${CMAKE_CURRENT_LIST_DIR}/fuzz_partitions.c
	${CMAKE_CURRENT_LIST_DIR}/fuzz_partitions_main.c)
target_link_libraries(fuzz_partitions_replay PRIVATE sriov)
add_test(NAME fuzz.partitions.replay COMMAND fuzz_partitions_replay
	${CMAKE_CURRENT_LIST_DIR}/corpus-partitions
	${PROJECT_SOURCE_DIR}/tests/fixtures/partitions)
set_tests_properties(fuzz.partitions.replay PROPERTIES LABELS "fuzz")
if(SRIOV_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
	add_executable(fuzz_partitions ${CMAKE_CURRENT_LIST_DIR}/fuzz_partitions.c)
	target_compile_options(fuzz_partitions PRIVATE -fsanitize=fuzzer)
	target_link_options(fuzz_partitions PRIVATE -fsanitize=fuzzer)
	target_link_libraries(fuzz_partitions PRIVATE sriov)
endif()
