/* SPDX-License-Identifier: MIT */
/*
 * The cluster side of the port transactions (docs/cluster.md): a GUID is
 * claimed in the store before a VF is given it, a binding is published
 * once its VF is configured and deleted on unbind, and the whole of what
 * the store holds can be published again (after a restart, a lost lease,
 * a store that was down), deleting what this host no longer holds.
 *
 * Claims and ports go with the host's lease (the caller's, in
 * struct sriov_port_cluster). A claim is etcd's create-if-absent, so two
 * hosts allocating from one prefix never both hold a GUID; a port naming
 * a GUID is put only while the claim is its own. What could not be
 * published or deleted is told as a CLUSTER_PENDING event: the caller
 * runs sriov_port_cluster_sync() later, which puts everything right.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include <sriov/ib.h>
#include <sriov/port.h>
#include "core/port_txn.h"
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

/* Lost claims a bind tries past before it gives up. */
#define CLAIM_ATTEMPTS 32
/* Keys read at once while looking for the next unclaimed GUID. */
#define GAP_PAGE 64

static void claim_of(const struct sriov_port_cluster *cl, const char *port,
		     struct sriov_cluster_claim *c)
{
	snprintf(c->port, sizeof(c->port), "%s", port);
	snprintf(c->host, sizeof(c->host), "%s", cl->host);
}

/* Note what the store said: a call that got no answer makes the next
 * publication wait for a sync instead of the timeouts. */
static int answered(struct sriov_port_cluster *cl, int r)
{
	if (r == -EAGAIN || r == -ETIMEDOUT)
		cl->unreachable = true;
	else if (r >= 0)
		cl->unreachable = false;
	return r;
}

int port_cluster_ready(const struct sriov_port_ctx *ctx,
		       struct sriov_error *err)
{
	struct sriov_port_cluster *cl = ctx->cluster;
	int r;

	if (ctx->hooks.cluster_ready)
		return ctx->hooks.cluster_ready(ctx->hooks.userdata, err);
	if (!cl->lease)
		return sriov_error_set(err, -EAGAIN,
				       "no lease in the cluster store yet");
	r = sriov_etcd_lease_keepalive(cl->etcd, cl->lease, NULL, err);
	return answered(cl, r) < 0 ? r : 0;
}

int sriov_port_cluster_pf_guid(struct sriov_root *root,
			       const struct sriov_port_vf *vf, uint64_t *ret,
			       struct sriov_error *err)
{
	struct sriov_ib_vf ib;
	char idx[16];

	*ret = 0;
	if (!vf->infiniband || vf->whole)
		return 0;
	snprintf(idx, sizeof(idx), "%u", vf->index);
	if (sriov_ib_vf_resolve(root,
				vf->pf.ifname[0] ? vf->pf.ifname : vf->pf.dev,
				idx, 0, &ib, NULL) < 0 ||
	    !ib.mlx4)
		return 0;
	/* mlx4: the SM sees the physical port only; its P-key table is
	 * what every VF's virtual table maps into. */
	return sriov_ib_pf_guid(root, &ib, ret, err);
}

/* ---- the GUID of a bind ---- */

/* The claim's key of GUID @g, without the GUID checks of
 * sriov_cluster_key() (a prefix's last counter may be all ones). */
static void guid_key(const struct sriov_port_cluster *cl, uint64_t g,
		     char key[static SRIOV_CLUSTER_KEY_MAX])
{
	char dir[SRIOV_CLUSTER_KEY_MAX];

	sriov_cluster_key_prefix(&cl->keys, SRIOV_CLUSTER_GUID, dir);
	snprintf(key, SRIOV_CLUSTER_KEY_MAX, "%.400s0x%016" PRIx64, dir, g);
}

/* The GUID in a claim's key, 0 when it is not one. */
static uint64_t key_guid(const struct sriov_etcd_kv *kv)
{
	const char *x = kv->key_len >= 18 ? kv->key + kv->key_len - 18 : "";
	uint64_t g = 0;

	if (strncmp(x, "0x", 2) || sriov_guid_parse(x, &g, NULL) < 0)
		return 0;
	return g;
}

