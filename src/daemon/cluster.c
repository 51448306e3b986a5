/* SPDX-License-Identifier: MIT */
/*
 * sriovd in the cluster (docs/cluster.md): the etcd client, the host's
 * lease kept alive from the poll loop, the inventory, and the full
 * republication of what SQLite holds (at start, after a lost lease, once
 * the store answers again after a failed publication). The bindings
 * themselves are published and claimed by the core's transactions
 * (port_cluster.c) with the lease kept here.
 *
 * Nothing here waits for the store longer than its timeouts (connect and
 * request, per endpoint): a store that does not answer is tried again
 * with a backoff, and until then publications are left pending, shown in
 * health and in the metrics. The lease's id is kept in state_dir, so a
 * sriovd restarted within lease_ttl keeps its keys: the fabric does not
 * see its ports leave and come back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sriovd.h"
#include "util/macro.h"
#include "util/banned.h"

#define RETRY_MIN_MS 250

static unsigned keepalive_ms(const struct daemon *d)
{
	unsigned ms = d->cfg.cluster.lease_ttl * 1000u / 3;

	return ms < 500 ? 500 : ms;
}

static void lease_path(const struct daemon *d, char *buf, size_t size)
{
	snprintf(buf, size, "%s/cluster.lease", d->cfg.state_dir);
}

/* "HOST LEASE": the lease a previous run of this host left. */
static int64_t lease_load(const struct daemon *d)
{
	char path[4200], host[SRIOV_CLUSTER_ID_MAX];
	long long id = 0;
	FILE *f;

	lease_path(d, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%127s %lld", host, &id) != 2 ||
	    strcmp(host, d->cluster.pc.host) || id <= 0)
		id = 0;
	fclose(f);
	return id;
}

static void lease_save(const struct daemon *d, int64_t id)
{
	char path[4200], tmp[4300];
	FILE *f;
	bool ok;

	lease_path(d, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		log_warn(
			"cluster: cannot write %s: %s (a restart will take a new lease)",
			tmp, strerror(errno));
		return;
	}
	ok = fprintf(f, "%s %" PRId64 "\n", d->cluster.pc.host, id) > 0;
	if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
		log_warn(
			"cluster: cannot write %s: %s (a restart will take a new lease)",
			path, strerror(errno));
		unlink(tmp);
	}
}

int cluster_open(struct daemon *d, const char *version, struct sriov_error *err)
{
	const struct sriov_daemon_cluster *cc = &d->cfg.cluster;
	struct cluster *c = &d->cluster;
	struct sriov_etcd_opts o = {
		.endpoints = (const char *const *)cc->etcd,
		.n_endpoints = cc->n_etcd,
		.connect_timeout_ms = cc->connect_timeout_ms,
		.request_timeout_ms = cc->request_timeout_ms,
		.ca_file = cc->ca_file,
		.cert_file = cc->cert_file,
		.key_file = cc->key_file,
	};
	int r;

	if (!sriov_daemon_config_clustered(&d->cfg))
		return 0;
	c->version = version;
	r = sriov_cluster_keys_init(&c->pc.keys, cc->prefix, err);
	if (r >= 0)
		r = sriov_etcd_open(&o, &c->pc.etcd, err);
	if (r < 0) {
		sriov_error_prefix(err, "%s: cluster", d->cfg.path);
		return r;
	}
	snprintf(c->pc.host, sizeof(c->pc.host), "%s", cc->host_id);
	c->pc.lease = lease_load(d);
	c->on = true;
	/* what SQLite holds, published again once the store answers */
	c->need_sync = true;
	c->retry_ms = RETRY_MIN_MS;
	return 0;
}

void cluster_close(struct daemon *d)
{
	/* The lease is not revoked: a sriovd restarted within lease_ttl
	 * keeps its keys; one gone for longer loses them with the lease. */
	if (d->cluster.pc.etcd)
		sriov_etcd_close(d->cluster.pc.etcd);
	d->cluster.pc.etcd = NULL;
	d->cluster.on = false;
}

/* Renew the lease, or take a new one when it is gone (then everything
 * is published again). */
static int lease_renew(struct daemon *d, struct sriov_error *err)
{
	struct cluster *c = &d->cluster;
	int64_t id = 0, ttl = 0;
	int r = -ENOENT;

	if (c->pc.lease)
		r = sriov_etcd_lease_keepalive(c->pc.etcd, c->pc.lease, NULL,
					       err);
	if (r != -ENOENT)
		return r;
	if (c->pc.lease)
		log_warn(
			"cluster: lease %lld has expired: its ports and claims are gone; taking a new one and publishing again",
			(long long)c->pc.lease);
	c->pc.lease = 0;
	sriov_error_clear(err);
	r = sriov_etcd_lease_grant(c->pc.etcd, d->cfg.cluster.lease_ttl, &id,
				   &ttl, err);
	if (r < 0)
		return r;
	c->pc.lease = id;
	c->grants++;
	c->need_sync = true;
	lease_save(d, id);
	log_info("cluster: host %s, lease %lld (ttl %lld s)", c->pc.host,
		 (long long)id, (long long)ttl);
	return 0;
}

