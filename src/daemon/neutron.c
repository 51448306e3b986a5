/* SPDX-License-Identifier: MIT */
/*
 * sriovd as Neutron's SR-IOV agent, in sriovd's own poll loop
 * (docs/neutron.md).
 *
 * What it says to neutron-server, as the stock neutron-sriov-nic-agent
 * does (neutron/agent/rpc.py):
 *   - report_state, a cast to q-reports-plugin every report_interval:
 *     agent type "NIC Switch agent", configurations.device_mappings (the
 *     Ethernet physnets and their PFs) so the stock sriovnicswitch driver
 *     binds to this host; besides, infiniband_mappings for our ML2 driver
 *     and port_errors, what sriovd refused and why;
 *   - get_ports_by_vnic_type_and_host (a full resync: at start, after a
 *     reconnection, every resync_interval), get_devices_details_list,
 *     pull of QoS policies, update_device_list (up or down), on q-plugin.
 * What it hears: the casts of ML2's AgentNotifierApi (port_update,
 * port_delete, network_update, binding_activate/deactivate) and the pushes
 * of Port and QosPolicy versioned objects (neutron/plugins/ml2/ovo_rpc.py),
 * which also tell of a port created already bound, or unbound: cases the
 * casts leave out.
 *
 * One exchange with the server at a time (a resync, a batch of details, the
 * pulls it needs, the device list), each an asynchronous call: sriovd's
 * socket and drift checks are served meanwhile. What a port asks is done
 * with the core's transactions: sriov_port_bind() (the VF the binding
 * profile names), sriov_port_update(), sriov_port_unbind().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <sriov/rpc.h>

#include "neutron.h"
#include "sriovd.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

#define BATCH_MAX 32 /* devices per get_devices_details_list */
#define ERRORS_MAX 64 /* port_errors in a report */
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000

/* The casts and pushes sriovd listens to (topics, each with its .HOST
 * queue and fanout): neutron_lib/agent/topics.py, resources_rpc.py. */
static const char *const listen_topics[] = {
	"q-agent-notifier-port-update",
	"q-agent-notifier-port-delete",
	"q-agent-notifier-network-update",
	"q-agent-notifier-binding-activate",
	"q-agent-notifier-binding-deactivate",
	"neutron-vo-Port-" NEUTRON_PORT_VERSION,
	"neutron-vo-QosPolicy-" NEUTRON_QOS_POLICY_VERSION,
};

/* A port Neutron binds to this host, as far as the agent knows it. */
struct nport {
	char id[40];
	char vnic[24];
	char vif_type[32]; /* binding:vif_type when told, "" else */
	char network[40];
	/* sriovd's port: Neutron's id, or on InfiniBand ib-MAC, the id of
	 * Nova's ebrctl add-port for the same port (docs/openstack.md) */
	char sid[40];
	char qos[40]; /* its effective QoS policy (details), "" none */
	char sig[512]; /* what of a pushed Port matters to us */
	bool pending; /* device details wanted */
	char error[SRIOV_ERROR_MSG_MAX]; /* refused: told to Neutron */
};

enum phase { IDLE, RESYNC, DETAILS, PULL, DEVLIST };

struct neutron {
	struct daemon *d;
	const struct sriov_daemon_neutron *cfg;
	struct sriov_rpc *rpc;
	struct sriov_rpc_url url;
	char host[256];
	char agent_id[300];
	json_t *context;
	struct nport *ports;
	size_t n_ports, cap_ports;
	/* the exchange in flight */
	enum phase phase;
	unsigned resync_round; /* 0: direct, 1: macvtap */
	json_t *resync; /* port id -> port dict, of both rounds */
	json_t *batch; /* port ids asked */
	json_t *details; /* their answer */
	json_t *policies; /* policy id -> QosPolicy object; false: unread */
	char pulling[40]; /* the policy the pull in flight asks for */
	json_t *up, *down;
	bool errors_changed;
	/* timers (monotonic ms) */
	bool resync_wanted;
	uint64_t next_report, next_resync, retry_at;
	unsigned backoff_ms;
	bool start_flag;
	/* counters (metrics) */
	uint64_t sent, received, dropped, resyncs, binds, unbinds, updates,
		refused, reconnects;
};

static struct neutron *N(const struct daemon *d)
{
	return d->neutron;
}

/* ---- small helpers ---- */

static int uuid4(char out[37])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -EIO;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(
		out, 37,
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* UTC as neutron_lib's ISO8601_TIME_FORMAT (timeutils.parse_strtime),
 * or as oslo.context's timestamp (a space instead of the T). */
static void utc_now(char *buf, size_t size, char sep)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, size, "%04d-%02d-%02d%c%02d:%02d:%02d.%06d",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, sep, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000 % 1000000));
}

/* An admin context without a session, as the stock agent sends it
 * (neutron_lib.context.get_admin_context_without_session().to_dict()). */
static json_t *admin_context(void)
{
	char req[48] = "req-", ts[64];
	json_t *c;

	uuid4(req + 4);
	utc_now(ts, sizeof(ts), ' ');
	c = json_pack(
		"{s:n,s:n,s:n,s:b,s:b,s:b,s:n,s:s,s:n,s:[],s:s,s:b,s:n,s:n,s:s}",
		"user_id", "project_id", "tenant_id", "is_admin", 1,
		"read_only", 0, "show_deleted", 0, "auth_token", "request_id",
		req, "global_request_id", "roles", "user_identity", "- - - - -",
		"is_admin_project", 1, "tenant_name", "project_name",
		"timestamp", ts);
	return c;
}

