/* SPDX-License-Identifier: MIT */
/*
 * host.inventory: the host's SR-IOV hardware as discovery sees it. This file
 * sees include/sriov/host.h only (its struct sriov_pf is not vf.h's), so it
 * declares what it offers itself.
 */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include <sriov/host.h>
#include "util/banned.h"

json_t *inventory_json(struct sriov_root *root, struct sriov_error *err);

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* -1 is "the kernel did not say": null (README's JSON conventions). */
static json_t *int_or_null(int v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

json_t *inventory_json(struct sriov_root *root, struct sriov_error *err)
{
	struct sriov_host h = { 0 };
	json_t *pfs;

	if (sriov_host_discover(root, &h, err) < 0)
		return NULL;
	pfs = json_array();
	for (size_t i = 0; pfs && i < h.n_pfs; i++) {
		const struct sriov_pf *pf = &h.pfs[i];
		json_t *o = json_object(), *nets = json_array(),
		       *vfs = json_array();

		json_object_set_new(o, "bus", str_or_null(pf->bus));
		json_object_set_new(o, "address", str_or_null(pf->address));
		json_object_set_new(o, "vendor", str_or_null(pf->vendor));
		json_object_set_new(o, "device", str_or_null(pf->device));
		json_object_set_new(o, "driver", str_or_null(pf->driver));
		json_object_set_new(o, "numa_node", int_or_null(pf->numa_node));
		json_object_set_new(o, "sriov_totalvfs",
				    int_or_null(pf->sriov_totalvfs));
		json_object_set_new(o, "sriov_numvfs",
				    int_or_null(pf->sriov_numvfs));
		for (size_t j = 0; j < pf->n_netdevs; j++) {
			json_t *nd = json_object();

			json_object_set_new(nd, "name",
					    str_or_null(pf->netdevs[j].name));
			json_object_set_new(nd, "link_type",
					    json_string(sriov_link_type_name(
						    pf->netdevs[j].link_type)));
			json_array_append_new(nets, nd);
		}
		json_object_set_new(o, "netdevs", nets);
		for (size_t j = 0; j < pf->n_vfs; j++) {
			const struct sriov_vf *vf = &pf->vfs[j];
			json_t *v = json_object();

			json_object_set_new(v, "vf", json_integer(vf->index));
			json_object_set_new(v, "address",
					    str_or_null(vf->address));
			json_object_set_new(v, "driver",
					    str_or_null(vf->driver));
			json_object_set_new(v, "netdev",
					    str_or_null(vf->netdev));
			json_object_set_new(v, "iommu_group",
					    int_or_null(vf->iommu_group));
			json_array_append_new(vfs, v);
		}
		json_object_set_new(o, "vfs", vfs);
		json_array_append_new(pfs, o);
	}
	sriov_host_release(&h);
	return pfs;
}
