# SPDX-License-Identifier: MIT
# The YAML formats, the GUID pool and sriovd's API requests as fuzz
# targets (sriov_fuzz(), tests/fuzz/CMakeLists.txt). Each replay runs its
# committed corpus (seeds from the unit tests, the crashers found since,
# minimised) and the matching file of examples/.
set(here ${CMAKE_CURRENT_SOURCE_DIR})
set(examples ${PROJECT_SOURCE_DIR}/examples)
sriov_fuzz(hostyaml SEEDS ${here}/corpus-hostyaml ${examples}/host.yaml)
sriov_fuzz(daemon_config SEEDS ${here}/corpus-daemon-config
	${examples}/sriovd.yaml)
sriov_fuzz(intent SEEDS ${here}/corpus-intent ${examples}/partitions.yaml)
sriov_fuzz(guidpool SEEDS ${here}/corpus-guidpool)
sriov_fuzz(request SEEDS ${here}/corpus-request LIBS sriovd_core)