static struct nport *port_find(struct neutron *n, const char *id)
{
	for (size_t i = 0; i < n->n_ports; i++)
		if (!strcmp(n->ports[i].id, id))
			return &n->ports[i];
	return NULL;
}

static struct nport *port_add(struct neutron *n, const char *id)
{
	struct nport *p = port_find(n, id);

	if (p)
		return p;
	if (grow_array((void **)&n->ports, &n->cap_ports, n->n_ports,
		       sizeof(*n->ports)) < 0)
		return NULL;
	p = &n->ports[n->n_ports++];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	return p;
}

static void port_forget(struct neutron *n, const char *id)
{
	struct nport *p = port_find(n, id);

	if (!p)
		return;
	if (p->error[0])
		n->errors_changed = true;
	*p = n->ports[--n->n_ports];
}

static bool store_has(struct neutron *n, const char *id)
{
	struct sriov_store_port sp = { 0 };

	if (sriov_store_get_port(n->d->store, id, &sp, NULL) < 0)
		return false;
	sriov_store_port_release(&sp);
	return true;
}

static bool pending_any(const struct neutron *n)
{
	for (size_t i = 0; i < n->n_ports; i++)
		if (n->ports[i].pending)
			return true;
	return false;
}

/* ---- the physnets as Neutron sees them ---- */

/*
 * Each physnet with the PFs that have a VF to offer (one not excluded):
 * device_mappings for the Ethernet ones, infiniband_mappings for the
 * InfiniBand ones. A physnet whose every VF is excluded is not told, so
 * no port is bound to this host there.
 */
static void mappings(struct neutron *n, json_t *eth, json_t *ib)
{
	struct daemon *d = n->d;
	struct sriov_store_vf *v = NULL;
	size_t nv = 0;

	if (sriov_store_list_vfs(d->store, &v, &nv, NULL) < 0)
		return;
	for (size_t i = 0; i < nv; i++) {
		struct sriov_port_vf pv;
		json_t *map, *list;
		const char *pf = v[i].pf;
		bool seen = false;

		if (v[i].excluded || v[i].whole)
			continue;
		for (size_t j = 0; j < i; j++)
			if (!v[j].excluded && !v[j].whole &&
			    !strcmp(v[j].pf, pf))
				seen = true;
		if (seen)
			continue;
		if (sriov_port_vf_open(d->root, d->nl, pf, v[i].index, &pv,
				       NULL) < 0)
			continue;
		map = pv.infiniband ? ib : eth;
		list = json_object_get(map, v[i].physnet);
		if (!list) {
			list = json_array();
			json_object_set_new(map, v[i].physnet, list);
		}
		json_array_append_new(list, json_string(pf));
	}
	free(v);
}

/* Is @physnet InfiniBand here (its PFs are)? */
static bool physnet_ib(struct neutron *n, const char *physnet)
{
	json_t *eth = json_object(), *ib = json_object();
	bool r;

	mappings(n, eth, ib);
	r = json_object_get(ib, physnet) && !json_object_get(eth, physnet);
	json_decref(eth);
	json_decref(ib);
	return r;
}

/* ---- calls and casts ---- */

static void call_done(struct sriov_rpc *rpc, int status, json_t *result,
		      const struct sriov_error *err, void *data);

static void plugin_target(struct sriov_rpc_target *t, const char *version)
{
	*t = (struct sriov_rpc_target){ .topic = NEUTRON_PLUGIN_TOPIC,
					.version = version };
}

/* Start the call of @method; call_done() goes on by the phase. */
static int call(struct neutron *n, const char *version, const char *method,
		json_t *args)
{
	struct sriov_rpc_target t;
	struct sriov_error err = { 0 };
	int r;

	plugin_target(&t, version);
	r = sriov_rpc_call_start(n->rpc, &t, n->context, method, args,
				 n->cfg->rpc_timeout * 1000, call_done, n,
				 &err);
	json_decref(args);
	if (r < 0) {
		log_warn("neutron: %s: %s", method, err.msg);
		return r;
	}
	n->sent++;
	return 0;
}

/* A call failed: the exchange starts again later (with what it asked). */
static void retry_later(struct neutron *n, const char *what,
			const struct sriov_error *err)
{
	uint64_t now = mono_ms();

	log_warn("neutron: %s: %s; again in %u s", what,
		 err ? err->msg : "failed", n->backoff_ms / 1000);
	n->retry_at = now + n->backoff_ms;
	n->backoff_ms = n->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
							   n->backoff_ms * 2;
	if (n->phase == RESYNC) {
		n->resync_wanted = true;
	} else if (n->batch) {
		size_t i;
		json_t *id;

		json_array_foreach(n->batch, i, id) {
			struct nport *p = port_find(n, json_string_value(id));

			if (p)
				p->pending = true;
		}
	}
	json_decref(n->resync);
	json_decref(n->batch);
	json_decref(n->details);
	json_decref(n->policies);
	json_decref(n->up);
	json_decref(n->down);
	n->resync = n->batch = n->details = n->policies = n->up = n->down =
		NULL;
	n->phase = IDLE;
}

