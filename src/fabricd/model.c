/* SPDX-License-Identifier: MIT */
/*
 * The controller's copy of the store: every ports/ key, classified by the
 * schema's parser, and this fabric's held ports. Only the parser decides
 * what a value means; a value it refuses is kept with its message (for
 * the status) and is never a member.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fabricd.h"
#include "util/macro.h"
#include "util/banned.h"

void fd_port_free(struct fd_port *p)
{
	if (!p)
		return;
	free(p->fabric);
	free(p->error);
	free(p);
}

int model_init(struct model *m, const char *root, const char *fabric,
	       struct sriov_error *err)
{
	char lk[SRIOV_CLUSTER_KEY_MAX];
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = sriov_cluster_keys_init(&m->keys, root, err)) < 0 ||
	    (r = sriov_cluster_key(&m->keys, SRIOV_CLUSTER_FABRIC_LEADER,
				   fabric, lk, err)) < 0 ||
	    (r = sriov_cluster_held_key(&m->keys, fabric, NULL, m->held_prefix,
					err)) < 0)
		return r;
	snprintf(m->fabric, sizeof(m->fabric), "%s", fabric);
	sriov_cluster_key_prefix(&m->keys, SRIOV_CLUSTER_PORT, m->ports_prefix);
	/* fabrics/<name>/leader without "leader" */
	snprintf(m->fabric_prefix, sizeof(m->fabric_prefix), "%.*s",
		 (int)(strlen(lk) - strlen("leader")), lk);
	return 0;
}

static void free_ports(struct map *mp)
{
	void *v;

	for (size_t i = 0; map_next(mp, &i, NULL, &v);)
		fd_port_free(v);
	map_release(mp);
}

void model_clear(struct model *m)
{
	void *v;

	free_ports(&m->ports);
	free_ports(&m->held);
	for (size_t i = 0; map_next(&m->bad_keys, &i, NULL, &v);)
		free(v);
	map_release(&m->bad_keys);
	m->revision = 0;
}

void model_release(struct model *m)
{
	model_clear(m);
}

static bool has_prefix(const char *key, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len > n && !memcmp(key, prefix, n);
}

const char *model_port_id(const struct model *m, const char *key,
			  size_t key_len, char buf[static SRIOV_CLUSTER_ID_MAX])
{
	enum sriov_cluster_kind kind;

	if (!has_prefix(key, key_len, m->ports_prefix) ||
	    sriov_cluster_key_parse(&m->keys, key, key_len, &kind, buf, NULL) <
		    0 ||
	    kind != SRIOV_CLUSTER_PORT)
		return NULL;
	return buf;
}

bool model_is_held_key(const struct model *m, const char *key, size_t len)
{
	return has_prefix(key, len, m->held_prefix);
}

static struct fd_port *rejected(const char *msg)
{
	struct fd_port *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->kind = FD_REJECTED;
	p->error = strdup(msg);
	if (!p->error) {
		free(p);
		return NULL;
	}
	return p;
}

