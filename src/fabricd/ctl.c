/* SPDX-License-Identifier: MIT */
/*
 * The controller: follows ports/ with a watch, tells an unbind from a
 * lost host, and, while it leads its fabric's election, renders, checks,
 * installs, signals, verifies and reports. Every write to the store goes
 * in a transaction that holds only in this controller's term; the file is
 * replaced only after a quorum read has shown the term still holds and
 * while the lease is surely alive.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sriov/ib.h>
#include <sriov/opensm.h>

#include "ctl.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

#define TXN_OPS_MAX 100 /* etcd takes 128 operations per transaction */
#define FOREIGN_RECHECK_MS 30000
#define RETRY_MS 500
#define INSTALL_MARGIN_MS 250
#define FILE_MAX (256u << 20)

int64_t fd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t min_due(int64_t a, int64_t b)
{
	if (a <= 0)
		return b;
	if (b <= 0)
		return a;
	return a < b ? a : b;
}

/* ---- the lease and the election ---- */

static int grant(struct ctl *c)
{
	struct sriov_error err = { 0 };
	int64_t t0 = fd_now_ms(), id, ttl;
	int r;

	r = sriov_etcd_lease_grant(c->e, c->o.lease_ttl_s, &id, &ttl, &err);
	if (r < 0) {
		log_warn("cannot get a lease: %s", err.msg);
		c->met.errors_store++;
		c->keepalive_due_ms = fd_now_ms() + RETRY_MS;
		return r;
	}
	c->lease = id;
	c->lease_ttl = ttl;
	c->lease_deadline_ms = t0 + ttl * 1000;
	c->keepalive_due_ms = fd_now_ms() + ttl * 1000 / 3;
	c->campaign_due_ms = fd_now_ms();
	log_debug("lease %" PRId64 " of %" PRId64 " s", id, ttl);
	return 0;
}

static void stop_verify(struct ctl *c)
{
	if (c->verify_pid > 0) {
		kill(c->verify_pid, SIGKILL);
		waitpid(c->verify_pid, NULL, 0);
	}
	if (c->verify_fd >= 0)
		close(c->verify_fd);
	c->verify_pid = 0;
	c->verify_fd = -1;
}

static void depose(struct ctl *c, const char *why)
{
	if (!c->leading)
		return;
	log_warn("no longer leading fabric %s (term %" PRId64 "): %s",
		 c->o.fabric, c->leader.create_revision, why);
	c->leading = false;
	sriov_etcd_leader_release(&c->leader);
	stop_verify(c);
	c->met.depositions++;
	c->campaign_due_ms = fd_now_ms() + RETRY_MS;
}

static void keepalive(struct ctl *c)
{
	struct sriov_error err = { 0 };
	int64_t t0 = fd_now_ms(), ttl;
	int r;

	if (!c->lease) {
		grant(c);
		return;
	}
	r = sriov_etcd_lease_keepalive(c->e, c->lease, &ttl, &err);
	if (r == 0) {
		c->lease_deadline_ms = t0 + ttl * 1000;
		c->keepalive_due_ms = fd_now_ms() + ttl * 1000 / 3;
		return;
	}
	if (r == -ENOENT) {
		log_warn("%s", err.msg);
		depose(c, "its lease expired");
		c->lease = 0;
		grant(c);
		return;
	}
	c->met.errors_store++;
	log_warn("lease keepalive: %s", err.msg);
	c->keepalive_due_ms = fd_now_ms() + RETRY_MS;
}

static int read_status_revision(struct ctl *c, int64_t *ret)
{
	struct sriov_etcd_range_resp r;
	struct sriov_error err = { 0 };
	struct sriov_cluster_fabric_status s;
	int rc;

	*ret = 0;
	rc = sriov_etcd_range(c->e, c->status_key, NULL, &r, &err);
	if (rc < 0) {
		log_warn("%s", err.msg);
		return rc;
	}
	if (r.n_kvs == 1 && sriov_cluster_fabric_status_parse(
				    c->status_key, r.kvs[0].value,
				    r.kvs[0].value_len, &s, NULL) == 0) {
		*ret = s.revision;
		sriov_cluster_fabric_status_release(&s);
	}
	sriov_etcd_range_resp_release(&r);
	return 0;
}

static int sync_store(struct ctl *c);

static void campaign(struct ctl *c)
{
	struct sriov_error err = { 0 };
	struct sriov_etcd_kv holder = { 0 };
	int64_t srev;
	int r;

	if (!c->lease || c->leading)
		return;
	r = sriov_etcd_campaign(c->e, c->leader_key, c->o.id, strlen(c->o.id),
				c->lease, &c->leader, &holder, &err);
	if (r < 0) {
		log_warn("election of fabric %s: %s", c->o.fabric, err.msg);
		c->met.errors_store++;
		c->campaign_due_ms = fd_now_ms() + RETRY_MS;
		return;
	}
	if (r == 0) {
		snprintf(c->holder, sizeof(c->holder), "%.*s",
			 (int)(holder.value_len < sizeof(c->holder) - 1 ?
				       holder.value_len :
				       sizeof(c->holder) - 1),
			 holder.value ? holder.value : "");
		sriov_etcd_kv_release(&holder);
		/* the watch of the key calls sooner when it goes */
		c->campaign_due_ms =
			fd_now_ms() +
			(c->lease_ttl > 0 ? c->lease_ttl : 5) * 500;
		log_debug("fabric %s is led by %s", c->o.fabric, c->holder);
		return;
	}
	c->leading = true;
	c->verified_once = false;
	c->holder[0] = '\0';
	c->met.elections_won++;
	log_notice("leading fabric %s (term %" PRId64 ")", c->o.fabric,
		   c->leader.create_revision);
	/* Never render older than the last leader did. */
	if (read_status_revision(c, &srev) == 0 && srev > c->m.revision) {
		log_info("the last status is of revision %" PRId64
			 ", ahead of this controller's %" PRId64
			 "; reading the store again",
			 srev, c->m.revision);
		sync_store(c);
	}
	c->dirty = true;
	c->dirty_since_ms = c->last_event_ms = fd_now_ms() - 1000000;
}

/* ---- following the store ---- */

static void mark_dirty(struct ctl *c)
{
	int64_t now = fd_now_ms();

	if (!c->dirty)
		c->dirty_since_ms = now;
	c->dirty = true;
	c->last_event_ms = now;
}

