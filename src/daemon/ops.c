/* SPDX-License-Identifier: MIT */
/*
 * The operations as the daemon serves them: bind, unbind and recovery are
 * the core's transactions (sriov_port_bind(), sriov_port_unbind(),
 * sriov_port_recover()), run on the daemon's root, socket, store and
 * config; the daemon turns their answers into JSON, logs their events and
 * counts them in its metrics. Also: the sync of the store with the host,
 * and the drift checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sriovd.h"
#include "util/macro.h"
#include "util/banned.h"

uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Fault-injection point for the kill -9 lab test: with
 * SRIOVD_TEST_STEP_DELAY_MS set, every step of a bind or an unbind takes
 * that much longer, so a kill at a random moment lands inside an operation
 * rather than between two. It only slows sriovd down.
 */
static void step(void)
{
	static long ms = -1;

	if (ms < 0) {
		const char *e = getenv("SRIOVD_TEST_STEP_DELAY_MS");

		ms = e ? strtol(e, NULL, 10) : 0;
		if (ms < 0 || ms > 10000)
			ms = 0;
	}
	if (ms)
		usleep((useconds_t)ms * 1000);
}

/*
 * A PF listed under direct_physical is a row of its own: free to hand out
 * whole while it has no VFs (excluded otherwise, until it has none again).
 * While handed over it is left alone: on vfio-pci its netdev is gone.
 */
static int sync_whole(struct daemon *d, const char *physnet, const char *name,
		      int numa, const struct sriov_store_vf *row,
		      struct sriov_error *err)
{
	struct sriov_store_vf sv = { .whole = true, .numa_node = numa };
	struct sriov_port_vf pv;
	struct sriov_error e = { 0 };
	unsigned numvfs = 0, total = 0;

	if (row && row->state == SRIOV_VF_BOUND)
		return 0;
	snprintf(sv.pf, sizeof(sv.pf), "%s", name);
	snprintf(sv.physnet, sizeof(sv.physnet), "%s", physnet);
	if (sriov_port_pf_open(d->root, name, row ? row->address : NULL, &pv,
			       &e) < 0) {
		if (!row || !row->excluded)
			log_warn("physnet %s: pf %s is not handed out whole: "
				 "%s",
				 physnet, name, e.msg);
		sv.excluded = true;
		if (row)
			snprintf(sv.address, sizeof(sv.address), "%s",
				 row->address);
	} else {
		snprintf(sv.address, sizeof(sv.address), "%s", pv.address);
		sv.excluded = sriov_pf_numvfs(d->root, &pv.pf, &numvfs, &total,
					      NULL) == 0 &&
			      numvfs > 0;
	}
	return sriov_store_sync_vf(d->store, &sv, err);
}