static void report(struct neutron *n)
{
	struct sriov_rpc_target t = { .topic = NEUTRON_REPORTS_TOPIC,
				      .version = "1.2" };
	json_t *eth = json_object(), *ib = json_object(), *errs = json_object();
	json_t *conf, *st, *args;
	struct sriov_store_port *ports = NULL;
	struct sriov_error err = { 0 };
	size_t np = 0, devices = 0, ne = 0;
	char uuid[37] = "", ts[64];

	mappings(n, eth, ib);
	if (sriov_store_list_ports(n->d->store, &ports, &np, NULL) == 0) {
		for (size_t i = 0; i < np; i++) {
			if (neutron_is_uuid(ports[i].id))
				devices++;
			sriov_store_port_release(&ports[i]);
		}
		free(ports);
	}
	for (size_t i = 0; i < n->n_ports && ne < ERRORS_MAX; i++)
		if (n->ports[i].error[0]) {
			json_object_set_new(errs, n->ports[i].id,
					    json_string(n->ports[i].error));
			ne++;
		}
	conf = json_pack("{s:o,s:o,s:o,s:I,s:[s]}", "device_mappings", eth,
			 "infiniband_mappings", ib, "port_errors", errs,
			 "devices", (json_int_t)devices, "extensions", "qos");
	uuid4(uuid);
	st = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s}", "binary", NEUTRON_BINARY,
		       "host", n->host, "topic", "N/A", "configurations", conf,
		       "agent_type", NEUTRON_AGENT_TYPE, "uuid", uuid);
	if (n->start_flag) {
		/* once: the versions we consume, so the server pushes them */
		json_object_set_new(st, "start_flag", json_true());
		json_object_set_new(st, "resource_versions",
				    json_pack("{s:s,s:s}", "Port",
					      NEUTRON_PORT_VERSION, "QosPolicy",
					      NEUTRON_QOS_POLICY_VERSION));
	}
	utc_now(ts, sizeof(ts), 'T');
	args = json_pack("{s:{s:o},s:s}", "agent_state", "agent_state", st,
			 "time", ts);
	if (sriov_rpc_cast(n->rpc, &t, n->context, "report_state", args, &err) <
	    0) {
		log_warn("neutron: report_state: %s", err.msg);
	} else {
		n->sent++;
		n->start_flag = false;
	}
	json_decref(args);
	n->next_report = mono_ms() + n->cfg->report_interval * 1000ull;
}

/* ---- what the ports ask ---- */

/* Did Neutron's port @id leave this host (deleted, unbound, moved)? Then
 * its VF goes back, restored and scrubbed. */
static void gone(struct neutron *n, const char *id, const char *why)
{
	struct nport *p = port_find(n, id);
	struct sriov_error err = { 0 };
	json_t *ret = NULL;
	char sid[sizeof(p->sid)];
	int r;

	snprintf(sid, sizeof(sid), "%s", p && p->sid[0] ? p->sid : id);
	port_forget(n, id);
	if (!store_has(n, sid)) {
		log_info("neutron: port %s %s: no VF of it here", id, why);
		return;
	}
	r = ops_unbind(n->d, sid, &ret, &err);
	if (r < 0) {
		log_err("neutron: port %s %s: unbind: %s", id, why, err.msg);
		return;
	}
	n->unbinds++;
	log_info("neutron: port %s %s: pf %s vf %lld %s", id, why,
		 json_string_value(json_object_get(ret, "pf")),
		 (long long)json_integer_value(json_object_get(ret, "vf")),
		 json_string_value(json_object_get(ret, "vf_state")));
	json_decref(ret);
}

/*
 * The one call that picks the VF: the binding profile's pci_slot, which
 * the request carries; sriovd binds exactly that VF or refuses (not free,
 * excluded, another physnet's).
 */
static int bind_vf(struct neutron *n, const struct sriov_port_request *req,
		   struct sriov_error *err)
{
	json_t *ret = NULL;
	int r = ops_bind(n->d, req, &ret, err);

	json_decref(ret);
	return r;
}

/* Bind, or update in place, or (another VF now) unbind and bind. */
static int apply_request(struct neutron *n,
			 const struct sriov_port_request *req,
			 struct sriov_error *err)
{
	struct sriov_error e2 = { 0 };
	json_t *ret = NULL;
	int r;

	if (!store_has(n, req->id)) {
		r = bind_vf(n, req, err);
		if (r >= 0)
			n->binds++;
		return r;
	}
	r = ops_update(n->d, req, err);
	if (r >= 0) {
		n->updates++;
		return r;
	}
	if (r != -EINVAL && r != -EBUSY)
		return r;
	/* the port keeps nothing that differs: a new VF (or network) */
	log_info("neutron: port %s: %s; binding it again", req->id, err->msg);
	sriov_error_clear(err);
	if (ops_unbind(n->d, req->id, &ret, &e2) < 0)
		return sriov_error_set(err, e2.code, "%s", e2.msg);
	json_decref(ret);
	n->unbinds++;
	r = bind_vf(n, req, err);
	if (r >= 0)
		n->binds++;
	return r;
}

static void refused(struct neutron *n, struct nport *p,
		    const struct sriov_error *err)
{
	n->refused++;
	if (p->sid[0] && strcmp(p->sid, p->id))
		log_err("neutron: port %s refused (as %s): %s", p->id, p->sid,
			err->msg);
	else
		log_err("neutron: port %s refused: %s", p->id, err->msg);
	if (strcmp(p->error, err->msg)) {
		snprintf(p->error, sizeof(p->error), "%s", err->msg);
		n->errors_changed = true;
	}
}

