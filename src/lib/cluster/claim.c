/* SPDX-License-Identifier: MIT */
/*
 * GUID claims and port records as transactions, so that the invariant
 * "one GUID, one port, in the whole cloud" is etcd's to keep: a claim is
 * created only where no key exists (CREATE == 0), and a port naming a
 * GUID is put only while that GUID's claim holds the port's own value.
 * Claim values are written by sriov_cluster_claim_format(), whose bytes
 * are fixed for a port and host, so a transaction compares them whole.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/cluster.h>
#include "util/macro.h"
#include "util/banned.h"

static int claim_key(const struct sriov_cluster_keys *k, uint64_t guid,
		     char key[static SRIOV_CLUSTER_KEY_MAX],
		     struct sriov_error *err)
{
	char g[19];

	return sriov_cluster_key(k, SRIOV_CLUSTER_GUID,
				 sriov_guid_format(guid, g), key, err);
}

/* The holder's kv: re-put with @lease when it is our claim on another
 * lease (sriovd restarted with a new lease while the old one lives). */
static int adopt(struct sriov_etcd *e, const char *key, const char *value,
		 const struct sriov_etcd_kv *holder, int64_t lease,
		 struct sriov_error *err)
{
	struct sriov_etcd_cmp cmp = { .key = key,
				      .target = SRIOV_ETCD_CMP_MOD,
				      .result = SRIOV_ETCD_EQUAL,
				      .number = holder->mod_revision };
	struct sriov_etcd_op put = { .type = SRIOV_ETCD_OP_PUT,
				     .key = key,
				     .value = value,
				     .value_len = strlen(value),
				     .lease = lease };
	struct sriov_etcd_txn t = { &cmp, 1, &put, 1, NULL, 0 };
	struct sriov_etcd_txn_resp resp;
	int r;

	if (holder->lease == lease)
		return 1;
	r = sriov_etcd_txn(e, &t, &resp, err);
	if (r < 0)
		return r;
	r = resp.succeeded;
	sriov_etcd_txn_resp_release(&resp);
	if (!r)
		sriov_error_set(
			err, -EAGAIN,
			"%s changed while it was taken over; claim it again",
			key);
	return r;
}

int sriov_cluster_guid_claim(struct sriov_etcd *e,
			     const struct sriov_cluster_keys *k, uint64_t guid,
			     const struct sriov_cluster_claim *c, int64_t lease,
			     struct sriov_error *err)
{
	char key[SRIOV_CLUSTER_KEY_MAX];
	_cleanup_free_ char *value = NULL;
	struct sriov_etcd_cmp cmp = { .key = key,
				      .target = SRIOV_ETCD_CMP_CREATE,
				      .result = SRIOV_ETCD_EQUAL };
	struct sriov_etcd_op put = { .type = SRIOV_ETCD_OP_PUT,
				     .key = key,
				     .lease = lease };
	struct sriov_etcd_op get = { .type = SRIOV_ETCD_OP_RANGE, .key = key };
	struct sriov_etcd_txn t = { &cmp, 1, &put, 1, &get, 1 };
	struct sriov_etcd_txn_resp resp;
	const struct sriov_etcd_kv *h;
	struct sriov_cluster_claim other;
	struct sriov_error perr = { 0 };
	int r;

	if ((r = claim_key(k, guid, key, err)) < 0 ||
	    (r = sriov_cluster_claim_format(c, &value, err)) < 0)
		return r;
	put.value = value;
	put.value_len = strlen(value);
	r = sriov_etcd_txn(e, &t, &resp, err);
	if (r < 0)
		return r;
	if (resp.succeeded) {
		sriov_etcd_txn_resp_release(&resp);
		return 1;
	}
	if (resp.n_responses != 1 || resp.responses[0].n_kvs != 1) {
		sriov_etcd_txn_resp_release(&resp);
		return sriov_error_set(
			err, -EPROTO,
			"%s exists, but the transaction did not return it",
			key);
	}
	h = &resp.responses[0].kvs[0];
	if (h->value_len == strlen(value) &&
	    !memcmp(h->value, value, h->value_len)) {
		r = adopt(e, key, value, h, lease, err);
	} else if (sriov_cluster_claim_parse(key, h->value, h->value_len,
					     &other, &perr) == 0) {
		r = 0;
		sriov_error_set(err, -EEXIST,
				"guid %s is held by port %s on host %s (%s)",
				key + strlen(key) - 18, other.port, other.host,
				key);
	} else {
		r = 0;
		sriov_error_set(
			err, -EEXIST,
			"guid %s is held, by a claim that does not parse (%s)",
			key + strlen(key) - 18, perr.msg);
	}
	sriov_etcd_txn_resp_release(&resp);
	return r;
}