int ops_sync(struct daemon *d, struct sriov_error *err)
{
	struct sriov_store_vf *vfs = NULL;
	size_t n_vfs = 0, n_pfs = 0, k = 0;
	const char **names;
	int *numa, r = 0;

	for (size_t i = 0; i < d->cfg.n_physnets; i++)
		n_pfs += d->cfg.physnets[i].n_pfs;
	names = calloc(n_pfs ?: 1, sizeof(*names));
	numa = calloc(n_pfs ?: 1, sizeof(*numa));
	free(d->watch_ifindex);
	d->watch_ifindex = calloc(n_pfs ?: 1, sizeof(int));
	d->n_watch = 0;
	if (!names || !numa || !d->watch_ifindex) {
		free(names);
		free(numa);
		return sriov_error_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < d->cfg.n_physnets; i++)
		for (size_t j = 0; j < d->cfg.physnets[i].n_pfs; j++)
			names[k++] = d->cfg.physnets[i].pfs[j];
	inventory_numa(d->root, names, n_pfs, numa);

	r = sriov_store_list_vfs(d->store, &vfs, &n_vfs, err);
	if (r < 0)
		goto out;
	/* VFs the store knows that are not seen below get excluded */
	bool *seen = calloc(n_vfs ?: 1, sizeof(bool));
	if (!seen) {
		r = sriov_error_set(err, -ENOMEM, "out of memory");
		goto out;
	}

	k = 0;
	for (size_t i = 0; i < d->cfg.n_physnets; i++) {
		const struct sriov_daemon_physnet *pn = &d->cfg.physnets[i];

		for (size_t j = 0; j < pn->n_pfs; j++, k++) {
			struct sriov_error e = { 0 };
			struct sriov_pf_ref pf;
			unsigned numvfs = 0, total = 0;
			bool whole_bound = false;

			for (size_t x = 0; x < n_vfs; x++) {
				if (!vfs[x].whole ||
				    strcmp(vfs[x].pf, pn->pfs[j]))
					continue;
				whole_bound = vfs[x].state == SRIOV_VF_BOUND;
				if (sriov_daemon_config_whole_pf(&d->cfg,
								 pn->pfs[j]))
					seen[x] = true;
			}
			if (sriov_daemon_config_whole_pf(&d->cfg, pn->pfs[j])) {
				const struct sriov_store_vf *row = NULL;

				for (size_t x = 0; x < n_vfs; x++)
					if (vfs[x].whole &&
					    !strcmp(vfs[x].pf, pn->pfs[j]))
						row = &vfs[x];
				r = sync_whole(d, pn->name, pn->pfs[j], numa[k],
					       row, err);
				if (r < 0)
					goto out_seen;
			}
			if (whole_bound)
				continue; /* no VFs while a VM has the PF */
			if (sriov_pf_resolve(d->root, pn->pfs[j], &pf, &e) <
				    0 ||
			    sriov_pf_numvfs(d->root, &pf, &numvfs, &total, &e) <
				    0) {
				log_warn("physnet %s: pf %s: %s; its VFs are "
					 "not handed out",
					 pn->name, pn->pfs[j], e.msg);
				continue;
			}
			if (pf.ifindex > 0)
				d->watch_ifindex[d->n_watch++] = pf.ifindex;
			for (unsigned v = 0; v < numvfs; v++) {
				struct sriov_store_vf sv = { .index = v };

				snprintf(sv.pf, sizeof(sv.pf), "%s",
					 pn->pfs[j]);
				snprintf(sv.physnet, sizeof(sv.physnet), "%s",
					 pn->name);
				if (sriov_vf_pci(d->root, &pf, v, sv.address,
						 sizeof(sv.address), NULL) < 0)
					sv.address[0] = '\0';
				sv.numa_node = numa[k];
				sv.excluded = sriov_daemon_config_excluded(
					&d->cfg, sv.pf, v, sv.address);
				r = sriov_store_sync_vf(d->store, &sv, err);
				if (r < 0)
					goto out_seen;
				for (size_t x = 0; x < n_vfs; x++)
					if (!vfs[x].whole &&
					    !strcmp(vfs[x].pf, sv.pf) &&
					    vfs[x].index == v)
						seen[x] = true;
			}
		}
	}
	for (size_t x = 0; x < n_vfs; x++) {
		if (seen[x] || vfs[x].excluded)
			continue;
		if (vfs[x].state == SRIOV_VF_BOUND)
			log_warn(
				"pf %s vf %u (port %s) is no longer present or "
				"configured",
				vfs[x].pf, vfs[x].index, vfs[x].port);
		vfs[x].excluded = true;
		r = sriov_store_sync_vf(d->store, &vfs[x], err);
		if (r < 0)
			goto out_seen;
	}
	r = 0;
out_seen:
	free(seen);
out:
	free(vfs);
	free(names);
	free(numa);
	return r;
}

/* A row of the store as the port layer reaches it: a VF, or a whole PF
 * (found by the PCI address recorded when it was free). */
