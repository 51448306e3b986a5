# SPDX-License-Identifier: MIT
# The rpc layer's fuzz targets: transport_url and the envelope decoder.
# Included from tests/fuzz/CMakeLists.txt; the replays run the committed
# corpora (and tests/rpc/golden) with the normal compiler, the libFuzzer
# binaries need clang (-DSRIOV_FUZZ=ON).
foreach(t rpc_url rpc_msg)
	string(REPLACE "_" "-" dash ${t})
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
add_test(NAME fuzz.rpc-url.replay COMMAND fuzz_rpc_url_replay
	${CMAKE_CURRENT_LIST_DIR}/corpus-rpc-url)
add_test(NAME fuzz.rpc-msg.replay COMMAND fuzz_rpc_msg_replay
	${CMAKE_CURRENT_LIST_DIR}/corpus-rpc-msg
	${PROJECT_SOURCE_DIR}/tests/rpc/golden)
set_tests_properties(fuzz.rpc-url.replay fuzz.rpc-msg.replay PROPERTIES
	LABELS "fuzz")
