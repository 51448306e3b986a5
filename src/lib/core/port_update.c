/* SPDX-License-Identifier: MIT */
/*
 * A bound port's settings changed in place, the VF staying with the
 * workload: what Neutron changes on a port while its VM runs (the link
 * with admin_state_up, the spoof check with port security, the rates with
 * a QoS policy, the VLAN with the network's segment). The driver is not
 * touched, nor the VF, network, vnic type or GUID: those are the port's
 * for its life, and changing one is an unbind and a bind.
 *
 * The new request is stored first, then applied with the bind's own steps
 * and read back; when the kernel refuses it, the old request is stored and
 * applied again, so the port is never left between the two (and the drift
 * check compares the kernel with what is stored, either way).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sriov/port.h>
#include "core/port_txn.h"
#include "util/macro.h"
#include "util/banned.h"

/* What a port keeps for its life; @err says which differs. */
static int same_port(const struct sriov_store_port *p,
		     const struct sriov_port_request *old,
		     const struct sriov_port_request *req, uint64_t guid,
		     struct sriov_error *err)
{
	if (strcmp(old->physnet, req->physnet))
		return sriov_error_set(
			err, -EINVAL,
			"port %s: its network is '%s', not '%s' (unbind it and bind it again)",
			p->id, old->physnet, req->physnet);
	if (old->vnic != req->vnic)
		return sriov_error_set(
			err, -EINVAL,
			"port %s: its vnic_type is %s, not %s (unbind it and bind it again)",
			p->id, sriov_vnic_type_name(old->vnic),
			sriov_vnic_type_name(req->vnic));
	if (req->pf[0] && strcmp(req->pf, p->pf))
		return sriov_error_set(
			err, -EINVAL,
			"port %s: its pf is %s, not %s (unbind it and bind it again)",
			p->id, p->pf, req->pf);
	if (req->pci_slot[0] && strcmp(req->pci_slot, p->address)) {
		char named[96];

		snprintf(named, sizeof(named), "%s:vf%u", p->pf, p->vf_index);
		if (strcmp(req->pci_slot, named))
			return sriov_error_set(
				err, -EINVAL,
				"port %s: it holds vf %s, not %s (unbind it and bind it again)",
				p->id, p->address[0] ? p->address : named,
				req->pci_slot);
	}
	if (req->has_guid && req->guid != guid) {
		char a[24], b[24];

		sriov_guid_format_colon(guid, a);
		sriov_guid_format_colon(req->guid, b);
		return sriov_error_set(
			err, -EINVAL,
			"port %s: its guid is %s, not %s (a new GUID takes an unbind and a bind)",
			p->id, a, b);
	}
	return 0;
}

/* The request against the link type of the VF the port holds. */
static int fits(const struct sriov_port_request *req,
		const struct sriov_port_vf *vf, struct sriov_error *err)
{
	if (vf->infiniband && (req->has_mac || req->has_vlan))
		return sriov_error_set(
			err, -EINVAL,
			"port %s: pf %s is InfiniBand: give a pkey, not a vlan or mac",
			req->id, vf->pf.dev);
	if (!vf->infiniband && req->has_pkey)
		return sriov_error_set(
			err, -EINVAL,
			"port %s: pf %s is Ethernet: give a vlan, not a pkey",
			req->id, vf->pf.dev);
	return 0;
}

/* Settings, then (mlx4) the P-key table: the port's P-key alone, or none. */
static int apply(const struct sriov_port_ctx *ctx,
		 const struct sriov_port_vf *vf,
		 const struct sriov_port_request *req, uint64_t guid,
		 struct sriov_error *err)
{
	int r = port_configure_settings(ctx, vf, req, guid, err);

	if (r < 0)
		return r;
	if (req->has_pkey)
		return port_configure_pkey(ctx, vf, req, err);
	return sriov_port_mlx4_pkey_scrub(ctx->root, vf, err);
}

int sriov_port_update(struct sriov_port_ctx *ctx,
		      const struct sriov_port_request *req,
		      struct sriov_error *err)
{
	_cleanup_free_ char *settings = NULL;
	struct sriov_store_port p = { 0 };
	struct sriov_port_request old, eff;
	struct sriov_port_vf vf;
	struct sriov_error e2 = { 0 };
	uint64_t guid = 0;
	int r;

	r = sriov_store_get_port(ctx->store, req->id, &p, err);
	if (r < 0)
		return r;
	if (strcmp(p.status, "bound")) {
		r = sriov_error_set(
			err, -EBUSY,
			"port %s is %s, not bound: nothing to update", p.id,
			p.status);
		goto out;
	}
	r = port_stored_request(&p, &old, &guid, err);
	if (r < 0)
		goto out;
	r = same_port(&p, &old, req, guid, err);
	if (r < 0)
		goto out;
	if (p.whole) {
		r = sriov_error_set(
			err, -EINVAL,
			"port %s holds a whole pf: it has no settings to update",
			p.id);
		goto out;
	}
	r = port_open_function(ctx, p.pf, p.whole, p.vf_index, p.address, &vf,
			       err);
	if (r < 0)
		goto out;
	r = fits(req, &vf, err);
	if (r < 0)
		goto out;
	/* the GUID is the port's (given or allocated at the bind) */
	eff = *req;
	eff.has_guid = guid != 0;
	eff.guid = guid;
	settings = sriov_port_request_dump(&eff);
	if (!settings) {
		r = sriov_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (!strcmp(settings, p.settings)) {
		/* the same request: only what drifted, as the check would */
		r = sriov_port_drift(ctx->nl, &vf, &eff, guid, &e2);
		if (r == 0)
			r = sriov_port_mlx4_pkey_drift(
				ctx->root, &vf, eff.has_pkey, eff.pkey, &e2);
		if (r == 0) /* nothing to do */
			goto out;
	}
	r = sriov_store_port_set_settings(ctx->store, p.id, settings, err);
	if (r < 0)
		goto out;
	r = apply(ctx, &vf, &eff, guid, err);
	if (r >= 0) {
		sriov_store_journal_note(
			ctx->store, "repair", p.id, p.vf_id,
			"update: the port's new settings applied", NULL);
		port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_INFO,
			   "update port %s: pf %s vf %u now %s", p.id, p.pf,
			   p.vf_index, settings);
		/* a new P-key or membership is the fabric's to know */
		if (ctx->cluster)
			port_cluster_publish(ctx, p.id);
		r = 0;
		goto out;
	}
	/* put the port back as it was, and say so */
	sriov_error_clear(&e2);
	if (sriov_store_port_set_settings(ctx->store, p.id, p.settings, &e2) <
		    0 ||
	    apply(ctx, &vf, &old, guid, &e2) < 0)
		port_event(
			ctx, SRIOV_PORT_EVENT_REPORTED, LOG_ERR,
			"update port %s: the old settings did not come back either: %s",
			p.id, e2.msg);
	sriov_store_journal_note(ctx->store, "repair", p.id, p.vf_id, err->msg,
				 NULL);
out:
	sriov_store_port_release(&p);
	return r;
}
