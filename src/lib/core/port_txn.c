/* SPDX-License-Identifier: MIT */
/*
 * The port transactions, one call each: bind (check the request against
 * the network, allocate and journal, save, configure, read back, answer)
 * and unbind (journal, restore, scrub, read back, free or quarantine),
 * and the recovery of what a crash left half done. Every way out of a
 * bind that did not finish, an unbind and a recovery all go through
 * port_release(): put back what was saved, scrub, read back, then free or
 * quarantine, closing the journal entry.
 *
 * The caller lends the root, the netlink socket, the store, the config
 * and its hooks (struct sriov_port_ctx); nothing here logs: what the
 * caller should log or count comes back as events.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include <sriov/port.h>
#include "core/port_txn.h"
#include "util/macro.h"
#include "util/banned.h"

/* Room for a message built of two errors and the names around them. */
#define EVENT_MSG_MAX (3 * SRIOV_ERROR_MSG_MAX)

void port_event(const struct sriov_port_ctx *ctx, enum sriov_port_event ev,
		int level, const char *fmt, ...)
{
	char msg[EVENT_MSG_MAX];
	va_list ap;

	if (!ctx->hooks.event)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->hooks.event(ctx->hooks.userdata, ev, level, msg);
}

void port_count(const struct sriov_port_ctx *ctx, enum sriov_port_event ev)
{
	if (ctx->hooks.event)
		ctx->hooks.event(ctx->hooks.userdata, ev, LOG_INFO, NULL);
}

static void step(const struct sriov_port_ctx *ctx)
{
	if (ctx->hooks.step)
		ctx->hooks.step(ctx->hooks.userdata);
}

/*
 * Told once an operation has its journal entry, before anything is
 * touched: an operator can tie a later recovery or quarantine line to the
 * operation and its function; lab.kernel.sriovd-faults aims its kills at
 * this line, so its words stay as they are.
 */
static void started(const struct sriov_port_ctx *ctx, const char *op,
		    const char *id, int64_t seq, const char *pf, bool whole,
		    unsigned vf)
{
	if (whole)
		port_event(ctx, SRIOV_PORT_EVENT_STARTED, LOG_INFO,
			   "%s port %s: journal %lld started on whole pf %s",
			   op, id, (long long)seq, pf);
	else
		port_event(ctx, SRIOV_PORT_EVENT_STARTED, LOG_INFO,
			   "%s port %s: journal %lld started on pf %s vf %u",
			   op, id, (long long)seq, pf, vf);
}

int port_open_function(const struct sriov_port_ctx *ctx, const char *pf,
		       bool whole, unsigned index, const char *address,
		       struct sriov_port_vf *ret, struct sriov_error *err)
{
	if (whole)
		return sriov_port_pf_open(ctx->root, pf, address, ret, err);
	return sriov_port_vf_open(ctx->root, ctx->nl, pf, index, ret, err);
}

int port_scrub_function(const struct sriov_port_ctx *ctx,
			const struct sriov_port_vf *vf, struct sriov_error *err)
{
	if (vf->whole)
		return sriov_port_pf_scrub(ctx->root, vf, err);
	if (sriov_port_scrub(ctx->nl, vf, err) < 0 ||
	    sriov_port_mlx4_pkey_scrub(ctx->root, vf, err) < 0)
		return -EIO;
	return 0;
}

int port_configure_settings(const struct sriov_port_ctx *ctx,
			    const struct sriov_port_vf *vf,
			    const struct sriov_port_request *req, uint64_t guid,
			    struct sriov_error *err)
{
	enum sriov_vf_driver drv = ctx->cfg->driver[req->vnic];

	if (vf->whole)
		return sriov_port_pf_hand_over(ctx->root, vf, drv, err);
	return sriov_port_apply(ctx->root, ctx->nl, vf, req, guid, drv, err);
}

/* mlx4: the port's P-key, and no other, in the VF's table. Without a
 * P-key the VF keeps its (scrubbed: empty) table. */
int port_configure_pkey(const struct sriov_port_ctx *ctx,
			const struct sriov_port_vf *vf,
			const struct sriov_port_request *req,
			struct sriov_error *err)
{
	int r;

	if (!req->has_pkey)
		return 0;
	r = sriov_port_mlx4_pkey_apply(ctx->root, vf, req->pkey, err);
	return r < 0 ? r : 0;
}

