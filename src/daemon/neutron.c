/* SPDX-License-Identifier: MIT */
/*
 * sriovd as Neutron's SR-IOV agent (docs/neutron.md).
 */
#include <errno.h>

#include <sriov/rpc.h>

#include "neutron.h"
#include "util/banned.h"

int neutron_check_config(const struct sriov_daemon_config *cfg,
			 struct sriov_error *err)
{
	const struct sriov_daemon_neutron *nc = &cfg->neutron;
	struct sriov_rpc_url u;
	struct sriov_error e = { 0 };
	int r;

	if (!nc->enabled)
		return 0;
	sriov_rpc_url_init(&u);
	r = sriov_rpc_url_parse(&u, nc->transport_url, &e);
	sriov_rpc_url_release(&u);
	if (r < 0)
		return sriov_error_set_at(err, r, cfg->path, nc->url_line,
					  nc->url_column, "neutron: %s", e.msg);
	return 0;
}
