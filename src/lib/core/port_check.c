/* SPDX-License-Identifier: MIT */
/*
 * The store against the host: the sync (which VFs and whole PFs exist and
 * may be handed out) and the drift check (a bound port's VF as its port
 * wants it, a free VF in the quarantine state). A repair is made of the
 * bind's own steps (port_configure_settings(), port_configure_pkey()), a
 * re-scrub of the unbind's (port_scrub_function()); what the caller logs
 * and counts comes back as events (port_txn.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sriov/host.h>
#include <sriov/port.h>
#include "core/port_txn.h"
#include "util/macro.h"
#include "util/banned.h"

/* NUMA node of each named PF (-1 unknown), from discovery. */
static void pfs_numa(struct sriov_root *root, const char *const *pfs, size_t n,
		     int *ret)
{
	struct sriov_host h = { 0 };
	int r = sriov_host_discover(root, &h, NULL);

	for (size_t i = 0; i < n; i++) {
		const struct sriov_pf *pf =
			r < 0 ? NULL : sriov_host_find_pf(&h, pfs[i]);

		ret[i] = pf ? pf->numa_node : -1;
	}
	if (r >= 0)
		sriov_host_release(&h);
}

/*
 * A PF listed under direct_physical is a row of its own: free to hand out
 * whole while it has no VFs (excluded otherwise, until it has none again).
 * While handed over it is left alone: on vfio-pci its netdev is gone.
 */
static int sync_whole(const struct sriov_port_ctx *ctx, const char *physnet,
		      const char *name, int numa,
		      const struct sriov_store_vf *row, struct sriov_error *err)
{
	struct sriov_store_vf sv = { .whole = true, .numa_node = numa };
	struct sriov_port_vf pv;
	struct sriov_error e = { 0 };
	unsigned numvfs = 0, total = 0;

	if (row && row->state == SRIOV_VF_BOUND)
		return 0;
	snprintf(sv.pf, sizeof(sv.pf), "%s", name);
	snprintf(sv.physnet, sizeof(sv.physnet), "%s", physnet);
	if (sriov_port_pf_open(ctx->root, name, row ? row->address : NULL, &pv,
			       &e) < 0) {
		if (!row || !row->excluded)
			port_event(
				ctx, SRIOV_PORT_EVENT_LOG, LOG_WARNING,
				"physnet %s: pf %s is not handed out whole: %s",
				physnet, name, e.msg);
		sv.excluded = true;
		if (row)
			snprintf(sv.address, sizeof(sv.address), "%s",
				 row->address);
	} else {
		snprintf(sv.address, sizeof(sv.address), "%s", pv.address);
		sv.excluded = sriov_pf_numvfs(ctx->root, &pv.pf, &numvfs,
					      &total, NULL) == 0 &&
			      numvfs > 0;
	}
	return sriov_store_sync_vf(ctx->store, &sv, err);
}

/* The whole-PF row of @pf among @vfs, or NULL. */
static const struct sriov_store_vf *whole_row(const struct sriov_store_vf *vfs,
					      size_t n, const char *pf)
{
	const struct sriov_store_vf *row = NULL;

	for (size_t x = 0; x < n; x++)
		if (vfs[x].whole && !strcmp(vfs[x].pf, pf))
			row = &vfs[x];
	return row;
}

/* Sync the VFs of one configured PF; @seen marks the rows found. */
static int sync_pf(const struct sriov_port_ctx *ctx,
		   const struct sriov_daemon_physnet *pn, const char *name,
		   int numa, struct sriov_store_vf *vfs, size_t n_vfs,
		   bool *seen, int *ifindex, size_t *n_ifindex,
		   struct sriov_error *err)
{
	const struct sriov_daemon_config *cfg = ctx->cfg;
	bool whole = sriov_daemon_config_whole_pf(cfg, name);
	const struct sriov_store_vf *row = whole_row(vfs, n_vfs, name);
	struct sriov_error e = { 0 };
	struct sriov_pf_ref pf;
	unsigned numvfs = 0, total = 0;
	int r;

