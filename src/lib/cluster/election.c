/* SPDX-License-Identifier: MIT */
/*
 * Election: a lease and a create-if-absent transaction, as etcd's own
 * concurrency package and OpenStack's etcd3gw lock do. The term is the
 * key's create_revision: it changes whenever the key is made anew, so a
 * compare on it fails for anyone but the holder of this very term.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/internal.h"
#include "util/banned.h"

void sriov_etcd_leader_release(struct sriov_etcd_leader *l)
{
	if (!l)
		return;
	free(l->key);
	memset(l, 0, sizeof(*l));
}

static int leading(const char *key, int64_t lease, int64_t rev,
		   struct sriov_etcd_leader *ret)
{
	char *k = strdup(key);

	if (!k)
		return -ENOMEM;
	ret->key = k;
	ret->lease = lease;
	ret->create_revision = rev;
	return 1;
}

int sriov_etcd_campaign(struct sriov_etcd *e, const char *key,
			const void *value, size_t value_len, int64_t lease,
			struct sriov_etcd_leader *ret,
			struct sriov_etcd_kv *ret_holder,
			struct sriov_error *err)
{
	struct sriov_etcd_cmp cmp = { .key = key,
				      .target = SRIOV_ETCD_CMP_CREATE,
				      .result = SRIOV_ETCD_EQUAL };
	struct sriov_etcd_op put = { .type = SRIOV_ETCD_OP_PUT,
				     .key = key,
				     .value = value,
				     .value_len = value_len,
				     .lease = lease };
	struct sriov_etcd_op get = { .type = SRIOV_ETCD_OP_RANGE, .key = key };
	struct sriov_etcd_txn t = { &cmp, 1, &put, 1, &get, 1 };
	struct sriov_etcd_txn_resp resp;
	struct sriov_etcd_kv *holder;
	int r;

	if (lease <= 0)
		return sriov_error_set(
			err, -EINVAL,
			"election %s: a candidate needs a lease (its key must go when it stops)",
			key ? key : "(null)");
	r = sriov_etcd_txn(e, &t, &resp, err);
	if (r < 0)
		return r;
	if (resp.succeeded) {
		/* The put ran at the answer's revision: that is the term. */
		r = leading(key, lease, resp.header.revision, ret);
		sriov_etcd_txn_resp_release(&resp);
		return r;
	}
	if (resp.n_responses != 1 || resp.responses[0].n_kvs != 1) {
		sriov_etcd_txn_resp_release(&resp);
		return sriov_error_set(
			err, -EPROTO,
			"election %s: the key exists, but the transaction did not return it",
			key);
	}
	holder = &resp.responses[0].kvs[0];
	if (holder->lease == lease) {
		/* This candidate (restarted, same lease) holds the term. */
		r = leading(key, lease, holder->create_revision, ret);
	} else {
		r = 0;
		if (ret_holder) {
			*ret_holder = *holder;
			memset(holder, 0, sizeof(*holder));
		}
	}
	sriov_etcd_txn_resp_release(&resp);
	return r;
}

struct sriov_etcd_cmp sriov_etcd_leader_cmp(const struct sriov_etcd_leader *l)
{
	return (struct sriov_etcd_cmp){ .key = l->key,
					.target = SRIOV_ETCD_CMP_CREATE,
					.result = SRIOV_ETCD_EQUAL,
					.number = l->create_revision };
}

int sriov_etcd_leader_check(struct sriov_etcd *e,
			    const struct sriov_etcd_leader *l,
			    struct sriov_error *err)
{
	struct sriov_etcd_range_resp r;
	bool held;
	int rc;

	if (!l->key || !l->create_revision)
		return 0;
	rc = sriov_etcd_range(e, l->key, NULL, &r, err);
	if (rc < 0)
		return rc;
	held = r.n_kvs == 1 && r.kvs[0].create_revision == l->create_revision;
	sriov_etcd_range_resp_release(&r);
	return held;
}

int sriov_etcd_resign(struct sriov_etcd *e, struct sriov_etcd_leader *l,
		      struct sriov_error *err)
{
	struct sriov_etcd_cmp cmp;
	struct sriov_etcd_op del = { .type = SRIOV_ETCD_OP_DELETE };
	struct sriov_etcd_txn t = { &cmp, 1, &del, 1, NULL, 0 };
	struct sriov_etcd_txn_resp resp;
	int r;

	if (!l->key || !l->create_revision)
		return 0;
	cmp = sriov_etcd_leader_cmp(l);
	del.key = l->key;
	r = sriov_etcd_txn(e, &t, &resp, err);
	if (r < 0)
		return r;
	r = resp.succeeded;
	sriov_etcd_txn_resp_release(&resp);
	l->create_revision = 0;
	return r;
}