/* Would this host give @g to another port (its store, the hook)? */
static bool held_here(const struct sriov_port_ctx *ctx, uint64_t g,
		      const char *self)
{
	struct sriov_store_port *ports = NULL;
	size_t n = 0;
	bool used = false;

	if (ctx->hooks.guid_in_use &&
	    ctx->hooks.guid_in_use(ctx->hooks.userdata, g, self))
		return true;
	if (sriov_store_list_ports(ctx->store, &ports, &n, NULL) < 0)
		return true; /* unknown: not this one */
	for (size_t i = 0; i < n; i++) {
		struct sriov_port_request r;
		uint64_t pg = 0;

		if (strcmp(ports[i].id, self) &&
		    port_stored_request(&ports[i], &r, &pg, NULL) >= 0 &&
		    pg == g)
			used = true;
		sriov_store_port_release(&ports[i]);
	}
	free(ports);
	return used;
}

/* May a bind of @req take the GUID of @counter (valid, not this host's)? */
static bool usable(const struct sriov_port_ctx *ctx,
		   const struct sriov_port_request *req, uint64_t counter)
{
	uint64_t g =
		sriov_port_guid_alloc(ctx->cfg->guid_prefix, (uint32_t)counter);

	return sriov_guid_check(g, NULL) == 0 && !held_here(ctx, g, req->id);
}

/*
 * The first counter from *@counter up whose GUID under the prefix neither
 * a claim in the store (read a page of keys at a time) nor this host
 * holds. Only a hint: the claim decides, as another host may take the
 * GUID meanwhile.
 */
static int next_free(const struct sriov_port_ctx *ctx,
		     const struct sriov_port_request *req, uint64_t *counter,
		     struct sriov_error *err)
{
	struct sriov_port_cluster *cl = ctx->cluster;
	const uint8_t *pfx = ctx->cfg->guid_prefix;
	char start[SRIOV_CLUSTER_KEY_MAX], end[SRIOV_CLUSTER_KEY_MAX + 1];
	uint64_t c = *counter;
	bool more = true;

	/* an I/G bit in the prefix makes every GUID of it a group one */
	if (sriov_guid_check(sriov_port_guid_alloc(pfx, 1), err) < 0)
		return -EINVAL;
	guid_key(cl, sriov_port_guid_alloc(pfx, UINT32_MAX), end);
	/* just past the prefix's last GUID */
	snprintf(end + strlen(end), sizeof(end) - strlen(end), "0");
	while (more && c <= UINT32_MAX) {
		struct sriov_etcd_range_opts o = { .range_end = end,
						   .limit = GAP_PAGE,
						   .keys_only = true };
		struct sriov_etcd_range_resp resp;
		int r;

		guid_key(cl, sriov_port_guid_alloc(pfx, (uint32_t)c), start);
		r = answered(cl,
			     sriov_etcd_range(cl->etcd, start, &o, &resp, err));
		if (r < 0)
			return r;
		more = resp.more;
		/* the counters below each claimed key are free in the store */
		for (size_t i = 0; i < resp.n_kvs; i++) {
			uint64_t k = key_guid(&resp.kvs[i]);

			while (c <= UINT32_MAX &&
			       sriov_port_guid_alloc(pfx, (uint32_t)c) < k) {
				if (usable(ctx, req, c)) {
					sriov_etcd_range_resp_release(&resp);
					*counter = c;
					return 0;
				}
				c++;
			}
			if (sriov_port_guid_alloc(pfx, (uint32_t)c) == k)
				c++;
		}
		sriov_etcd_range_resp_release(&resp);
	}
	/* no claim above c: the first this host does not hold */
	for (; c <= UINT32_MAX; c++)
		if (usable(ctx, req, c)) {
			*counter = c;
			return 0;
		}
	return sriov_error_set(
		err, -ENOSPC,
		"port %s: every guid of prefix %02x:%02x:%02x:%02x from counter %llu up is claimed",
		req->id, pfx[0], pfx[1], pfx[2], pfx[3],
		(unsigned long long)*counter);
}