static uint64_t settings_guid(const json_t *settings)
{
	const char *s = json_string_value(json_object_get(settings, "guid"));
	uint64_t g = 0;

	if (s)
		sriov_guid_parse(s, &g, NULL);
	return g;
}

int port_stored_request(const struct sriov_store_port *p,
			struct sriov_port_request *req, uint64_t *guid,
			struct sriov_error *err)
{
	json_error_t je;
	json_t *o = json_loads(p->settings, 0, &je);
	int r;

	if (!o)
		return sriov_error_set(err, -EIO,
				       "port %s: stored settings: %s", p->id,
				       je.text);
	*guid = settings_guid(o);
	json_object_del(o, "guid"); /* given or allocated: read apart */
	r = sriov_port_request_parse(o, NULL, req, err);
	json_decref(o);
	return r;
}

/* Does another port than @self hold @guid? */
static bool guid_in_use(const struct sriov_port_ctx *ctx, uint64_t guid,
			const char *self)
{
	struct sriov_store_port *ports = NULL;
	size_t n = 0;
	bool used = false;

	if (ctx->hooks.guid_in_use &&
	    ctx->hooks.guid_in_use(ctx->hooks.userdata, guid, self))
		return true;
	if (sriov_store_list_ports(ctx->store, &ports, &n, NULL) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_loads(ports[i].settings, 0, NULL);

		if (strcmp(ports[i].id, self) && settings_guid(o) == guid)
			used = true;
		json_decref(o);
		sriov_store_port_release(&ports[i]);
	}
	free(ports);
	return used;
}

/*
 * Put the port's VF back and scrub it, then record the verdict: free when
 * the scrub reads back, quarantined otherwise. Closes journal entry @seq
 * with @status. Return: 0 free, 1 quarantined, -errno.
 */
static int port_release(const struct sriov_port_ctx *ctx, const char *id,
			int64_t seq, const char *status,
			struct sriov_error *err)
{
	struct sriov_store_port p = { 0 };
	struct sriov_saved_state st;
	struct sriov_port_vf vf;
	struct sriov_error e = { 0 };
	char reason[SRIOV_ERROR_MSG_MAX + 32] = "";
	enum sriov_vf_state verdict = SRIOV_VF_FREE;
	uint64_t guid = 0;
	int r;

	r = sriov_store_get_port(ctx->store, id, &p, err);
	if (r < 0)
		return r;
	/* the GUID it was given, or its last candidate: a claim to release */
	if (p.settings) {
		json_t *o = json_loads(p.settings, 0, NULL);

		guid = settings_guid(o);
		json_decref(o);
	}
	if (port_open_function(ctx, p.pf, p.whole, p.vf_index, p.address, &vf,
			       &e) < 0) {
		snprintf(reason, sizeof(reason), "cannot reach %s: %s",
			 p.whole ? "pf" : "vf", e.msg);
		verdict = SRIOV_VF_QUARANTINED;
		goto record;
	}
	step(ctx);
	r = sriov_store_get_state(ctx->store, p.vf_id, &st, NULL);
	if (r == 0 && vf.whole &&
	    sriov_port_pf_restore(ctx->root, &vf, &st, &e) < 0) {
		snprintf(reason, sizeof(reason), "restore failed: %s", e.msg);
		verdict = SRIOV_VF_QUARANTINED;
	} else if (r == 0 && !vf.whole &&
		   (sriov_port_restore(ctx->root, ctx->nl, &vf, &st, &e) < 0 ||
		    sriov_port_mlx4_pkey_restore(ctx->root, &vf,
						 st.mlx4_pkey_idx, &e) < 0)) {
		snprintf(reason, sizeof(reason), "restore failed: %s", e.msg);
		verdict = SRIOV_VF_QUARANTINED;
	}
	sriov_error_clear(&e);
	step(ctx);
	if (port_scrub_function(ctx, &vf, &e) < 0) {
		size_t off = strlen(reason);

		snprintf(reason + off, sizeof(reason) - off,
			 "%sscrub failed: %s", off ? "; " : "", e.msg);
		verdict = SRIOV_VF_QUARANTINED;
	}
	step(ctx);
record:
	if (verdict == SRIOV_VF_QUARANTINED) {
		char what[32] = "(whole)";

		if (!p.whole)
			snprintf(what, sizeof(what), "vf %u", p.vf_index);
		port_event(ctx, SRIOV_PORT_EVENT_QUARANTINED, LOG_ERR,
			   "port %s: pf %s %s quarantined: %s", id, p.pf, what,
			   reason);
	}
	r = sriov_store_release(ctx->store, seq, id, verdict,
				verdict == SRIOV_VF_QUARANTINED ? reason : NULL,
				status, err);
	sriov_store_port_release(&p);
	if (r < 0)
		return r;
	/* after the scrub: the GUID is off the VF before anyone may claim it */
	if (ctx->cluster)
		port_cluster_unpublish(ctx, id, guid);
	return verdict == SRIOV_VF_FREE ? 0 : 1;
}