static int open_watch(struct ctl *c, struct sriov_etcd_watch **w,
		      const char *key, const char *end, bool prev_kv,
		      int64_t start)
{
	struct sriov_etcd_watch_opts o = { .key = key,
					   .range_end = end,
					   .start_revision = start,
					   .prev_kv = prev_kv };
	struct sriov_error err = { 0 };
	int r;

	if (*w)
		r = sriov_etcd_watch_restart(*w, start, &err);
	else
		r = sriov_etcd_watch_open(c->e, &o, w, &err);
	if (r < 0)
		log_err("watch %s: %s", key, err.msg);
	return r;
}

/* The fabric's keys at @rev: who leads, what the status says. */
static int read_fabric_keys(struct ctl *c, int64_t rev)
{
	struct sriov_etcd_range_opts o = { .revision = rev };
	struct sriov_etcd_range_resp r;
	struct sriov_error err = { 0 };
	int rc;

	rc = sriov_etcd_range(c->e, c->leader_key, &o, &r, &err);
	if (rc < 0) {
		log_warn("%s", err.msg);
		return rc;
	}
	c->holder[0] = '\0';
	if (r.n_kvs == 1 && !c->leading)
		snprintf(c->holder, sizeof(c->holder), "%.*s",
			 (int)(r.kvs[0].value_len < sizeof(c->holder) - 1 ?
				       r.kvs[0].value_len :
				       sizeof(c->holder) - 1),
			 r.kvs[0].value);
	if (r.n_kvs == 0)
		c->campaign_due_ms = fd_now_ms();
	sriov_etcd_range_resp_release(&r);
	return 0;
}

static void free_suspects(struct ctl *c)
{
	for (size_t i = 0; i < c->n_sus; i++)
		free(c->sus[i].value);
	c->n_sus = 0;
}

/* One page of the ports into the model being built. */
static int put_page(struct sriov_etcd_range_resp *page, int64_t revision,
		    void *data)
{
	struct model *m = data;

	(void)revision;
	for (size_t i = 0; i < page->n_kvs; i++)
		if (model_put(m, &page->kvs[i], NULL) < 0)
			return -ENOMEM;
	return 0;
}

/* Read every port at one revision and follow from the next. The model is
 * built apart, page by page as they come, and replaces the old one only
 * when the whole read succeeded. */
static int sync_store(struct ctl *c)
{
	struct sriov_etcd_header h;
	struct sriov_error err = { 0 };
	struct model fresh = c->m;
	int64_t t0 = fd_now_ms();
	int rc;

	memset(&fresh.ports, 0, sizeof(fresh.ports));
	memset(&fresh.held, 0, sizeof(fresh.held));
	memset(&fresh.bad_keys, 0, sizeof(fresh.bad_keys));
	fresh.revision = 0;
	rc = sriov_etcd_range_pages(c->e, c->m.ports_prefix, c->ports_end, 5000,
				    put_page, &fresh, &h, &err);
	if (rc < 0) {
		model_release(&fresh);
		log_warn("cannot read the ports: %s",
			 err.msg[0] ? err.msg : strerror(-rc));
		c->met.errors_store++;
		c->resync_due_ms = fd_now_ms() + RETRY_MS;
		return rc;
	}
	model_release(&c->m);
	c->m = fresh;
	free_suspects(c);
	c->m.revision = h.revision;
	if (read_fabric_keys(c, c->m.revision) < 0) {
		c->resync_due_ms = fd_now_ms() + RETRY_MS;
		return -EAGAIN;
	}
	if (open_watch(c, &c->wp, c->m.ports_prefix, c->ports_end, true,
		       c->m.revision + 1) < 0 ||
	    open_watch(c, &c->wf, c->m.fabric_prefix, c->fabric_end, false,
		       c->m.revision + 1) < 0)
		return -ENOMEM;
	c->synced = true;
	c->resync_due_ms = 0;
	log_info("read %zu port key(s) at revision %" PRId64 " in %" PRId64
		 " ms",
		 c->m.ports.n, c->m.revision, fd_now_ms() - t0);
	mark_dirty(c);
	c->dirty_since_ms = c->last_event_ms = t0 - 1000000;
	return 0;
}

static void drop_suspect(struct ctl *c, const char *id)
{
	for (size_t i = 0; i < c->n_sus; i++)
		if (!strcmp(c->sus[i].id, id)) {
			free(c->sus[i].value);
			c->sus[i] = c->sus[--c->n_sus];
			return;
		}
}

static void drop_lost(struct ctl *c, const char *id)
{
	struct lost *l = map_del(&c->lost, id);

	if (l) {
		free(l->value);
		free(l);
	}
}

static int add_suspect(struct ctl *c, const char *id,
		       const struct sriov_etcd_kv *prev)
{
	struct suspect *s;

	drop_suspect(c, id);
	if (grow_array((void **)&c->sus, &c->sus_cap, c->n_sus,
		       sizeof(*c->sus)) < 0)
		return -ENOMEM;
	s = &c->sus[c->n_sus];
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->value = malloc(prev->value_len + 1);
	if (!s->value)
		return -ENOMEM;
	memcpy(s->value, prev->value, prev->value_len);
	s->value[prev->value_len] = '\0';
	s->len = prev->value_len;
	s->lease = prev->lease;
	s->since_ms = fd_now_ms();
	c->n_sus++;
	return 0;
}

static int port_event(struct ctl *c, struct sriov_etcd_event *ev)
{
	char id[SRIOV_CLUSTER_ID_MAX];
	const char *pid = model_port_id(&c->m, ev->kv.key, ev->kv.key_len, id);
	struct fd_port *old = NULL;
	const struct fd_port *now;
	bool relevant;
	int r;

	if (ev->type == SRIOV_ETCD_EVENT_PUT) {
		r = model_put(&c->m, &ev->kv, &old);
		if (r < 0)
			return r;
		now = pid ? map_get(&c->m.ports, pid) : NULL;
		relevant = !pid || (old && old->kind != FD_ETHERNET) ||
			   (now && now->kind != FD_ETHERNET);
		if (pid) {
			/* the port is back: its record is the truth again */
			drop_suspect(c, pid);
			drop_lost(c, pid);
		}
	} else {
		r = model_delete(&c->m, ev->kv.key, ev->kv.key_len, &old);
		if (r < 0)
			return r;
		relevant = !pid || (old && old->kind != FD_ETHERNET);
		if (pid && old && old->kind == FD_OURS) {
			if (c->o.grace_s && old->lease && ev->has_prev_kv) {
				r = add_suspect(c, pid, &ev->prev_kv);
				if (r < 0) {
					fd_port_free(old);
					return r;
				}
			} else {
				c->met.unbinds++;
				log_info(
					"port %s left fabric %s (key deleted%s)",
					pid, c->o.fabric,
					old->lease ? "" : ", no lease");
			}
		}
	}
	fd_port_free(old);
	if (ev->revision > c->m.revision)
		c->m.revision = ev->revision;
	if (relevant)
		mark_dirty(c);
	return 0;
}