/* The port's stored settings name @g before its claim is sent. */
static int record(const struct sriov_port_ctx *ctx,
		  const struct sriov_port_request *req, uint64_t g,
		  struct sriov_error *err)
{
	struct sriov_port_request eff = *req;
	_cleanup_free_ char *settings = NULL;

	eff.has_guid = true;
	eff.guid = g;
	settings = sriov_port_request_dump(&eff);
	if (!settings)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	return sriov_store_port_set_settings(ctx->store, req->id, settings,
					     err);
}

int port_cluster_guid(const struct sriov_port_ctx *ctx,
		      const struct sriov_port_request *req, int64_t seq,
		      uint64_t *ret, struct sriov_error *err)
{
	struct sriov_port_cluster *cl = ctx->cluster;
	struct sriov_cluster_claim c;
	uint64_t counter = (uint32_t)seq, g;
	char buf[24];
	int r;

	claim_of(cl, req->id, &c);
	for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
		struct sriov_error lost = { 0 };

		if (req->has_guid) {
			g = req->guid;
			if (held_here(ctx, g, req->id)) {
				sriov_guid_format_colon(g, buf);
				return sriov_error_set(
					err, -EEXIST,
					"port %s: guid %s is in use by another port",
					req->id, buf);
			}
		} else {
			r = next_free(ctx, req, &counter, err);
			if (r < 0) {
				sriov_error_prefix(
					err,
					"port %s: cannot choose a guid in the cluster store",
					req->id);
				return r;
			}
			g = sriov_port_guid_alloc(ctx->cfg->guid_prefix,
						  (uint32_t)counter);
		}
		r = record(ctx, req, g, err);
		if (r < 0)
			return r;
		r = answered(cl,
			     sriov_cluster_guid_claim(cl->etcd, &cl->keys, g,
						      &c, cl->lease, &lost));
		if (r == 1) {
			*ret = g;
			return 0;
		}
		sriov_guid_format_colon(g, buf);
		if (r < 0)
			return sriov_error_set(
				err, r,
				"port %s: cannot claim guid %s in the cluster store, so no VF gets it: %s",
				req->id, buf, lost.msg);
		if (req->has_guid)
			return sriov_error_set(err, -EEXIST, "port %s: %s",
					       req->id, lost.msg);
		port_event(ctx, SRIOV_PORT_EVENT_GUID_RACE, LOG_INFO,
			   "port %s: %s first; trying the next guid", req->id,
			   lost.msg);
		counter++;
	}
	return sriov_error_set(
		err, -EAGAIN,
		"port %s: lost the claim of %d guids in a row to other hosts (prefix %02x:%02x:%02x:%02x is contended: give each host its own guid prefix)",
		req->id, CLAIM_ATTEMPTS, ctx->cfg->guid_prefix[0],
		ctx->cfg->guid_prefix[1], ctx->cfg->guid_prefix[2],
		ctx->cfg->guid_prefix[3]);
}

/* ---- ports/<id> ---- */

/*
 * The published form of stored port @p (docs/cluster.md), and the GUID
 * its claim is of (0: Ethernet). -ENODATA for a port that cannot be
 * published as schema v1 has it (InfiniBand without a P-key).
 */
static int port_value(const struct sriov_port_ctx *ctx,
		      const struct sriov_store_port *p,
		      struct sriov_cluster_port *ret, uint64_t *claim,
		      struct sriov_error *err)
{
	struct sriov_cluster_port cp = { .vlan = -1 };
	struct sriov_port_request req;
	struct sriov_port_vf pv;
	uint64_t guid = 0;
	int r;