/* The store re-read from the host, when no VF was free: VFs may have
 * appeared since the last sync (numvfs raised). */
static int resync(struct sriov_port_ctx *ctx, struct sriov_error *err)
{
	if (ctx->hooks.sync)
		return ctx->hooks.sync(ctx->hooks.userdata, err);
	return sriov_port_sync(ctx, NULL, NULL, err);
}

/* Does the request fit a VF of @infiniband link type on @pf? */
static int link_fits(const struct sriov_port_ctx *ctx,
		     const struct sriov_port_request *req, bool infiniband,
		     const char *pf, struct sriov_error *err)
{
	if (infiniband) {
		if (req->has_mac || req->has_vlan)
			return sriov_error_set(
				err, -EINVAL,
				"network '%s' is InfiniBand (pf %s): give a pkey and a guid, not a vlan or mac",
				req->physnet, pf);
		if (!req->has_guid && ctx->cfg->guid_policy == SRIOV_GUID_GIVEN)
			return sriov_error_set(
				err, -EINVAL,
				"port %s: a guid is required (guid policy 'given' in %s)",
				req->id, ctx->cfg->path);
		/* what the fabric controller makes the port's GUID a member
		 * of (docs/cluster.md) */
		if (ctx->cluster && !req->has_pkey)
			return sriov_error_set(
				err, -EINVAL,
				"network '%s' is InfiniBand (pf %s) and sriovd publishes its ports to the cluster: give a pkey (the partition the fabric makes the port a member of)",
				req->physnet, pf);
	} else if (req->has_pkey || req->has_guid) {
		return sriov_error_set(
			err, -EINVAL,
			"network '%s' is Ethernet (pf %s): give a vlan, not a pkey or guid",
			req->physnet, pf);
	}
	return 0;
}

/*
 * Where a bind may go, decided before anything is written: @pf alone, any
 * PF of the physnet (both NULL/0), or, on a physnet whose PFs are not all
 * of one link type, those of @pfs that fit the request, in config order.
 */
struct bind_plan {
	const char *pf;
	const char **pfs;
	size_t n_pfs;
};

/*
 * Every check of the request that the host can answer before the journal:
 * does it fit the link type of the network's PFs (a P-key or GUID on an
 * Ethernet VF, a VLAN or MAC on an InfiniBand one, no GUID under the
 * 'given' policy), and is a GUID it gives held by another port. A PF
 * that cannot be read is not held against the request: the allocation
 * and the configure step find what is wrong with it, as before.
 */
static int bind_validate(const struct sriov_port_ctx *ctx,
			 const struct sriov_port_request *req,
			 struct bind_plan *plan, struct sriov_error *err)
{
	const char *const *names = NULL;
	struct sriov_error first = { 0 }, ce = { 0 };
	size_t n = 0, n_fit = 0;
	bool ib = false;
	char buf[24];
	int r = 0;

	memset(plan, 0, sizeof(*plan));
	plan->pf = req->pf[0] ? req->pf : NULL;
	/* a whole PF: the request carries nothing of a VF's (parse) */
	if (req->vnic == SRIOV_VNIC_DIRECT_PHYSICAL)
		return 0;
	if (plan->pf) {
		names = &plan->pf;
		n = 1;
	}
	for (size_t i = 0; !names && i < ctx->cfg->n_physnets; i++) {
		const struct sriov_daemon_physnet *pn = &ctx->cfg->physnets[i];

		if (!strcmp(pn->name, req->physnet)) {
			names = (const char *const *)pn->pfs;
			n = pn->n_pfs;
		}
	}
	plan->pfs = calloc(n ?: 1, sizeof(*plan->pfs));
	if (!plan->pfs)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct sriov_pf_ref pf;
		bool pf_ib = false;