static void fabric_event(struct ctl *c, struct sriov_etcd_event *ev)
{
	bool is_leader = ev->kv.key_len == strlen(c->leader_key) &&
			 !memcmp(ev->kv.key, c->leader_key, ev->kv.key_len);

	if (is_leader) {
		if (ev->type == SRIOV_ETCD_EVENT_DELETE) {
			c->holder[0] = '\0';
			if (c->leading)
				depose(c, "the election key was deleted");
			c->campaign_due_ms = fd_now_ms();
		} else if (c->leading && ev->kv.create_revision !=
						 c->leader.create_revision) {
			depose(c, "the election key was made anew");
		} else if (!c->leading) {
			snprintf(c->holder, sizeof(c->holder), "%.*s",
				 (int)(ev->kv.value_len <
						       sizeof(c->holder) - 1 ?
					       ev->kv.value_len :
					       sizeof(c->holder) - 1),
				 ev->kv.value);
		}
		return;
	}
	if (model_is_held_key(&c->m, ev->kv.key, ev->kv.key_len)) {
		const char *id = ev->kv.key + strlen(c->m.held_prefix);

		/* the leader holds it now: this standby may forget it */
		if (ev->type == SRIOV_ETCD_EVENT_PUT)
			drop_lost(c, id);
		mark_dirty(c);
	}
}

