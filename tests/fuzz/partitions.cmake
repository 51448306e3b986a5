# SPDX-License-Identifier: MIT
# The partitions.conf parser's fuzz target (sriov_fuzz(),
# tests/fuzz/CMakeLists.txt): the committed corpus and the OpenSM corpus
# of tests/fixtures/partitions.
sriov_fuzz(partitions SEEDS ${CMAKE_CURRENT_LIST_DIR}/corpus-partitions
	${PROJECT_SOURCE_DIR}/tests/fixtures/partitions)
