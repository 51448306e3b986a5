# SPDX-License-Identifier: MIT
# The nova layer's fuzz targets: device_spec and alias values with what
# runs on them (fuzz_nova_spec.c), the nova.conf reader with nova check
# (fuzz_nova_conf.c). Included from tests/fuzz/CMakeLists.txt. CTest
# replays the committed corpora (seeded from the tests' inputs) through
# each target with the normal compiler; the libFuzzer binaries need clang
# (-DSRIOV_FUZZ=ON -DCMAKE_C_COMPILER=clang).
foreach(t spec conf)
	add_executable(fuzz_nova_${t}_replay
		${CMAKE_CURRENT_LIST_DIR}/fuzz_nova_${t}.c
		${CMAKE_CURRENT_LIST_DIR}/fuzz_partitions_main.c)
	target_link_libraries(fuzz_nova_${t}_replay PRIVATE sriov)
	if(SRIOV_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
		add_executable(fuzz_nova_${t} ${CMAKE_CURRENT_LIST_DIR}/fuzz_nova_${t}.c)
		target_compile_options(fuzz_nova_${t} PRIVATE -fsanitize=fuzzer)
		target_link_options(fuzz_nova_${t} PRIVATE -fsanitize=fuzzer)
		target_link_libraries(fuzz_nova_${t} PRIVATE sriov)
	endif()
endforeach()
add_test(NAME fuzz.nova-spec.replay COMMAND fuzz_nova_spec_replay
	${CMAKE_CURRENT_LIST_DIR}/corpus-nova-spec)
add_test(NAME fuzz.nova-conf.replay COMMAND fuzz_nova_conf_replay
	${CMAKE_CURRENT_LIST_DIR}/corpus-nova-conf
	${PROJECT_SOURCE_DIR}/tests/nova/conf-corpus)
set_tests_properties(fuzz.nova-spec.replay fuzz.nova-conf.replay
	PROPERTIES LABELS "fuzz")