	r = port_stored_request(p, &req, &guid, err);
	if (r < 0)
		return r;
	snprintf(cp.id, sizeof(cp.id), "%s", p->id);
	snprintf(cp.host, sizeof(cp.host), "%s", ctx->cluster->host);
	snprintf(cp.physnet, sizeof(cp.physnet), "%s", p->network);
	cp.vnic_type = req.vnic;
	/* a VF without a PCI function (netdevsim's): its PF and index */
	if (p->address[0])
		snprintf(cp.vf, sizeof(cp.vf), "%s", p->address);
	else
		snprintf(cp.vf, sizeof(cp.vf), "%.40s:vf%u", p->pf,
			 p->vf_index);
	snprintf(cp.state, sizeof(cp.state), "bound");
	if (req.has_vlan)
		cp.vlan = req.vlan;
	*claim = guid;
	if (guid) {
		if (!req.has_pkey)
			return sriov_error_set(
				err, -ENODATA,
				"port %s: InfiniBand without a pkey (bound before the cluster was configured?): not published",
				p->id);
		r = port_open_function(ctx, p->pf, p->whole, p->vf_index,
				       p->address, &pv, err);
		if (r < 0)
			return r;
		cp.guid = guid;
		r = sriov_port_cluster_pf_guid(ctx->root, &pv, &cp.pf_guid,
					       err);
		if (r < 0)
			return r;
		cp.infiniband = true;
		snprintf(cp.fabric, sizeof(cp.fabric), "%s",
			 sriov_daemon_config_fabric_of(ctx->cfg, p->network));
		cp.pkey = req.pkey & 0x7fff;
		cp.membership = req.membership;
	}
	*ret = cp;
	return 0;
}

/* Put @cp with the lease; an InfiniBand port only while the claim of
 * @claim (its VF's GUID, cp->guid) is its own. */
static int publish(struct sriov_port_cluster *cl,
		   const struct sriov_cluster_port *cp, uint64_t claim,
		   struct sriov_error *err)
{
	char key[SRIOV_CLUSTER_KEY_MAX], ckey[SRIOV_CLUSTER_KEY_MAX];
	_cleanup_free_ char *value = NULL, *cv = NULL;
	struct sriov_cluster_claim c;
	struct sriov_etcd_cmp cmp = { .key = ckey,
				      .target = SRIOV_ETCD_CMP_VALUE,
				      .result = SRIOV_ETCD_EQUAL };
	struct sriov_etcd_op put = { .type = SRIOV_ETCD_OP_PUT,
				     .key = key,
				     .lease = cl->lease };
	struct sriov_etcd_txn t = { &cmp, 1, &put, 1, NULL, 0 };
	struct sriov_etcd_txn_resp resp;
	int r;

	if ((r = sriov_cluster_key(&cl->keys, SRIOV_CLUSTER_PORT, cp->id, key,
				   err)) < 0 ||
	    (r = sriov_cluster_port_format(cp, &value, err)) < 0)
		return r;
	if (!claim)
		return answered(cl, sriov_etcd_put(cl->etcd, key, value,
						   strlen(value), cl->lease,
						   NULL, err));
	claim_of(cl, cp->id, &c);
	guid_key(cl, claim, ckey);
	if ((r = sriov_cluster_claim_format(&c, &cv, err)) < 0)
		return r;
	cmp.value = cv;
	cmp.value_len = strlen(cv);
	put.value = value;
	put.value_len = strlen(value);
	r = answered(cl, sriov_etcd_txn(cl->etcd, &t, &resp, err));
	if (r < 0)
		return r;
	r = resp.succeeded;
	sriov_etcd_txn_resp_release(&resp);
	if (!r)
		return sriov_error_set(
			err, -ESTALE,
			"port %s: not published, since the claim %s is not its own",
			cp->id, ckey);
	return 0;
}

/* Delete @kv if it is still what was read (no later writer's value). */
static int delete_seen(struct sriov_port_cluster *cl,
		       const struct sriov_etcd_kv *kv, struct sriov_error *err)
{
	struct sriov_etcd_cmp cmp = { .key = kv->key,
				      .target = SRIOV_ETCD_CMP_MOD,
				      .result = SRIOV_ETCD_EQUAL,
				      .number = kv->mod_revision };
	struct sriov_etcd_op del = { .type = SRIOV_ETCD_OP_DELETE,
				     .key = kv->key };
	struct sriov_etcd_txn t = { &cmp, 1, &del, 1, NULL, 0 };
	struct sriov_etcd_txn_resp resp;
	int r = answered(cl, sriov_etcd_txn(cl->etcd, &t, &resp, err));

	if (r < 0)
		return r;
	r = resp.succeeded;
	sriov_etcd_txn_resp_release(&resp);
	return r;
}

