# SPDX-License-Identifier: MIT
# The YAML formats, the GUID pool and sriovd's API requests as fuzz
# targets. Included from tests/fuzz/CMakeLists.txt. Each target's replay
# runs its committed corpus (seeds from the unit tests, the crashers found
# since, minimised) and the matching file of examples/ through the target
# with the normal compiler, label "fuzz"; with -DSRIOV_FUZZ=ON and clang
# the libFuzzer binary fuzz_NAME is built too:
#
#   cmake -B build-fuzz -DSRIOV_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 \
#     -DSRIOV_SANITIZE=ON -DSRIOV_LAB_TESTS=OFF
#   cmake --build build-fuzz --target fuzz_intent
#   build-fuzz/tests/fuzz/fuzz_intent -max_total_time=300 \
#     tests/fuzz/corpus-intent      (new inputs go into the corpus folder)
#
# sriov_fuzz(NAME SEEDS file-or-dir... LIBS target...)
function(sriov_fuzz name)
	cmake_parse_arguments(F "" "" "SEEDS;LIBS" ${ARGN})
	set(src ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_${name}.c)
	add_executable(fuzz_${name}_replay ${src}
		${CMAKE_CURRENT_SOURCE_DIR}/fuzz_partitions_main.c)
	target_link_libraries(fuzz_${name}_replay PRIVATE ${F_LIBS})
	add_test(NAME fuzz.${name}.replay COMMAND fuzz_${name}_replay ${F_SEEDS})
	set_tests_properties(fuzz.${name}.replay PROPERTIES LABELS "fuzz")
	if(SRIOV_FUZZ AND CMAKE_C_COMPILER_ID STREQUAL "Clang")
		add_executable(fuzz_${name} ${src})
		target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
		target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
		target_link_libraries(fuzz_${name} PRIVATE ${F_LIBS})
	endif()
endfunction()

set(here ${CMAKE_CURRENT_SOURCE_DIR})
set(examples ${PROJECT_SOURCE_DIR}/examples)
sriov_fuzz(hostyaml SEEDS ${here}/corpus-hostyaml ${examples}/host.yaml
	LIBS sriov)
sriov_fuzz(daemon_config SEEDS ${here}/corpus-daemon-config
	${examples}/sriovd.yaml LIBS sriov)
sriov_fuzz(intent SEEDS ${here}/corpus-intent ${examples}/partitions.yaml
	LIBS sriov)
sriov_fuzz(guidpool SEEDS ${here}/corpus-guidpool LIBS sriov)
sriov_fuzz(request SEEDS ${here}/corpus-request LIBS sriovd_core)