/* sriovd's id of the port: an InfiniBand port is ib-MAC (lower case), so
 * that Nova's ebrctl add-port and the agent bind one port, whichever
 * comes first, and the second finds it (or updates it in place). */
static void port_sid(struct nport *p, bool ib, const json_t *dt)
{
	const char *mac = json_string_value(json_object_get(dt, "mac_address"));
	size_t i;

	if (!ib || !mac || strlen(mac) != 17) {
		snprintf(p->sid, sizeof(p->sid), "%s", p->id);
		return;
	}
	snprintf(p->sid, sizeof(p->sid), "ib-%s", mac);
	for (i = 3; p->sid[i]; i++)
		if (p->sid[i] >= 'A' && p->sid[i] <= 'Z')
			p->sid[i] = (char)(p->sid[i] - 'A' + 'a');
}

/* One entry of get_devices_details_list's answer. */
static void apply_details(struct neutron *n, const json_t *dt)
{
	const char *dev = json_string_value(json_object_get(dt, "device"));
	const char *pid = json_string_value(json_object_get(dt, "port_id"));
	struct sriov_port_request req;
	struct neutron_port_info info;
	struct sriov_error err = { 0 };
	const char *qos;
	struct nport *p;

	if (!dev) {
		log_err("neutron: get_devices_details_list: an entry without 'device'");
		return;
	}
	if (json_object_get(dt, "no_active_binding"))
		return; /* a binding not yet active here: activate tells */
	if (!pid) {
		/* not bound to this host (any more): Neutron has no port to
		 * give details of */
		gone(n, dev, "is not bound here any more");
		return;
	}
	p = port_find(n, dev);
	if (!p || strcmp(pid, dev))
		return;
	qos = json_string_value(json_object_get(dt, "qos_policy_id"));
	if (!qos)
		qos = json_string_value(
			json_object_get(dt, "qos_network_policy_id"));
	snprintf(p->qos, sizeof(p->qos), "%s", qos ? qos : "");
	info = (struct neutron_port_info){
		.id = p->sid,
		.vnic_type = p->vnic,
		.policy = qos ? json_object_get(n->policies, qos) : NULL,
	};
	if (info.policy && !json_is_object(info.policy)) {
		sriov_error_set(&err, -EIO,
				"its qos policy %s could not be read", qos);
		goto refuse;
	}
	if (p->vif_type[0])
		info.infiniband = !strcmp(p->vif_type, "ib_hostdev");
	else
		info.infiniband = physnet_ib(
			n,
			json_string_value(json_object_get(dt, "physical_network")) ?:
				"");
	port_sid(p, info.infiniband, dt);
	if (neutron_port_request(&n->d->cfg, dt, &info, &req, NULL, &err) < 0 ||
	    apply_request(n, &req, &err) < 0)
		goto refuse;
	if (p->error[0])
		n->errors_changed = true;
	p->error[0] = '\0';
	json_array_append_new(
		json_is_true(json_object_get(dt, "admin_state_up")) ? n->up :
								      n->down,
		json_string(p->id));
	return;
refuse:
	refused(n, p, &err);
	json_array_append_new(n->down, json_string(p->id));
}

static void start_devlist(struct neutron *n)
{
	json_t *args;
	size_t i;
	json_t *dt;

	n->up = json_array();
	n->down = json_array();
	json_array_foreach(n->details, i, dt)
		apply_details(n, dt);
	if (!json_array_size(n->up) && !json_array_size(n->down)) {
		n->phase = IDLE;
		return;
	}
	args = json_pack("{s:O,s:O,s:s,s:s,s:b}", "devices_up", n->up,
			 "devices_down", n->down, "agent_id", n->agent_id,
			 "host", n->host, "refresh_tunnels", 0);
	n->phase = DEVLIST;
	if (call(n, "1.9", "update_device_list", args) < 0)
		retry_later(n, "update_device_list", NULL);
}

/* The next QoS policy the batch needs, or the device list. */
static void next_pull(struct neutron *n)
{
	size_t i;
	json_t *dt;

	json_array_foreach(n->details, i, dt) {
		const char *q =
			json_string_value(json_object_get(dt, "qos_policy_id"));

		if (!q)
			q = json_string_value(
				json_object_get(dt, "qos_network_policy_id"));
		if (q && !json_object_get(n->policies, q)) {
			json_t *args = json_pack("{s:s,s:s,s:s}",
						 "resource_type", "QosPolicy",
						 "version",
						 NEUTRON_QOS_POLICY_VERSION,
						 "resource_id", q);

			snprintf(n->pulling, sizeof(n->pulling), "%s", q);
			n->phase = PULL;
			if (call(n, "1.1", "pull", args) < 0)
				retry_later(n, "pull", NULL);
			return;
		}
	}
	start_devlist(n);
}

static void start_details(struct neutron *n)
{
	json_t *args;

	n->batch = json_array();
	for (size_t i = 0;
	     i < n->n_ports && json_array_size(n->batch) < BATCH_MAX; i++) {
		if (!n->ports[i].pending)
			continue;
		n->ports[i].pending = false;
		json_array_append_new(n->batch, json_string(n->ports[i].id));
	}
	args = json_pack("{s:O,s:s,s:s}", "devices", n->batch, "agent_id",
			 n->agent_id, "host", n->host);
	n->phase = DETAILS;
	if (call(n, "1.9", "get_devices_details_list", args) < 0)
		retry_later(n, "get_devices_details_list", NULL);
}