void port_cluster_publish(const struct sriov_port_ctx *ctx, const char *id)
{
	struct sriov_port_cluster *cl = ctx->cluster;
	struct sriov_store_port p = { 0 };
	struct sriov_cluster_port cp;
	struct sriov_error e = { 0 };
	uint64_t claim = 0;
	int r;

	if (cl->unreachable || !cl->lease) {
		port_event(
			ctx, SRIOV_PORT_EVENT_CLUSTER_PENDING, LOG_WARNING,
			"port %s: bound; published once the cluster store answers",
			id);
		return;
	}
	r = sriov_store_get_port(ctx->store, id, &p, &e);
	if (r >= 0)
		r = port_value(ctx, &p, &cp, &claim, &e);
	if (r >= 0)
		r = publish(cl, &cp, claim, &e);
	sriov_store_port_release(&p);
	if (r < 0)
		port_event(ctx, SRIOV_PORT_EVENT_CLUSTER_PENDING, LOG_WARNING,
			   "port %s: bound, not published yet: %s", id, e.msg);
}

/* Delete ports/<id> when it is this host's (another host may bind the
 * same port, a live migration's destination). 1 deleted, 0 none here. */
static int delete_port(struct sriov_port_cluster *cl, const char *id,
		       struct sriov_error *err)
{
	char key[SRIOV_CLUSTER_KEY_MAX];
	struct sriov_etcd_range_resp resp;
	struct sriov_cluster_port cp;
	int r;

	r = sriov_cluster_key(&cl->keys, SRIOV_CLUSTER_PORT, id, key, err);
	if (r < 0)
		return r;
	r = answered(cl, sriov_etcd_range(cl->etcd, key, NULL, &resp, err));
	if (r < 0)
		return r;
	r = 0;
	if (resp.n_kvs == 1 &&
	    (sriov_cluster_port_parse(key, resp.kvs[0].value,
				      resp.kvs[0].value_len, &cp, NULL) < 0 ||
	     !strcmp(cp.host, cl->host)))
		r = delete_seen(cl, &resp.kvs[0], err);
	sriov_etcd_range_resp_release(&resp);
	return r;
}

void port_cluster_unpublish(const struct sriov_port_ctx *ctx, const char *id,
			    uint64_t guid)
{
	struct sriov_port_cluster *cl = ctx->cluster;
	struct sriov_cluster_claim c;
	struct sriov_error e = { 0 };
	int r;

	if (cl->unreachable) {
		port_event(
			ctx, SRIOV_PORT_EVENT_CLUSTER_PENDING, LOG_WARNING,
			"port %s: released; its keys are deleted once the cluster store answers",
			id);
		return;
	}
	/* the port first, so no published port names an unclaimed GUID */
	claim_of(cl, id, &c);
	r = delete_port(cl, id, &e);
	if (r >= 0 && guid)
		r = answered(cl, sriov_cluster_guid_release(cl->etcd, &cl->keys,
							    guid, &c, &e));
	if (r < 0)
		port_event(
			ctx, SRIOV_PORT_EVENT_CLUSTER_PENDING, LOG_WARNING,
			"port %s: released; its keys are not deleted yet: %s",
			id, e.msg);
}

/* ---- hosts/<id> and the whole sync ---- */

/* A PCI id file ("0x15b3", or sriov_vf_device's "%x") as 4 lowercase hex
 * digits; left empty when unreadable (the member is optional). */
