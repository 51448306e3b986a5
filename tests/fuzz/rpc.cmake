# SPDX-License-Identifier: MIT
# The rpc layer's fuzz targets (sriov_fuzz(), tests/fuzz/CMakeLists.txt):
# transport_url and the envelope decoder (with the golden messages
# oslo.messaging wrote, tests/rpc/golden).
sriov_fuzz(rpc_url TEST rpc-url SEEDS ${CMAKE_CURRENT_LIST_DIR}/corpus-rpc-url)
sriov_fuzz(rpc_msg TEST rpc-msg SEEDS ${CMAKE_CURRENT_LIST_DIR}/corpus-rpc-msg
	${PROJECT_SOURCE_DIR}/tests/rpc/golden)