	for (size_t x = 0; whole && x < n_vfs; x++)
		if (vfs[x].whole && !strcmp(vfs[x].pf, name))
			seen[x] = true;
	if (whole) {
		r = sync_whole(ctx, pn->name, name, numa, row, err);
		if (r < 0)
			return r;
	}
	if (row && row->state == SRIOV_VF_BOUND)
		return 0; /* no VFs while a VM has the PF */
	if (sriov_pf_resolve(ctx->root, name, &pf, &e) < 0 ||
	    sriov_pf_numvfs(ctx->root, &pf, &numvfs, &total, &e) < 0) {
		port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_WARNING,
			   "physnet %s: pf %s: %s; its VFs are not handed out",
			   pn->name, name, e.msg);
		return 0;
	}
	if (pf.ifindex > 0 && ifindex)
		ifindex[(*n_ifindex)++] = pf.ifindex;
	for (unsigned v = 0; v < numvfs; v++) {
		struct sriov_store_vf sv = { .index = v, .numa_node = numa };

		snprintf(sv.pf, sizeof(sv.pf), "%s", name);
		snprintf(sv.physnet, sizeof(sv.physnet), "%s", pn->name);
		if (sriov_vf_pci(ctx->root, &pf, v, sv.address,
				 sizeof(sv.address), NULL) < 0)
			sv.address[0] = '\0';
		sv.excluded =
			sriov_daemon_config_excluded(cfg, sv.pf, v, sv.address);
		r = sriov_store_sync_vf(ctx->store, &sv, err);
		if (r < 0)
			return r;
		for (size_t x = 0; x < n_vfs; x++)
			if (!vfs[x].whole && !strcmp(vfs[x].pf, sv.pf) &&
			    vfs[x].index == v)
				seen[x] = true;
	}
	return 0;
}

int sriov_port_sync(struct sriov_port_ctx *ctx, int **ret_ifindex,
		    size_t *ret_n, struct sriov_error *err)
{
	const struct sriov_daemon_config *cfg = ctx->cfg;
	_cleanup_free_ struct sriov_store_vf *vfs = NULL;
	_cleanup_free_ const char **names = NULL;
	_cleanup_free_ int *numa = NULL, *ifindex = NULL;
	_cleanup_free_ bool *seen = NULL;
	size_t n_vfs = 0, n_pfs = 0, n_ifindex = 0, k = 0;
	int r;

	for (size_t i = 0; i < cfg->n_physnets; i++)
		n_pfs += cfg->physnets[i].n_pfs;
	names = calloc(n_pfs ?: 1, sizeof(*names));
	numa = calloc(n_pfs ?: 1, sizeof(*numa));
	ifindex = calloc(n_pfs ?: 1, sizeof(*ifindex));
	if (!names || !numa || !ifindex)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < cfg->n_physnets; i++)
		for (size_t j = 0; j < cfg->physnets[i].n_pfs; j++)
			names[k++] = cfg->physnets[i].pfs[j];
	pfs_numa(ctx->root, names, n_pfs, numa);

	r = sriov_store_list_vfs(ctx->store, &vfs, &n_vfs, err);
	if (r < 0)
		return r;
	/* VFs the store knows that are not seen below get excluded */
	seen = calloc(n_vfs ?: 1, sizeof(*seen));
	if (!seen)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	k = 0;
	for (size_t i = 0; i < cfg->n_physnets; i++) {
		const struct sriov_daemon_physnet *pn = &cfg->physnets[i];

		for (size_t j = 0; j < pn->n_pfs; j++, k++) {
			r = sync_pf(ctx, pn, pn->pfs[j], numa[k], vfs, n_vfs,
				    seen, ifindex, &n_ifindex, err);
			if (r < 0)
				return r;
		}
	}
	for (size_t x = 0; x < n_vfs; x++) {
		if (seen[x] || vfs[x].excluded)
			continue;
		if (vfs[x].state == SRIOV_VF_BOUND)
			port_event(
				ctx, SRIOV_PORT_EVENT_LOG, LOG_WARNING,
				"pf %s vf %u (port %s) is no longer present or configured",
				vfs[x].pf, vfs[x].index, vfs[x].port);
		vfs[x].excluded = true;
		r = sriov_store_sync_vf(ctx->store, &vfs[x], err);
		if (r < 0)
			return r;
	}
	if (ret_ifindex) {
		*ret_ifindex = TAKE_PTR(ifindex);
		*ret_n = n_ifindex;
	}
	return 0;
}