static void pci_id(struct sriov_root *root, const char *dev, const char *file,
		   char buf[static 5])
{
	_cleanup_free_ char *s = NULL;
	const char *t;
	uint64_t v;

	buf[0] = '\0';
	if (fs_read_str(root->sys_fd, SP("bus/pci/devices", dev, file), &s) < 0)
		return;
	t = strip_trailing(s);
	if (!strncmp(t, "0x", 2))
		t += 2;
	if (parse_u64(t, 16, &v) == 0 && v <= 0xffff)
		snprintf(buf, 5, "%04x", (unsigned)v);
}

/*
 * Placement's members of a PCI PF (docs/cluster.md: sriovctl cluster
 * place): its ids and its free VFs' addresses, in h->free_vfs; none when
 * a free VF has no PCI address, since the list must have them all.
 */
static int pf_placement(struct sriov_port_ctx *ctx,
			const struct sriov_pf_ref *ref,
			const struct sriov_store_vf *v, size_t n,
			const char *name, struct sriov_cluster_host *h,
			struct sriov_cluster_pf *pf)
{
	char(*fv)[32];
	size_t k = h->n_free_vfs;

	if (strcmp(ref->bus, "pci"))
		return 0;
	pci_id(ctx->root, ref->dev, "vendor", pf->vendor_id);
	pci_id(ctx->root, ref->dev, "device", pf->product_id);
	pci_id(ctx->root, ref->dev, "sriov_vf_device", pf->vf_product_id);
	for (size_t x = 0; x < n; x++)
		if (!strcmp(v[x].pf, name) && !v[x].whole && !v[x].excluded &&
		    v[x].state == SRIOV_VF_FREE &&
		    (!v[x].address[0] || strlen(v[x].address) >= 32))
			return 0;
	fv = realloc(h->free_vfs, (k + pf->vfs_free + 1) * sizeof(*fv));
	if (!fv)
		return -ENOMEM;
	h->free_vfs = fv;
	pf->free_vfs_first = k;
	for (size_t x = 0; x < n; x++)
		if (!strcmp(v[x].pf, name) && !v[x].whole && !v[x].excluded &&
		    v[x].state == SRIOV_VF_FREE)
			/* shorter than 32: checked above */
			memcpy(h->free_vfs[k + pf->n_free_vfs++], v[x].address,
			       strlen(v[x].address) + 1);
	h->n_free_vfs = k + pf->n_free_vfs;
	pf->has_free_vfs = true;
	return 0;
}

int sriov_port_cluster_publish_host(struct sriov_port_ctx *ctx,
				    const char *version,
				    struct sriov_error *err)
{
	const struct sriov_daemon_config *cfg = ctx->cfg;
	struct sriov_port_cluster *cl = ctx->cluster;
	struct sriov_cluster_host h = { 0 };
	struct sriov_store_vf *v = NULL;
	_cleanup_free_ char *value = NULL;
	char key[SRIOV_CLUSTER_KEY_MAX];
	size_t n = 0, n_pf = 0;
	int r;