static void start_resync(struct neutron *n)
{
	static const char *const vnic[] = { "direct", "macvtap" };
	json_t *args;

	if (n->resync_round == 0) {
		n->resync_wanted = false;
		json_decref(n->resync);
		n->resync = json_object();
		n->resyncs++;
	}
	args = json_pack("{s:s,s:s}", "vnic_type", vnic[n->resync_round],
			 "host", n->host);
	n->phase = RESYNC;
	if (call(n, "1.7", "get_ports_by_vnic_type_and_host", args) < 0)
		retry_later(n, "get_ports_by_vnic_type_and_host", NULL);
}

static const char *str_or(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* What of a port dict the VF's settings are made of. */
static void port_sig(const json_t *port, char *sig, size_t size)
{
	char *prof = json_dumps(json_object_get(port, "binding:profile"),
				JSON_SORT_KEYS | JSON_COMPACT);

	snprintf(sig, size, "%s|%s|%s|%s|%s|%s|%s|%d|%d|%s",
		 str_or(port, "binding:host_id"),
		 str_or(port, "binding:vnic_type"),
		 str_or(port, "binding:vif_type"), str_or(port, "network_id"),
		 str_or(port, "mac_address"), str_or(port, "qos_policy_id"),
		 str_or(port, "qos_network_policy_id"),
		 !json_is_false(json_object_get(port, "admin_state_up")),
		 !json_is_false(json_object_get(port, "port_security_enabled")),
		 prof ? prof : "");
	free(prof);
}

/* A port dict (port_update's, a push's, a resync's): is it ours to serve?
 * @resync: whatever was known, ask again. */
static void port_dict(struct neutron *n, const json_t *port, const char *from,
		      bool resync)
{
	char sig[sizeof(((struct nport *)0)->sig)];
	const char *id = json_string_value(json_object_get(port, "id"));
	const char *host =
		json_string_value(json_object_get(port, "binding:host_id"));
	const char *vnic =
		json_string_value(json_object_get(port, "binding:vnic_type"));
	const char *vif =
		json_string_value(json_object_get(port, "binding:vif_type"));
	const char *net =
		json_string_value(json_object_get(port, "network_id"));
	const json_t *prof = json_object_get(port, "binding:profile");
	struct nport *p;

	if (!id || !neutron_is_uuid(id)) {
		log_warn("neutron: %s: a port without a valid 'id'; ignored",
			 from);
		return;
	}
	/* a binding that failed (or none yet) has no VF to configure; asking
	 * its details would only make the server try to bind it again, and
	 * push it again: a loop */
	if (!host || strcmp(host, n->host) || !vnic ||
	    (strcmp(vnic, "direct") && strcmp(vnic, "macvtap")) ||
	    (vif &&
	     (!strcmp(vif, "binding_failed") || !strcmp(vif, "unbound")))) {
		if (port_find(n, id) || store_has(n, id))
			gone(n, id, "is bound elsewhere or unbound");
		return;
	}
	if (!json_is_string(json_object_get(prof, "pci_slot"))) {
		log_warn(
			"neutron: %s: port %s has no pci_slot in its binding profile (Nova writes the VF it chose there); ignored",
			from, id);
		return;
	}
	/* a port's casts and pushes say the same more than once, and its
	 * status changes (ours among them) push too: only a change of what
	 * its settings are made of starts a round, or it would never end */
	port_sig(port, sig, sizeof(sig));
	p = port_find(n, id);
	if (p && !resync && !strcmp(p->sig, sig))
		return;
	p = port_add(n, id);
	if (!p)
		return;
	snprintf(p->sig, sizeof(p->sig), "%s", sig);
	snprintf(p->vnic, sizeof(p->vnic), "%s", vnic);
	snprintf(p->vif_type, sizeof(p->vif_type), "%s", vif ? vif : "");
	snprintf(p->network, sizeof(p->network), "%s", net ? net : "");
	p->pending = true;
}

/* The resync's two answers: every port Neutron binds here. */
static void resync_done(struct neutron *n)
{
	struct sriov_store_port *sp = NULL;
	size_t nsp = 0;
	const char *id;
	json_t *port;

	/* what is no longer Neutron's here goes back */
	for (size_t i = 0; i < n->n_ports;) {
		if (!json_object_get(n->resync, n->ports[i].id)) {
			char gid[40];

			snprintf(gid, sizeof(gid), "%s", n->ports[i].id);
			gone(n, gid, "is not bound here any more");
			continue;
		}
		i++;
	}
	if (sriov_store_list_ports(n->d->store, &sp, &nsp, NULL) == 0) {
		for (size_t i = 0; i < nsp; i++) {
			if (neutron_is_uuid(sp[i].id) &&
			    !json_object_get(n->resync, sp[i].id))
				gone(n, sp[i].id, "is not bound here any more");
			sriov_store_port_release(&sp[i]);
		}
		free(sp);
	}
	log_info("neutron: resync: %zu ports of Neutron's on host %s",
		 json_object_size(n->resync), n->host);
	json_object_foreach(n->resync, id, port)
		port_dict(n, port, "resync", true);
	json_decref(n->resync);
	n->resync = NULL;
	n->phase = IDLE;
	if (n->cfg->resync_interval)
		n->next_resync = mono_ms() + n->cfg->resync_interval * 1000ull;
}

static void call_done(struct sriov_rpc *rpc, int status, json_t *result,
		      const struct sriov_error *err, void *data)
{
	struct neutron *n = data;
	size_t i;
	json_t *v;

	(void)rpc;
	if (status == -ECANCELED)
		return; /* sriov_rpc_free(): the agent is going */
	if (status < 0) {
		retry_later(n,
			    n->phase == RESYNC	? "resync" :
			    n->phase == DETAILS ? "get_devices_details_list" :
			    n->phase == PULL	? "pull" :
						  "update_device_list",
			    err);
		return;
	}
	n->received++;
	n->backoff_ms = RETRY_MIN_MS;
	switch (n->phase) {
	case RESYNC:
		if (!json_is_array(result)) {
			log_err("neutron: get_ports_by_vnic_type_and_host: the answer is not a list");
			result = NULL;
		}
		json_array_foreach(result, i, v) {
			const char *id =
				json_string_value(json_object_get(v, "id"));

			if (json_is_object(v) && id)
				json_object_set(n->resync, id, v);
		}
		if (++n->resync_round < 2) {
			start_resync(n);
			return;
		}
		n->resync_round = 0;
		resync_done(n);
		return;
	case DETAILS:
		if (!json_is_array(result)) {
			log_err("neutron: get_devices_details_list: the answer is not a list");
			result = json_array();
		} else {
			json_incref(result);
		}
		n->details = result;
		n->policies = json_object();
		next_pull(n);
		return;
	case PULL:
		/* not found (null) or not an object: its ports are refused */
		if (json_is_object(result)) {
			json_object_set(n->policies, n->pulling, result);
		} else {
			log_err("neutron: pull of qos policy %s: no such policy",
				n->pulling);
			json_object_set_new(n->policies, n->pulling,
					    json_false());
		}
		next_pull(n);
		return;
	case DEVLIST:
		json_decref(n->batch);
		json_decref(n->details);
		json_decref(n->policies);
		json_decref(n->up);
		json_decref(n->down);
		n->batch = n->details = n->policies = n->up = n->down = NULL;
		n->phase = IDLE;
		if (n->errors_changed) {
			/* Neutron learns of refusals now, after the device
			 * list said DOWN (our ML2 driver then says ERROR) */
			n->errors_changed = false;
			report(n);
		}
		return;
	case IDLE:
		return;
	}
}

/* ---- what the server casts and pushes ---- */

/* A pushed Port versioned object, as a port dict: its active binding. */
static void port_vo(struct neutron *n, const json_t *vo, bool deleted)
{
	const json_t *data = json_object_get(vo, "versioned_object.data");
	const char *id = json_string_value(json_object_get(data, "id"));
	const json_t *sec = json_object_get(json_object_get(data, "security"),
					    "versioned_object.data");
	json_t *port, *bindings = json_object_get(data, "bindings"), *b;
	size_t i;

	if (!id || !neutron_is_uuid(id)) {
		log_warn("neutron: push: a Port without a valid 'id'; ignored");
		return;
	}
	if (deleted) {
		gone(n, id, "was deleted");
		return;
	}
	port = json_pack(
		"{s:s,s:O?,s:O?,s:O?,s:O?,s:O?,s:O?}", "id", id, "network_id",
		json_object_get(data, "network_id"), "mac_address",
		json_object_get(data, "mac_address"), "admin_state_up",
		json_object_get(data, "admin_state_up"), "qos_policy_id",
		json_object_get(data, "qos_policy_id"), "qos_network_policy_id",
		json_object_get(data, "qos_network_policy_id"),
		"port_security_enabled",
		json_object_get(sec, "port_security_enabled"));
	json_array_foreach(bindings, i, b) {
		const json_t *bd = json_object_get(b, "versioned_object.data");
		const char *st =
			json_string_value(json_object_get(bd, "status"));
		const char *prof =
			json_string_value(json_object_get(bd, "profile"));

		if (!st || strcmp(st, "ACTIVE"))
			continue;
		json_object_set(port, "binding:host_id",
				json_object_get(bd, "host"));
		json_object_set(port, "binding:vnic_type",
				json_object_get(bd, "vnic_type"));
		json_object_set(port, "binding:vif_type",
				json_object_get(bd, "vif_type"));
		/* the profile is a JSON text in the object */
		json_object_set_new(port, "binding:profile",
				    prof ? json_loads(prof, 0, NULL) :
					   json_object());
	}
	if (port)
		port_dict(n, port, "push", false);
	json_decref(port);
}

static void on_push(struct neutron *n, const json_t *args)
{
	const json_t *list = json_object_get(args, "resource_list"), *vo;
	const char *ev = json_string_value(json_object_get(args, "event_type"));
	size_t i;

	if (!json_is_array(list) || !ev) {
		log_err("neutron: push: no resource_list or event_type; ignored");
		return;
	}
	json_array_foreach(list, i, vo) {
		const char *name = json_string_value(
			json_object_get(vo, "versioned_object.name"));
		const json_t *data =
			json_object_get(vo, "versioned_object.data");
		const char *id = json_string_value(json_object_get(data, "id"));

		if (!name || !json_is_object(data)) {
			log_err("neutron: push: resource %zu is not a versioned object; ignored",
				i);
			continue;
		}
		if (!strcmp(name, "Port")) {
			port_vo(n, vo, !strcmp(ev, "deleted"));
		} else if (!strcmp(name, "QosPolicy") && id) {
			/* its ports are asked again (and the policy pulled) */
			for (size_t k = 0; k < n->n_ports; k++)
				if (!strcmp(n->ports[k].qos, id))
					n->ports[k].pending = true;
		}
	}
}

static void on_request(struct sriov_rpc *rpc, const struct sriov_rpc_msg *m,
		       void *data)
{
	struct neutron *n = data;
	const json_t *a = m->args;

	n->received++;
	if (!strcmp(m->method, "port_update")) {
		const json_t *port = json_object_get(a, "port");

		if (!json_is_object(port))
			log_err("neutron: port_update: 'port' is not an object; ignored");
		else
			port_dict(n, port, "port_update", false);
	} else if (!strcmp(m->method, "port_delete")) {
		const char *id =
			json_string_value(json_object_get(a, "port_id"));

		if (!id || !neutron_is_uuid(id))
			log_err("neutron: port_delete: no valid 'port_id'; ignored");
		else
			gone(n, id, "was deleted");
	} else if (!strcmp(m->method, "network_update")) {
		const char *id = json_string_value(
			json_object_get(json_object_get(a, "network"), "id"));

		if (!id)
			log_err("neutron: network_update: no network 'id'; ignored");
		for (size_t i = 0; id && i < n->n_ports; i++)
			if (!strcmp(n->ports[i].network, id))
				n->ports[i].pending = true;
	} else if (!strcmp(m->method, "binding_activate")) {
		const char *host =
			json_string_value(json_object_get(a, "host"));
		const char *id =
			json_string_value(json_object_get(a, "port_id"));
		struct nport *p = id ? port_find(n, id) : NULL;

		if (host && !strcmp(host, n->host)) {
			if (p)
				p->pending = true;
			else /* its vnic type and profile are not known */
				n->resync_wanted = true;
		}
	} else if (!strcmp(m->method, "binding_deactivate")) {
		/* NOOP, as the stock agent: the activation elsewhere tells */
	} else if (!strcmp(m->method, "push")) {
		on_push(n, a);
	} else {
		log_warn("neutron: %s: not a method of the agent; ignored",
			 m->method);
	}
	if (m->reply_q && m->msg_id) {
		/* nothing calls an L2 agent; answer so no caller hangs */
		char *failure = NULL;
		struct sriov_error err = { 0 };

		if (sriov_rpc_failure_encode(
			    "NoSuchMethod", "oslo_messaging.rpc.dispatcher",
			    "sriovd serves no calls", &failure, &err) == 0 &&
		    sriov_rpc_reply(rpc, m->reply_q, m->msg_id, NULL, failure,
				    &err) == 0)
			n->sent++;
		free(failure);
	}
}

static void on_event(struct sriov_rpc *rpc,
		     const struct sriov_rpc_event_info *ev, void *data)
{
	struct neutron *n = data;

	(void)rpc;
	switch (ev->event) {
	case SRIOV_RPC_CONNECTED:
		log_info("neutron: connected to %s%s", ev->host,
			 ev->reconnect ? " again; resyncing" : "");
		if (ev->reconnect)
			n->reconnects++;
		/* what happened meanwhile is not known: everything again */
		n->resync_wanted = true;
		n->retry_at = 0;
		n->next_report = 0;
		break;
	case SRIOV_RPC_DISCONNECTED:
		log_warn("neutron: %s: %s; next attempt in %u ms",
			 ev->host ? ev->host : "broker", ev->reason,
			 ev->delay_ms);
		break;
	case SRIOV_RPC_DROPPED:
		n->dropped++;
		log_err("neutron: a message was refused: %s", ev->reason);
		break;
	}
}

/* ---- the daemon's side ---- */

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

int neutron_start(struct daemon *d, struct sriov_error *err)
{
	const struct sriov_daemon_neutron *nc = &d->cfg.neutron;
	struct sriov_rpc_config rc = { 0 };
	struct sriov_error e = { 0 };
	struct neutron *n;
	int r;

	if (!nc->enabled)
		return 0;
	r = neutron_check_config(&d->cfg, err);
	if (r < 0)
		return r;
	n = calloc(1, sizeof(*n));
	if (!n)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	n->d = d;
	n->cfg = nc;
	if (nc->host)
		snprintf(n->host, sizeof(n->host), "%s", nc->host);
	else if (gethostname(n->host, sizeof(n->host) - 1) < 0)
		snprintf(n->host, sizeof(n->host), "localhost");
	snprintf(n->agent_id, sizeof(n->agent_id), "sriovd.%s", n->host);
	n->context = admin_context();
	n->start_flag = true;
	n->resync_wanted = true;
	n->backoff_ms = RETRY_MIN_MS;
	sriov_rpc_url_init(&n->url);
	r = sriov_rpc_url_parse(&n->url, nc->transport_url, err);
	if (r >= 0) {
		rc = (struct sriov_rpc_config){
			.url = &n->url,
			.exchange = nc->control_exchange,
			.on_event = on_event,
			.on_request = on_request,
			.data = n,
		};
		r = sriov_rpc_new(&rc, &n->rpc, err);
	}
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(listen_topics); i++)
		r = sriov_rpc_listen(n->rpc, listen_topics[i], n->host, err);
	if (r < 0) {
		d->neutron = n;
		neutron_stop(d);
		return r;
	}
	d->neutron = n;
	log_info("neutron: agent '%s' of host %s, exchange %s", n->agent_id,
		 n->host, nc->control_exchange);
	/* not reachable yet: the rpc layer retries, with back-off */
	if (sriov_rpc_connect(n->rpc, &e) < 0)
		log_warn("neutron: %s; retrying", e.msg);
	return 0;
}