		if (sriov_pf_resolve(ctx->root, names[i], &pf, NULL) < 0 ||
		    link_fits(ctx, req,
			      pf_ib = port_pf_infiniband(ctx->root, &pf),
			      names[i], first.code ? NULL : &first) == 0) {
			plan->pfs[n_fit++] = names[i];
			ib |= pf_ib;
		}
	}
	if (n && !n_fit) {
		r = sriov_error_set(err, first.code, "%s", first.msg);
	} else if (req->has_guid && guid_in_use(ctx, req->guid, req->id)) {
		sriov_guid_format_colon(req->guid, buf);
		r = sriov_error_set(
			err, -EEXIST,
			"port %s: guid %s is in use by another port", req->id,
			buf);
	} else if (ib && ctx->cluster &&
		   (r = port_cluster_ready(ctx, &ce)) < 0) {
		/* docs/cluster.md: no GUID without its claim; nothing is
		 * journaled or touched for a bind that cannot claim one */
		r = sriov_error_set(
			err, r,
			"port %s: InfiniBand binds claim their guid in the cluster store, which does not answer: nothing was changed (Ethernet binds go on and are published later): %s",
			req->id, ce.msg);
	}
	/* all of one kind: the store chooses among them, as ever */
	if (r < 0 || n_fit == n) {
		free(plan->pfs);
		plan->pfs = NULL;
		n_fit = 0;
	}
	plan->n_pfs = n_fit;
	return r;
}

/* One allocation along @plan: the PFs of a mixed physnet one by one. */
static int allocate_once(const struct sriov_port_ctx *ctx,
			 const struct sriov_port_request *req,
			 const struct sriov_store_port *port,
			 const struct bind_plan *plan,
			 struct sriov_store_vf *vf, int64_t *seq,
			 struct sriov_error *err)
{
	int r = -ENOSPC;

	if (!plan->n_pfs)
		return sriov_store_allocate(ctx->store, port, plan->pf,
					    req->numa, req->numa_node,
					    port->settings, vf, seq, err);
	for (size_t i = 0; i < plan->n_pfs && r == -ENOSPC; i++)
		r = sriov_store_allocate(ctx->store, port, plan->pfs[i],
					 req->numa, req->numa_node,
					 port->settings, vf, seq, err);
	return r;
}

/* Choose the VF; the journal entry, the port (binding) and the VF (bound)
 * are written in one store transaction. */
static int bind_allocate(struct sriov_port_ctx *ctx,
			 const struct sriov_port_request *req,
			 const struct bind_plan *plan, const char *intent,
			 struct sriov_store_vf *vf, int64_t *seq,
			 struct sriov_error *err)
{
	struct sriov_store_port port = { 0 };
	struct sriov_error e2 = { 0 };
	int r;

	snprintf(port.id, sizeof(port.id), "%s", req->id);
	snprintf(port.network, sizeof(port.network), "%s", req->physnet);
	snprintf(port.vnic_type, sizeof(port.vnic_type), "%s",
		 sriov_vnic_type_name(req->vnic));
	port.settings = (char *)intent;
	if (req->pci_slot[0]) {
		/* the VF the caller chose (Nova's pci_slot), no other, on the
		 * PF of the request's kind when the physnet has both (one PCI
		 * function can be a VF of either port); one not known yet may
		 * have appeared since the last sync */
		const char *pf = plan->pf		  ?:
					 plan->n_pfs == 1 ? plan->pfs[0] :
							    NULL;

		r = sriov_store_allocate_vf(ctx->store, &port, req->pci_slot,
					    pf, req->numa, req->numa_node,
					    intent, vf, seq, err);
		if (r == -ENOENT && resync(ctx, &e2) == 0)
			r = sriov_store_allocate_vf(ctx->store, &port,
						    req->pci_slot, pf,
						    req->numa, req->numa_node,
						    intent, vf, seq, err);
		return r;
	}
	r = allocate_once(ctx, req, &port, plan, vf, seq, err);
	if (r == -ENOSPC && resync(ctx, &e2) == 0)
		r = allocate_once(ctx, req, &port, plan, vf, seq, err);
	return r;
}