	for (size_t i = 0; i < cfg->n_physnets; i++)
		n_pf += cfg->physnets[i].n_pfs;
	r = sriov_store_list_vfs(ctx->store, &v, &n, err);
	if (r < 0)
		return r;
	h.pfs = calloc(n_pf ?: 1, sizeof(*h.pfs));
	if (!h.pfs) {
		free(v);
		return sriov_error_set(err, -ENOMEM, "out of memory");
	}
	snprintf(h.id, sizeof(h.id), "%s", cl->host);
	snprintf(h.version, sizeof(h.version), "%s", version ? version : "");
	h.updated = (int64_t)time(NULL);
	for (size_t i = 0; i < cfg->n_physnets; i++) {
		const struct sriov_daemon_physnet *pn = &cfg->physnets[i];

		for (size_t j = 0; j < pn->n_pfs; j++) {
			struct sriov_cluster_pf *pf = &h.pfs[h.n_pfs];
			struct sriov_pf_ref ref;

			if (sriov_pf_resolve(ctx->root, pn->pfs[j], &ref,
					     NULL) < 0)
				continue; /* not on this host now */
			snprintf(pf->name, sizeof(pf->name), "%s", pn->pfs[j]);
			if (!strcmp(ref.bus, "pci"))
				snprintf(pf->address, sizeof(pf->address), "%s",
					 ref.dev);
			snprintf(pf->physnet, sizeof(pf->physnet), "%s",
				 pn->name);
			pf->numa_node = -1;
			if (port_pf_infiniband(ctx->root, &ref)) {
				pf->link = SRIOV_CLUSTER_LINK_INFINIBAND;
				snprintf(pf->fabric, sizeof(pf->fabric), "%s",
					 sriov_daemon_config_fabric_of(
						 cfg, pn->name));
			}
			for (size_t x = 0; x < n; x++) {
				if (strcmp(v[x].pf, pn->pfs[j]) || v[x].whole)
					continue;
				pf->numa_node = v[x].numa_node;
				if (v[x].excluded)
					continue;
				pf->vfs_total++;
				pf->vfs_free += v[x].state == SRIOV_VF_FREE;
				pf->vfs_bound += v[x].state == SRIOV_VF_BOUND;
				pf->vfs_quarantined += v[x].state ==
						       SRIOV_VF_QUARANTINED;
			}
			h.n_pfs++;
			if (pf_placement(ctx, &ref, v, n, pn->pfs[j], &h, pf) <
			    0) {
				free(v);
				sriov_cluster_host_release(&h);
				return sriov_error_set(err, -ENOMEM,
						       "out of memory");
			}
		}
	}
	free(v);
	r = sriov_cluster_key(&cl->keys, SRIOV_CLUSTER_HOST, cl->host, key,
			      err);
	if (r >= 0)
		r = sriov_cluster_host_format(&h, &value, err);
	sriov_cluster_host_release(&h);
	if (r < 0)
		return r;
	return answered(cl, sriov_etcd_put(cl->etcd, key, value, strlen(value),
					   cl->lease, NULL, err));
}

/* A port of the store as the sync sees it: its id and claimed GUID. */
struct held {
	char id[128];
	uint64_t guid;
};

static bool holds(const struct held *h, size_t n, const char *id, uint64_t guid)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(h[i].id, id) && (!guid || h[i].guid == guid))
			return true;
	return false;
}

/* Republish one bound port: its claim again (adopted with the current
 * lease), then ports/<id>. 1 published, 0 not (a port schema v1 cannot
 * hold), 2 a conflict (both told as events), -errno from the store. */
static int republish(struct sriov_port_ctx *ctx,
		     const struct sriov_store_port *p, struct held *h,
		     struct sriov_error *err)
{
	struct sriov_port_cluster *cl = ctx->cluster;
	struct sriov_cluster_port cp;
	struct sriov_cluster_claim c;
	struct sriov_error e = { 0 };
	int r;

	r = port_value(ctx, p, &cp, &h->guid, &e);
	if (r == -ENODATA || (r < 0 && r != -ENOMEM)) {
		port_event(ctx, SRIOV_PORT_EVENT_LOG, LOG_WARNING,
			   "cluster: port %s: %s", p->id, e.msg);
		return 0;
	}
	if (r < 0)
		return sriov_error_set(err, r, "%s", e.msg);
	if (h->guid) {
		claim_of(cl, p->id, &c);
		r = answered(cl, sriov_cluster_guid_claim(cl->etcd, &cl->keys,
							  h->guid, &c,
							  cl->lease, &e));
		if (r < 0)
			return sriov_error_set(err, r, "%s", e.msg);
		if (r == 0) {
			port_event(
				ctx, SRIOV_PORT_EVENT_GUID_CONFLICT, LOG_ERR,
				"cluster: port %s is bound with a guid another port claims: %s; not published (its claim went with an expired lease: unbind one of them)",
				p->id, e.msg);
			h->guid = 0; /* not ours: never deleted as stale */
			return 2;
		}
	}
	r = publish(cl, &cp, h->guid, err);
	return r < 0 ? r : 1;
}

/* Delete the keys under @kind's prefix that name this host and no port
 * of @h (ports/: the port; guids/: the port with that GUID). */