void neutron_stop(struct daemon *d)
{
	struct neutron *n = N(d);

	if (!n)
		return;
	if (n->rpc)
		sriov_rpc_free(n->rpc);
	sriov_rpc_url_release(&n->url);
	json_decref(n->context);
	json_decref(n->resync);
	json_decref(n->batch);
	json_decref(n->details);
	json_decref(n->policies);
	json_decref(n->up);
	json_decref(n->down);
	free(n->ports);
	free(n);
	d->neutron = NULL;
}

int neutron_fd(const struct daemon *d)
{
	return N(d) ? sriov_rpc_fd(N(d)->rpc) : -1;
}

/* What is due next of ours: a report, a resync, a retry, work. */
static uint64_t next_due(const struct neutron *n)
{
	uint64_t t = UINT64_MAX;

	if (!sriov_rpc_connected(n->rpc))
		return t;
	t = n->next_report;
	if (n->phase == IDLE) {
		uint64_t w = n->retry_at;

		if (n->resync_wanted || pending_any(n)) {
			if (w < t)
				t = w;
		} else if (n->cfg->resync_interval && n->next_resync < t) {
			t = n->next_resync;
		}
	}
	return t;
}

int neutron_timeout_ms(const struct daemon *d)
{
	const struct neutron *n = N(d);
	uint64_t due, now;
	int r;

	if (!n)
		return -1;
	r = sriov_rpc_timeout_ms(n->rpc);
	due = next_due(n);
	if (due == UINT64_MAX)
		return r;
	now = mono_ms();
	if (due <= now)
		return 0;
	if (r < 0 || due - now < (uint64_t)r)
		return due - now > 60000 ? 60000 : (int)(due - now);
	return r;
}

