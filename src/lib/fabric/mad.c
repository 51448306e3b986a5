/* SPDX-License-Identifier: MIT */
/*
 * Reading the fabric over MADs: libibnetdisc walks it with directed-route
 * SMPs (NodeInfo, PortInfo, NodeDescription of every node); then one
 * SubnGet(PKeyTable) per 32-entry block of every LID-bearing port
 * (IBA 14.2.5.7: for a switch the attribute modifier carries the port in
 * bits 16..31 and the block in 0..15; for a CA only the block, the port
 * being the one the SMP arrives on).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <infiniband/ibnetdisc.h>
#include <infiniband/mad.h>

#include <sriov/ib.h>

#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

#define PKEYS_PER_BLOCK 32
#define MAX_PKEY_BLOCKS 2048 /* IBA: at most 65536 entries */

static int read_pkeys(struct ibmad_port *srcport, const ib_portid_t *path,
		      struct sriov_mad_port *p, struct sriov_error *err)
{
	unsigned blocks = (p->pkey_cap + PKEYS_PER_BLOCK - 1) / PKEYS_PER_BLOCK;
	ib_portid_t id;

	if (blocks > MAX_PKEY_BLOCKS)
		blocks = MAX_PKEY_BLOCKS;
	p->pkeys = calloc(blocks * PKEYS_PER_BLOCK + 1, sizeof(*p->pkeys));
	if (!p->pkeys)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	if (p->lid) {
		memset(&id, 0, sizeof(id));
		ib_portid_set(&id, p->lid, 0, 0);
	} else {
		id = *path; /* no LID yet: the directed route */
	}
	for (unsigned b = 0; b < blocks; b++) {
		uint8_t buf[IB_SMP_DATA_SIZE] = { 0 };
		unsigned mod = b;

		if (p->type == SRIOV_NODE_SWITCH)
			mod |= (unsigned)p->port << 16;
		/* A LID route may be missing: the directed route is not. */
		if (!smp_query_via(buf, &id, IB_ATTR_PKEY_TBL, mod, 0,
				   srcport) &&
		    (!p->lid ||
		     !smp_query_via(buf, (ib_portid_t *)path, IB_ATTR_PKEY_TBL,
				    mod, 0, srcport)))
			return sriov_error_set(
				err, -EIO,
				"port 0x%016" PRIx64
				" (lid %u): PKeyTable block %u query failed",
				p->guid, p->lid, b);
		for (unsigned i = 0; i < PKEYS_PER_BLOCK; i++)
			p->pkeys[b * PKEYS_PER_BLOCK + i] =
				(uint16_t)(buf[2 * i] << 8 | buf[2 * i + 1]);
	}
	p->n_pkeys = blocks * PKEYS_PER_BLOCK;
	if (p->pkey_cap && p->n_pkeys > p->pkey_cap)
		p->n_pkeys = p->pkey_cap;
	return 0;
}

static int cmp_port(const void *a, const void *b)
{
	const struct sriov_mad_port *x = a, *y = b;

	if (x->lid != y->lid)
		return x->lid < y->lid ? -1 : 1;
	return x->guid < y->guid ? -1 : x->guid > y->guid;
}

void sriov_ib_fabric_release(struct sriov_ib_fabric *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_ports; i++)
		free(f->ports[i].pkeys);
	free(f->ports);
	memset(f, 0, sizeof(*f));
}

