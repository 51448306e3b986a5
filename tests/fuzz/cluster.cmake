# SPDX-License-Identifier: MIT
# The cluster layer's fuzz targets (sriov_fuzz(), tests/fuzz/CMakeLists.txt):
# the etcd gateway's answers and the key schema's values.
sriov_fuzz(etcd_gateway TEST etcd SEEDS ${CMAKE_CURRENT_LIST_DIR}/corpus-etcd)
sriov_fuzz(cluster_schema TEST schema
	SEEDS ${CMAKE_CURRENT_LIST_DIR}/corpus-schema)