/* The GUID of an InfiniBand port: the request's, or prefix + the journal
 * sequence (never reused); refused when another port holds it. */
static int bind_guid(const struct sriov_port_ctx *ctx,
		     const struct sriov_port_request *req, int64_t seq,
		     uint64_t *ret, struct sriov_error *err)
{
	uint64_t guid = req->has_guid ?
				req->guid :
				sriov_port_guid_alloc(ctx->cfg->guid_prefix,
						      (uint32_t)seq);
	char buf[24];

	if (guid_in_use(ctx, guid, req->id)) {
		sriov_guid_format_colon(guid, buf);
		return sriov_error_set(
			err, -EEXIST,
			"port %s: guid %s is in use by another port", req->id,
			buf);
	}
	*ret = guid;
	return 0;
}

/* What a bind does to its VF once journaled: open it, settle the GUID,
 * save the VF's state, configure it and read it back. */
struct bind_state {
	struct sriov_port_vf pv;
	struct sriov_port_request eff; /* the request with its GUID */
	uint64_t guid;
	struct sriov_saved_state st;
};

static int bind_configure(const struct sriov_port_ctx *ctx,
			  const struct sriov_port_request *req,
			  const struct sriov_store_vf *vf, int64_t seq,
			  struct bind_state *b, struct sriov_error *err)
{
	_cleanup_free_ char *settings = NULL;
	int r;

	b->eff = *req;
	b->guid = 0;
	r = port_open_function(ctx, vf->pf, vf->whole, vf->index, vf->address,
			       &b->pv, err);
	if (r < 0)
		return r;
	/* Checked before the journal already; again on the VF it got, as
	 * the kernel may have changed since (an mlx4 port's type). A whole
	 * PF: the request carries nothing to set on it (parse). */
	if (!vf->whole) {
		r = link_fits(ctx, req, b->pv.infiniband, vf->pf, err);
		if (r < 0)
			return r;
	}
	if (!vf->whole && b->pv.infiniband) {
		r = ctx->cluster ?
			    port_cluster_guid(ctx, req, seq, &b->guid, err) :
			    bind_guid(ctx, req, seq, &b->guid, err);
		if (r < 0)
			return r;
		b->eff.has_guid = true;
		b->eff.guid = b->guid;
		settings = sriov_port_request_dump(&b->eff);
		if (!settings)
			return sriov_error_set(err, -ENOMEM, "out of memory");
		r = sriov_store_port_set_settings(ctx->store, req->id, settings,
						  err);
		if (r < 0)
			return r;
	}
	r = sriov_port_read(ctx->root, ctx->nl, &b->pv, &b->st, err);
	if (r < 0)
		return r;
	/* mlx4: the VF's virtual P-key table, "" when not mlx4 or all none */
	r = sriov_port_mlx4_pkey_save(ctx->root, &b->pv, b->st.mlx4_pkey_idx,
				      sizeof(b->st.mlx4_pkey_idx), err);
	if (r < 0)
		return r;
	r = sriov_store_save_state(ctx->store, vf->id, &b->st, err);
	if (r < 0)
		return r;
	step(ctx);
	r = port_configure_settings(ctx, &b->pv, &b->eff, b->guid, err);
	if (r < 0)
		return r;
	return port_configure_pkey(ctx, &b->pv, req, err);
}

static void bind_answer(const struct sriov_store_vf *vf, int64_t seq,
			const struct bind_state *b,
			struct sriov_port_bound *ret)
{
	struct sriov_error xerr = { 0 };

	memset(ret, 0, sizeof(*ret));
	ret->seq = seq;
	snprintf(ret->pf, sizeof(ret->pf), "%s", vf->pf);
	ret->whole = vf->whole;
	ret->vf = vf->index;
	snprintf(ret->address, sizeof(ret->address), "%s", b->pv.address);
	snprintf(ret->physnet, sizeof(ret->physnet), "%s", vf->physnet);
	ret->numa_node = vf->numa_node;
	ret->infiniband = b->pv.infiniband;
	ret->guid = b->guid;
	if (vf->whole) {
		/* its own MAC: what Nova writes back into the Neutron port */
		snprintf(ret->mac, sizeof(ret->mac), "%s", b->st.mac);
		snprintf(ret->netdev, sizeof(ret->netdev), "%s", b->st.netdev);
	}
	ret->libvirt_xml = sriov_port_libvirt_xml(
		&b->eff, b->pv.address, b->st.netdev, b->pv.infiniband, &xerr);
	if (!ret->libvirt_xml)
		snprintf(ret->libvirt_xml_note, sizeof(ret->libvirt_xml_note),
			 "%s", xerr.msg);
}

