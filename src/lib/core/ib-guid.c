/* SPDX-License-Identifier: MIT */
/*
 * GUIDs for VFs: the derived scheme and pools (the layout is documented in
 * include/sriov/ib.h and docs/infiniband.md). A GUID is an EUI-64: the
 * first byte's bit 0 is I/G (group), bit 1 is U/L (locally administered).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include <sriov/ib.h>
#include "config/yamldoc.h"
#include "core/ib-guid.h"
#include "util/macro.h"
#include "util/readfile.h"
#include "util/strutil.h"
#include "util/banned.h"

#define EUI64_UL (1ull << 57) /* locally administered */
#define GUID_NODE_BIT (1ull << 58) /* derived: node, not port GUID */
#define GUID_LOW40 ((1ull << 40) - 1)

int sriov_guid_derive(uint64_t pf_guid, unsigned vf, enum sriov_guid_kind kind,
		      uint64_t *ret, struct sriov_error *err)
{
	uint64_t g;

	if (vf > 0xffff)
		return sriov_error_set(
			err, -ERANGE,
			"vf %u: the derived scheme has 16 bits for the VF index (0..65535); use a pool",
			vf);
	if (pf_guid == 0 || pf_guid == UINT64_MAX)
		return sriov_error_set(
			err, -EINVAL,
			"pf guid 0x%016" PRIx64
			" is not a port guid; cannot derive VF guids from it",
			pf_guid);
	g = EUI64_UL | (uint64_t)vf << 40 | (pf_guid & GUID_LOW40);
	if (kind == SRIOV_GUID_NODE)
		g |= GUID_NODE_BIT;
	*ret = g;
	return sriov_guid_check(g, err);
}

int sriov_guid_pool_check(const struct sriov_guid_pool *p,
			  struct sriov_error *err)
{
	int r;

	if (p->start > p->end)
		return sriov_error_set(err, -EINVAL,
				       "guid pool 0x%016" PRIx64
				       "-0x%016" PRIx64
				       " is empty (start is above end)",
				       p->start, p->end);
	r = sriov_guid_check(p->start, err);
	if (r >= 0)
		r = sriov_guid_check(p->end, err);
	if (r < 0) {
		sriov_error_prefix(err, "guid pool");
		return r;
	}
	/* The I/G bit is bit 56: the range holds none with it set iff both
	 * ends share the top byte (both ends are checked even above). */
	if (p->start >> 56 != p->end >> 56)
		return sriov_error_set(
			err, -EINVAL,
			"guid pool 0x%016" PRIx64 "-0x%016" PRIx64
			" spans several first bytes, so it holds group (multicast) guids or all-ones; keep the first byte the same",
			p->start, p->end);
	return 0;
}

int sriov_guid_pool_parse(const char *s, struct sriov_guid_pool *ret,
			  struct sriov_error *err)
{
	const char *dash = strchr(s, '-');
	char a[64];
	size_t n;
	struct sriov_guid_pool p;
	int r;

	if (!dash || (n = (size_t)(dash - s)) >= sizeof(a) || n == 0)
		return sriov_error_set(
			err, -EINVAL,
			"invalid guid pool '%s' (expected START-END, e.g. 0x0202c90300000000-0x0202c903000000ff)",
			s);
	memcpy(a, s, n);
	a[n] = '\0';
	r = sriov_guid_parse(a, &p.start, err);
	if (r >= 0)
		r = sriov_guid_parse(dash + 1, &p.end, err);
	if (r < 0)
		return r;
	r = sriov_guid_pool_check(&p, err);
	if (r < 0)
		return r;
	*ret = p;
	return 0;
}