static int delete_stale(struct sriov_port_ctx *ctx,
			enum sriov_cluster_kind kind, const struct held *h,
			size_t n, unsigned *deleted, struct sriov_error *err)
{
	struct sriov_port_cluster *cl = ctx->cluster;
	char pfx[SRIOV_CLUSTER_KEY_MAX], end[SRIOV_CLUSTER_KEY_MAX];
	struct sriov_etcd_range_resp all;
	int r;

	sriov_cluster_key_prefix(&cl->keys, kind, pfx);
	r = sriov_etcd_prefix_end(pfx, end, sizeof(end));
	if (r >= 0)
		r = answered(cl, sriov_etcd_range_all(cl->etcd, pfx, end, 0,
						      &all, err));
	if (r < 0)
		return r;
	for (size_t i = 0; i < all.n_kvs && r >= 0; i++) {
		const struct sriov_etcd_kv *kv = &all.kvs[i];
		const char *host = NULL, *port = NULL;
		struct sriov_cluster_port cp;
		struct sriov_cluster_claim c;
		uint64_t g = 0;

		if (kind == SRIOV_CLUSTER_PORT &&
		    sriov_cluster_port_parse(kv->key, kv->value, kv->value_len,
					     &cp, NULL) == 0) {
			host = cp.host;
			port = cp.id;
		} else if (kind == SRIOV_CLUSTER_GUID &&
			   sriov_cluster_claim_parse(kv->key, kv->value,
						     kv->value_len, &c,
						     NULL) == 0) {
			host = c.host;
			port = c.port;
			g = key_guid(kv);
		}
		if (!host || strcmp(host, cl->host) ||
		    (kind == SRIOV_CLUSTER_GUID ? holds(h, n, port, g) && g :
						  holds(h, n, port, 0)))
			continue;
		r = delete_seen(cl, kv, err);
		if (r > 0) {
			(*deleted)++;
			port_event(
				ctx, SRIOV_PORT_EVENT_LOG, LOG_INFO,
				"cluster: deleted %s: port %s is no longer bound here",
				kv->key, port);
		}
	}
	sriov_etcd_range_resp_release(&all);
	return r < 0 ? r : 0;
}

int sriov_port_cluster_sync(struct sriov_port_ctx *ctx, const char *version,
			    struct sriov_port_cluster_stats *ret,
			    struct sriov_error *err)
{
	struct sriov_port_cluster_stats st = { 0 };
	struct sriov_store_port *ports = NULL;
	struct held *h = NULL;
	size_t n = 0;
	int r;

	if (!ctx->cluster || !ctx->cluster->lease)
		return sriov_error_set(err, -EAGAIN,
				       "no lease in the cluster store yet");
	r = sriov_store_list_ports(ctx->store, &ports, &n, err);
	if (r < 0)
		return r;
	h = calloc(n ?: 1, sizeof(*h));
	if (!h)
		r = sriov_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct sriov_port_request req;

		snprintf(h[i].id, sizeof(h[i].id), "%s", ports[i].id);
		/* a bind or unbind under way holds its GUID; it publishes
		 * (or deletes) by itself */
		if (strcmp(ports[i].status, "bound")) {
			port_stored_request(&ports[i], &req, &h[i].guid, NULL);
			continue;
		}
		r = republish(ctx, &ports[i], &h[i], err);
		st.published += r == 1;
		st.conflicts += r == 2;
	}
	for (size_t i = 0; i < n; i++)
		sriov_store_port_release(&ports[i]);
	free(ports);
	if (r >= 0)
		r = delete_stale(ctx, SRIOV_CLUSTER_PORT, h, n, &st.deleted,
				 err);
	if (r >= 0)
		r = delete_stale(ctx, SRIOV_CLUSTER_GUID, h, n, &st.deleted,
				 err);
	if (r >= 0)
		r = sriov_port_cluster_publish_host(ctx, version, err);
	free(h);
	if (r < 0)
		return r;
	if (ret)
		*ret = st;
	return 0;
}