int sriov_port_bind(struct sriov_port_ctx *ctx,
		    const struct sriov_port_request *req,
		    struct sriov_port_bound *ret, struct sriov_error *err)
{
	_cleanup_free_ char *intent = NULL;
	struct bind_plan plan;
	struct sriov_store_vf vf;
	struct bind_state b;
	struct sriov_error e2 = { 0 };
	int64_t seq;
	int r;

	r = bind_validate(ctx, req, &plan, err);
	if (r < 0)
		return r;
	intent = sriov_port_request_dump(req);
	r = intent ? bind_allocate(ctx, req, &plan, intent, &vf, &seq, err) :
		     sriov_error_set(err, -ENOMEM, "out of memory");
	free(plan.pfs);
	if (r < 0)
		return r;
	started(ctx, "bind", req->id, seq, vf.pf, vf.whole, vf.index);

	/* From here on every failure is rolled back through the journal. */
	step(ctx);
	r = bind_configure(ctx, req, &vf, seq, &b, err);
	if (r >= 0) {
		step(ctx);
		r = sriov_store_bind_done(ctx->store, seq, req->id, err);
	}
	if (r < 0) {
		if (port_release(ctx, req->id, seq, "rolled_back", &e2) < 0)
			port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_ERR,
				   "port %s: rollback: %s", req->id, e2.msg);
		return r;
	}
	if (ctx->cluster)
		port_cluster_publish(ctx, req->id);
	bind_answer(&vf, seq, &b, ret);
	return 0;
}

void sriov_port_bound_release(struct sriov_port_bound *b)
{
	free(b->libvirt_xml);
	b->libvirt_xml = NULL;
}

int sriov_port_unbind(struct sriov_port_ctx *ctx, const char *id,
		      struct sriov_port_unbound *ret, struct sriov_error *err)
{
	struct sriov_store_port p = { 0 };
	struct sriov_port_unbound u = { 0 };
	char intent[sizeof(p.id) + 16];
	int r;

	r = sriov_store_get_port(ctx->store, id, &p, err);
	if (r < 0)
		return r;
	snprintf(u.pf, sizeof(u.pf), "%s", p.pf);
	u.whole = p.whole;
	u.vf = p.vf_index;
	sriov_store_port_release(&p);
	snprintf(intent, sizeof(intent), "{\"unbind\":\"%s\"}", id);
	r = sriov_store_unbind_begin(ctx->store, id, "unbind", intent, &u.seq,
				     err);
	if (r < 0)
		return r;
	started(ctx, "unbind", id, u.seq, u.pf, u.whole, u.vf);
	r = port_release(ctx, id, u.seq, "done", err);
	if (r < 0)
		return r;
	u.state = r == 0 ? SRIOV_VF_FREE : SRIOV_VF_QUARANTINED;
	*ret = u;
	return 0;
}

int sriov_port_recover(struct sriov_port_ctx *ctx, struct sriov_error *err)
{
	struct sriov_journal *j = NULL;
	struct sriov_error e = { 0 };
	size_t n = 0;
	int r;

	r = sriov_store_pending(ctx->store, &j, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		bool bind = !strcmp(j[i].op, "bind");

		sriov_error_clear(&e);
		port_event(
			ctx, SRIOV_PORT_EVENT_RECOVERED, LOG_WARNING,
			"recovery: %s of port %s (journal %lld) did not finish; %s",
			j[i].op, j[i].port, (long long)j[i].seq,
			bind ? "rolling it back" : "finishing it");
		r = j[i].port[0] ?
			    port_release(ctx, j[i].port, j[i].seq,
					 bind ? "rolled_back" : "done", &e) :
			    -ENOENT;
		if (r == -ENOENT)
			r = sriov_store_journal_finish(ctx->store, j[i].seq,
						       "failed",
						       "no such port any more",
						       &e);
		if (r < 0)
			port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_ERR,
				   "recovery: journal %lld: %s",
				   (long long)j[i].seq, e.msg);
		sriov_journal_release(&j[i]);
	}
	free(j);
	return 0;
}
