/* SPDX-License-Identifier: MIT */
/*
 * PCI device pools and request fitting: nova/pci/stats.py (Zed) and
 * utils.pci_device_prop_match(), in C.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

#include "nova/internal.h"
#include "nova/pyval.h"
#include "util/banned.h"

enum numa_kind { NK_NONE, NK_INT, NK_OTHER };

struct pool {
	json_t *keys; /* pool dict without count/devices */
	long count;
	size_t cls; /* interned class of keys */
	enum numa_kind nk;
	long numa;
	bool pf, vdpa, rm;
	json_t *devs; /* the pool's free devices (tracked indexes), in order */
	/* What the keys were built from (borrowed from the first device):
	 * a device with the same inputs has equal keys, without building
	 * them. sig_m < 0: no signature. */
	long sig_m;
	json_t *sig_prod, *sig_vend, *sig_numa, *sig_dt, *sig_pi;
};

/* A whitelisted device as the tracker holds it. */
struct tdev {
	json_t *dev;
	json_t *keys; /* _create_pool_keys_from_dev() */
	const char *addr;
	bool pf, vf; /* type-PF; type-VF or vdpa */
	long parent; /* tracked index of the parent PF, or -1 */
	size_t *children; /* tracked indexes of the VFs, by address */
	size_t nchildren;
};

struct sriov_nova_stats {
	struct pool *pools;
	size_t n, cap;
	struct sriov_nova_cell *cells;
	size_t ncells;
	struct tdev *tr;
	size_t ntr;
	unsigned flags;
	bool tree, clone;
	const struct sriov_nova_whitelist *wl;
};

static const char *const dev_types[] = { "type-PCI", "type-PF", "type-VF",
					 "vdpa" };

