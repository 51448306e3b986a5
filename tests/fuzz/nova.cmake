# SPDX-License-Identifier: MIT
# The nova layer's fuzz targets (sriov_fuzz(), tests/fuzz/CMakeLists.txt):
# device_spec and alias values with what runs on them (fuzz_nova_spec.c),
# the nova.conf reader with nova check (fuzz_nova_conf.c), seeded from the
# tests' inputs.
sriov_fuzz(nova_spec TEST nova-spec
	SEEDS ${CMAKE_CURRENT_LIST_DIR}/corpus-nova-spec)
sriov_fuzz(nova_conf TEST nova-conf
	SEEDS ${CMAKE_CURRENT_LIST_DIR}/corpus-nova-conf
	${PROJECT_SOURCE_DIR}/tests/nova/conf-corpus)