int sriov_ib_fabric_scan(const char *ca, int ca_port,
			 struct sriov_ib_fabric *ret, struct sriov_error *err)
{
	int classes[] = { IB_SMI_CLASS, IB_SMI_DIRECT_CLASS };
	struct ibnd_config cfg = { .timeout_ms = 200, .retries = 2 };
	struct sriov_ib_fabric f = { 0 };
	_cleanup_free_ ib_portid_t *paths = NULL;
	struct ibmad_port *srcport;
	ibnd_fabric_t *fab;
	uint16_t sm_lid = 0;
	size_t cap = 0, pcap = 0;
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	/*
	 * Discovery opens its own umad port; ours is opened after it is
	 * done (umad2sim, the lab's simulator shim, cannot hold two).
	 */
	fab = ibnd_discover_fabric((char *)ca, ca_port, NULL, &cfg);
	if (!fab)
		return sriov_error_set(
			err, -EIO,
			"fabric discovery from %s/%d failed (is ib_umad loaded, and may we open /dev/infiniband/umad*?)",
			ca ? ca : "(first HCA)", ca_port);
	for (ibnd_node_t *n = fab->nodes; n && r >= 0; n = n->next) {
		int first = n->type == IB_NODE_SWITCH ? 0 : 1;
		int last = n->type == IB_NODE_SWITCH ? 0 : n->numports;

		for (int pn = first; pn <= last; pn++) {
			ibnd_port_t *port = n->ports ? n->ports[pn] : NULL;
			struct sriov_mad_port *p;

			if (!port)
				continue;
			if (grow_array((void **)&f.ports, &cap, f.n_ports,
				       sizeof(*f.ports)) < 0 ||
			    grow_array((void **)&paths, &pcap, f.n_ports,
				       sizeof(*paths)) < 0) {
				r = sriov_error_set(err, -ENOMEM,
						    "out of memory");
				break;
			}
			paths[f.n_ports] = n->path_portid;
			p = &f.ports[f.n_ports++];
			memset(p, 0, sizeof(*p));
			p->guid = port->guid;
			p->node_guid = n->guid;
			p->type =
				n->type == IB_NODE_SWITCH ? SRIOV_NODE_SWITCH :
				n->type == IB_NODE_ROUTER ? SRIOV_NODE_ROUTER :
							    SRIOV_NODE_CA;
			p->port = (uint8_t)pn;
			p->lid = port->base_lid;
			if (!p->lid)
				p->lid = (uint16_t)mad_get_field(port->info, 0,
								 IB_PORT_LID_F);
			if (!sm_lid)
				sm_lid = (uint16_t)mad_get_field(
					port->info, 0, IB_PORT_SMLID_F);
			snprintf(p->name, sizeof(p->name), "%s", n->nodedesc);
			p->pkey_cap = mad_get_field(n->info, 0,
						    IB_NODE_PARTITION_CAP_F);
		}
	}
	ibnd_destroy_fabric(fab);
	if (r >= 0) {
		srcport = mad_rpc_open_port((char *)ca, ca_port, classes, 2);
		if (!srcport)
			r = sriov_error_set(
				err, -ENODEV,
				"cannot open InfiniBand port %s/%d for MADs",
				ca ? ca : "(first HCA)", ca_port);
		for (size_t i = 0; r >= 0 && i < f.n_ports; i++)
			r = read_pkeys(srcport, &paths[i], &f.ports[i], err);
		if (srcport)
			mad_rpc_close_port(srcport);
	}
	if (r < 0) {
		sriov_ib_fabric_release(&f);
		return r;
	}
	qsort(f.ports, f.n_ports, sizeof(*f.ports), cmp_port);
	for (size_t i = 0; sm_lid && i < f.n_ports; i++)
		if (f.ports[i].lid == sm_lid)
			f.sm_guid = f.ports[i].guid;
	*ret = f;
	return 0;
}

int sriov_ib_pkey_set(const char *ca, int ca_port, uint16_t lid, uint8_t port,
		      unsigned index, uint16_t pkey, struct sriov_error *err)
{
	int classes[] = { IB_SMI_CLASS, IB_SMI_DIRECT_CLASS };
	uint8_t buf[IB_SMP_DATA_SIZE] = { 0 };
	unsigned block = index / PKEYS_PER_BLOCK,
		 slot = index % PKEYS_PER_BLOCK;
	uint8_t node[IB_SMP_DATA_SIZE] = { 0 };
	struct ibmad_port *srcport;
	ib_portid_t id = { 0 };
	unsigned mod = block;
	int r = 0;

	if (!lid)
		return sriov_error_set(err, -EINVAL, "lid 0 is not a port");
	srcport = mad_rpc_open_port((char *)ca, ca_port, classes, 2);
	if (!srcport)
		return sriov_error_set(
			err, -ENODEV,
			"cannot open InfiniBand port %s/%d for MADs",
			ca ? ca : "(first)", ca_port);
	ib_portid_set(&id, lid, 0, 0);
	if (!smp_query_via(node, &id, IB_ATTR_NODE_INFO, 0, 0, srcport)) {
		r = sriov_error_set(err, -EIO, "lid %u: NodeInfo query failed",
				    lid);
		goto out;
	}
	if (mad_get_field(node, 0, IB_NODE_TYPE_F) == IB_NODE_SWITCH)
		mod |= (unsigned)port << 16;
	if (!smp_query_via(buf, &id, IB_ATTR_PKEY_TBL, mod, 0, srcport)) {
		r = sriov_error_set(err, -EIO,
				    "lid %u: PKeyTable block %u query failed",
				    lid, block);
		goto out;
	}
	buf[2 * slot] = (uint8_t)(pkey >> 8);
	buf[2 * slot + 1] = (uint8_t)pkey;
	if (!smp_set_via(buf, &id, IB_ATTR_PKEY_TBL, mod, 0, srcport))
		r = sriov_error_set(err, -EIO,
				    "lid %u: PKeyTable block %u set refused",
				    lid, block);
out:
	mad_rpc_close_port(srcport);
	return r;
}