static int drain(struct ctl *c, struct sriov_etcd_watch *w, bool ports)
{
	struct sriov_etcd_event ev;
	struct sriov_error err = { 0 };
	int r;

	if (!w)
		return 0;
	r = sriov_etcd_watch_step(w, &err);
	if (r < 0) {
		log_err("watch: %s", err.msg);
		return r;
	}
	while (sriov_etcd_watch_next(w, &ev) == 1) {
		if (ev.type == SRIOV_ETCD_EVENT_COMPACTED) {
			log_warn(
				"the store was compacted past revision %" PRId64
				" before this controller saw it; reading it again (deletes in between count as unbinds)",
				c->m.revision + 1);
			c->resync_due_ms = fd_now_ms();
			sriov_etcd_event_release(&ev);
			continue;
		}
		if (ports)
			r = port_event(c, &ev);
		else
			fabric_event(c, &ev);
		sriov_etcd_event_release(&ev);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- lost ports ---- */

/*
 * A leased port's key was deleted: explicitly (its host's lease lives:
 * an unbind, the member goes at once) or with its lease (the host was
 * lost or sriovd stopped: it is held through the grace period).
 */
static void resolve_suspects(struct ctl *c)
{
	int64_t now = fd_now_ms();

	while (c->n_sus) {
		int64_t lease = c->sus[0].lease, ttl;
		struct sriov_error err = { 0 };
		int r = sriov_etcd_lease_ttl(c->e, lease, &ttl, &err);

		if (r < 0 && r != -ENOENT) {
			c->met.errors_store++;
			log_warn("cannot tell an unbind from a lost host: %s",
				 err.msg);
			c->sus_retry_ms = now + RETRY_MS;
			/* past the grace period the question is moot */
			for (size_t i = 0; i < c->n_sus;)
				if (now - c->sus[i].since_ms >
				    (int64_t)c->o.grace_s * 1000) {
					free(c->sus[i].value);
					c->sus[i] = c->sus[--c->n_sus];
				} else {
					i++;
				}
			return;
		}
		for (size_t i = 0; i < c->n_sus;) {
			struct suspect *s = &c->sus[i];
			struct lost *l;

			if (s->lease != lease) {
				i++;
				continue;
			}
			if (r == 0) {
				c->met.unbinds++;
				log_info(
					"port %s left fabric %s (unbound: its lease %" PRId64
					" lives)",
					s->id, c->o.fabric, lease);
				free(s->value);
			} else {
				log_notice(
					"port %s: its lease %" PRId64
					" is gone (host lost?); kept in its partition for %u s",
					s->id, lease, c->o.grace_s);
				l = calloc(1, sizeof(*l));
				if (l) {
					l->value = s->value;
					l->len = s->len;
					l->lease = lease;
					l->until_ms =
						s->since_ms +
						(int64_t)c->o.grace_s * 1000;
					drop_lost(c, s->id);
					if (map_set(&c->lost, s->id, l, NULL) <
					    0) {
						free(l->value);
						free(l);
					}
				} else {
					free(s->value);
				}
				c->met.lost_held++;
			}
			*s = c->sus[--c->n_sus];
		}
		mark_dirty(c);
	}
	c->sus_retry_ms = 0;
}

/* Forget lost ports whose grace is over (a standby's record). */
static void expire_lost(struct ctl *c)
{
	int64_t now = fd_now_ms();
	const char *id;
	void *v;

	for (size_t i = 0; map_next(&c->lost, &i, &id, &v);) {
		struct lost *l = v;

		if (l->until_ms <= now) {
			char k[SRIOV_CLUSTER_ID_MAX];

			snprintf(k, sizeof(k), "%s", id);
			drop_lost(c, k);
			mark_dirty(c);
		}
	}
}

/* Put @n held keys in one term-guarded transaction with @lease. */
static int put_held(struct ctl *c, const char *const *ids,
		    struct lost *const *ls, size_t n, int64_t lease)
{
	struct sriov_etcd_op ops[TXN_OPS_MAX];
	char keys[TXN_OPS_MAX][SRIOV_CLUSTER_KEY_MAX];
	struct sriov_etcd_cmp cmp = sriov_etcd_leader_cmp(&c->leader);
	struct sriov_etcd_txn t = { &cmp, 1, ops, n, NULL, 0 };
	struct sriov_etcd_txn_resp resp;
	struct sriov_error err = { 0 };
	int r;

	for (size_t i = 0; i < n; i++) {
		if (sriov_cluster_held_key(&c->m.keys, c->o.fabric, ids[i],
					   keys[i], &err) < 0)
			return -EINVAL;
		ops[i] = (struct sriov_etcd_op){ .type = SRIOV_ETCD_OP_PUT,
						 .key = keys[i],
						 .value = ls[i]->value,
						 .value_len = ls[i]->len,
						 .lease = lease };
	}
	r = sriov_etcd_txn(c->e, &t, &resp, &err);
	if (r < 0) {
		c->met.errors_store++;
		log_warn("cannot hold lost ports: %s", err.msg);
		return r;
	}
	r = resp.succeeded;
	sriov_etcd_txn_resp_release(&resp);
	if (!r) {
		depose(c, "a held port's write found another term");
		return -ESTALE;
	}
	return 0;
}

/*
 * The leader records lost ports in the store, each with a lease of what
 * is left of its grace, so etcd ends it even if this controller is gone.
 */
static int flush_lost(struct ctl *c)
{
	const char *ids[TXN_OPS_MAX];
	struct lost *ls[TXN_OPS_MAX];
	int64_t now = fd_now_ms();
	const char *id;
	void *v;
	int r;

	expire_lost(c);
	while (c->leading && c->lost.n) {
		int64_t secs = 0, lease;
		struct sriov_error err = { 0 };
		size_t n = 0;

		/* one lease per whole number of seconds left */
		for (size_t i = 0; map_next(&c->lost, &i, &id, &v);) {
			struct lost *l = v;
			int64_t s = (l->until_ms - now + 999) / 1000;

			if (!n)
				secs = s;
			if (s == secs && n < TXN_OPS_MAX) {
				ids[n] = id;
				ls[n++] = l;
			}
		}
		if (!n)
			break;
		r = sriov_etcd_lease_grant(c->e, secs > 0 ? secs : 1, &lease,
					   NULL, &err);
		if (r < 0) {
			c->met.errors_store++;
			log_warn("cannot hold lost ports: %s", err.msg);
			c->lost_retry_ms = fd_now_ms() + RETRY_MS;
			return r;
		}
		r = put_held(c, ids, ls, n, lease);
		if (r < 0) {
			c->lost_retry_ms = fd_now_ms() + RETRY_MS;
			return r;
		}
		for (size_t i = 0; i < n; i++) {
			char k[SRIOV_CLUSTER_ID_MAX];

			snprintf(k, sizeof(k), "%s", ids[i]);
			drop_lost(c, k);
		}
	}
	return 0;
}

/* ---- the status ---- */

static int cmp_rejected(const void *a, const void *b)
{
	return strcmp(((const struct sriov_cluster_rejected *)a)->key,
		      ((const struct sriov_cluster_rejected *)b)->key);
}

static int add_rej(struct sriov_cluster_rejected **v, size_t *n, size_t *cap,
		   const char *key, const char *msg)
{
	if (grow_array((void **)v, cap, *n, sizeof(**v)) < 0)
		return -ENOMEM;
	snprintf((*v)[*n].key, sizeof((*v)[*n].key), "%s", key);
	snprintf((*v)[*n].error, sizeof((*v)[*n].error), "%s", msg);
	(*n)++;
	return 0;
}

/* Every value the controller skipped, and why, in key order. */
static int collect_rejected(struct ctl *c, struct sriov_cluster_rejected **ret,
			    size_t *ret_n)
{
	struct sriov_cluster_rejected *v = NULL;
	size_t n = 0, cap = 0;
	char key[SRIOV_CLUSTER_KEY_MAX], msg[1400];
	const char *id;
	void *val;

	for (size_t i = 0; map_next(&c->m.ports, &i, &id, &val);) {
		const struct fd_port *p = val;

		snprintf(key, sizeof(key), "%s%s", c->m.ports_prefix, id);
		if (p->kind == FD_REJECTED &&
		    add_rej(&v, &n, &cap, key, p->error) < 0)
			goto oom;
		if (p->kind == FD_OTHER_FABRIC &&
		    map_get(&c->foreign, p->fabric) == (void *)2) {
			snprintf(
				msg, sizeof(msg),
				"%s: names fabric '%s', which no controller serves (no key under %sfabrics/%s/); no partitions.conf lists it",
				key, p->fabric, c->m.keys.prefix, p->fabric);
			if (add_rej(&v, &n, &cap, key, msg) < 0)
				goto oom;
		}
	}
	for (size_t i = 0; map_next(&c->m.held, &i, &id, &val);) {
		const struct fd_port *p = val;

		snprintf(key, sizeof(key), "%s%s", c->m.held_prefix, id);
		if (p->kind == FD_REJECTED &&
		    add_rej(&v, &n, &cap, key, p->error) < 0)
			goto oom;
	}
	for (size_t i = 0; map_next(&c->m.bad_keys, &i, &id, &val);)
		if (add_rej(&v, &n, &cap, id, val) < 0)
			goto oom;
	for (size_t i = 0; i < c->n_conflicts; i++)
		if (add_rej(&v, &n, &cap, c->conflicts[i].key,
			    c->conflicts[i].error) < 0)
			goto oom;
	if (n)
		qsort(v, n, sizeof(*v), cmp_rejected);
	*ret = v;
	*ret_n = n;
	return 0;
oom:
	free(v);
	return -ENOMEM;
}

static int write_status(struct ctl *c)
{
	struct sriov_cluster_fabric_status s = { 0 };
	struct sriov_cluster_rejected *rej = NULL;
	struct sriov_etcd_cmp cmp;
	struct sriov_etcd_op put = { .type = SRIOV_ETCD_OP_PUT,
				     .key = c->status_key };
	struct sriov_etcd_txn t = { &cmp, 1, &put, 1, NULL, 0 };
	struct sriov_etcd_txn_resp resp;
	struct sriov_error err = { 0 };
	_cleanup_free_ char *text = NULL;
	size_t n_rej = 0;
	int r;

	if (!c->leading)
		return 0;
	if (collect_rejected(c, &rej, &n_rej) < 0)
		return -ENOMEM;
	snprintf(s.fabric, sizeof(s.fabric), "%s", c->o.fabric);
	s.revision = c->rendered_revision;
	snprintf(s.checksum, sizeof(s.checksum), "%s", c->file_sum);
	s.pkeys = c->pkeys;
	s.n_pkeys = c->n_pkeys < 4096 ? c->n_pkeys : 4096;
	snprintf(s.verify, sizeof(s.verify), "%s", c->verify);
	snprintf(s.verify_detail, sizeof(s.verify_detail), "%s",
		 c->verify_detail);
	s.time = (int64_t)time(NULL);
	snprintf(s.leader, sizeof(s.leader), "%s", c->o.id);
	s.ports = c->ports;
	s.held = c->held;
	if (c->static_error[0])
		snprintf(s.error, sizeof(s.error), "%s", c->static_error);
	else
		snprintf(s.error, sizeof(s.error), "%s", c->error);
	s.error_revision = s.error[0] ? c->error_revision : 0;
	s.rejected = rej;
	s.n_rejected = n_rej < SRIOV_CLUSTER_REJECTED_MAX ?
			       n_rej :
			       SRIOV_CLUSTER_REJECTED_MAX;
	s.n_rejected_total = (unsigned)n_rej;
	/* A value has 64 KiB: give up detail before counts. */
	for (;;) {
		free(text);
		text = NULL;
		r = sriov_cluster_fabric_status_format(&s, &text, &err);
		if (r < 0)
			break;
		if (strlen(text) <= SRIOV_CLUSTER_VALUE_MAX)
			break;
		if (s.n_rejected)
			s.n_rejected /= 2;
		else if (s.n_pkeys)
			s.n_pkeys = s.n_pkeys * 3 / 4;
		else
			break;
	}
	free(rej);
	if (r < 0) {
		log_err("status: %s", err.msg);
		return r;
	}
	cmp = sriov_etcd_leader_cmp(&c->leader);
	put.value = text;
	put.value_len = strlen(text);
	r = sriov_etcd_txn(c->e, &t, &resp, &err);
	if (r < 0) {
		c->met.errors_store++;
		log_warn("status not written: %s", err.msg);
		return r;
	}
	r = resp.succeeded;
	sriov_etcd_txn_resp_release(&resp);
	if (!r) {
		depose(c, "its status write found another term");
		return -ESTALE;
	}
	return 0;
}

/* ---- fabric verify ---- */

/* In the child: until the fabric holds what the file says, or time's up. */
static void verify_child(struct ctl *c, int fd, const char *text, size_t len)
{
	struct sriov_partitions pc;
	struct sriov_error err = { 0 };
	int64_t until = fd_now_ms() + c->o.verify_timeout_ms;
	char out[300];
	int n;

	if (sriov_partitions_parse(text, len, c->o.partitions, &pc, &err) < 0) {
		n = snprintf(out, sizeof(out), "failed\t%s\n", err.msg);
		goto done;
	}
	for (;;) {
		struct sriov_ib_fabric f;
		struct sriov_pkey_diff *d = NULL;
		size_t nd = 0;

		memset(&err, 0, sizeof(err));
		if (sriov_ib_fabric_scan(c->o.ca, c->o.ca_port, &f, &err) ==
		    0) {
			int r = sriov_ib_verify(&f, &pc, c->o.allow_both, &d,
						&nd, &err);

			if (r == 0 && nd == 0) {
				n = snprintf(
					out, sizeof(out),
					"ok\t%zu port(s) hold what the file says\n",
					f.n_ports);
				sriov_ib_fabric_release(&f);
				free(d);
				break;
			}
			if (r == 0) {
				const struct sriov_mad_port *p =
					&f.ports[d[0].port];
				char g[19];

				snprintf(
					err.msg, sizeof(err.msg),
					"%zu difference(s) on %zu port(s); first: port %s lid %u %s want 0x%04x have 0x%04x",
					nd, f.n_ports,
					sriov_guid_format(p->guid, g), p->lid,
					sriov_pkey_diff_kind_name(d[0].kind),
					d[0].want, d[0].have);
			}
			sriov_ib_fabric_release(&f);
			free(d);
		}
		if (fd_now_ms() >= until) {
			n = snprintf(out, sizeof(out), "failed\t%s\n", err.msg);
			break;
		}
		usleep(300000);
	}
	sriov_partitions_release(&pc);
done:
	if (n > 0 && write(fd, out, (size_t)n) < 0)
		_exit(1);
	_exit(0);
}

static void start_verify(struct ctl *c, const char *text, size_t len)
{
	int p[2];
	pid_t pid;

	stop_verify(c);
	c->verify_revision = c->rendered_revision;
	if (!c->o.verify) {
		snprintf(c->verify, sizeof(c->verify), "skipped");
		snprintf(c->verify_detail, sizeof(c->verify_detail),
			 "not asked (--no-verify)");
		return;
	}
	snprintf(c->verify, sizeof(c->verify), "skipped");
	snprintf(
		c->verify_detail, sizeof(c->verify_detail),
		"pending: waiting up to %u ms for OpenSM to program the fabric",
		c->o.verify_timeout_ms);
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(c->verify, sizeof(c->verify), "failed");
		snprintf(c->verify_detail, sizeof(c->verify_detail),
			 "cannot run the check: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		snprintf(c->verify, sizeof(c->verify), "failed");
		snprintf(c->verify_detail, sizeof(c->verify_detail),
			 "cannot run the check: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		close(p[0]);
		verify_child(c, p[1], text, len);
	}
	close(p[1]);
	c->verify_pid = pid;
	c->verify_fd = p[0];
}

static void verify_done(struct ctl *c)
{
	char buf[512], *tab;
	ssize_t n = read(c->verify_fd, buf, sizeof(buf) - 1);

	if (n < 0 && errno == EINTR)
		return;
	stop_verify(c);
	buf[n > 0 ? n : 0] = '\0';
	strtok_r(buf, "\n", &tab);
	tab = strchr(buf, '\t');
	if (tab)
		*tab++ = '\0';
	if (!strcmp(buf, "ok")) {
		c->met.verify_ok++;
		snprintf(c->verify, sizeof(c->verify), "ok");
	} else {
		c->met.verify_failed++;
		c->met.errors_verify++;
		snprintf(c->verify, sizeof(c->verify), "failed");
		if (!tab)
			tab = (char *)"the check ended without an answer";
	}
	snprintf(c->verify_detail, sizeof(c->verify_detail), "%s",
		 tab ? tab : "");
	fd_log(c->verify[0] == 'o' ? 6 : 4,
	       "verify of revision %" PRId64 ": %s: %s", c->verify_revision,
	       c->verify, c->verify_detail);
	if (c->verify_revision == c->rendered_revision)
		write_status(c);
	if (c->o.once) {
		c->exit_code = c->verify[0] == 'o' && !c->error[0] ? 0 : 1;
		c->done = true;
	}
}

/* ---- rendering ---- */

/* Fabrics other ports name: does any controller serve them? */
static void check_foreign(struct ctl *c)
{
	struct map names = { 0 };
	int64_t now = fd_now_ms();
	bool fresh = now - c->foreign_checked_ms < FOREIGN_RECHECK_MS;
	const char *name;
	void *v;

	for (size_t i = 0; map_next(&c->m.ports, &i, NULL, &v);) {
		const struct fd_port *p = v;

		if (p->kind == FD_OTHER_FABRIC &&
		    !(fresh && map_get(&c->foreign, p->fabric)))
			map_set(&names, p->fabric, (void *)1, NULL);
	}
	for (size_t i = 0; map_next(&names, &i, &name, NULL);) {
		char k[SRIOV_CLUSTER_KEY_MAX], end[SRIOV_CLUSTER_KEY_MAX];
		struct sriov_etcd_range_opts o = { .range_end = end,
						   .count_only = true };
		struct sriov_etcd_range_resp r;

		if (snprintf(k, sizeof(k), "%sfabrics/%s/", c->m.keys.prefix,
			     name) >= (int)sizeof(k) ||
		    sriov_etcd_prefix_end(k, end, sizeof(end)) < 0 ||
		    sriov_etcd_range(c->e, k, &o, &r, NULL) < 0)
			continue;
		map_set(&c->foreign, name, r.count ? (void *)1 : (void *)2,
			NULL);
		sriov_etcd_range_resp_release(&r);
	}
	if (!fresh)
		c->foreign_checked_ms = now;
	map_release(&names);
}

/* Does @path hold exactly @body after its comment header? */
static bool file_body_is(const char *path, const char *body, size_t len,
			 char sum[static 80])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t got = 0, off = 0;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > FILE_MAX)
		return false;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return false;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	buf[got] = '\0';
	while (off < got && buf[off] == '#') {
		const char *nl = memchr(buf + off, '\n', got - off);

		if (!nl)
			return false;
		off = (size_t)(nl - buf) + 1;
	}
	if (got - off != len || memcmp(buf + off, body, len))
		return false;
	fd_sha256(buf, got, sum);
	return true;
}

/* Replace the held ports with what the store holds now, in one read that
 * also shows this term still holds (and that there is a quorum). */
static int read_held(struct ctl *c, bool *ret_leading)
{
	struct sriov_etcd_cmp cmp = sriov_etcd_leader_cmp(&c->leader);
	struct sriov_etcd_op get = { .type = SRIOV_ETCD_OP_RANGE,
				     .key = c->m.held_prefix,
				     .range_end = c->held_end };
	struct sriov_etcd_txn t = { &cmp, 1, &get, 1, NULL, 0 };
	struct sriov_etcd_txn_resp resp;
	struct sriov_error err = { 0 };
	const char *id;
	void *v;
	int r;

	r = sriov_etcd_txn(c->e, &t, &resp, &err);
	if (r < 0) {
		c->met.errors_store++;
		log_warn("not rendering: %s", err.msg);
		return r;
	}
	*ret_leading = resp.succeeded;
	if (resp.succeeded && resp.n_responses == 1) {
		for (size_t i = 0; map_next(&c->m.held, &i, NULL, &v);)
			fd_port_free(v);
		map_release(&c->m.held);
		for (size_t i = 0; i < resp.responses[0].n_kvs; i++)
			if (model_put(&c->m, &resp.responses[0].kvs[i], NULL) <
			    0) {
				sriov_etcd_txn_resp_release(&resp);
				return -ENOMEM;
			}
	}
	sriov_etcd_txn_resp_release(&resp);
	log_debug("held: %zu key(s) in the store", c->m.held.n);
	if (!*ret_leading)
		return 0;
	/* a held port whose key is back: its record is the truth again */
	for (size_t i = 0; map_next(&c->m.held, &i, &id, &v);) {
		char key[SRIOV_CLUSTER_KEY_MAX];
		struct sriov_etcd_op del = { .type = SRIOV_ETCD_OP_DELETE,
					     .key = key };
		struct sriov_etcd_txn td = { &cmp, 1, &del, 1, NULL, 0 };

		if (!map_get(&c->m.ports, id) ||
		    sriov_cluster_held_key(&c->m.keys, c->o.fabric, id, key,
					   NULL) < 0)
			continue;
		if (sriov_etcd_txn(c->e, &td, &resp, &err) == 0)
			sriov_etcd_txn_resp_release(&resp);
	}
	return 0;
}

static void pause_for_tests(struct ctl *c)
{
	if (!c->o.test_pause_ms)
		return;
	log_info("test pause: %u ms before the file is replaced",
		 c->o.test_pause_ms);
	usleep(c->o.test_pause_ms * 1000u);
}

static void signal_opensm(struct ctl *c)
{
	struct sriov_opensm_proc proc;
	struct sriov_error err = { 0 };

	if (!c->o.opensm_pid)
		return;
	if (sriov_opensm_signal(c->o.opensm_pid, SIGHUP, &proc, &err) == 0) {
		c->met.signals_sent++;
		log_info("signalled opensm (pid %d)", proc.pid);
		return;
	}
	c->met.errors_signal++;
	snprintf(c->error, sizeof(c->error),
		 "'%s' is in place, but OpenSM %s: %s", c->o.partitions,
		 proc.stage == SRIOV_OPENSM_SEND_FAILED ? "has not reread it" :
							  "was not signalled",
		 err.msg);
	c->error_revision = c->rendered_revision;
	log_err("%s", c->error);
}

static void keep_render(struct ctl *c, struct fd_render *r)
{
	free(c->pkeys);
	c->pkeys = TAKE_PTR(r->pkeys);
	c->n_pkeys = r->n_pkeys;
	c->ports = r->ports;
	c->held = r->held;
}

/* --once does not wait for a better moment. */
static void once_failed(struct ctl *c)
{
	if (c->o.once) {
		c->done = true;
		c->exit_code = 1;
	}
}

static void render(struct ctl *c)
{
	struct fd_header h = { .leader = c->o.id,
			       .term = c->leader.create_revision };
	struct fd_render r = { 0 };
	struct sriov_error err = { 0 };
	int64_t t0 = fd_now_ms(), t1;
	char body_sum[80], sum[80];
	bool leading = false;
	int rc;

	if (flush_lost(c) < 0 || !c->leading) {
		c->render_retry_ms = fd_now_ms() + RETRY_MS;
		once_failed(c);
		return;
	}
	rc = read_held(c, &leading);
	if (rc < 0 || !leading) {
		if (rc >= 0)
			depose(c, "the election key is no longer this term's");
		c->render_retry_ms = fd_now_ms() + RETRY_MS;
		once_failed(c);
		return;
	}
	check_foreign(c);
	h.revision = c->m.revision;
	rc = fd_render(&c->st, &c->m, &h, &r, &err);
	if (rc < 0) {
		log_err("%s", err.msg);
		c->render_retry_ms = fd_now_ms() + RETRY_MS;
		once_failed(c);
		return;
	}
	free(c->conflicts);
	c->conflicts = TAKE_PTR(r.conflicts);
	c->n_conflicts = r.n_conflicts;
	rc = fd_check(r.text, r.len, c->o.partitions, &c->o.lint, &err);
	t1 = fd_now_ms();
	fd_histogram_add(&c->met.render, (double)(t1 - t0) / 1000);
	c->dirty = false;
	if (rc < 0) {
		c->met.renders_refused++;
		snprintf(c->error, sizeof(c->error), "revision %" PRId64 ": %s",
			 c->m.revision, err.msg);
		c->error_revision = c->m.revision;
		log_err("%s: %s; '%s' left as it was", c->o.fabric, c->error,
			c->o.partitions);
		write_status(c);
		fd_render_release(&r);
		once_failed(c);
		return;
	}
	fd_sha256(r.text + r.body_off, r.len - r.body_off, body_sum);
	if (file_body_is(c->o.partitions, r.text + r.body_off,
			 r.len - r.body_off, sum)) {
		/* the file says this already: no rewrite, no sweep */
		c->met.renders_unchanged++;
		snprintf(c->file_sum, sizeof(c->file_sum), "%s", sum);
		snprintf(c->body_sum, sizeof(c->body_sum), "%s", body_sum);
		c->rendered_revision = c->m.revision;
		if (!c->verified_once) {
			/* adopted from the last leader: check it once */
			c->verified_once = true;
			start_verify(c, r.text, r.len);
		}
		c->verify_revision = c->rendered_revision;
		c->error[0] = '\0';
		keep_render(c, &r);
		write_status(c);
		fd_render_release(&r);
		if (c->o.once && (!c->o.verify || c->verify_pid <= 0)) {
			c->done = true;
			c->exit_code = 0;
		}
		return;
	}
	pause_for_tests(c);
	/* The last look before the file changes: the term holds (a quorum
	 * read), and the lease cannot have expired yet. */
	rc = sriov_etcd_leader_check(c->e, &c->leader, &err);
	if (rc <= 0 ||
	    fd_now_ms() + INSTALL_MARGIN_MS >= c->lease_deadline_ms) {
		if (rc == 0)
			depose(c, "the election key is no longer this term's");
		else if (rc < 0)
			log_warn("not replacing '%s': %s", c->o.partitions,
				 err.msg);
		else
			log_warn(
				"not replacing '%s': the store has not renewed this controller's lease in time, so another may lead by now",
				c->o.partitions);
		c->dirty = true;
		c->render_retry_ms = fd_now_ms() + RETRY_MS;
		fd_render_release(&r);
		once_failed(c);
		return;
	}
	rc = sriov_partitions_install(c->o.partitions, r.text, r.len, &err);
	if (rc < 0) {
		c->met.errors_install++;
		snprintf(c->error, sizeof(c->error), "%s", err.msg);
		c->error_revision = c->m.revision;
		log_err("%s", err.msg);
		c->dirty = true;
		c->render_retry_ms = fd_now_ms() + RETRY_MS * 4;
		write_status(c);
		fd_render_release(&r);
		once_failed(c);
		return;
	}
	c->met.renders_written++;
	fd_histogram_add(&c->met.convergence,
			 (double)(fd_now_ms() - c->dirty_since_ms) / 1000);
	fd_sha256(r.text, r.len, c->file_sum);
	snprintf(c->body_sum, sizeof(c->body_sum), "%s", body_sum);
	c->rendered_revision = c->m.revision;
	c->error[0] = '\0';
	keep_render(c, &r);
	log_info("wrote %s: revision %" PRId64
		 ", %u port(s), %zu partition(s), %" PRId64
		 " ms to render and check",
		 c->o.partitions, c->rendered_revision, c->ports, c->n_pkeys,
		 t1 - t0);
	signal_opensm(c);
	c->verified_once = true;
	start_verify(c, r.text, r.len);
	free(c->verify_text);
	c->verify_text = TAKE_PTR(r.text);
	write_status(c);
	fd_render_release(&r);
	if (c->o.once && c->verify_pid <= 0) {
		c->done = true;
		c->exit_code = c->error[0] ? 1 : 0;
	}
}

/* ---- the loop ---- */

int ctl_start(struct ctl *c, const struct ctl_opts *o, struct sriov_error *err)
{
	struct sriov_etcd_opts eo = {
		.endpoints = o->endpoints,
		.n_endpoints = o->n_endpoints,
		.connect_timeout_ms = o->timeout_ms < 500 ? o->timeout_ms : 500,
		.request_timeout_ms = o->timeout_ms,
		.ca_file = o->ca_file,
		.cert_file = o->cert_file,
		.key_file = o->key_file,
	};
	int r;

	memset(c, 0, sizeof(*c));
	c->o = *o;
	c->verify_fd = -1;
	c->started_ms = fd_now_ms();
	snprintf(c->verify, sizeof(c->verify), "skipped");
	if ((r = model_init(&c->m, o->root, o->fabric, err)) < 0 ||
	    (r = sriov_cluster_key(&c->m.keys, SRIOV_CLUSTER_FABRIC_LEADER,
				   o->fabric, c->leader_key, err)) < 0 ||
	    (r = sriov_cluster_key(&c->m.keys, SRIOV_CLUSTER_FABRIC_STATUS,
				   o->fabric, c->status_key, err)) < 0)
		return r;
	sriov_etcd_prefix_end(c->m.ports_prefix, c->ports_end,
			      sizeof(c->ports_end));
	sriov_etcd_prefix_end(c->m.fabric_prefix, c->fabric_end,
			      sizeof(c->fabric_end));
	sriov_etcd_prefix_end(c->m.held_prefix, c->held_end,
			      sizeof(c->held_end));
	if ((r = fd_static_load(o->static_path, &o->lint, &c->st, err)) < 0)
		return r;
	r = sriov_etcd_open(&eo, &c->e, err);
	if (r < 0)
		return r;
	/* What is there: its checksum, until this controller writes one. */
	{
		_cleanup_close_ int fd =
			open(o->partitions, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		char sum[80];

		fd_sha256("", 0, c->file_sum);
		if (fd >= 0) {
			struct stat st;

			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
			    (size_t)st.st_size <= FILE_MAX) {
				_cleanup_free_ char *b =
					malloc((size_t)st.st_size + 1);
				ssize_t n =
					b ? read(fd, b, (size_t)st.st_size) :
					    -1;

				if (n >= 0) {
					fd_sha256(b, (size_t)n, sum);
					snprintf(c->file_sum,
						 sizeof(c->file_sum), "%s",
						 sum);
				}
			}
		}
	}
	grant(c);
	if (sync_store(c) < 0 && o->once)
		return sriov_error_set(
			err, -EAGAIN,
			"cannot read the store; nothing rendered");
	if (o->once && c->lease) {
		campaign(c);
		if (!c->leading)
			return sriov_error_set(
				err, -EBUSY,
				"fabric %s is led by '%s' (%s): --once renders only while no controller leads",
				o->fabric, c->holder[0] ? c->holder : "?",
				c->leader_key);
	} else if (o->once) {
		return sriov_error_set(
			err, -EAGAIN,
			"no lease from the store; nothing rendered");
	}
	return 0;
}

size_t ctl_pollfds(struct ctl *c, struct pollfd *fds, size_t max)
{
	size_t n = 0;

	if (c->wp && n < max)
		fds[n++] = (struct pollfd){ sriov_etcd_watch_fd(c->wp), POLLIN,
					    0 };
	if (c->wf && n < max)
		fds[n++] = (struct pollfd){ sriov_etcd_watch_fd(c->wf), POLLIN,
					    0 };
	if (c->verify_fd >= 0 && n < max)
		fds[n++] = (struct pollfd){ c->verify_fd, POLLIN, 0 };
	return n;
}

static int64_t render_due(const struct ctl *c)
{
	int64_t due;

	if (!c->dirty || !c->leading || !c->synced || c->n_sus)
		return 0;
	due = c->last_event_ms + c->o.coalesce_ms;
	if (c->dirty_since_ms + c->o.max_delay_ms < due)
		due = c->dirty_since_ms + c->o.max_delay_ms;
	if (c->render_retry_ms > due)
		due = c->render_retry_ms;
	return due > 0 ? due : 1;
}

int ctl_timeout(struct ctl *c)
{
	int64_t now = fd_now_ms(), due = 0, t;
	const char *id;
	void *v;

	due = min_due(due, c->keepalive_due_ms);
	if (!c->leading)
		due = min_due(due, c->campaign_due_ms);
	due = min_due(due, render_due(c));
	due = min_due(due, c->resync_due_ms);
	if (c->n_sus)
		due = min_due(due, c->sus_retry_ms ? c->sus_retry_ms : now);
	for (size_t i = 0; map_next(&c->lost, &i, &id, &v);)
		due = min_due(due, ((struct lost *)v)->until_ms);
	if (c->leading && c->lost.n)
		due = min_due(due,
			      c->lost_retry_ms > now ? c->lost_retry_ms : now);
	t = due ? due - now : 60000;
	if (c->wp) {
		int w = sriov_etcd_watch_timeout(c->wp);

		if (w >= 0 && w < t)
			t = w;
	}
	if (c->wf) {
		int w = sriov_etcd_watch_timeout(c->wf);

		if (w >= 0 && w < t)
			t = w;
	}
	if (t < 0)
		t = 0;
	return t > 60000 ? 60000 : (int)t;
}

int ctl_step(struct ctl *c)
{
	int64_t now = fd_now_ms(), due;
	struct pollfd p;
	int r;

	if (c->verify_fd >= 0) {
		p = (struct pollfd){ c->verify_fd, POLLIN, 0 };
		if (poll(&p, 1, 0) > 0)
			verify_done(c);
	}
	if ((r = drain(c, c->wp, true)) < 0 || (r = drain(c, c->wf, false)) < 0)
		return r;
	now = fd_now_ms();
	if (c->keepalive_due_ms && now >= c->keepalive_due_ms)
		keepalive(c);
	if (c->resync_due_ms && now >= c->resync_due_ms)
		sync_store(c);
	if (c->n_sus && (!c->sus_retry_ms || now >= c->sus_retry_ms))
		resolve_suspects(c);
	expire_lost(c);
	if (!c->leading && c->campaign_due_ms && now >= c->campaign_due_ms &&
	    !c->o.once)
		campaign(c);
	if (c->leading && c->lost.n && now >= c->lost_retry_ms)
		flush_lost(c);
	due = render_due(c);
	if (due && fd_now_ms() >= due)
		render(c);
	if (c->o.once && !c->leading && !c->done) {
		c->done = true;
		c->exit_code = 1;
	}
	return 0;
}

void ctl_reload(struct ctl *c)
{
	struct fd_static st;
	struct sriov_error err = { 0 };

	if (fd_static_load(c->o.static_path, &c->o.lint, &st, &err) < 0) {
		snprintf(
			c->static_error, sizeof(c->static_error),
			"static intent not reloaded (the one read before is in use): %s",
			err.msg);
		c->error_revision = c->m.revision;
		log_err("%s", c->static_error);
		write_status(c);
		return;
	}
	fd_static_release(&c->st);
	c->st = st;
	c->static_error[0] = '\0';
	log_notice("static intent %s reloaded: %zu partition(s)",
		   c->o.static_path, c->st.pc.n_stmts);
	mark_dirty(c);
	c->dirty_since_ms = c->last_event_ms = fd_now_ms() - 1000000;
}

void ctl_stop(struct ctl *c)
{
	struct sriov_error err = { 0 };
	const char *id;
	void *v;

	stop_verify(c);
	if (c->leading && c->e) {
		if (sriov_etcd_resign(c->e, &c->leader, &err) < 0)
			log_warn("%s", err.msg);
		c->leading = false;
	}
	if (c->lease && c->e &&
	    sriov_etcd_lease_revoke(c->e, c->lease, &err) < 0)
		log_debug("%s", err.msg);
	sriov_etcd_leader_release(&c->leader);
	sriov_etcd_watch_close(c->wp);
	sriov_etcd_watch_close(c->wf);
	c->wp = c->wf = NULL;
	sriov_etcd_close(c->e);
	c->e = NULL;
	free_suspects(c);
	free(c->sus);
	for (size_t i = 0; map_next(&c->lost, &i, &id, &v);) {
		free(((struct lost *)v)->value);
		free(v);
	}
	map_release(&c->lost);
	map_release(&c->foreign);
	model_release(&c->m);
	fd_static_release(&c->st);
	free(c->pkeys);
	free(c->conflicts);
	free(c->verify_text);
	c->pkeys = NULL;
	c->conflicts = NULL;
	c->verify_text = NULL;
}

void ctl_describe(const struct ctl *c, char *buf, size_t size)
{
	struct fd_counts n;

	model_counts(&c->m, &n);
	if (c->leading)
		snprintf(buf, size,
			 "leading %s (term %" PRId64 "): revision %" PRId64
			 ", %u port(s), %u held, %u rejected",
			 c->o.fabric, c->leader.create_revision,
			 c->rendered_revision, n.ours, c->held, n.rejected);
	else
		snprintf(buf, size,
			 "standby for %s (leader %s): revision %" PRId64
			 ", %u port(s)",
			 c->o.fabric, c->holder[0] ? c->holder : "none",
			 c->m.revision, n.ours);
}
