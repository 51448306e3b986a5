# SPDX-License-Identifier: MIT
# The cluster layer's fuzz targets: the etcd gateway's answers and the key
# schema's values. Included from tests/fuzz/CMakeLists.txt; the replays
# run the committed corpora with the normal compiler, the libFuzzer
# binaries need clang (-DSRIOV_FUZZ=ON).
foreach(t etcd_gateway cluster_schema)
	add_executable(fuzz_${t}_replay ${CMAKE_CURRENT_LIST_DIR}/fuzz_${t}.c
		${CMAKE_CURRENT_LIST_DIR}/fuzz_partitions_main.c)
	target_link_libraries(fuzz_${t}_replay PRIVATE sriov)
	if(SRIOV_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
		add_executable(fuzz_${t} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${t}.c)
		target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
		target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
		target_link_libraries(fuzz_${t} PRIVATE sriov)
	endif()
endforeach()
add_test(NAME fuzz.etcd.replay COMMAND fuzz_etcd_gateway_replay
	${CMAKE_CURRENT_LIST_DIR}/corpus-etcd)
add_test(NAME fuzz.schema.replay COMMAND fuzz_cluster_schema_replay
	${CMAKE_CURRENT_LIST_DIR}/corpus-schema)
set_tests_properties(fuzz.etcd.replay fuzz.schema.replay PROPERTIES
	LABELS "fuzz")