/* A port's value as the schema reads it, classified for this fabric. */
static struct fd_port *classify(const struct model *m, const char *key,
				const char *parse_key,
				const struct sriov_etcd_kv *kv, bool held)
{
	struct sriov_error err = { 0 };
	struct sriov_cluster_port p;
	struct fd_port *e;
	char msg[SRIOV_ERROR_MSG_MAX + SRIOV_CLUSTER_KEY_MAX];

	if (sriov_cluster_port_parse(parse_key, kv->value, kv->value_len, &p,
				     &err) < 0) {
		size_t n = strlen(parse_key);

		/* Messages start with the key they were parsed under. */
		if (held && !strncmp(err.msg, parse_key, n) &&
		    err.msg[n] == ':')
			snprintf(msg, sizeof(msg), "%s%s", key, err.msg + n);
		else
			snprintf(msg, sizeof(msg), "%s", err.msg);
		return rejected(msg);
	}
	if (held && (!p.infiniband || strcmp(p.fabric, m->fabric))) {
		snprintf(
			msg, sizeof(msg),
			"%s: a held port of fabric '%s' holds a port of %s%s%s",
			key, m->fabric, p.infiniband ? "fabric '" : "no fabric",
			p.infiniband ? p.fabric : "", p.infiniband ? "'" : "");
		return rejected(msg);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->lease = kv->lease;
	e->create_revision = kv->create_revision;
	e->mod_revision = kv->mod_revision;
	if (!p.infiniband) {
		e->kind = FD_ETHERNET;
		return e;
	}
	if (strcmp(p.fabric, m->fabric)) {
		e->kind = FD_OTHER_FABRIC;
		e->fabric = strdup(p.fabric);
		if (!e->fabric) {
			free(e);
			return NULL;
		}
		return e;
	}
	e->kind = strcmp(p.state, "bound") ? FD_UNBINDING : FD_OURS;
	e->pkey = p.pkey;
	e->ms = p.membership;
	e->guid = p.guid;
	e->pf_guid = p.pf_guid;
	return e;
}

static int set_bad_key(struct model *m, const char *key,
		       const struct sriov_error *err)
{
	char *msg = NULL, *old = NULL;
	int r;

	/* every message starts with the key it is about */
	if (asprintf(&msg, "%s: %s", key, err->msg) < 0)
		return -ENOMEM;
	r = map_set(&m->bad_keys, key, msg, (void **)&old);
	free(old);
	if (r < 0)
		free(msg);
	return r < 0 ? r : 1;
}

int model_put(struct model *m, const struct sriov_etcd_kv *kv,
	      struct fd_port **ret_old)
{
	char id[SRIOV_CLUSTER_ID_MAX],
		pk[SRIOV_CLUSTER_KEY_MAX + SRIOV_CLUSTER_ID_MAX];
	struct sriov_error err = { 0 };
	enum sriov_cluster_kind kind;
	struct fd_port *e, *old = NULL;
	struct map *mp;
	bool held;
	int r;

	if (ret_old)
		*ret_old = NULL;
	held = model_is_held_key(m, kv->key, kv->key_len);
	if (!held && !has_prefix(kv->key, kv->key_len, m->ports_prefix))
		return 0;
	if (sriov_cluster_key_parse(&m->keys, kv->key, kv->key_len, &kind, id,
				    &err) < 0 ||
	    kind != (held ? SRIOV_CLUSTER_FABRIC_HELD : SRIOV_CLUSTER_PORT)) {
		if (!err.msg[0])
			sriov_error_set(&err, -EINVAL,
					"key '%s' is not of the schema",
					kv->key);
		return set_bad_key(m, kv->key, &err);
	}
	if (held)
		snprintf(pk, sizeof(pk), "%s%s", m->ports_prefix, id);
	e = classify(m, kv->key, held ? pk : kv->key, kv, held);
	if (!e)
		return -ENOMEM;
	mp = held ? &m->held : &m->ports;
	r = map_set(mp, id, e, (void **)&old);
	if (r < 0) {
		fd_port_free(e);
		return r;
	}
	if (ret_old)
		*ret_old = old;
	else
		fd_port_free(old);
	return 1;
}

int model_delete(struct model *m, const char *key, size_t key_len,
		 struct fd_port **ret_old)
{
	char id[SRIOV_CLUSTER_ID_MAX];
	enum sriov_cluster_kind kind;
	struct fd_port *old;
	bool held;

	if (ret_old)
		*ret_old = NULL;
	held = model_is_held_key(m, key, key_len);
	if (!held && !has_prefix(key, key_len, m->ports_prefix))
		return 0;
	if (sriov_cluster_key_parse(&m->keys, key, key_len, &kind, id, NULL) <
		    0 ||
	    kind != (held ? SRIOV_CLUSTER_FABRIC_HELD : SRIOV_CLUSTER_PORT)) {
		free(map_del(&m->bad_keys, key));
		return 1;
	}
	old = map_del(held ? &m->held : &m->ports, id);
	if (ret_old)
		*ret_old = old;
	else
		fd_port_free(old);
	return 1;
}

void model_counts(const struct model *m, struct fd_counts *ret)
{
	const char *id;
	void *v;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; map_next(&m->ports, &i, NULL, &v);) {
		const struct fd_port *p = v;

		switch (p->kind) {
		case FD_OURS:
			ret->ours++;
			break;
		case FD_UNBINDING:
			ret->unbinding++;
			break;
		case FD_OTHER_FABRIC:
			ret->other++;
			break;
		case FD_ETHERNET:
			ret->ethernet++;
			break;
		case FD_REJECTED:
			ret->rejected++;
			break;
		}
	}
	for (size_t i = 0; map_next(&m->held, &i, &id, &v);) {
		const struct fd_port *p = v, *q = map_get(&m->ports, id);

		if (p->kind == FD_REJECTED)
			ret->rejected++;
		else if (!q)
			ret->held++;
	}
	ret->rejected += (unsigned)m->bad_keys.n;
}
