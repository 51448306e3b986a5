# SPDX-License-Identifier: MIT
"""sriov's glue for Neutron: the sriov_infiniband ML2 mechanism driver."""
