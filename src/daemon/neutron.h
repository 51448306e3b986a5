/* SPDX-License-Identifier: MIT */
#ifndef SRIOVD_NEUTRON_H
#define SRIOVD_NEUTRON_H

/*
 * sriovd as Neutron's SR-IOV agent (docs/neutron.md).
 */

#include <sriov/daemon_config.h>

/* Check the neutron: section beyond its shape: the transport_url as the
 * rpc layer reads it ("path:line:column: neutron: transport_url: ...").
 * 0 when there is no such section. */
int neutron_check_config(const struct sriov_daemon_config *cfg,
			 struct sriov_error *err);

#endif