static int open_function(struct daemon *d, const char *pf, bool whole,
			 unsigned index, const char *address,
			 struct sriov_port_vf *ret, struct sriov_error *err)
{
	if (whole)
		return sriov_port_pf_open(d->root, pf, address, ret, err);
	return sriov_port_vf_open(d->root, d->nl, pf, index, ret, err);
}

/* Scrub to the quarantine state and read it back. */
static int scrub_function(struct daemon *d, const struct sriov_port_vf *vf,
			  struct sriov_error *err)
{
	if (vf->whole)
		return sriov_port_pf_scrub(d->root, vf, err);
	if (sriov_port_scrub(d->nl, vf, err) < 0 ||
	    sriov_port_mlx4_pkey_scrub(d->root, vf, err) < 0)
		return -EIO;
	return 0;
}

static void on_event(void *userdata, enum sriov_port_event ev, int level,
		     const char *msg)
{
	struct daemon *d = userdata;

	if (msg)
		log_msg(level, "%s", msg);
	switch (ev) {
	case SRIOV_PORT_EVENT_QUARANTINED:
		d->metrics.quarantined++;
		break;
	case SRIOV_PORT_EVENT_RECOVERED:
		d->metrics.recovered++;
		break;
	case SRIOV_PORT_EVENT_REPAIRED:
		d->metrics.drift_repaired++;
		break;
	case SRIOV_PORT_EVENT_REPORTED:
		d->metrics.drift_reported++;
		break;
	case SRIOV_PORT_EVENT_LOG:
	case SRIOV_PORT_EVENT_STARTED:
		break;
	}
}

static void on_step(void *userdata)
{
	(void)userdata;
	step();
}

static int on_sync(void *userdata, struct sriov_error *err)
{
	return ops_sync(userdata, err);
}

/* What the core's transactions run on: the daemon's, and its hooks. */
static struct sriov_port_ctx port_ctx(struct daemon *d)
{
	return (struct sriov_port_ctx){
		.root = d->root,
		.nl = d->nl,
		.store = d->store,
		.cfg = &d->cfg,
		.hooks = {
			.userdata = d,
			.event = on_event,
			.step = on_step,
			.sync = on_sync,
		},
	};
}

int ops_recover(struct daemon *d)
{
	struct sriov_port_ctx ctx = port_ctx(d);
	struct sriov_error err = { 0 };
	int r = sriov_port_recover(&ctx, &err);

	if (r < 0)
		log_err("recovery: %s", err.msg);
	return r;
}

static uint64_t port_guid(const json_t *settings)
{
	const char *s = json_string_value(json_object_get(settings, "guid"));
	uint64_t g = 0;

	if (s)
		sriov_guid_parse(s, &g, NULL);
	return g;
}

/* The stored request back as a struct; the config is not consulted, so a
 * changed config cannot make a bound port unreadable. */
static int port_request(const struct sriov_store_port *p,
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
	json_object_del(o, "guid"); /* given or allocated: read apart */
	r = sriov_port_request_parse(o, NULL, req, err);
	json_decref(o);
	o = json_loads(p->settings, 0, &je);
	*guid = port_guid(o);
	json_decref(o);
	return r;
}

/*
 * mlx4: the VF's virtual P-key table against its port's (the P-key alone
 * at slot 0; all none without one), repaired and counted as the settings
 * are. A repair that fails empties the table: a VF in no partition is
 * safer than one in a partition it was not given (the SM may have moved
 * another P-key to where slot 0 points).
 */