/* A repair's outcome, journaled and told: @done on success, @failed (what
 * went wrong) otherwise. */
static void repaired(const struct sriov_port_ctx *ctx,
		     const struct sriov_store_port *p, int r, const char *done,
		     const char *failed)
{
	if (r < 0) {
		port_event(ctx, SRIOV_PORT_EVENT_REPORTED, LOG_ERR,
			   "drift: port %s: repair failed: %s", p->id, failed);
		sriov_store_journal_note(ctx->store, "repair", p->id, p->vf_id,
					 failed, NULL);
		return;
	}
	port_count(ctx, SRIOV_PORT_EVENT_REPAIRED);
	sriov_store_journal_note(ctx->store, "repair", p->id, p->vf_id, done,
				 NULL);
}

/*
 * mlx4: the VF's virtual P-key table against its port's (the P-key alone
 * at slot 0; all none without one), repaired and counted as the settings
 * are. A repair that fails empties the table: a VF in no partition is
 * safer than one in a partition it was not given (the SM may have moved
 * another P-key to where slot 0 points).
 */
static void check_mlx4_pkeys(const struct sriov_port_ctx *ctx,
			     const struct sriov_store_port *p,
			     const struct sriov_port_vf *vf,
			     const struct sriov_port_request *req)
{
	struct sriov_error err = { 0 }, e2 = { 0 };
	char detail[2 * SRIOV_ERROR_MSG_MAX + 64];
	int r;

	r = sriov_port_mlx4_pkey_drift(ctx->root, vf, req->has_pkey, req->pkey,
				       &err);
	if (r < 0)
		port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_ERR,
			   "check: port %s: %s", p->id, err.msg);
	if (r <= 0)
		return;
	port_event(
		ctx, SRIOV_PORT_EVENT_LOG, LOG_WARNING,
		"drift: port %s (pf %s vf %u) p-key table changed behind sriovd's back (%s); repairing",
		p->id, p->pf, p->vf_index, err.msg);
	sriov_error_clear(&err);
	r = req->has_pkey ? port_configure_pkey(ctx, vf, req, &err) :
			    sriov_port_mlx4_pkey_scrub(ctx->root, vf, &err);
	if (r >= 0) {
		repaired(ctx, p, r, "mlx4 p-key table re-applied", NULL);
		return;
	}
	if (!req->has_pkey)
		snprintf(detail, sizeof(detail), "mlx4 p-key table: %s",
			 err.msg);
	else if (sriov_port_mlx4_pkey_scrub(ctx->root, vf, &e2) >= 0)
		snprintf(
			detail, sizeof(detail),
			"mlx4 p-key table: %s; the table is now all none (the VF is in no partition)",
			err.msg);
	else
		snprintf(detail, sizeof(detail),
			 "mlx4 p-key table: %s; emptying it failed too: %s",
			 err.msg, e2.msg);
	repaired(ctx, p, -EIO, NULL, detail);
}

