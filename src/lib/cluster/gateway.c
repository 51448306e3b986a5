/* SPDX-License-Identifier: MIT */
/*
 * etcd's JSON gateway, as text: requests built and answers parsed, with no
 * I/O. The gateway is grpc-gateway over etcd's protobufs (etcdserverpb,
 * mvccpb): field names as in the .proto files, bytes as base64, 64-bit
 * integers as strings, fields at their default value left out (a missing
 * "succeeded" is false, a missing "kvs" is none). Answers come from the
 * network: every field is checked, none is trusted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster/internal.h"
#include "util/macro.h"
#include "util/banned.h"

/* jansson's own cleanup (json_auto_t) */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* ---- requests ---- */

static json_t *b64_json(const void *p, size_t n)
{
	char *s = malloc(b64_encoded_len(n) + 1);
	json_t *j;

	if (!s)
		return NULL;
	b64_encode(p, n, s);
	j = json_string(s);
	free(s);
	return j;
}

static json_t *i64_json(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

/* Each setter returns false when out of memory; callers chain with &&. */
static bool set_bytes(json_t *o, const char *name, const void *p, size_t n)
{
	return !json_object_set_new(o, name, b64_json(p, n));
}

static bool set_str_key(json_t *o, const char *name, const char *s)
{
	return !s || set_bytes(o, name, s, strlen(s));
}

static bool set_i64(json_t *o, const char *name, int64_t v)
{
	return !v || !json_object_set_new(o, name, i64_json(v));
}

static bool set_true(json_t *o, const char *name, bool v)
{
	return !v || !json_object_set_new(o, name, json_true());
}

static char *dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return s;
}

static json_t *range_obj(const char *key, size_t key_len, const char *range_end,
			 int64_t limit, const struct sriov_etcd_range_opts *o)
{
	json_t *j = json_object();

	if (!j)
		return NULL;
	if (!set_bytes(j, "key", key, key_len) ||
	    !set_str_key(j, "range_end", range_end) ||
	    !set_i64(j, "limit", limit) ||
	    (o && (!set_i64(j, "revision", o->revision) ||
		   !set_true(j, "serializable", o->serializable) ||
		   !set_true(j, "keys_only", o->keys_only) ||
		   !set_true(j, "count_only", o->count_only)))) {
		json_decref(j);
		return NULL;
	}
	return j;
}

char *etcd_gw_range_req(const char *key, size_t key_len,
			const struct sriov_etcd_range_opts *o)
{
	return dump(range_obj(key, key_len, o ? o->range_end : NULL,
			      o ? o->limit : 0, o));
}