static void pool_finish(const struct sriov_nova_whitelist *wl, struct pool *p,
			const char *sig)
{
	json_t *nn = json_object_get(p->keys, "numa_node");
	json_t *dt = json_object_get(p->keys, "dev_type");
	json_t *rm = json_object_get(p->keys, "remote_managed");

	if (!nn || json_is_null(nn)) {
		p->nk = NK_NONE;
	} else if (json_is_integer(nn)) {
		p->nk = NK_INT;
		p->numa = (long)json_integer_value(nn);
	} else {
		p->nk = NK_OTHER;
	}
	p->pf = json_is_string(dt) && !strcmp(json_string_value(dt), "type-PF");
	p->vdpa = json_is_string(dt) && !strcmp(json_string_value(dt), "vdpa");
	p->rm = py_bool_from_string(rm ? rm : json_null());
	/* equal signatures build identical keys, so the class found once
	 * by serialising them holds for every pool with that signature */
	long c = sig ? nova_sig_class(wl, sig) : -1;
	if (c >= 0) {
		p->cls = (size_t)c;
		return;
	}
	char *k = json_dumps(p->keys,
			     JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	p->cls = nova_intern_pool(wl, k);
	free(k);
	if (sig)
		nova_sig_class_set(wl, sig, p->cls);
}

/* The dict match_pci_obj() builds from a PciDevice object. */
static json_t *obj_dev_dict(json_t *d)
{
	json_t *caps = json_object_get(d, "capabilities");
	json_t *vpd = json_is_object(caps) ? json_object_get(caps, "vpd") :
					     NULL;
	json_t *sn = json_is_object(vpd) ?
			     json_object_get(vpd, "card_serial_number") :
			     NULL;
	json_t *pa = json_object_get(d, "parent_addr");

	return json_pack("{s:O?,s:O?,s:O?,s:O,s:{s:{s:O}}}", "vendor_id",
			 json_object_get(d, "vendor_id"), "product_id",
			 json_object_get(d, "product_id"), "address",
			 json_object_get(d, "address"), "parent_addr",
			 pa ? pa : json_null(), "capabilities", "vpd",
			 "card_serial_number", sn ? sn : json_null());
}

static struct pool *find_pool(struct sriov_nova_stats *st, json_t *keys)
{
	for (size_t k = 0; k < st->n; k++) {
		struct pool *p = &st->pools[k];
		const char *key;
		json_t *v;
		bool eq = json_object_size(p->keys) == json_object_size(keys);

		json_object_foreach(keys, key, v) {
			if (!eq)
				break;
			json_t *pv = json_object_get(p->keys, key);
			eq = py_eq(v, pv ? pv : json_null());
		}
		if (eq)
			return p;
	}
	return NULL;
}

static bool jstr_eq(json_t *a, json_t *b)
{
	if (!a || !b)
		return a == b;
	return json_string_length(a) == json_string_length(b) &&
	       !memcmp(json_string_value(a), json_string_value(b),
		       json_string_length(a));
}

/* numa_node: null or an integer (checked by the caller). */
static bool numa_same(json_t *a, json_t *b)
{
	if (json_is_null(a) || json_is_null(b))
		return json_is_null(a) && json_is_null(b);
	return json_integer_value(a) == json_integer_value(b);
}

/* The signature as a string for the whitelist's class table; NULL when a
 * value does not fit or holds a NUL. Lengths prefix the strings so that no
 * two signatures give the same text. */
static const char *sig_key(char *buf, size_t size, long m, json_t *prod,
			   json_t *vend, json_t *numa, json_t *dt, json_t *pi)
{
	json_t *s[4] = { prod, vend, dt, pi };
	size_t at;
	int n = snprintf(buf, size, "%ld|%s%" JSON_INTEGER_FORMAT, m,
			 json_is_null(numa) ? "n" : "i",
			 json_is_null(numa) ? 0 : json_integer_value(numa));

	if (n < 0 || (size_t)n >= size)
		return NULL;
	at = (size_t)n;
	for (int i = 0; i < 4; i++) {
		const char *v = s[i] ? json_string_value(s[i]) : "";
		size_t len = s[i] ? json_string_length(s[i]) : 0;

		if (strlen(v) != len)
			return NULL;
		n = snprintf(buf + at, size - at, "|%zu:%s", len, v);
		if (n < 0 || (size_t)n >= size - at)
			return NULL;
		at += (size_t)n;
	}
	return buf;
}

/* The pool whose keys are built from the same inputs, or NULL. */
static struct pool *find_pool_sig(struct sriov_nova_stats *st, long m,
				  json_t *prod, json_t *vend, json_t *numa,
				  json_t *dt, json_t *pi)
{
	for (size_t k = 0; k < st->n; k++) {
		struct pool *p = &st->pools[k];

		if (p->sig_m == m && numa_same(p->sig_numa, numa) &&
		    jstr_eq(p->sig_prod, prod) && jstr_eq(p->sig_vend, vend) &&
		    jstr_eq(p->sig_dt, dt) && jstr_eq(p->sig_pi, pi))
			return p;
	}
	return NULL;
}

/* add_device(): the pool with these keys, or a new one in len() order. */
static struct pool *add_device(struct sriov_nova_stats *st, size_t t,
			       const char *sig)
{
	json_t *keys = st->tr[t].keys;
	struct pool *found = find_pool(st, keys);

	if (!found) {
		/* append, then the stable sort by len(): insert after the
		 * last pool that is not longer */
		grow_array((void **)&st->pools, &st->cap, st->n,
			   sizeof(*st->pools));
		size_t len = json_object_size(keys), at = st->n;
		while (at > 0 && json_object_size(st->pools[at - 1].keys) > len)
			at--;
		memmove(&st->pools[at + 1], &st->pools[at],
			(st->n - at) * sizeof(*st->pools));
		st->pools[at] = (struct pool){ .keys = json_incref(keys),
					       .devs = json_array(),
					       .sig_m = -1 };
		pool_finish(st->wl, &st->pools[at], sig);
		st->n++;
		found = &st->pools[at];
	}
	found->count++;
	json_array_append_new(found->devs, json_integer((json_int_t)t));
	return found;
}

static void build_tree(struct sriov_nova_stats *st);

static int cmp_addr(const void *a, const void *b)
{
	const char *x = json_string_value(
		json_object_get(*(json_t *const *)a, "address"));
	const char *y = json_string_value(
		json_object_get(*(json_t *const *)b, "address"));
	return strcmp(x ? x : "", y ? y : "");
}

int sriov_nova_stats_new(const struct sriov_nova_whitelist *wl, json_t *devs,
			 const struct sriov_nova_cell *cells, size_t ncells,
			 struct sriov_nova_stats **ret, struct sriov_error *err)
{
	return sriov_nova_stats_new_flags(wl, devs, cells, ncells, 0, ret, err);
}

int sriov_nova_stats_new_flags(const struct sriov_nova_whitelist *wl,
			       json_t *in, const struct sriov_nova_cell *cells,
			       size_t ncells, unsigned flags,
			       struct sriov_nova_stats **ret,
			       struct sriov_error *err)
{
	struct sriov_nova_stats *st = calloc(1, sizeof(*st));
	size_t i;
	json_t *d, *devs = in;
	int r = 0;

	st->wl = wl;
	st->flags = flags;
	if (flags & SRIOV_NOVA_DETERMINISTIC) {
		/* the order the hypervisor reports devices in must not
		 * matter: take them by address */
		size_t n = json_array_size(in);
		json_t **v = calloc(n + 1, sizeof(*v));

		for (i = 0; i < n; i++)
			v[i] = json_array_get(in, i);
		for (i = 0; i < n; i++)
			if (!json_is_string(json_object_get(v[i], "address")))
				break;
		if (i == n)
			qsort(v, n, sizeof(*v), cmp_addr);
		devs = json_array();
		for (i = 0; i < n; i++)
			json_array_append(devs, v[i]);
		free(v);
	}
	st->tr = calloc(json_array_size(devs) + 1, sizeof(*st->tr));
	if (ncells) {
		st->cells = calloc(ncells, sizeof(*cells));
		memcpy(st->cells, cells, ncells * sizeof(*cells));
		st->ncells = ncells;
	}

	json_array_foreach(devs, i, d) {
		json_t *dt = json_object_get(d, "dev_type");
		json_t *nn = json_object_get(d, "numa_node");
		bool ok = false;

		for (int k = 0; k < 4 && json_is_string(dt); k++)
			ok = ok || !strcmp(json_string_value(dt), dev_types[k]);
		if (!ok || (nn && !json_is_null(nn) && !json_is_integer(nn)) ||
		    !json_is_string(json_object_get(d, "vendor_id")) ||
		    !json_is_string(json_object_get(d, "product_id")) ||
		    !json_is_string(json_object_get(d, "address"))) {
			r = nova_err(
				err,
				"device %zu: not a device as libvirt reports it (dev_type, numa_node, vendor_id, product_id, address)",
				i);
			goto fail;
		}
		/* match_pci_obj()'s dict differs from the device only in
		 * capabilities, which only remote_managed specs read */
		json_t *od = nova_whitelist_remote_managed(wl) ?
				     obj_dev_dict(d) :
				     json_incref(d);
		int m = sriov_nova_whitelist_match(wl, od, err);
		json_decref(od);
		if (m == -ENOENT)
			continue;
		if (m < 0) {
			r = m;
			goto fail;
		}
		json_t *pi = json_object_get(d, "parent_ifname");
		json_t *prod = json_object_get(d, "product_id");
		json_t *vend = json_object_get(d, "vendor_id");
		json_t *numa = nn ? nn : json_null();
		/* parent_ifname as a key: a non-empty string (other values
		 * are stringified: no signature for them) */
		bool sig = !pi || json_is_string(pi) || !py_truthy(pi);
		json_t *sig_pi =
			pi && json_is_string(pi) && py_truthy(pi) ? pi : NULL;
		struct pool *same = sig ? find_pool_sig(st, m, prod, vend, numa,
							dt, sig_pi) :
					  NULL;
		if (same) {
			const char *t = json_string_value(dt);
			struct tdev *td = &st->tr[st->ntr];
			td->dev = json_incref(d);
			td->keys = json_incref(same->keys);
			td->addr = json_string_value(
				json_object_get(d, "address"));
			td->pf = !strcmp(t, "type-PF");
			td->vf = !strcmp(t, "type-VF") || !strcmp(t, "vdpa");
			td->parent = -1;
			same->count++;
			json_array_append_new(
				same->devs, json_integer((json_int_t)st->ntr));
			st->ntr++;
			continue;
		}
		json_t *keys =
			json_pack("{s:O,s:O,s:O,s:O}", "product_id",
				  json_object_get(d, "product_id"), "vendor_id",
				  json_object_get(d, "vendor_id"), "numa_node",
				  nn ? nn : json_null(), "dev_type", dt);
		json_object_update(keys,
				   sriov_nova_whitelist_tags(wl, (size_t)m));
		if (pi && py_truthy(pi)) {
			if (json_is_string(pi)) {
				json_object_set(keys, "parent_ifname", pi);
			} else {
				char *s = json_dumps(pi, JSON_ENCODE_ANY |
								 JSON_COMPACT);
				json_object_set_new(keys, "parent_ifname",
						    json_string(s));
				free(s);
			}
		}
		const char *t = json_string_value(dt);
		json_t *rm = json_object_get(keys, "remote_managed");
		if (strcmp(t, "type-PCI") && (!rm || json_is_null(rm)))
			json_object_set_new(keys, "remote_managed",
					    json_string("false"));
		struct tdev *td = &st->tr[st->ntr];
		td->dev = json_incref(d);
		td->keys = keys;
		td->addr = json_string_value(json_object_get(d, "address"));
		td->pf = !strcmp(t, "type-PF");
		td->vf = !strcmp(t, "type-VF") || !strcmp(t, "vdpa");
		td->parent = -1;
		size_t before = st->n;
		char sigbuf[512];
		const char *sigkey = sig ? sig_key(sigbuf, sizeof(sigbuf), m,
						   prod, vend, numa, dt,
						   sig_pi) :
					   NULL;
		struct pool *p = add_device(st, st->ntr++, sigkey);
		if (sig && st->n > before) {
			p->sig_m = m;
			p->sig_prod = prod;
			p->sig_vend = vend;
			p->sig_numa = numa;
			p->sig_dt = dt;
			p->sig_pi = sig_pi;
		}
	}
	if (devs != in)
		json_decref(devs);
	if (flags & SRIOV_NOVA_HW_SHARED) {
		build_tree(st);
		st->tree = true;
	}
	*ret = st;
	return 0;
fail:
	if (devs != in)
		json_decref(devs);
	sriov_nova_stats_free(st);
	return r;
}

void sriov_nova_stats_free(struct sriov_nova_stats *st)
{
	if (!st)
		return;
	if (st->clone) {
		for (size_t i = 0; i < st->n; i++) {
			json_decref(st->pools[i].keys);
			json_decref(st->pools[i].devs);
		}
		free(st->pools);
		free(st);
		return;
	}
	for (size_t i = 0; i < st->n; i++) {
		json_decref(st->pools[i].keys);
		json_decref(st->pools[i].devs);
	}
	for (size_t i = 0; i < st->ntr; i++) {
		json_decref(st->tr[i].dev);
		json_decref(st->tr[i].keys);
		free(st->tr[i].children);
	}
	free(st->tr);
	free(st->pools);
	free(st->cells);
	free(st);
}

json_t *sriov_nova_stats_pools(const struct sriov_nova_stats *st)
{
	json_t *a = json_array();

	for (size_t i = 0; i < st->n; i++) {
		json_t *o = json_deep_copy(st->pools[i].keys);

		json_object_set_new(o, "count",
				    json_integer(st->pools[i].count));
		json_array_append_new(a, o);
	}
	return a;
}

/* utils.pci_device_prop_match(pool, specs) */
static bool prop_match(json_t *pool, json_t *specs)
{
	size_t i;
	json_t *spec;

	json_array_foreach(specs, i, spec) {
		const char *k;
		json_t *v;
		bool ok = true;

		json_object_foreach(spec, k, v) {
			json_t *pv = json_object_get(pool, k);

			if (!pv)
				pv = json_null();
			if (json_is_array(v) && json_is_array(pv)) {
				size_t a, b;
				json_t *x, *y;

				json_array_foreach(v, a, x) {
					bool in = false;
					json_array_foreach(pv, b, y)
						if (py_eq(x, y)) {
							in = true;
							break;
						}
					if (!in)
						ok = false;
				}
			} else if (json_is_string(v) && json_is_string(pv)) {
				/* str.lower() on both sides */
				const char *s = json_string_value(v);
				const char *t = json_string_value(pv);
				size_t n = json_string_length(v);

				if (n != json_string_length(pv))
					ok = false;
				for (size_t c = 0; ok && c < n; c++) {
					char x = s[c], y = t[c];
					if (x >= 'A' && x <= 'Z')
						x = (char)(x - 'A' + 'a');
					if (y >= 'A' && y <= 'Z')
						y = (char)(y - 'A' + 'a');
					if (x != y)
						ok = false;
				}
			} else if (!py_eq(v, pv)) {
				ok = false;
			}
			if (!ok)
				break;
		}
		if (ok)
			return true;
	}
	return false;
}

static bool spec_match_cached(const struct sriov_nova_request *rq,
			      const struct pool *p)
{
	struct sriov_nova_request *r = (struct sriov_nova_request *)rq;

	if (p->cls >= r->memo_n) {
		size_t n = p->cls + 64;
		unsigned char *m = realloc(r->memo, n);

		if (!m)
			abort();
		memset(m + r->memo_n, 0, n - r->memo_n);
		r->memo = m;
		r->memo_n = n;
	}
	if (!r->memo[p->cls])
		r->memo[p->cls] = prop_match(p->keys, r->spec) ? 1 : 2;
	return r->memo[p->cls] == 1;
}

/* numa_node == cell for one pool (cell < 0 stands for None). */
static bool numa_is(const struct pool *p, long cell, bool none)
{
	if (none)
		return p->nk == NK_NONE;
	if (p->nk == NK_INT)
		return p->numa == cell;
	if (p->nk == NK_OTHER) {
		json_t *c = json_integer(cell);
		bool r = py_eq(json_object_get(p->keys, "numa_node"), c);
		json_decref(c);
		return r;
	}
	return false;
}

static bool numa_in(const struct pool *p, const long *cells, size_t n,
		    bool with_none)
{
	for (size_t i = 0; i < n; i++)
		if (numa_is(p, cells[i], false))
			return true;
	return with_none && numa_is(p, 0, true);
}

static long sum(const struct pool *pools, const long *cnt, const size_t *idx,
		size_t n)
{
	long s = 0;

	for (size_t i = 0; i < n; i++)
		s += cnt[idx[i]];
	(void)pools;
	return s;
}

#define KEEP(cond)                                            \
	do {                                                  \
		size_t _m = 0;                                \
		for (size_t _i = 0; _i < n; _i++) {           \
			size_t j = idx[_i];                   \
			const struct pool *p = &st->pools[j]; \
			(void)p;                              \
			if (cond)                             \
				tmp[_m++] = j;                \
		}                                             \
		memcpy(idx, tmp, _m * sizeof(*idx));          \
		n = _m;                                       \
	} while (0)

enum { WANT_KNOWN = 1, WANT_PF = 2, WANT_VDPA = 4, WANT_RM = 8 };

/* What the request's specs ask of dev_type and remote_managed. */
static unsigned request_wants(const struct sriov_nova_request *rq)
{
	struct sriov_nova_request *r = (struct sriov_nova_request *)rq;
	size_t k;
	json_t *sp;

	if (r->wants)
		return r->wants;
	r->wants = WANT_KNOWN;
	json_array_foreach(rq->spec, k, sp) {
		json_t *dt = json_object_get(sp, "dev_type");
		json_t *rm = json_object_get(sp, "remote_managed");

		if (json_is_string(dt) &&
		    !strcmp(json_string_value(dt), "type-PF"))
			r->wants |= WANT_PF;
		if (json_is_string(dt) &&
		    !strcmp(json_string_value(dt), "vdpa"))
			r->wants |= WANT_VDPA;
		if (py_bool_from_string(rm ? rm : json_null()))
			r->wants |= WANT_RM;
	}
	return r->wants;
}

/* _filter_pools(); returns the number of pools in idx, or -1 for None. */
static long filter_pools(const struct sriov_nova_stats *st, const long *cnt,
			 const bool *alive, const struct sriov_nova_request *rq,
			 const long *cells, size_t ncells, size_t *idx,
			 size_t *tmp, size_t *all)
{
	size_t n = 0;

	for (size_t j = 0; j < st->n; j++)
		if (alive[j])
			idx[n++] = j;
	KEEP(spec_match_cached(rq, p));
	if (sum(st->pools, cnt, idx, n) < rq->count)
		return -1;
	if (cells) {
		size_t n0 = n;
		memcpy(all, idx, n0 * sizeof(*idx));

		KEEP(numa_in(p, cells, ncells, false));
		if (!(rq->policy == SRIOV_NUMA_REQUIRED ||
		      sum(st->pools, cnt, idx, n) >= rq->count)) {
			memcpy(idx, all, n0 * sizeof(*idx));
			n = n0;
			if (rq->policy == SRIOV_NUMA_SOCKET) {
				bool unknown = false;
				long *socks = calloc(st->ncells * ncells + 1,
						     sizeof(long));
				long *allowed =
					calloc(st->ncells + 1, sizeof(long));
				size_t ns = 0, na = 0;

				for (size_t c = 0; c < st->ncells; c++)
					unknown = unknown ||
						  st->cells[c].socket < 0;
				if (unknown) {
					n = 0;
				} else {
					for (size_t g = 0; g < ncells; g++)
						for (size_t c = 0;
						     c < st->ncells; c++)
							if (cells[g] ==
							    st->cells[c].id)
								socks[ns++] =
									st->cells[c]
										.socket;
					for (size_t c = 0; c < st->ncells; c++)
						for (size_t s = 0; s < ns; s++)
							if (st->cells[c].socket ==
							    socks[s]) {
								allowed[na++] =
									st->cells[c]
										.id;
								break;
							}
					KEEP(numa_in(p, allowed, na, false));
				}
				free(socks);
				free(allowed);
			} else {
				KEEP(numa_in(p, cells, ncells, true));
				if (!(rq->policy == SRIOV_NUMA_LEGACY ||
				      sum(st->pools, cnt, idx, n) >=
					      rq->count)) {
					/* preferred: all pools, local first */
					memcpy(idx, all, n0 * sizeof(*idx));
					n = n0;
					size_t m = 0;
					for (size_t i = 0; i < n; i++)
						if (numa_in(&st->pools[idx[i]],
							    cells, ncells,
							    true))
							tmp[m++] = idx[i];
					for (size_t i = 0; i < n; i++)
						if (!numa_in(&st->pools[idx[i]],
							     cells, ncells,
							     true))
							tmp[m++] = idx[i];
					memcpy(idx, tmp, n * sizeof(*idx));
				}
			}
		}
		if (sum(st->pools, cnt, idx, n) < rq->count)
			return -1;
	}
	unsigned w = request_wants(rq);
	bool want_pf = w & WANT_PF, want_vdpa = w & WANT_VDPA,
	     want_rm = w & WANT_RM;
	if (!want_pf) {
		KEEP(!p->pf);
		if (sum(st->pools, cnt, idx, n) < rq->count)
			return -1;
	}
	if (!want_vdpa)
		KEEP(!p->vdpa);
	if (!want_rm)
		KEEP(!p->rm);
	if (sum(st->pools, cnt, idx, n) < rq->count)
		return -1;
	return (long)n;
}

bool sriov_nova_stats_support(const struct sriov_nova_stats *st,
			      const struct sriov_nova_request *reqs,
			      size_t nreqs, const long *cells, size_t ncells)
{
	size_t np = st->n ? st->n : 1;
	/* a host has a handful of pools: no allocation per host */
	long small[16 * 5];
	size_t need = np * (sizeof(long) + sizeof(bool) + 3 * sizeof(size_t));
	long *cnt = need <= sizeof(small) ? small : malloc(need);
	size_t *idx = (size_t *)(cnt + np), *tmp = idx + np, *all = tmp + np;
	bool *alive = (bool *)(all + np);
	bool ok = true;

	if (cells && !ncells)
		cells = NULL; /* an empty list is falsy */
	for (size_t j = 0; j < st->n; j++) {
		cnt[j] = st->pools[j].count;
		alive[j] = true;
	}
	for (size_t r = 0; r < nreqs; r++) {
		long n = filter_pools(st, cnt, alive, &reqs[r], cells, ncells,
				      idx, tmp, all);
		if (n <= 0) {
			ok = false;
			break;
		}
		long count = reqs[r].count;
		for (long i = 0; i < n; i++) {
			size_t j = idx[i];

			/* _decrease_pool_count */
			if (cnt[j] > count) {
				cnt[j] -= count;
				count = 0;
			} else {
				count -= cnt[j];
				alive[j] = false;
			}
			if (!count)
				break;
		}
	}
	if (cnt != small)
		free(cnt);
	return ok;
}

/* PciDevTracker._build_device_tree(): VFs and vdpa devices link to the
 * tracked PF at their parent_addr; a PF lists its children by address. */
static void build_tree(struct sriov_nova_stats *st)
{
	size_t *ord = calloc(st->ntr + 1, sizeof(*ord));

	for (size_t i = 0; i < st->ntr; i++)
		ord[i] = i;
	/* insertion sort by address: stable, like list.sort() */
	for (size_t i = 1; i < st->ntr; i++) {
		size_t v = ord[i], j = i;
		while (j > 0 &&
		       strcmp(st->tr[ord[j - 1]].addr, st->tr[v].addr) > 0) {
			ord[j] = ord[j - 1];
			j--;
		}
		ord[j] = v;
	}
	for (size_t i = 0; i < st->ntr; i++) {
		struct tdev *td = &st->tr[i];
		json_t *pa = json_object_get(td->dev, "parent_addr");

		if (!td->vf || !json_is_string(pa))
			continue;
		for (size_t k = 0; k < st->ntr; k++)
			if (st->tr[k].pf &&
			    !strcmp(st->tr[k].addr, json_string_value(pa)))
				td->parent = (long)k; /* the last one wins */
	}
	for (size_t o = 0; o < st->ntr; o++) {
		struct tdev *td = &st->tr[ord[o]];
		if (td->parent < 0)
			continue;
		struct tdev *p = &st->tr[td->parent];
		size_t *c =
			realloc(p->children, (p->nchildren + 1) * sizeof(*c));
		if (!c)
			abort();
		c[p->nchildren++] = ord[o];
		p->children = c;
	}
	free(ord);
}

static struct pool *pool_of_free(struct sriov_nova_stats *st, size_t t,
				 size_t *at)
{
	for (size_t k = 0; k < st->n; k++) {
		json_t *v;
		size_t i;

		json_array_foreach(st->pools[k].devs, i, v)
			if ((size_t)json_integer_value(v) == t) {
				*at = i;
				return &st->pools[k];
			}
	}
	return NULL;
}

static void pool_drop(struct sriov_nova_stats *st, struct pool *p)
{
	size_t k = (size_t)(p - st->pools);

	json_decref(p->keys);
	json_decref(p->devs);
	memmove(&st->pools[k], &st->pools[k + 1],
		(st->n - k - 1) * sizeof(*st->pools));
	st->n--;
}

/* remove_device() of a device known to be free. */
static void remove_device(struct sriov_nova_stats *st, size_t t)
{
	struct pool *p = find_pool(st, st->tr[t].keys);
	size_t at;

	if (!p || pool_of_free(st, t, &at) != p)
		return; /* Nova would raise; the tree keeps this unreachable */
	json_array_remove(p->devs, at);
	/* _decrease_pool_count() */
	if (p->count > 1)
		p->count--;
	else
		pool_drop(st, p);
}

static void handle_dependents(struct sriov_nova_stats *st, size_t t)
{
	struct tdev *td = &st->tr[t];
	size_t at;

	if (td->pf) {
		for (size_t c = 0; c < td->nchildren; c++)
			if (pool_of_free(st, td->children[c], &at))
				remove_device(st, td->children[c]);
	} else if (td->vf && td->parent >= 0) {
		if (pool_of_free(st, (size_t)td->parent, &at))
			remove_device(st, (size_t)td->parent);
	}
}

int sriov_nova_stats_consume(struct sriov_nova_stats *st,
			     const struct sriov_nova_request *reqs,
			     size_t nreqs, const long *cells, size_t ncells,
			     json_t **ret)
{
	json_t *alloc = json_array();
	size_t np = st->n + 1;
	int r = 0;

	if (cells && !ncells)
		cells = NULL;
	if (!st->tree) {
		build_tree(st);
		st->tree = true;
	}
	for (size_t q = 0; q < nreqs; q++) {
		long count = reqs[q].count;

		np = st->n + 1;
		long *cnt = calloc(np, sizeof(long));
		bool *alive = calloc(np, sizeof(bool));
		size_t *idx = calloc(3 * np, sizeof(size_t));
		for (size_t j = 0; j < st->n; j++) {
			cnt[j] = st->pools[j].count;
			alive[j] = true;
		}
		long n = filter_pools(st, cnt, alive, &reqs[q], cells, ncells,
				      idx, idx + np, idx + 2 * np);
		free(cnt);
		free(alive);
		if (n <= 0) {
			/* give back what this call took (not the dependents
			 * it removed: Nova does not either) */
			while (json_array_size(alloc)) {
				size_t last = json_array_size(alloc) - 1;
				json_t *a = json_array_get(alloc, last);
				add_device(st,
					   (size_t)json_integer_value(
						   json_object_get(a, "t")),
					   NULL);
				json_array_remove(alloc, last);
			}
			free(idx);
			r = -ENOSPC;
			break;
		}
		/* the filtered pools, as pointers: dependents may remove
		 * pools from the array while we walk it */
		json_t **keys = calloc((size_t)n, sizeof(*keys));
		for (long i = 0; i < n; i++)
			keys[i] = json_incref(st->pools[idx[i]].keys);
		free(idx);
		for (long i = 0; i < n && count; i++) {
			struct pool *p = NULL;
			for (size_t k = 0; k < st->n && !p; k++)
				if (st->pools[k].keys == keys[i])
					p = &st->pools[k];
			if (!p)
				continue; /* Nova keeps walking a stale pool */
			long num = p->count >= count ? count : p->count;
			count -= num;
			p->count -= num;
			for (long d = 0; d < num; d++) {
				size_t sz = json_array_size(p->devs);
				size_t at =
					(st->flags & SRIOV_NOVA_DETERMINISTIC) ?
						0 :
						sz - 1;
				if (!sz)
					break;
				size_t t = (size_t)json_integer_value(
					json_array_get(p->devs, at));
				json_array_remove(p->devs, at);
				handle_dependents(st, t);
				/* p may have moved */
				p = NULL;
				for (size_t k = 0; k < st->n && !p; k++)
					if (st->pools[k].keys == keys[i])
						p = &st->pools[k];
				json_array_append_new(
					alloc,
					json_pack("{s:s?,s:I,s:I}", "address",
						  st->tr[t].addr, "request",
						  (json_int_t)q, "t",
						  (json_int_t)t));
				if (!p)
					break;
			}
		}
		for (long i = 0; i < n; i++)
			json_decref(keys[i]);
		free(keys);
		if (r < 0)
			break;
	}
	if (r < 0) {
		json_decref(alloc);
		return r;
	}
	size_t i;
	json_t *a;
	json_array_foreach(alloc, i, a)
		json_object_del(a, "t");
	*ret = alloc;
	return 0;
}

static struct sriov_nova_stats *stats_clone(const struct sriov_nova_stats *st)
{
	struct sriov_nova_stats *c = calloc(1, sizeof(*c));

	*c = *st;
	c->pools = calloc(st->n + 1, sizeof(*c->pools));
	c->cap = st->n + 1;
	for (size_t k = 0; k < st->n; k++) {
		c->pools[k] = st->pools[k];
		json_incref(c->pools[k].keys);
		c->pools[k].devs = json_copy(st->pools[k].devs);
	}
	/* the tracked devices, the tree and the cells are shared */
	c->clone = true;
	return c;
}

bool sriov_nova_stats_support_flags(const struct sriov_nova_stats *st,
				    const struct sriov_nova_request *reqs,
				    size_t nreqs, const long *cells,
				    size_t ncells)
{
	if (!(st->flags & SRIOV_NOVA_HW_SHARED))
		return sriov_nova_stats_support(st, reqs, nreqs, cells, ncells);
	/* a PF and its VFs are one piece of hardware: answer with what
	 * consuming would do, dependents included */
	struct sriov_nova_stats *c = stats_clone(st);
	json_t *got = NULL;
	int r = sriov_nova_stats_consume(c, reqs, nreqs, cells, ncells, &got);

	json_decref(got);
	sriov_nova_stats_free(c);
	return r == 0;
}
