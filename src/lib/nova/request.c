/* SPDX-License-Identifier: MIT */
/*
 * The JSON inputs of nova fit and consume: hosts (devices as Nova's
 * libvirt driver reports them, NUMA cells) and scheduling questions (an
 * alias as a flavor names it, or InstancePCIRequests), as Nova's objects
 * would hold them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

#include "nova/internal.h"
#include "util/macro.h"
#include "util/banned.h"

int sriov_nova_device_append(json_t *devs, const struct sriov_nova_device *d)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "address", d->address,
			      "vendor_id", d->vendor_id, "product_id",
			      d->product_id, "dev_type", d->dev_type);

	if (!o)
		return -ENOMEM;
	if ((d->parent_addr &&
	     json_object_set_new(o, "parent_addr",
				 json_string(d->parent_addr)) < 0) ||
	    json_object_set_new(o, "numa_node",
				d->numa_node >= 0 ? json_integer(d->numa_node) :
						    json_null()) < 0 ||
	    (d->parent_ifname &&
	     json_object_set_new(o, "parent_ifname",
				 json_string(d->parent_ifname)) < 0)) {
		json_decref(o);
		return -ENOMEM;
	}
	/* the array takes o, also when it fails */
	return json_array_append_new(devs, o) < 0 ? -ENOMEM : 0;
}

/* Guest cells: "numa_cells": [0, 1] or [{"id": 0}, ...]. */
static int parse_cells(json_t *a, long **ret, size_t *n)
{
	size_t i;
	json_t *c;
	long *v = calloc(json_array_size(a) + 1, sizeof(long));

	if (!v)
		return -ENOMEM;
	json_array_foreach(a, i, c) {
		if (json_is_object(c))
			c = json_object_get(c, "id");
		if (!json_is_integer(c)) {
			free(v);
			return -EINVAL;
		}
		v[i] = (long)json_integer_value(c);
	}
	*ret = v;
	*n = json_array_size(a);
	return 0;
}

/* InstancePCIRequest.spec: a list of dicts of nullable strings; booleans
 * and integers become their Python str(). */
static int request_spec(json_t *spec, size_t i, json_t **ret,
			struct sriov_error *err)
{
	json_t *sp = json_array(), *d;
	size_t k;

	if (!sp)
		return -ENOMEM;
	json_array_foreach(spec, k, d) {
		json_t *o = json_object(), *v, *s;
		const char *key;
		char b[64];

		if (!o || json_array_append_new(sp, o) < 0) {
			json_decref(sp);
			return -ENOMEM;
		}
		json_object_foreach(d, key, v) {
			if (json_is_string(v) || json_is_null(v)) {
				s = json_incref(v);
			} else if (json_is_boolean(v)) {
				s = json_string(json_is_true(v) ? "True" :
								  "False");
			} else if (json_is_integer(v)) {
				snprintf(b, sizeof(b), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(v));
				s = json_string(b);
			} else {
				json_decref(sp);
				return sriov_error_set(
					err, -EINVAL,
					"request %zu: spec values must be strings",
					i);
			}
			if (json_object_set_new(o, key, s) < 0) {
				json_decref(sp);
				return -ENOMEM;
			}
		}
	}
	*ret = sp;
	return 0;
}

/* {"requests": [...]} or one request: InstancePCIRequests. */
static int explicit_requests(json_t *e, const char *policy,
			     struct sriov_nova_request **ret, size_t *ret_n,
			     struct sriov_error *err)
{
	json_t *list = json_object_get(e, "requests");
	_cleanup_(json_decrefp) json_t *one = NULL;
	struct sriov_nova_request *reqs;
	size_t n, i;
	json_t *q;
	int r;

	if (!list) {
		one = json_pack("[O]", e);
		if (!one)
			return -ENOMEM;
		list = one;
	}
	n = json_array_size(list);
	reqs = calloc(n + 1, sizeof(*reqs));
	if (!reqs)
		return -ENOMEM;
	json_array_foreach(list, i, q) {
		json_t *spec = json_object_get(q, "spec");
		json_t *cnt = json_object_get(q, "count");
		json_t *qp = json_object_get(q, "numa_policy");
		const char *qps = json_is_string(qp) ? json_string_value(qp) :
						       policy;

		if (!json_is_array(spec) || !json_is_integer(cnt)) {
			sriov_nova_requests_free(reqs, i);
			return sriov_error_set(
				err, -EINVAL,
				"request %zu: needs \"spec\" (array) and \"count\" (integer)",
				i);
		}
		reqs[i].count = (long)json_integer_value(cnt);
		reqs[i].policy = SRIOV_NUMA_LEGACY;
		if (qps)
			sriov_numa_policy_parse(qps, SRIOV_NUMA_NOVA,
						&reqs[i].policy, NULL);
		r = request_spec(spec, i, &reqs[i].spec, err);
		if (r < 0) {
			sriov_nova_requests_free(reqs, i);
			return r;
		}
	}
	*ret = reqs;
	*ret_n = n;
	return 0;
}

