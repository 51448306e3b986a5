/* SPDX-License-Identifier: MIT */
/*
 * The operations as the daemon serves them. Bind, unbind, recovery, the
 * sync of the store with the host and the drift check are the core's
 * (sriov_port_bind(), _unbind(), _recover(), _sync(), _check()), run on
 * the daemon's root, socket, store and config; the daemon turns their
 * answers into JSON, logs their events and counts them in its metrics,
 * and lends them the lab's step delay.
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
	case SRIOV_PORT_EVENT_CLUSTER_PENDING:
		cluster_pending(d);
		break;
	case SRIOV_PORT_EVENT_GUID_RACE:
		d->cluster.races++;
		break;
	case SRIOV_PORT_EVENT_GUID_CONFLICT:
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

static int on_cluster_ready(void *userdata, struct sriov_error *err)
{
	return cluster_ready(userdata, err);
}

struct sriov_port_ctx ops_port_ctx(struct daemon *d)
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
			.cluster_ready = on_cluster_ready,
		},
		.cluster = d->cluster.on ? &d->cluster.pc : NULL,
	};
}

/* The store synced with the host; the PFs found are those whose links
 * the monitor follows. */
int ops_sync(struct daemon *d, struct sriov_error *err)
{
	struct sriov_port_ctx ctx = ops_port_ctx(d);
	int *ifindex = NULL;
	size_t n = 0;
	int r;

	r = sriov_port_sync(&ctx, &ifindex, &n, err);
	if (r < 0)
		return r;
	free(d->watch_ifindex);
	d->watch_ifindex = ifindex;
	d->n_watch = n;
	return 0;
}

int ops_recover(struct daemon *d)
{
	struct sriov_port_ctx ctx = ops_port_ctx(d);
	struct sriov_error err = { 0 };
	int r = sriov_port_recover(&ctx, &err);

	if (r < 0)
		log_err("recovery: %s", err.msg);
	return r;
}

void ops_check(struct daemon *d)
{
	struct sriov_port_ctx ctx = ops_port_ctx(d);
	struct sriov_error err = { 0 };

	if (ops_sync(d, &err) < 0)
		log_err("sync: %s", err.msg);
	sriov_port_check(&ctx);
	cluster_changed(d);
}

/* README's JSON rules: what the kernel does not give is null. */
static json_t *numa_json(int node)
{
	return node >= 0 ? json_integer(node) : json_null();
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
	json_object_set_new(o, "numa_node", numa_json(v->numa_node));
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

json_t *ops_bind_json(const struct sriov_port_request *req,
		      const struct sriov_port_bound *b)
{
	json_t *o = json_object();
	char buf[32];

	json_object_set_new(o, "port", json_string(req->id));
	json_object_set_new(o, "pf", json_string(b->pf));
	json_object_set_new(o, "vf",
			    b->whole ? json_null() : json_integer(b->vf));
	json_object_set_new(o, "address",
			    b->address[0] ? json_string(b->address) :
					    json_null());
	if (b->whole) {
		json_object_set_new(o, "whole_pf", json_true());
		/* its own MAC: what Nova writes back into the Neutron port */
		if (b->mac[0])
			json_object_set_new(o, "mac", json_string(b->mac));
		if (b->netdev[0])
			json_object_set_new(o, "netdev",
					    json_string(b->netdev));
	}
	json_object_set_new(o, "physnet", json_string(b->physnet));
	json_object_set_new(o, "numa_node", numa_json(b->numa_node));
	json_object_set_new(o, "link_type",
			    json_string(b->infiniband ? "infiniband" :
							"ethernet"));
	if (req->has_vlan)
		json_object_set_new(o, "vlan", json_integer(req->vlan));
	if (req->has_pkey)
		json_object_set_new(
			o, "pkey",
			json_string(sriov_pkey_format(req->pkey, buf)));
	if (b->infiniband)
		json_object_set_new(
			o, "guid",
			json_string(sriov_guid_format(b->guid, buf)));
	json_object_set_new(o, "libvirt_xml",
			    b->libvirt_xml ? json_string(b->libvirt_xml) :
					     json_null());
	if (!b->libvirt_xml)
		json_object_set_new(o, "libvirt_xml_note",
				    json_string(b->libvirt_xml_note));
	return o;
}

int ops_bind(struct daemon *d, const struct sriov_port_request *req,
	     json_t **ret, struct sriov_error *err)
{
	struct sriov_port_ctx ctx = ops_port_ctx(d);
	struct sriov_port_bound b;
	int r;

	r = sriov_port_bind(&ctx, req, &b, err);
	cluster_changed(d);
	if (r < 0)
		return r;
	*ret = ops_bind_json(req, &b);
	sriov_port_bound_release(&b);
	return 0;
}

int ops_unbind(struct daemon *d, const char *id, json_t **ret,
	       struct sriov_error *err)
{
	struct sriov_port_ctx ctx = ops_port_ctx(d);
	struct sriov_port_unbound u;
	json_t *o;
	int r;

	r = sriov_port_unbind(&ctx, id, &u, err);
	cluster_changed(d);
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

int ops_update(struct daemon *d, const struct sriov_port_request *req,
	       struct sriov_error *err)
{
	struct sriov_port_ctx ctx = ops_port_ctx(d);

	return sriov_port_update(&ctx, req, err);
}