/* One bound port: its VF (or whole PF) as its request wants it. */
static void check_port(const struct sriov_port_ctx *ctx,
		       const struct sriov_store_port *p)
{
	struct sriov_error err = { 0 };
	struct sriov_port_request req;
	struct sriov_port_vf vf;
	uint64_t guid = 0;
	int dr, r;

	if (port_stored_request(p, &req, &guid, &err) < 0 ||
	    port_open_function(ctx, p->pf, p->whole, p->vf_index, p->address,
			       &vf, &err) < 0) {
		port_event(ctx, SRIOV_PORT_EVENT_REPORTED, LOG_ERR,
			   "check: port %s: %s", p->id, err.msg);
		return;
	}
	/* A PF handed over whole is checked for its driver only: what the
	 * VM does with the device is the VM's. */
	if (vf.whole) {
		dr = sriov_port_pf_drift(ctx->root, &vf,
					 ctx->cfg->driver[req.vnic], &err);
		if (dr < 0)
			port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_ERR,
				   "check: port %s: %s", p->id, err.msg);
		if (dr <= 0)
			return;
		port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_WARNING,
			   "drift: port %s: %s; repairing", p->id, err.msg);
		sriov_error_clear(&err);
		r = port_configure_settings(ctx, &vf, &req, guid, &err);
		repaired(ctx, p, r, "pf handed over again", err.msg);
		return;
	}
	dr = sriov_port_drift(ctx->nl, &vf, &req, guid, &err);
	if (dr < 0)
		port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_ERR,
			   "check: port %s: %s", p->id, err.msg);
	if (dr > 0) {
		port_event(
			ctx, SRIOV_PORT_EVENT_LOG, LOG_WARNING,
			"drift: port %s (pf %s vf %u) changed behind sriovd's back (attributes 0x%x); repairing",
			p->id, p->pf, p->vf_index, (unsigned)dr);
		sriov_error_clear(&err);
		r = port_configure_settings(ctx, &vf, &req, guid, &err);
		repaired(ctx, p, r, "settings re-applied", err.msg);
	}
	/* whatever netlink said: the table is read apart */
	check_mlx4_pkeys(ctx, p, &vf, &req);
}

static void check_ports(const struct sriov_port_ctx *ctx)
{
	struct sriov_store_port *ports = NULL;
	struct sriov_error err = { 0 };
	size_t n = 0;

	if (sriov_store_list_ports(ctx->store, &ports, &n, &err) < 0) {
		port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_ERR, "check: %s",
			   err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(ports[i].status, "bound"))
			check_port(ctx, &ports[i]);
		sriov_store_port_release(&ports[i]);
	}
	free(ports);
}

/* A free VF (or whole PF): scrubbed, and still reading back so. */
static void check_free(const struct sriov_port_ctx *ctx,
		       const struct sriov_store_vf *v)
{
	struct sriov_error err = { 0 };
	struct sriov_port_vf vf;
	int r;

	if (port_open_function(ctx, v->pf, v->whole, v->index, v->address, &vf,
			       &err) < 0)
		return; /* sync reports PFs that went away */
	if (v->scrubbed) {
		r = vf.whole ? sriov_port_pf_is_scrubbed(ctx->root, &vf, &err) :
			       sriov_port_is_scrubbed(ctx->nl, &vf, &err);
		/* mlx4: the P-key table too (a pkey_idx write sends no
		 * netlink event; every slot must read none) */
		if (r == 1 && !vf.whole &&
		    sriov_port_mlx4_pkey_drift(ctx->root, &vf, false, 0,
					       &err) == 1)
			r = 0;
		if (r != 0)
			return;
		port_event(ctx, SRIOV_PORT_EVENT_REPAIRED, LOG_WARNING,
			   "drift: free %s; scrubbing again", err.msg);
	}
	sriov_error_clear(&err);
	if (port_scrub_function(ctx, &vf, &err) < 0) {
		char reason[SRIOV_ERROR_MSG_MAX + 16], what[32] = "(whole)";

		snprintf(reason, sizeof(reason), "scrub failed: %s", err.msg);
		if (!v->whole)
			snprintf(what, sizeof(what), "vf %u", v->index);
		port_event(ctx, SRIOV_PORT_EVENT_QUARANTINED, LOG_ERR,
			   "pf %s %s quarantined: %s", v->pf, what, reason);
		sriov_store_vf_quarantine(ctx->store, v->id, reason, NULL);
	} else if (!v->scrubbed) {
		sriov_store_vf_set_scrubbed(ctx->store, v->id, true, NULL);
	}
}

static void check_free_vfs(const struct sriov_port_ctx *ctx)
{
	struct sriov_store_vf *vfs = NULL;
	struct sriov_error err = { 0 };
	size_t n = 0;

	if (sriov_store_list_vfs(ctx->store, &vfs, &n, &err) < 0) {
		port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_ERR, "check: %s",
			   err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (vfs[i].state == SRIOV_VF_FREE && !vfs[i].excluded)
			check_free(ctx, &vfs[i]);
	free(vfs);
}

void sriov_port_check(struct sriov_port_ctx *ctx)
{
	check_ports(ctx);
	check_free_vfs(ctx);
}