static int entry_requests(const struct sriov_nova_aliases *al, json_t *e,
			  struct sriov_nova_request **ret, size_t *ret_n,
			  struct sriov_error *err)
{
	json_t *alias = json_object_get(e, "alias");
	json_t *pol = json_object_get(e, "numa_policy");
	const char *policy = json_is_string(pol) ? json_string_value(pol) :
						   NULL;
	enum sriov_numa_policy p;

	if (policy &&
	    sriov_numa_policy_parse(policy, SRIOV_NUMA_NOVA, &p, NULL) < 0)
		return sriov_error_set(
			err, -EINVAL,
			"numa_policy '%s' is not one of legacy, required, preferred, socket",
			policy);
	if (!json_is_string(alias))
		return explicit_requests(e, policy, ret, ret_n, err);

	_cleanup_free_ char *buf = NULL;
	struct sriov_nova_aliases *none = NULL;
	json_t *cnt = json_object_get(e, "count");
	const char *s = json_string_value(alias);
	int r;

	if (json_is_integer(cnt)) {
		if (asprintf(&buf, "%s:%" JSON_INTEGER_FORMAT, s,
			     json_integer_value(cnt)) < 0) {
			buf = NULL;
			return -ENOMEM;
		}
		s = buf;
	}
	if (!al) {
		r = sriov_nova_aliases_parse(NULL, 0, &none, err);
		if (r < 0)
			return r;
	}
	r = sriov_nova_aliases_translate(al ? al : none, s, policy, ret, ret_n,
					 err);
	sriov_nova_aliases_free(none);
	return r;
}

int sriov_nova_query_from_json(const struct sriov_nova_aliases *al, json_t *e,
			       struct sriov_nova_query *ret,
			       struct sriov_error *err)
{
	struct sriov_nova_query q = { 0 };
	json_t *jc = json_object_get(e, "numa_cells");
	int r;

	r = entry_requests(al, e, &q.reqs, &q.n, err);
	if (r < 0)
		return r;
	if (json_is_array(jc)) {
		r = parse_cells(jc, &q.cells, &q.ncells);
		if (r < 0) {
			sriov_nova_query_release(&q);
			return r == -EINVAL ?
				       sriov_error_set(
					       err, r,
					       "numa_cells: integers expected") :
				       r;
		}
	}
	*ret = q;
	return 0;
}

void sriov_nova_query_release(struct sriov_nova_query *q)
{
	if (!q)
		return;
	sriov_nova_requests_free(q->reqs, q->n);
	free(q->cells);
	memset(q, 0, sizeof(*q));
}

int sriov_nova_stats_from_json(const struct sriov_nova_whitelist *wl,
			       json_t *host, unsigned flags,
			       struct sriov_nova_stats **ret,
			       struct sriov_error *err)
{
	json_t *devs = json_is_array(host) ? host :
					     json_object_get(host, "devices");
	json_t *cells = json_is_object(host) ?
				json_object_get(host, "numa_cells") :
				NULL;
	size_t nc = json_array_size(cells), i;
	_cleanup_free_ struct sriov_nova_cell *hc = calloc(nc + 1, sizeof(*hc));
	_cleanup_(json_decrefp) json_t *empty = json_array();
	json_t *c;

	if (!hc || !empty)
		return -ENOMEM;
	json_array_foreach(cells, i, c) {
		json_t *s = json_object_get(c, "socket");
		hc[i].id = (long)json_integer_value(json_object_get(c, "id"));
		hc[i].socket =
			json_is_integer(s) ? (long)json_integer_value(s) : -1;
	}
	return sriov_nova_stats_new_flags(wl, devs ? devs : empty, hc, nc,
					  flags, ret, err);
}