static void failed(struct daemon *d, const char *what,
		   const struct sriov_error *e)
{
	struct cluster *c = &d->cluster;

	c->errors++;
	if (!c->pc.unreachable || strcmp(c->last_error, e->msg))
		log_warn("cluster: %s: %s (retrying in %u ms)", what, e->msg,
			 c->retry_ms);
	snprintf(c->last_error, sizeof(c->last_error), "%s: %s", what, e->msg);
	c->pc.unreachable = true;
	c->next_ms = mono_ms() + c->retry_ms;
	c->retry_ms = c->retry_ms * 2 > keepalive_ms(d) ? keepalive_ms(d) :
							  c->retry_ms * 2;
}

static void answered(struct daemon *d)
{
	struct cluster *c = &d->cluster;

	if (c->pc.unreachable && c->last_error[0])
		log_info("cluster: the store answers again");
	c->pc.unreachable = false;
	c->last_error[0] = '\0';
	c->retry_ms = RETRY_MIN_MS;
}

int cluster_ready(struct daemon *d, struct sriov_error *err)
{
	int r = lease_renew(d, err);

	if (r < 0) {
		failed(d, "lease", err);
		return r;
	}
	answered(d);
	if (d->cluster.need_sync)
		d->cluster.next_ms = 0; /* the loop publishes right away */
	return 0;
}

void cluster_pending(struct daemon *d)
{
	struct cluster *c = &d->cluster;
	uint64_t soon = mono_ms() + c->retry_ms;

	c->need_sync = true;
	c->pending_events++;
	if (soon < c->next_ms)
		c->next_ms = soon;
}

void cluster_changed(struct daemon *d)
{
	if (d->cluster.on)
		d->cluster.host_dirty = true;
}

int cluster_timeout(const struct daemon *d, uint64_t now)
{
	const struct cluster *c = &d->cluster;
	uint64_t due = c->host_dirty && !c->pc.unreachable ? now : c->next_ms;

	if (!c->on)
		return -1;
	return due <= now ? 0 : due - now > 60000 ? 60000 : (int)(due - now);
}

void cluster_tick(struct daemon *d)
{
	struct cluster *c = &d->cluster;
	struct sriov_port_ctx ctx;
	struct sriov_port_cluster_stats st;
	struct sriov_error e = { 0 };
	uint64_t now = mono_ms();

	if (!c->on ||
	    (now < c->next_ms && !(c->host_dirty && !c->pc.unreachable)))
		return;
	if (lease_renew(d, &e) < 0) {
		failed(d, "lease", &e);
		return;
	}
	answered(d);
	ctx = ops_port_ctx(d);
	if (c->need_sync) {
		if (sriov_port_cluster_sync(&ctx, c->version, &st, &e) < 0) {
			failed(d, "publishing", &e);
			return;
		}
		c->need_sync = false;
		c->host_dirty = false;
		c->syncs++;
		c->conflicts += st.conflicts;
		c->conflicts_now = st.conflicts;
		c->last_sync = (int64_t)time(NULL);
		log_info(
			"cluster: published host %s: %u port(s); %u stale key(s) deleted; %u conflict(s)",
			c->pc.host, st.published, st.deleted, st.conflicts);
	} else if (c->host_dirty) {
		if (sriov_port_cluster_publish_host(&ctx, c->version, &e) < 0) {
			failed(d, "publishing the inventory", &e);
			return;
		}
		c->host_dirty = false;
	}
	c->next_ms = mono_ms() + keepalive_ms(d);
}

json_t *cluster_health(const struct daemon *d)
{
	const struct cluster *c = &d->cluster;
	json_t *o;
	const char *status;

	if (!c->on)
		return json_null();
	status = !c->pc.lease || c->pc.unreachable ? "unreachable" :
		 c->need_sync			   ? "pending" :
						     "ok";
	o = json_object();
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "host_id", json_string(c->pc.host));
	json_object_set_new(o, "lease",
			    c->pc.lease ? json_integer(c->pc.lease) :
					  json_null());
	json_object_set_new(o, "publication_pending",
			    json_boolean(c->need_sync));
	json_object_set_new(o, "last_error",
			    c->last_error[0] ? json_string(c->last_error) :
					       json_null());
	json_object_set_new(o, "last_sync",
			    c->last_sync ? json_integer(c->last_sync) :
					   json_null());
	json_object_set_new(o, "guid_conflicts",
			    json_integer((json_int_t)c->conflicts_now));
	return o;
}

bool cluster_degraded(const struct daemon *d, char *why, size_t size)
{
	const struct cluster *c = &d->cluster;

	if (!c->on)
		return false;
	if (!c->pc.lease || c->pc.unreachable) {
		snprintf(
			why, size,
			"cluster store unreachable (%s): InfiniBand binds are refused, Ethernet ones are published once it answers",
			c->last_error[0] ? c->last_error : "no answer yet");
		return true;
	}
	if (c->need_sync) {
		snprintf(why, size,
			 "cluster: publications pending (retried shortly)");
		return true;
	}
	if (c->conflicts_now) {
		snprintf(
			why, size,
			"cluster: %u bound port(s) with a guid another port claims (see the log), not published",
			c->conflicts_now);
		return true;
	}
	return false;
}
