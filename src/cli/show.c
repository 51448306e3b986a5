/* SPDX-License-Identifier: MIT */
/* sriovctl show: the host's SR-IOV hardware, PFs with their VFs beneath. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sriov/host.h>

#include "cli.h"
#include "util/macro.h"
#include "util/banned.h"

/* Macros rather than functions, so each format stays a literal that
 * -Wformat checks against the value's type (print.h). */

/* -1 is "the kernel did not say": null in JSON, left out of the text. */
#define print_opt_int(p, key, fmt, v)                           \
	({                                                      \
		int v2_ = (v);                                  \
		if (v2_ < 0)                                    \
			print_null(p, PRINT_JSON, key, NULL);   \
		else                                            \
			print_int(p, PRINT_ANY, key, fmt, v2_); \
	})

/* NULL is null in JSON and left out of the text. */
#define print_opt_str(p, key, fmt, v)                                         \
	({                                                                    \
		const char *v2_ = (v);                                        \
		print_string(p, v2_ ? PRINT_ANY : PRINT_JSON, key, fmt, v2_); \
	})

#define print_guid(p, key, fmt, has, guid)                                  \
	({                                                                  \
		char buf_[19];                                              \
		print_string(p, PRINT_ANY, key, fmt,                        \
			     (has) ? sriov_guid_format(guid, buf_) : NULL); \
	})

static void print_pkeys(struct printer *p, const char *key,
			const uint16_t *pkeys, size_t n)
{
	char buf[7];

	print_open_array(p, key);
	for (size_t i = 0; i < n; i++)
		print_string(p, PRINT_ANY, NULL, " %s",
			     sriov_pkey_format(pkeys[i], buf));
	print_close_array(p);
}

static void print_mlx4_iov(struct printer *p, const struct sriov_mlx4_iov *iov)
{
	char buf[19];

	print_open_object(p, "mlx4_iov");
	print_open_array(p, "ports");
	for (size_t i = 0; i < iov->n_ports; i++) {
		const struct sriov_mlx4_port *mp = &iov->ports[i];

		print_open_object(p, NULL);
		print_uint(p, PRINT_ANY, "port", "\n        iov port %u",
			   mp->port);
		print_open_array(p, "pkeys");
		print_text(p, " pkeys");
		for (size_t k = 0; k < mp->n_pkeys; k++)
			print_string(p, PRINT_ANY, NULL, " %s",
				     sriov_pkey_format(mp->pkeys[k],
						       (char[7]){ 0 }));
		print_close_array(p);
		print_open_array(p, "admin_guids");
		for (size_t k = 0; k < mp->n_admin_guids; k++)
			print_string(p, PRINT_JSON, NULL, NULL,
				     sriov_guid_format(mp->admin_guids[k],
						       buf));
		print_close_array(p);
		print_close_object(p);
	}
	print_close_array(p);
	print_open_array(p, "functions");
	for (size_t i = 0; i < iov->n_vfs; i++) {
		const struct sriov_mlx4_vf *vf = &iov->vfs[i];

		print_open_object(p, NULL);
		print_string(p, PRINT_ANY, "address", "\n        iov %s",
			     vf->address);
		print_open_array(p, "ports");
		for (size_t j = 0; j < vf->n_ports; j++) {
			const struct sriov_mlx4_vf_port *vp = &vf->ports[j];

			print_open_object(p, NULL);
			print_uint(p, PRINT_ANY, "port", " port %u", vp->port);
			print_opt_int(p, "gid_idx", " gid_idx %d", vp->gid_idx);
			print_open_array(p, "pkey_idx");
			print_text(p, " pkey_idx");
			for (size_t k = 0; k < vp->n_pkey_idx; k++) {
				if (vp->pkey_idx[k] < 0) /* none: null */
					print_null(p, PRINT_ANY, NULL, " none");
				else
					print_int(p, PRINT_ANY, NULL, " %d",
						  vp->pkey_idx[k]);
			}
			print_close_array(p);
			print_close_object(p);
		}
		print_close_array(p);
		print_close_object(p);
	}
	print_close_array(p);
	print_close_object(p);
}

static void print_ib_ports(struct printer *p, const struct sriov_ib_device *ib)
{
	print_open_array(p, "ib_ports");
	for (size_t i = 0; ib && i < ib->n_ports; i++) {
		const struct sriov_ib_port *port = &ib->ports[i];

		print_open_object(p, NULL);
		print_uint(p, PRINT_ANY, "port", "\n        port %u",
			   port->port);
		print_string(p, PRINT_ANY, "link_layer", " %s",
			     port->link_layer);
		print_string(p, PRINT_ANY, "state", " %s", port->state);
		print_opt_int(p, "lid", " lid %d", port->lid);
		print_guid(p, "port_guid", " guid %s", port->has_port_guid,
			   port->port_guid);
		print_text(p, " pkeys");
		print_pkeys(p, "pkeys", port->pkeys, port->n_pkeys);
		print_close_object(p);
	}
	print_close_array(p);
}