static void check_mlx4_pkeys(struct daemon *d, const struct sriov_store_port *p,
			     const struct sriov_port_vf *vf,
			     const struct sriov_port_request *req)
{
	struct sriov_error err = { 0 }, e2 = { 0 };
	char detail[2 * SRIOV_ERROR_MSG_MAX + 64];
	int r;

	r = sriov_port_mlx4_pkey_drift(d->root, vf, req->has_pkey, req->pkey,
				       &err);
	if (r < 0)
		log_err("check: port %s: %s", p->id, err.msg);
	if (r <= 0)
		return;
	log_warn("drift: port %s (pf %s vf %u) p-key table changed behind "
		 "sriovd's back (%s); repairing",
		 p->id, p->pf, p->vf_index, err.msg);
	sriov_error_clear(&err);
	r = req->has_pkey ?
		    sriov_port_mlx4_pkey_apply(d->root, vf, req->pkey, &err) :
		    sriov_port_mlx4_pkey_scrub(d->root, vf, &err);
	if (r >= 0) {
		d->metrics.drift_repaired++;
		sriov_store_journal_note(d->store, "repair", p->id, p->vf_id,
					 "mlx4 p-key table re-applied", NULL);
		return;
	}
	if (!req->has_pkey)
		snprintf(detail, sizeof(detail), "mlx4 p-key table: %s",
			 err.msg);
	else if (sriov_port_mlx4_pkey_scrub(d->root, vf, &e2) >= 0)
		snprintf(detail, sizeof(detail),
			 "mlx4 p-key table: %s; the table is now all none (the "
			 "VF is in no partition)",
			 err.msg);
	else
		snprintf(detail, sizeof(detail),
			 "mlx4 p-key table: %s; emptying it failed too: %s",
			 err.msg, e2.msg);
	log_err("drift: port %s: repair failed: %s", p->id, detail);
	d->metrics.drift_reported++;
	sriov_store_journal_note(d->store, "repair", p->id, p->vf_id, detail,
				 NULL);
}

/* A PF handed over whole is checked for its driver only: what the VM does
 * with the device is the VM's. */
static void check_whole(struct daemon *d, const struct sriov_store_port *p,
			const struct sriov_port_vf *vf,
			enum sriov_vf_driver drv)
{
	struct sriov_error err = { 0 };
	int dr = sriov_port_pf_drift(d->root, vf, drv, &err);

	if (dr < 0)
		log_err("check: port %s: %s", p->id, err.msg);
	if (dr <= 0)
		return;
	log_warn("drift: port %s: %s; repairing", p->id, err.msg);
	sriov_error_clear(&err);
	if (sriov_port_pf_hand_over(d->root, vf, drv, &err) < 0) {
		log_err("drift: port %s: repair failed: %s", p->id, err.msg);
		d->metrics.drift_reported++;
		sriov_store_journal_note(d->store, "repair", p->id, p->vf_id,
					 err.msg, NULL);
	} else {
		d->metrics.drift_repaired++;
		sriov_store_journal_note(d->store, "repair", p->id, p->vf_id,
					 "pf handed over again", NULL);
	}
}