void neutron_step(struct daemon *d)
{
	struct neutron *n = N(d);
	struct sriov_error err = { 0 };
	uint64_t now;

	if (!n)
		return;
	if (sriov_rpc_step(n->rpc, 0, &err) < 0)
		log_err("neutron: %s", err.msg);
	if (!sriov_rpc_connected(n->rpc))
		return;
	now = mono_ms();
	if (now >= n->next_report)
		report(n);
	if (n->phase != IDLE || now < n->retry_at)
		return;
	if (n->cfg->resync_interval && now >= n->next_resync && n->next_resync)
		n->resync_wanted = true;
	if (n->resync_wanted)
		start_resync(n);
	else if (pending_any(n))
		start_details(n);
}

void neutron_metrics(struct daemon *d, FILE *f)
{
	struct neutron *n = N(d);
	size_t errors = 0;

	if (!n)
		return;
	for (size_t i = 0; i < n->n_ports; i++)
		errors += n->ports[i].error[0] != '\0';
	fprintf(f,
		"# HELP sriovd_neutron_connected 1 while the agent is connected to the broker.\n"
		"# TYPE sriovd_neutron_connected gauge\n"
		"sriovd_neutron_connected %d\n"
		"# HELP sriovd_neutron_messages_total RPC messages the agent sent and received.\n"
		"# TYPE sriovd_neutron_messages_total counter\n"
		"sriovd_neutron_messages_total{direction=\"sent\"} %llu\n"
		"sriovd_neutron_messages_total{direction=\"received\"} %llu\n"
		"sriovd_neutron_messages_total{direction=\"refused\"} %llu\n"
		"# HELP sriovd_neutron_ports_total What Neutron's ports asked, by outcome.\n"
		"# TYPE sriovd_neutron_ports_total counter\n"
		"sriovd_neutron_ports_total{outcome=\"bound\"} %llu\n"
		"sriovd_neutron_ports_total{outcome=\"updated\"} %llu\n"
		"sriovd_neutron_ports_total{outcome=\"unbound\"} %llu\n"
		"sriovd_neutron_ports_total{outcome=\"refused\"} %llu\n"
		"# HELP sriovd_neutron_resyncs_total Full resyncs with neutron-server.\n"
		"# TYPE sriovd_neutron_resyncs_total counter\n"
		"sriovd_neutron_resyncs_total %llu\n"
		"# HELP sriovd_neutron_reconnects_total Connections to the broker made again after a loss.\n"
		"# TYPE sriovd_neutron_reconnects_total counter\n"
		"sriovd_neutron_reconnects_total %llu\n"
		"# HELP sriovd_neutron_port_errors Ports whose refusal Neutron is told of.\n"
		"# TYPE sriovd_neutron_port_errors gauge\n"
		"sriovd_neutron_port_errors %zu\n",
		sriov_rpc_connected(n->rpc), (unsigned long long)n->sent,
		(unsigned long long)n->received, (unsigned long long)n->dropped,
		(unsigned long long)n->binds, (unsigned long long)n->updates,
		(unsigned long long)n->unbinds, (unsigned long long)n->refused,
		(unsigned long long)n->resyncs,
		(unsigned long long)n->reconnects, errors);
}