static void print_vf(struct printer *p, const struct sriov_vf *vf)
{
	print_open_object(p, NULL);
	print_int(p, PRINT_ANY, "index", "\n    vf %-3d", vf->index);
	print_string(p, PRINT_ANY, "address", " %s", vf->address);
	print_string(p, PRINT_ANY, "vendor", " %s", vf->vendor);
	print_string(p, PRINT_ANY, "device", ":%s", vf->device);
	print_opt_str(p, "driver", " driver %s", vf->driver);
	print_opt_str(p, "netdev", " netdev %s", vf->netdev);
	print_opt_int(p, "iommu_group", " iommu_group %d", vf->iommu_group);
	if (vf->ib) {
		print_string(p, PRINT_ANY, "ib_device", " rdma %s",
			     vf->ib->name);
		print_guid(p, "node_guid", " node_guid %s",
			   vf->ib->has_node_guid, vf->ib->node_guid);
	}
	print_close_object(p);
}

static void print_pf(struct printer *p, const struct sriov_pf *pf)
{
	print_open_object(p, NULL);
	print_string(p, PRINT_ANY, "bus", "%s", pf->bus);
	print_string(p, PRINT_ANY, "address", " %s", pf->address);
	print_string(p, PRINT_ANY, "vendor", " %s", pf->vendor);
	print_string(p, PRINT_ANY, "device", ":%s", pf->device);
	print_opt_str(p, "class", " class %s", pf->class);
	print_opt_str(p, "driver", " driver %s", pf->driver);
	print_opt_int(p, "numa_node", " numa %d", pf->numa_node);
	print_opt_int(p, "iommu_group", " iommu_group %d", pf->iommu_group);
	print_opt_int(p, "sriov_numvfs", " vfs %d", pf->sriov_numvfs);
	print_opt_int(p, "sriov_totalvfs", "/%d", pf->sriov_totalvfs);
	print_string(p, PRINT_JSON, "sriov_vf_device", NULL,
		     pf->sriov_vf_device);
	if (pf->sriov_drivers_autoprobe < 0)
		print_null(p, PRINT_JSON, "sriov_drivers_autoprobe", NULL);
	else
		print_bool(p, PRINT_JSON, "sriov_drivers_autoprobe", NULL,
			   pf->sriov_drivers_autoprobe);
	if (pf->sriov_drivers_autoprobe == 0)
		print_text(p, " autoprobe off");
	print_open_array(p, "netdevs");
	for (size_t i = 0; i < pf->n_netdevs; i++) {
		print_open_object(p, NULL);
		print_string(p, PRINT_ANY, "name", "\n    netdev %s",
			     pf->netdevs[i].name);
		print_string(p, PRINT_ANY, "link_type", " %s",
			     sriov_link_type_name(pf->netdevs[i].link_type));
		print_close_object(p);
	}
	print_close_array(p);
	print_string(p, PRINT_JSON, "ib_device", NULL,
		     pf->ib ? pf->ib->name : NULL);
	if (pf->ib) {
		print_text(p, "\n    rdma %s", pf->ib->name);
		print_guid(p, "node_guid", " node_guid %s",
			   pf->ib->has_node_guid, pf->ib->node_guid);
	}
	print_ib_ports(p, pf->ib);
	if (pf->ib && pf->ib->mlx4_iov)
		print_mlx4_iov(p, pf->ib->mlx4_iov);
	print_open_array(p, "vfs");
	for (size_t i = 0; i < pf->n_vfs; i++)
		print_vf(p, &pf->vfs[i]);
	print_close_array(p);
	print_open_array(p, "problems");
	for (size_t i = 0; i < pf->n_problems; i++)
		print_string(p, PRINT_ANY, NULL, "\n    problem: %s",
			     pf->problems[i]);
	print_close_array(p);
	print_text(p, "\n");
	print_close_object(p);
}

static int cmd_show(struct cli *cli, int argc, char **argv)
{
	struct sriov_root *root = NULL;
	struct sriov_error err = { 0 };
	struct sriov_host host;
	struct printer p;
	int r;

	if (argc > 1)
		return cli_usage("show takes no arguments, got '%s'", argv[1]);
	if (cli_open_root(cli, &root) < 0)
		return EXIT_FAIL;
	r = sriov_host_discover(root, &host, &err);
	sriov_root_free(root);
	if (r < 0)
		return cli_error("%s", err.msg);
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_open_array(&p, "pfs");
	for (size_t i = 0; i < host.n_pfs; i++)
		print_pf(&p, &host.pfs[i]);
	print_close_array(&p);
	if (!host.n_pfs)
		print_text(&p, "no SR-IOV capable devices\n");
	print_open_array(&p, "other_devices");
	for (size_t i = 0; i < host.n_others; i++) {
		const struct sriov_other_device *o = &host.others[i];

		print_open_object(&p, NULL);
		print_string(&p, PRINT_ANY, "address", "other %s", o->address);
		print_string(&p, PRINT_ANY, "vendor", " %s", o->vendor);
		print_string(&p, PRINT_ANY, "device", ":%s", o->device);
		print_string(&p, PRINT_ANY, "class", " class %s", o->class);
		print_string(&p, PRINT_ANY, "driver", " driver %s\n",
			     o->driver);
		print_close_object(&p);
	}
	print_close_array(&p);
	print_close_object(&p);
	r = print_end(&p);
	sriov_host_release(&host);
	return r < 0 ? EXIT_FAIL : 0;
}

const struct cli_command cli_show = {
	.name = "show",
	.summary = "show SR-IOV devices, their VFs and ports",
	.run = cmd_show,
};