static void check_ports(struct daemon *d)
{
	struct sriov_store_port *ports = NULL;
	struct sriov_error err = { 0 };
	size_t n = 0;

	if (sriov_store_list_ports(d->store, &ports, &n, &err) < 0) {
		log_err("check: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct sriov_port_request req;
		struct sriov_port_vf vf;
		uint64_t guid = 0;
		int dr;

		sriov_error_clear(&err);
		if (strcmp(ports[i].status, "bound"))
			goto next;
		if (port_request(&ports[i], &req, &guid, &err) < 0 ||
		    open_function(d, ports[i].pf, ports[i].whole,
				  ports[i].vf_index, ports[i].address, &vf,
				  &err) < 0) {
			log_err("check: port %s: %s", ports[i].id, err.msg);
			d->metrics.drift_reported++;
			goto next;
		}
		if (vf.whole) {
			check_whole(d, &ports[i], &vf, d->cfg.driver[req.vnic]);
			goto next;
		}
		dr = sriov_port_drift(d->nl, &vf, &req, guid, &err);
		if (dr <= 0) {
			if (dr < 0)
				log_err("check: port %s: %s", ports[i].id,
					err.msg);
			goto pkeys;
		}
		log_warn("drift: port %s (pf %s vf %u) changed behind sriovd's "
			 "back (attributes 0x%x); repairing",
			 ports[i].id, ports[i].pf, ports[i].vf_index,
			 (unsigned)dr);
		if (sriov_port_apply(d->root, d->nl, &vf, &req, guid,
				     d->cfg.driver[req.vnic], &err) < 0) {
			log_err("drift: port %s: repair failed: %s",
				ports[i].id, err.msg);
			d->metrics.drift_reported++;
			sriov_store_journal_note(d->store, "repair",
						 ports[i].id, ports[i].vf_id,
						 err.msg, NULL);
		} else {
			d->metrics.drift_repaired++;
			sriov_store_journal_note(d->store, "repair",
						 ports[i].id, ports[i].vf_id,
						 "settings re-applied", NULL);
		}
pkeys:
		/* whatever netlink said: the table is read apart */
		check_mlx4_pkeys(d, &ports[i], &vf, &req);
next:
		sriov_store_port_release(&ports[i]);
	}
	free(ports);
}

static void check_free_vfs(struct daemon *d)
{
	struct sriov_store_vf *vfs = NULL;
	struct sriov_error err = { 0 };
	size_t n = 0;

	if (sriov_store_list_vfs(d->store, &vfs, &n, &err) < 0) {
		log_err("check: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct sriov_port_vf vf;
		int r;

		if (vfs[i].state != SRIOV_VF_FREE || vfs[i].excluded)
			continue;
		sriov_error_clear(&err);
		if (open_function(d, vfs[i].pf, vfs[i].whole, vfs[i].index,
				  vfs[i].address, &vf, &err) < 0)
			continue; /* sync reports PFs that went away */
		if (vfs[i].scrubbed) {
			r = vf.whole ? sriov_port_pf_is_scrubbed(d->root, &vf,
								 &err) :
				       sriov_port_is_scrubbed(d->nl, &vf, &err);
			/* mlx4: the P-key table too (a pkey_idx write sends
			 * no netlink event; every slot must read none) */
			if (r == 1 && !vf.whole &&
			    sriov_port_mlx4_pkey_drift(d->root, &vf, false, 0,
						       &err) == 1)
				r = 0;
			if (r != 0)
				continue;
			log_warn("drift: free %s; scrubbing again", err.msg);
			d->metrics.drift_repaired++;
		}
		sriov_error_clear(&err);
		if (scrub_function(d, &vf, &err) < 0) {
			char reason[SRIOV_ERROR_MSG_MAX + 16];

			snprintf(reason, sizeof(reason), "scrub failed: %s",
				 err.msg);
			char what[32] = "(whole)";

			if (!vfs[i].whole)
				snprintf(what, sizeof(what), "vf %u",
					 vfs[i].index);
			log_err("pf %s %s quarantined: %s", vfs[i].pf, what,
				reason);
			sriov_store_vf_quarantine(d->store, vfs[i].id, reason,
						  NULL);
			d->metrics.quarantined++;
		} else if (!vfs[i].scrubbed) {
			sriov_store_vf_set_scrubbed(d->store, vfs[i].id, true,
						    NULL);
		}
	}
	free(vfs);
}

void ops_check(struct daemon *d)
{
	struct sriov_error err = { 0 };

	if (ops_sync(d, &err) < 0)
		log_err("sync: %s", err.msg);
	check_ports(d);
	check_free_vfs(d);
}

json_t *ops_vf_json(const struct sriov_store_vf *v)
{
	json_t *o = json_object();

	json_object_set_new(o, "pf", json_string(v->pf));
	json_object_set_new(o, "vf",
			    v->whole ? json_null() : json_integer(v->index));
	if (v->whole)
		json_object_set_new(o, "whole_pf", json_true());
	json_object_set_new(o, "address",
			    v->address[0] ? json_string(v->address) :
					    json_null());
	json_object_set_new(o, "physnet", json_string(v->physnet));
	json_object_set_new(o, "numa_node", json_integer(v->numa_node));
	json_object_set_new(o, "state",
			    json_string(sriov_vf_state_name(v->state)));
	json_object_set_new(o, "excluded", json_boolean(v->excluded));
	json_object_set_new(o, "scrubbed", json_boolean(v->scrubbed));
	json_object_set_new(o, "port",
			    v->port[0] ? json_string(v->port) : json_null());
	if (v->reason[0])
		json_object_set_new(o, "reason", json_string(v->reason));
	return o;
}

json_t *ops_port_json(struct daemon *d, const struct sriov_store_port *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(p->id));
	json_object_set_new(o, "network", json_string(p->network));
	json_object_set_new(o, "vnic_type", json_string(p->vnic_type));
	json_object_set_new(o, "status", json_string(p->status));
	json_object_set_new(o, "pf", json_string(p->pf));
	json_object_set_new(o, "vf",
			    p->whole ? json_null() : json_integer(p->vf_index));
	if (p->whole)
		json_object_set_new(o, "whole_pf", json_true());
	json_object_set_new(o, "address",
			    p->address[0] ? json_string(p->address) :
					    json_null());
	json_object_set_new(o, "settings", json_loads(p->settings, 0, NULL));
	return o;
}

int ops_bind(struct daemon *d, const struct sriov_port_request *req,
	     json_t **ret, struct sriov_error *err)
{
	struct sriov_port_ctx ctx = port_ctx(d);
	struct sriov_port_bound b;
	char buf[32];
	json_t *o;
	int r;

	r = sriov_port_bind(&ctx, req, &b, err);
	if (r < 0)
		return r;
	o = json_object();
	json_object_set_new(o, "port", json_string(req->id));
	json_object_set_new(o, "pf", json_string(b.pf));
	json_object_set_new(o, "vf",
			    b.whole ? json_null() : json_integer(b.vf));
	json_object_set_new(o, "address",
			    b.address[0] ? json_string(b.address) :
					   json_null());
	if (b.whole) {
		json_object_set_new(o, "whole_pf", json_true());
		/* its own MAC: what Nova writes back into the Neutron port */
		if (b.mac[0])
			json_object_set_new(o, "mac", json_string(b.mac));
		if (b.netdev[0])
			json_object_set_new(o, "netdev", json_string(b.netdev));
	}
	json_object_set_new(o, "physnet", json_string(b.physnet));
	json_object_set_new(o, "numa_node", json_integer(b.numa_node));
	json_object_set_new(o, "link_type",
			    json_string(b.infiniband ? "infiniband" :
						       "ethernet"));
	if (req->has_vlan)
		json_object_set_new(o, "vlan", json_integer(req->vlan));
	if (req->has_pkey) {
		snprintf(buf, sizeof(buf), "0x%04x", req->pkey);
		json_object_set_new(o, "pkey", json_string(buf));
	}
	if (b.infiniband) {
		sriov_guid_format_colon(b.guid, buf);
		json_object_set_new(o, "guid", json_string(buf));
	}
	json_object_set_new(o, "libvirt_xml",
			    b.libvirt_xml ? json_string(b.libvirt_xml) :
					    json_null());
	if (!b.libvirt_xml)
		json_object_set_new(o, "libvirt_xml_note",
				    json_string(b.libvirt_xml_note));
	sriov_port_bound_release(&b);
	*ret = o;
	return 0;
}

int ops_unbind(struct daemon *d, const char *id, json_t **ret,
	       struct sriov_error *err)
{
	struct sriov_port_ctx ctx = port_ctx(d);
	struct sriov_port_unbound u;
	json_t *o;
	int r;

	r = sriov_port_unbind(&ctx, id, &u, err);
	if (r < 0)
		return r;
	o = json_object();
	json_object_set_new(o, "port", json_string(id));
	json_object_set_new(o, "pf", json_string(u.pf));
	json_object_set_new(o, "vf",
			    u.whole ? json_null() : json_integer(u.vf));
	json_object_set_new(
		o, "vf_state",
		json_string(u.state == SRIOV_VF_FREE ? "free" : "quarantined"));
	*ret = o;
	return 0;
}