static int node_err(struct sriov_error *err, const char *path,
		    const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int node_err(struct sriov_error *err, const char *path,
		    const yaml_node_t *n, const char *fmt, ...)
{
	char msg[SRIOV_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sriov_error_set_at(err, -EINVAL, path,
				  (unsigned)n->start_mark.line + 1,
				  (unsigned)n->start_mark.column + 1, "%s",
				  msg);
}

int guid_pool_parse_text(const char *path, const char *buf, size_t len,
			 struct sriov_guid_pool *ret, struct sriov_error *err)
{
	yaml_document_t doc;
	yaml_node_t *root, *pool = NULL;
	struct sriov_guid_pool p = { 0 };
	bool has_start = false, has_end = false;
	int r = 0;

	r = yaml_doc_load(path, buf, len, &doc, err);
	if (r < 0)
		return r;
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		r = sriov_error_set_at(
			err, -EINVAL, path, 1, 0,
			"expected a mapping with guid_pool: {start: GUID, end: GUID}");
		goto out;
	}
	for (yaml_node_pair_t *kv = root->data.mapping.pairs.start;
	     kv < root->data.mapping.pairs.top; kv++) {
		yaml_node_t *k = yaml_document_get_node(&doc, kv->key);
		yaml_node_t *v = yaml_document_get_node(&doc, kv->value);

		if (k->type != YAML_SCALAR_NODE ||
		    strcmp((char *)k->data.scalar.value, "guid_pool")) {
			r = node_err(err, path, k,
				     "unknown key '%s' (expected guid_pool)",
				     k->type == YAML_SCALAR_NODE ?
					     (char *)k->data.scalar.value :
					     "?");
			goto out;
		}
		pool = v;
	}
	if (!pool || pool->type != YAML_MAPPING_NODE) {
		r = sriov_error_set_at(
			err, -EINVAL, path,
			pool ? (unsigned)pool->start_mark.line + 1 : 1, 0,
			"guid_pool: expected {start: GUID, end: GUID}");
		goto out;
	}
	for (yaml_node_pair_t *kv = pool->data.mapping.pairs.start;
	     kv < pool->data.mapping.pairs.top; kv++) {
		yaml_node_t *k = yaml_document_get_node(&doc, kv->key);
		yaml_node_t *v = yaml_document_get_node(&doc, kv->value);
		const char *key = k->type == YAML_SCALAR_NODE ?
					  (char *)k->data.scalar.value :
					  "?";
		uint64_t *dst;

		if (!strcmp(key, "start")) {
			dst = &p.start;
			has_start = true;
		} else if (!strcmp(key, "end")) {
			dst = &p.end;
			has_end = true;
		} else {
			r = node_err(err, path, k,
				     "unknown key '%s' (expected start or end)",
				     key);
			goto out;
		}
		if (v->type != YAML_SCALAR_NODE) {
			r = node_err(err, path, v, "%s: expected a guid", key);
			goto out;
		}
		r = sriov_guid_parse((char *)v->data.scalar.value, dst, err);
		if (r < 0) {
			char msg[SRIOV_ERROR_MSG_MAX];

			snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
			r = node_err(err, path, v, "%s", msg);
			goto out;
		}
	}
	if (!has_start || !has_end) {
		r = node_err(err, path, pool, "guid_pool: missing %s",
			     has_start ? "end" : "start");
		goto out;
	}
	r = sriov_guid_pool_check(&p, err);
	if (r < 0) {
		sriov_error_prefix(err, "%s", path);
		goto out;
	}
	*ret = p;
out:
	yaml_document_delete(&doc);
	return r;
}

int sriov_guid_pool_load(const char *path, struct sriov_guid_pool *ret,
			 struct sriov_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = read_file_capped(path, INPUT_MAX_SMALL, &buf, &len, err);
	if (r < 0)
		return r;
	return guid_pool_parse_text(path, buf, len, ret, err);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool in_used(const uint64_t *used, size_t n, uint64_t g)
{
	for (size_t i = 0; i < n; i++)
		if (used[i] == g)
			return true;
	return false;
}

int sriov_guid_allocate(const struct sriov_guid_pool *pool, uint64_t pf_guid,
			unsigned vf, enum sriov_guid_kind kind,
			const uint64_t *used, size_t n_used, uint64_t mine,
			uint64_t *ret, struct sriov_error *err)
{
	_cleanup_free_ uint64_t *s = NULL;
	uint64_t g;
	size_t n = 0;
	int r;

	if (!pool) {
		r = sriov_guid_derive(pf_guid, vf, kind, &g, err);
		if (r < 0)
			return r;
		if (g != mine && in_used(used, n_used, g))
			return sriov_error_set(
				err, -EEXIST,
				"vf %u: the derived guid 0x%016" PRIx64
				" is already in use on the fabric or this host (two PFs share the low 40 bits of their port guids?); use a pool",
				vf, g);
		*ret = g;
		return 0;
	}
	r = sriov_guid_pool_check(pool, err);
	if (r < 0)
		return r;
	/* Keep what the VF has when it is the pool's and nobody else's. */
	if (mine >= pool->start && mine <= pool->end &&
	    sriov_guid_check(mine, NULL) >= 0) {
		*ret = mine;
		return 0;
	}
	/* The used GUIDs inside the pool, sorted: walk past them. */
	s = calloc(n_used ? n_used : 1, sizeof(*s));
	if (!s)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n_used; i++)
		if (used[i] >= pool->start && used[i] <= pool->end)
			s[n++] = used[i];
	qsort(s, n, sizeof(*s), cmp_u64);
	g = pool->start;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < g)
			continue;
		if (s[i] > g)
			break;
		if (g == pool->end)
			return sriov_error_set(err, -ENOSPC,
					       "vf %u: guid pool 0x%016" PRIx64
					       "-0x%016" PRIx64
					       " has no free guid",
					       vf, pool->start, pool->end);
		g++;
	}
	*ret = g;
	return 0;
}

int sriov_ib_fabric_guids(const struct sriov_ib_fabric *f, uint64_t **ret,
			  size_t *ret_n)
{
	uint64_t *v;
	size_t n = 0;

	v = calloc(f->n_ports * 2 + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < f->n_ports; i++) {
		v[n++] = f->ports[i].guid;
		v[n++] = f->ports[i].node_guid;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	if (n) {
		size_t k = 1;

		for (size_t i = 1; i < n; i++)
			if (v[i] != v[k - 1])
				v[k++] = v[i];
		n = k;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