static json_t *put_obj(const char *key, const void *value, size_t len,
		       int64_t lease, bool prev_kv)
{
	json_t *j = json_object();

	if (!j)
		return NULL;
	if (!set_str_key(j, "key", key) || !set_bytes(j, "value", value, len) ||
	    !set_i64(j, "lease", lease) || !set_true(j, "prev_kv", prev_kv)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

char *etcd_gw_put_req(const char *key, const void *value, size_t len,
		      int64_t lease, bool prev_kv)
{
	return dump(put_obj(key, value, len, lease, prev_kv));
}

static json_t *delete_obj(const char *key, const char *range_end, bool prev_kv)
{
	json_t *j = json_object();

	if (!j)
		return NULL;
	if (!set_str_key(j, "key", key) ||
	    !set_str_key(j, "range_end", range_end) ||
	    !set_true(j, "prev_kv", prev_kv)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

char *etcd_gw_delete_req(const char *key, const char *range_end, bool prev_kv)
{
	return dump(delete_obj(key, range_end, prev_kv));
}

static const char *const cmp_targets[] = {
	[SRIOV_ETCD_CMP_VERSION] = "VERSION",
	[SRIOV_ETCD_CMP_CREATE] = "CREATE",
	[SRIOV_ETCD_CMP_MOD] = "MOD",
	[SRIOV_ETCD_CMP_VALUE] = "VALUE",
	[SRIOV_ETCD_CMP_LEASE] = "LEASE",
};
static const char *const cmp_fields[] = {
	[SRIOV_ETCD_CMP_VERSION] = "version",
	[SRIOV_ETCD_CMP_CREATE] = "create_revision",
	[SRIOV_ETCD_CMP_MOD] = "mod_revision",
	[SRIOV_ETCD_CMP_VALUE] = "value",
	[SRIOV_ETCD_CMP_LEASE] = "lease",
};
static const char *const cmp_results[] = {
	[SRIOV_ETCD_EQUAL] = "EQUAL",
	[SRIOV_ETCD_GREATER] = "GREATER",
	[SRIOV_ETCD_LESS] = "LESS",
	[SRIOV_ETCD_NOT_EQUAL] = "NOT_EQUAL",
};

static json_t *cmp_obj(const struct sriov_etcd_cmp *c)
{
	json_t *j;
	bool ok;

	if ((unsigned)c->target >= ARRAY_SIZE(cmp_targets) ||
	    (unsigned)c->result >= ARRAY_SIZE(cmp_results) || !c->key)
		return NULL;
	j = json_object();
	if (!j)
		return NULL;
	ok = set_str_key(j, "key", c->key) &&
	     !json_object_set_new(j, "target",
				  json_string(cmp_targets[c->target])) &&
	     !json_object_set_new(j, "result",
				  json_string(cmp_results[c->result]));
	/* The number is sent even when 0: "create_revision == 0" is the
	 * create-if-absent compare. */
	if (ok && c->target == SRIOV_ETCD_CMP_VALUE)
		ok = set_bytes(j, "value", c->value ? c->value : "",
			       c->value_len);
	else if (ok)
		ok = !json_object_set_new(j, cmp_fields[c->target],
					  i64_json(c->number));
	if (!ok) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static json_t *op_obj(const struct sriov_etcd_op *op)
{
	json_t *inner = NULL, *j;
	const char *name = NULL;

	switch (op->type) {
	case SRIOV_ETCD_OP_RANGE:
		inner = range_obj(op->key, strlen(op->key), op->range_end,
				  op->limit, NULL);
		name = "request_range";
		break;
	case SRIOV_ETCD_OP_PUT:
		inner = put_obj(op->key, op->value ? op->value : "",
				op->value_len, op->lease, op->prev_kv);
		name = "request_put";
		break;
	case SRIOV_ETCD_OP_DELETE:
		inner = delete_obj(op->key, op->range_end, op->prev_kv);
		name = "request_delete_range";
		break;
	}
	if (!inner)
		return NULL;
	j = json_object();
	if (!j || json_object_set_new(j, name, inner)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static bool add_ops(json_t *txn, const char *name,
		    const struct sriov_etcd_op *ops, size_t n)
{
	json_t *a = json_array();

	if (!a || json_object_set_new(txn, name, a))
		return false;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, op_obj(&ops[i])))
			return false;
	return true;
}

char *etcd_gw_txn_req(const struct sriov_etcd_txn *t)
{
	json_t *j = json_object(), *cmp = json_array();

	if (!j || !cmp || json_object_set_new(j, "compare", cmp)) {
		json_decref(j);
		return NULL;
	}
	for (size_t i = 0; i < t->n_cmp; i++)
		if (json_array_append_new(cmp, cmp_obj(&t->cmp[i])))
			goto fail;
	if (!add_ops(j, "success", t->success, t->n_success) ||
	    !add_ops(j, "failure", t->failure, t->n_failure))
		goto fail;
	return dump(j);
fail:
	json_decref(j);
	return NULL;
}

char *etcd_gw_lease_grant_req(int64_t ttl)
{
	json_t *j = json_object();

	if (j && !json_object_set_new(j, "TTL", i64_json(ttl)))
		return dump(j);
	json_decref(j);
	return NULL;
}

char *etcd_gw_lease_id_req(int64_t id)
{
	json_t *j = json_object();

	if (j && !json_object_set_new(j, "ID", i64_json(id)))
		return dump(j);
	json_decref(j);
	return NULL;
}

char *etcd_gw_watch_req(const struct sriov_etcd_watch_opts *o,
			int64_t start_revision)
{
	json_t *j = json_object(), *c = json_object();

	if (!j || !c || json_object_set_new(j, "create_request", c)) {
		json_decref(c);
		json_decref(j);
		return NULL;
	}
	/* progress_notify: a quiet stream still hears from etcd now and
	 * then (etcd's watch-progress-notify-interval). */
	if (!set_str_key(c, "key", o->key) ||
	    !set_str_key(c, "range_end", o->range_end) ||
	    !set_i64(c, "start_revision", start_revision) ||
	    !set_true(c, "prev_kv", o->prev_kv) ||
	    !set_true(c, "progress_notify", true)) {
		json_decref(j);
		return NULL;
	}
	return dump(j);
}

/* ---- answers ---- */

static int bad(struct sriov_error *err, const char *what, const char *name)
{
	return sriov_error_set(
		err, -EPROTO,
		"etcd answer: %s '%s' (expected what etcd's gateway sends)",
		what, name);
}

static json_t *load(const char *body, size_t len, struct sriov_error *err)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	if (!j) {
		sriov_error_set(err, -EPROTO,
				"etcd answer: invalid JSON at byte %d: %s",
				je.position, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		sriov_error_set(
			err, -EPROTO,
			"etcd answer: not a JSON object (expected what etcd's gateway sends)");
		return NULL;
	}
	return j;
}

/* A decimal integer in a string (or a JSON integer), in [min, max]. */
static int num(json_t *v, const char *name, int64_t min, uint64_t max,
	       uint64_t *ret, bool *neg, struct sriov_error *err)
{
	const char *s;
	uint64_t x = 0;
	bool minus = false;

	*ret = 0;
	*neg = false;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		minus = i < 0;
		x = minus ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		if (*s == '-') {
			minus = true;
			s++;
		}
		if (!*s || json_string_length(v) > 21)
			return bad(err, "invalid number in", name);
		for (; *s; s++) {
			if (*s < '0' || *s > '9' ||
			    x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
				return bad(err, "invalid number in", name);
			x = x * 10 + (uint64_t)(*s - '0');
		}
	} else {
		return bad(err, "not a number:", name);
	}
	if ((minus && (min >= 0 || x > (uint64_t)0 - (uint64_t)min)) ||
	    (!minus && x > max))
		return bad(err, "number out of range in", name);
	*ret = x;
	*neg = minus;
	return 0;
}

static int get_i64(json_t *o, const char *name, int64_t *ret,
		   struct sriov_error *err)
{
	uint64_t x;
	bool neg;
	int r = num(json_object_get(o, name), name, INT64_MIN, INT64_MAX, &x,
		    &neg, err);

	if (r < 0)
		return r;
	*ret = neg ? (int64_t)(0 - x) : (int64_t)x;
	return 0;
}

/* Revisions, versions, counts, TTLs: never negative. */
static int get_nat(json_t *o, const char *name, int64_t *ret,
		   struct sriov_error *err)
{
	uint64_t x;
	bool neg;
	int r = num(json_object_get(o, name), name, 0, INT64_MAX, &x, &neg,
		    err);

	if (r < 0)
		return r;
	*ret = (int64_t)x;
	return 0;
}

static int get_u64(json_t *o, const char *name, uint64_t *ret,
		   struct sriov_error *err)
{
	bool neg;

	return num(json_object_get(o, name), name, 0, UINT64_MAX, ret, &neg,
		   err);
}

static int get_bool(json_t *o, const char *name, bool *ret,
		    struct sriov_error *err)
{
	json_t *v = json_object_get(o, name);

	if (!v) {
		*ret = false;
		return 0;
	}
	if (!json_is_boolean(v))
		return bad(err, "not a boolean:", name);
	*ret = json_is_true(v);
	return 0;
}

/* An object member, absent or an object (else -EPROTO). */
static int get_obj(json_t *o, const char *name, json_t **ret,
		   struct sriov_error *err)
{
	json_t *v = json_object_get(o, name);

	*ret = NULL; /* on every path: the callers test it */
	if (v && !json_is_object(v))
		return bad(err, "not an object:", name);
	*ret = v;
	return 0;
}

static int get_arr(json_t *o, const char *name, json_t **ret,
		   struct sriov_error *err)
{
	json_t *v = json_object_get(o, name);

	*ret = NULL; /* on every path: the callers test it */
	if (v && !json_is_array(v))
		return bad(err, "not an array:", name);
	*ret = v;
	return 0;
}

static int get_b64(json_t *o, const char *name, char **ret, size_t *ret_len,
		   struct sriov_error *err)
{
	json_t *v = json_object_get(o, name);
	int r;

	if (!v)
		return b64_decode("", 0, ret, ret_len);
	if (!json_is_string(v))
		return bad(err, "not a base64 string:", name);
	r = b64_decode(json_string_value(v), json_string_length(v), ret,
		       ret_len);
	if (r == -EINVAL)
		return bad(err, "invalid base64 in", name);
	return r;
}

static int parse_header(json_t *o, struct sriov_etcd_header *h,
			struct sriov_error *err)
{
	json_t *hd;
	int r;

	memset(h, 0, sizeof(*h));
	r = get_obj(o, "header", &hd, err);
	if (r < 0 || !hd)
		return r;
	if ((r = get_u64(hd, "cluster_id", &h->cluster_id, err)) < 0 ||
	    (r = get_u64(hd, "member_id", &h->member_id, err)) < 0 ||
	    (r = get_nat(hd, "revision", &h->revision, err)) < 0 ||
	    (r = get_u64(hd, "raft_term", &h->raft_term, err)) < 0)
		return r;
	return 0;
}

void sriov_etcd_kv_release(struct sriov_etcd_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	memset(kv, 0, sizeof(*kv));
}

static int parse_kv(json_t *o, struct sriov_etcd_kv *kv,
		    struct sriov_error *err)
{
	int r;

	memset(kv, 0, sizeof(*kv));
	if (!json_is_object(o))
		return bad(err, "not an object:", "kv");
	if ((r = get_b64(o, "key", &kv->key, &kv->key_len, err)) < 0 ||
	    (r = get_b64(o, "value", &kv->value, &kv->value_len, err)) < 0 ||
	    (r = get_nat(o, "create_revision", &kv->create_revision, err)) <
		    0 ||
	    (r = get_nat(o, "mod_revision", &kv->mod_revision, err)) < 0 ||
	    (r = get_nat(o, "version", &kv->version, err)) < 0 ||
	    (r = get_i64(o, "lease", &kv->lease, err)) < 0) {
		sriov_etcd_kv_release(kv);
		return r;
	}
	return 0;
}

static void kvs_free(struct sriov_etcd_kv *kvs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sriov_etcd_kv_release(&kvs[i]);
	free(kvs);
}

static int parse_kvs(json_t *o, const char *name, struct sriov_etcd_kv **ret,
		     size_t *ret_n, struct sriov_error *err)
{
	struct sriov_etcd_kv *kvs;
	json_t *a;
	size_t n;
	int r;

	*ret = NULL;
	*ret_n = 0;
	r = get_arr(o, name, &a, err);
	if (r < 0 || !a || !json_array_size(a))
		return r;
	n = json_array_size(a);
	kvs = calloc(n, sizeof(*kvs));
	if (!kvs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r = parse_kv(json_array_get(a, i), &kvs[i], err);
		if (r < 0) {
			kvs_free(kvs, i);
			return r;
		}
	}
	*ret = kvs;
	*ret_n = n;
	return 0;
}

void sriov_etcd_range_resp_release(struct sriov_etcd_range_resp *r)
{
	if (!r)
		return;
	kvs_free(r->kvs, r->n_kvs);
	memset(r, 0, sizeof(*r));
}

static int range_body(json_t *o, struct sriov_etcd_kv **kvs, size_t *n,
		      int64_t *count, bool *more, struct sriov_error *err)
{
	int r;

	if ((r = get_nat(o, "count", count, err)) < 0 ||
	    (r = get_bool(o, "more", more, err)) < 0)
		return r;
	return parse_kvs(o, "kvs", kvs, n, err);
}

int etcd_gw_parse_range(const char *body, size_t len,
			struct sriov_etcd_range_resp *ret,
			struct sriov_error *err)
{
	_cleanup_json_ json_t *j = load(body, len, err);
	struct sriov_etcd_range_resp r = { 0 };
	int e;

	if (!j)
		return -EPROTO;
	if ((e = parse_header(j, &r.header, err)) < 0 ||
	    (e = range_body(j, &r.kvs, &r.n_kvs, &r.count, &r.more, err)) < 0)
		return e;
	*ret = r;
	return 0;
}

int etcd_gw_parse_put(const char *body, size_t len,
		      struct sriov_etcd_header *ret, struct sriov_error *err)
{
	_cleanup_json_ json_t *j = load(body, len, err);

	if (!j)
		return -EPROTO;
	return parse_header(j, ret, err);
}

int etcd_gw_parse_delete(const char *body, size_t len,
			 struct sriov_etcd_header *ret, int64_t *ret_deleted,
			 struct sriov_error *err)
{
	_cleanup_json_ json_t *j = load(body, len, err);
	int r;

	if (!j)
		return -EPROTO;
	if ((r = parse_header(j, ret, err)) < 0)
		return r;
	return get_nat(j, "deleted", ret_deleted, err);
}

static void op_resp_release(struct sriov_etcd_op_resp *r)
{
	kvs_free(r->kvs, r->n_kvs);
	memset(r, 0, sizeof(*r));
}

void sriov_etcd_txn_resp_release(struct sriov_etcd_txn_resp *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_responses; i++)
		op_resp_release(&r->responses[i]);
	free(r->responses);
	memset(r, 0, sizeof(*r));
}

static int parse_op_resp(json_t *o, struct sriov_etcd_op_resp *op,
			 struct sriov_error *err)
{
	json_t *v;
	int r;

	memset(op, 0, sizeof(*op));
	if (!json_is_object(o) || json_object_size(o) != 1)
		return bad(err, "a response op must be one member, not",
			   "responses");
	if ((v = json_object_get(o, "response_range"))) {
		op->type = SRIOV_ETCD_OP_RANGE;
		if (!json_is_object(v))
			return bad(err, "not an object:", "response_range");
		r = range_body(v, &op->kvs, &op->n_kvs, &op->count, &op->more,
			       err);
	} else if ((v = json_object_get(o, "response_put"))) {
		json_t *prev;

		op->type = SRIOV_ETCD_OP_PUT;
		if (!json_is_object(v))
			return bad(err, "not an object:", "response_put");
		r = get_obj(v, "prev_kv", &prev, err);
		if (r >= 0 && prev) {
			op->kvs = calloc(1, sizeof(*op->kvs));
			if (!op->kvs)
				return -ENOMEM;
			r = parse_kv(prev, op->kvs, err);
			if (r < 0) {
				free(op->kvs);
				op->kvs = NULL;
			} else {
				op->n_kvs = 1;
			}
		}
	} else if ((v = json_object_get(o, "response_delete_range"))) {
		op->type = SRIOV_ETCD_OP_DELETE;
		if (!json_is_object(v))
			return bad(err,
				   "not an object:", "response_delete_range");
		r = get_nat(v, "deleted", &op->deleted, err);
		if (r >= 0)
			r = parse_kvs(v, "prev_kvs", &op->kvs, &op->n_kvs, err);
	} else {
		return bad(err, "unknown response op in", "responses");
	}
	if (r < 0)
		op_resp_release(op);
	return r;
}

int etcd_gw_parse_txn(const char *body, size_t len,
		      struct sriov_etcd_txn_resp *ret, struct sriov_error *err)
{
	_cleanup_json_ json_t *j = load(body, len, err);
	struct sriov_etcd_txn_resp t = { 0 };
	json_t *a;
	int r;

	if (!j)
		return -EPROTO;
	if ((r = parse_header(j, &t.header, err)) < 0 ||
	    (r = get_bool(j, "succeeded", &t.succeeded, err)) < 0 ||
	    (r = get_arr(j, "responses", &a, err)) < 0)
		return r;
	if (a && json_array_size(a)) {
		t.responses = calloc(json_array_size(a), sizeof(*t.responses));
		if (!t.responses)
			return -ENOMEM;
		for (size_t i = 0; i < json_array_size(a); i++) {
			r = parse_op_resp(json_array_get(a, i), &t.responses[i],
					  err);
			if (r < 0) {
				sriov_etcd_txn_resp_release(&t);
				return r;
			}
			t.n_responses++;
		}
	}
	*ret = t;
	return 0;
}

int etcd_gw_parse_lease(const char *body, size_t len, bool stream,
			int64_t *ret_id, int64_t *ret_ttl,
			struct sriov_error *err)
{
	_cleanup_json_ json_t *j = load(body, len, err);
	struct sriov_etcd_header h;
	json_t *o = j, *e;
	int r;

	if (!j)
		return -EPROTO;
	/* A stream's messages are {"result": ...}. */
	if (stream) {
		if ((r = get_obj(j, "result", &o, err)) < 0)
			return r;
		if (!o)
			return bad(err, "missing", "result");
	}
	e = json_object_get(o, "error");
	if (e && (!json_is_string(e) || json_string_length(e)))
		return sriov_error_set(
			err, -EIO, "etcd: lease: %s",
			json_is_string(e) ? json_string_value(e) : "error");
	if ((r = parse_header(o, &h, err)) < 0 ||
	    (r = get_i64(o, "ID", ret_id, err)) < 0 ||
	    (r = get_i64(o, "TTL", ret_ttl, err)) < 0)
		return r;
	return 0;
}

void sriov_etcd_event_release(struct sriov_etcd_event *ev)
{
	if (!ev)
		return;
	sriov_etcd_kv_release(&ev->kv);
	sriov_etcd_kv_release(&ev->prev_kv);
	memset(ev, 0, sizeof(*ev));
}

void etcd_gw_watch_msg_release(struct etcd_gw_watch_msg *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_events; i++)
		sriov_etcd_event_release(&m->events[i]);
	free(m->events);
	memset(m, 0, sizeof(*m));
}

static int parse_event(json_t *o, struct sriov_etcd_event *ev,
		       struct sriov_error *err)
{
	json_t *type, *kv, *prev;
	int r;

	memset(ev, 0, sizeof(*ev));
	if (!json_is_object(o))
		return bad(err, "not an object:", "events");
	type = json_object_get(o, "type");
	if (!type ||
	    (json_is_string(type) && !strcmp(json_string_value(type), "PUT")))
		ev->type = SRIOV_ETCD_EVENT_PUT;
	else if (json_is_string(type) &&
		 !strcmp(json_string_value(type), "DELETE"))
		ev->type = SRIOV_ETCD_EVENT_DELETE;
	else
		return bad(err, "unknown event", "type");
	if ((r = get_obj(o, "kv", &kv, err)) < 0 ||
	    (r = get_obj(o, "prev_kv", &prev, err)) < 0)
		return r;
	if (!kv)
		return bad(err, "event without", "kv");
	r = parse_kv(kv, &ev->kv, err);
	if (r >= 0 && prev) {
		r = parse_kv(prev, &ev->prev_kv, err);
		ev->has_prev_kv = r >= 0;
	}
	if (r >= 0 && !ev->kv.mod_revision)
		r = bad(err, "event without", "mod_revision");
	if (r < 0) {
		sriov_etcd_event_release(ev);
		return r;
	}
	ev->revision = ev->kv.mod_revision;
	return 0;
}

int etcd_gw_parse_watch(const char *line, size_t len,
			struct etcd_gw_watch_msg *ret, struct sriov_error *err)
{
	_cleanup_json_ json_t *j = load(line, len, err);
	struct etcd_gw_watch_msg m = { 0 };
	json_t *o, *a, *s;
	int r;

	if (!j)
		return -EPROTO;
	if (etcd_gw_error(line, len, &m.error_code, m.cancel_reason,
			  sizeof(m.cancel_reason))) {
		m.error = true;
		*ret = m;
		return 0;
	}
	if ((r = get_obj(j, "result", &o, err)) < 0)
		return r;
	if (!o)
		return bad(err, "missing", "result");
	if ((r = parse_header(o, &m.header, err)) < 0 ||
	    (r = get_bool(o, "created", &m.created, err)) < 0 ||
	    (r = get_bool(o, "canceled", &m.canceled, err)) < 0 ||
	    (r = get_nat(o, "compact_revision", &m.compact_revision, err)) <
		    0 ||
	    (r = get_arr(o, "events", &a, err)) < 0)
		return r;
	s = json_object_get(o, "cancel_reason");
	if (s && !json_is_string(s))
		return bad(err, "not a string:", "cancel_reason");
	if (s)
		snprintf(m.cancel_reason, sizeof(m.cancel_reason), "%s",
			 json_string_value(s));
	if (a && json_array_size(a)) {
		m.events = calloc(json_array_size(a), sizeof(*m.events));
		if (!m.events)
			return -ENOMEM;
		for (size_t i = 0; i < json_array_size(a); i++) {
			r = parse_event(json_array_get(a, i), &m.events[i],
					err);
			if (r < 0) {
				etcd_gw_watch_msg_release(&m);
				return r;
			}
			/* One message is one or more whole revisions, in
			 * order; a reconnect relies on it. */
			if (i &&
			    m.events[i].revision < m.events[i - 1].revision) {
				m.n_events++;
				etcd_gw_watch_msg_release(&m);
				return bad(err, "events out of order in",
					   "events");
			}
			m.n_events++;
		}
	}
	*ret = m;
	return 0;
}

bool etcd_gw_error(const char *body, size_t len, int *code, char *msg,
		   size_t msg_size)
{
	_cleanup_json_ json_t *j = json_loadb(body, len, 0, NULL);
	json_t *e, *c, *m;

	if (!json_is_object(j))
		return false;
	e = json_object_get(j, "error");
	if (json_is_object(e)) {
		c = json_object_get(e, "grpc_code");
		m = json_object_get(e, "message");
	} else if (json_is_string(e)) {
		c = json_object_get(j, "code");
		m = json_object_get(j, "message");
		if (!json_is_string(m))
			m = e;
	} else {
		return false;
	}
	*code = json_is_integer(c) && json_integer_value(c) >= 0 &&
				json_integer_value(c) < 64 ?
			(int)json_integer_value(c) :
			2; /* gRPC's Unknown */
	snprintf(msg, msg_size, "%s",
		 json_is_string(m) ? json_string_value(m) : "(no message)");
	return true;
}

/* gRPC status codes (google.golang.org/grpc/codes). */
enum {
	GRPC_CANCELED = 1,
	GRPC_UNKNOWN = 2,
	GRPC_INVALID_ARGUMENT = 3,
	GRPC_DEADLINE_EXCEEDED = 4,
	GRPC_NOT_FOUND = 5,
	GRPC_ALREADY_EXISTS = 6,
	GRPC_PERMISSION_DENIED = 7,
	GRPC_RESOURCE_EXHAUSTED = 8,
	GRPC_FAILED_PRECONDITION = 9,
	GRPC_ABORTED = 10,
	GRPC_OUT_OF_RANGE = 11,
	GRPC_UNIMPLEMENTED = 12,
	GRPC_UNAVAILABLE = 14,
	GRPC_UNAUTHENTICATED = 16,
};

int etcd_gw_errno(int code, const char *msg)
{
	switch (code) {
	case GRPC_INVALID_ARGUMENT:
		return strstr(msg, "too large") ? -EMSGSIZE : -EINVAL;
	case GRPC_NOT_FOUND:
		return -ENOENT;
	case GRPC_ALREADY_EXISTS:
		return -EEXIST;
	case GRPC_PERMISSION_DENIED:
	case GRPC_UNAUTHENTICATED:
		return -EACCES;
	case GRPC_RESOURCE_EXHAUSTED:
		return strstr(msg, "too many requests") ? -EAGAIN : -ENOSPC;
	case GRPC_FAILED_PRECONDITION:
		return -EINVAL;
	case GRPC_OUT_OF_RANGE:
		return -ERANGE;
	case GRPC_UNIMPLEMENTED:
		return -EOPNOTSUPP;
	case GRPC_UNAVAILABLE:
	case GRPC_ABORTED:
		return -EAGAIN;
	case GRPC_CANCELED:
	case GRPC_DEADLINE_EXCEEDED:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

/*
 * etcd's errors that say the request was never proposed (api/v3rpc/
 * rpctypes: ErrNoLeader, ErrNotCapable, ErrStopped, ErrUnhealthy,
 * ErrTooManyRequests), against those after which it may yet commit
 * (ErrTimeout, ErrTimeoutDueToLeaderFail, ErrTimeoutDueToConnectionLost,
 * ErrLeaderChanged; and a deadline, which the gateway reports as Unknown).
 */
enum etcd_gw_retry etcd_gw_retry_class(int code, const char *msg)
{
	static const char *const not_applied[] = {
		"etcdserver: no leader",
		"etcdserver: not capable",
		"etcdserver: server stopped",
		"etcdserver: unhealthy cluster",
		"etcdserver: too many requests",
	};

	if (code == GRPC_UNAVAILABLE || code == GRPC_RESOURCE_EXHAUSTED) {
		for (size_t i = 0; i < ARRAY_SIZE(not_applied); i++)
			if (!strcmp(msg, not_applied[i]))
				return ETCD_GW_RETRY;
		return code == GRPC_UNAVAILABLE ? ETCD_GW_UNKNOWN :
						  ETCD_GW_FINAL;
	}
	if (code == GRPC_UNKNOWN || code == GRPC_DEADLINE_EXCEEDED ||
	    code == GRPC_CANCELED)
		return ETCD_GW_UNKNOWN;
	return ETCD_GW_FINAL;
}