/* One transaction: if the claim of @guid is @c's, run @ours, else @other. */
static int if_ours(struct sriov_etcd *e, const char *claim, const char *value,
		   const struct sriov_etcd_op *ours, size_t n_ours,
		   const struct sriov_etcd_op *other, size_t n_other,
		   struct sriov_error *err)
{
	struct sriov_etcd_cmp cmp = { .key = claim,
				      .target = SRIOV_ETCD_CMP_VALUE,
				      .result = SRIOV_ETCD_EQUAL,
				      .value = value,
				      .value_len = strlen(value) };
	struct sriov_etcd_txn t = { &cmp, 1, ours, n_ours, other, n_other };
	struct sriov_etcd_txn_resp resp;
	int r = sriov_etcd_txn(e, &t, &resp, err);

	if (r < 0)
		return r;
	r = resp.succeeded;
	sriov_etcd_txn_resp_release(&resp);
	return r;
}

int sriov_cluster_guid_release(struct sriov_etcd *e,
			       const struct sriov_cluster_keys *k,
			       uint64_t guid,
			       const struct sriov_cluster_claim *c,
			       struct sriov_error *err)
{
	char key[SRIOV_CLUSTER_KEY_MAX];
	_cleanup_free_ char *value = NULL;
	struct sriov_etcd_op del = { .type = SRIOV_ETCD_OP_DELETE, .key = key };
	int r;

	if ((r = claim_key(k, guid, key, err)) < 0 ||
	    (r = sriov_cluster_claim_format(c, &value, err)) < 0)
		return r;
	return if_ours(e, key, value, &del, 1, NULL, 0, err);
}

int sriov_cluster_port_publish(struct sriov_etcd *e,
			       const struct sriov_cluster_keys *k,
			       const struct sriov_cluster_port *p,
			       int64_t lease, struct sriov_error *err)
{
	char key[SRIOV_CLUSTER_KEY_MAX], claim[SRIOV_CLUSTER_KEY_MAX];
	_cleanup_free_ char *value = NULL, *cv = NULL;
	struct sriov_cluster_claim c;
	struct sriov_etcd_op put = { .type = SRIOV_ETCD_OP_PUT,
				     .key = key,
				     .lease = lease };
	int r;

	if ((r = sriov_cluster_key(k, SRIOV_CLUSTER_PORT, p->id, key, err)) <
		    0 ||
	    (r = sriov_cluster_port_format(p, &value, err)) < 0)
		return r;
	put.value = value;
	put.value_len = strlen(value);
	if (!p->infiniband)
		return sriov_etcd_put(e, key, value, strlen(value), lease, NULL,
				      err);
	snprintf(c.port, sizeof(c.port), "%s", p->id);
	snprintf(c.host, sizeof(c.host), "%s", p->host);
	if ((r = claim_key(k, p->guid, claim, err)) < 0 ||
	    (r = sriov_cluster_claim_format(&c, &cv, err)) < 0)
		return r;
	r = if_ours(e, claim, cv, &put, 1, NULL, 0, err);
	if (r == 0)
		return sriov_error_set(
			err, -ESTALE,
			"port %s: not published, since its guid's claim %s is not its own (claim the guid first)",
			p->id, claim);
	return r < 0 ? r : 0;
}

int sriov_cluster_port_unpublish(struct sriov_etcd *e,
				 const struct sriov_cluster_keys *k,
				 const struct sriov_cluster_port *p,
				 struct sriov_error *err)
{
	char key[SRIOV_CLUSTER_KEY_MAX], claim[SRIOV_CLUSTER_KEY_MAX];
	_cleanup_free_ char *cv = NULL;
	struct sriov_cluster_claim c;
	struct sriov_etcd_op del[2] = {
		{ .type = SRIOV_ETCD_OP_DELETE, .key = key },
		{ .type = SRIOV_ETCD_OP_DELETE, .key = claim },
	};
	int r;

	if ((r = sriov_cluster_key(k, SRIOV_CLUSTER_PORT, p->id, key, err)) < 0)
		return r;
	if (!p->infiniband)
		return sriov_etcd_delete(e, key, NULL, NULL, NULL, err);
	snprintf(c.port, sizeof(c.port), "%s", p->id);
	snprintf(c.host, sizeof(c.host), "%s", p->host);
	if ((r = claim_key(k, p->guid, claim, err)) < 0 ||
	    (r = sriov_cluster_claim_format(&c, &cv, err)) < 0)
		return r;
	r = if_ours(e, claim, cv, del, 2, del, 1, err);
	return r < 0 ? r : 0;
}
