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
#include "util/macro.h"
#include "util/banned.h"

/* A pool's numa_node as `numa_node == cell` sees it: None, a number equal
 * to one integer (an int, a bool, an integral float), or never equal to a
 * cell (a str, a fraction). */
enum numa_kind { NK_NONE, NK_INT, NK_NEVER };

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
	/* SRIOV_NOVA_SCHEDULER: why Nova cannot store the pools ("" if it
	 * can) */
	char unreported[SRIOV_ERROR_MSG_MAX];
};

static const char *const dev_types[] = { "type-PCI", "type-PF", "type-VF",
					 "vdpa" };

static void pool_numa(struct pool *p, json_t *nn)
{
	double d;

	p->nk = NK_NEVER;
	if (!nn || json_is_null(nn)) {
		p->nk = NK_NONE;
	} else if (json_is_integer(nn)) {
		p->nk = NK_INT;
		p->numa = (long)json_integer_value(nn);
	} else if (json_is_boolean(nn)) {
		p->nk = NK_INT; /* True == 1 */
		p->numa = json_is_true(nn);
	} else if (json_is_real(nn)) {
		d = json_real_value(nn);
		if (d >= -9.2e18 && d <= 9.2e18 && (double)(long)d == d) {
			p->nk = NK_INT;
			p->numa = (long)d;
		}
	}
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The pool's keys as one text, the same for equal keys: the names sorted,
 * each value as Python's repr(). Written with our own buffer: jansson's
 * json_dumps() drops characters when an allocation fails midway.
 */
static char *class_key(json_t *keys)
{
	size_t n = json_object_size(keys), i = 0;
	_cleanup_free_ const char **names = calloc(n + 1, sizeof(*names));
	struct sbuf b = { 0 };
	const char *k;
	json_t *v;

	if (!names)
		return NULL;
	json_object_foreach(keys, k, v)
		names[i++] = k;
	qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		sb_printf(&b, "%zu:%s=", strlen(names[i]), names[i]);
		py_repr(&b, json_object_get(keys, names[i]));
		sb_putc(&b, '\n');
	}
	return sb_take(&b);
}

static int pool_finish(const struct sriov_nova_whitelist *wl, struct pool *p,
		       const char *sig)
{
	json_t *dt = json_object_get(p->keys, "dev_type");
	json_t *rm = json_object_get(p->keys, "remote_managed");
	int r;

	pool_numa(p, json_object_get(p->keys, "numa_node"));
	p->pf = json_is_string(dt) && !strcmp(json_string_value(dt), "type-PF");
	p->vdpa = json_is_string(dt) && !strcmp(json_string_value(dt), "vdpa");
	p->rm = py_bool_from_string(rm ? rm : json_null());
	/* equal signatures build identical keys, so the class found once
	 * by serialising them holds for every pool with that signature */
	long c = sig ? nova_sig_class(wl, sig, NULL) : -1;
	if (c >= 0) {
		p->cls = (size_t)c;
		return 0;
	}
	char *k = class_key(p->keys);
	if (!k)
		return -ENOMEM;
	r = nova_intern_pool(wl, k, &p->cls);
	free(k);
	if (r < 0)
		return r;
	/* a signature not remembered only costs the serialisation above
	 * next time */
	if (sig && nova_sig_class_set(wl, sig, p->cls, p->keys) < 0)
		return 0;
	return 0;
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
static const char *sig_key(char *buf, size_t size, unsigned flags, long m,
			   json_t *prod, json_t *vend, json_t *numa, json_t *dt,
			   json_t *pi)
{
	json_t *s[4] = { prod, vend, dt, pi };
	size_t at;
	/* the scheduler's keys differ from the compute node's */
	int n = snprintf(buf, size, "%c%ld|%s%" JSON_INTEGER_FORMAT,
			 flags & SRIOV_NOVA_SCHEDULER ? 's' : 'c', m,
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

/* Put tracked device t on the pool's list of free devices. */
static int pool_push(struct pool *p, size_t t)
{
	if (json_array_append_new(p->devs, json_integer((json_int_t)t)) < 0)
		return -ENOMEM;
	p->count++;
	return 0;
}

/* add_device(): the pool with these keys, or a new one in len() order. */
static int add_device(struct sriov_nova_stats *st, size_t t, const char *sig,
		      struct pool **ret)
{
	json_t *keys = st->tr[t].keys;
	struct pool *found = find_pool(st, keys), new;
	int r;

	if (!found) {
		if (grow_array((void **)&st->pools, &st->cap, st->n,
			       sizeof(*st->pools)) < 0)
			return -ENOMEM;
		new = (struct pool){ .keys = json_incref(keys),
				     .devs = json_array(),
				     .sig_m = -1 };
		r = new.devs ? pool_finish(st->wl, &new, sig) : -ENOMEM;
		if (r < 0) {
			json_decref(new.keys);
			json_decref(new.devs);
			return r;
		}
		/* append, then the stable sort by len(): insert after the
		 * last pool that is not longer */
		size_t len = json_object_size(keys), at = st->n;
		while (at > 0 && json_object_size(st->pools[at - 1].keys) > len)
			at--;
		memmove(&st->pools[at + 1], &st->pools[at],
			(st->n - at) * sizeof(*st->pools));
		st->pools[at] = new;
		st->n++;
		found = &st->pools[at];
	}
	if (pool_push(found, t) < 0)
		return -ENOMEM;
	if (ret)
		*ret = found;
	return 0;
}

static int build_tree(struct sriov_nova_stats *st);

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

static void drop_pools(struct sriov_nova_stats *st)
{
	for (size_t i = 0; i < st->n; i++) {
		json_decref(st->pools[i].keys);
		json_decref(st->pools[i].devs);
	}
	st->n = 0;
}

/* The devices in address order (SRIOV_NOVA_DETERMINISTIC), a new array. */
static int by_address(json_t *in, json_t **ret)
{
	size_t n = json_array_size(in), i;
	_cleanup_free_ json_t **v = calloc(n + 1, sizeof(*v));
	json_t *devs;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = json_array_get(in, i);
	for (i = 0; i < n; i++)
		if (!json_is_string(json_object_get(v[i], "address")))
			break;
	if (i == n)
		qsort(v, n, sizeof(*v), cmp_addr);
	devs = json_array();
	if (!devs)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (json_array_append(devs, v[i]) < 0) {
			json_decref(devs);
			return -ENOMEM;
		}
	*ret = devs;
	return 0;
}

/* _create_pool_keys_from_dev() for a device matched by spec m. */
static int pool_keys(const struct sriov_nova_whitelist *wl, json_t *d, int m,
		     json_t **ret)
{
	json_t *pi = json_object_get(d, "parent_ifname");
	json_t *nn = json_object_get(d, "numa_node");
	json_t *dt = json_object_get(d, "dev_type");
	json_auto_t *keys =
		json_pack("{s:O,s:O,s:O,s:O}", "product_id",
			  json_object_get(d, "product_id"), "vendor_id",
			  json_object_get(d, "vendor_id"), "numa_node",
			  nn ? nn : json_null(), "dev_type", dt);

	if (!keys ||
	    json_object_update(keys, sriov_nova_whitelist_tags(wl, (size_t)m)) <
		    0)
		return -ENOMEM;
	if (pi && py_truthy(pi)) {
		json_t *v = json_incref(pi);

		if (!json_is_string(pi)) {
			json_decref(v);
			v = nova_json_text(pi);
		}
		if (json_object_set_new(keys, "parent_ifname", v) < 0)
			return -ENOMEM;
	}
	json_t *rm = json_object_get(keys, "remote_managed");
	if (strcmp(json_string_value(dt), "type-PCI") &&
	    (!rm || json_is_null(rm)) &&
	    json_object_set_new(keys, "remote_managed", json_string("false")) <
		    0)
		return -ENOMEM;
	*ret = TAKE_PTR(keys);
	return 0;
}

/*
 * One value of a pool dict as PciDevicePool stores it and the scheduler
 * reads it back: vendor_id and product_id are StringFields, numa_node an
 * IntegerField(nullable=True), the rest are tags, a
 * DictOfNullableStringsField, whose String.coerce() takes str, int,
 * float (and bool, an int) and gives str(). -EINVAL: Nova raises (why
 * says what the value is).
 */
static int stored_value(const char *key, json_t *v, json_t **ret,
			const char **why)
{
	struct sbuf b = { 0 };
	long long n;
	char *t;

	if (!strcmp(key, "numa_node")) {
		/* int(value) */
		if (json_is_null(v) || json_is_integer(v)) {
			*ret = json_incref(v);
		} else if (json_is_boolean(v)) {
			*ret = json_integer(json_is_true(v));
		} else if (json_is_real(v)) {
			double d = json_real_value(v);
			if (d <= -9.2e18 || d >= 9.2e18) {
				*why = "a number beyond 64 bits";
				return -EINVAL;
			}
			*ret = json_integer((json_int_t)d);
		} else if (json_is_string(v)) {
			if (py_int(json_string_value(v), json_string_length(v),
				   &n) < 0) {
				*why = "a string that is not an integer";
				return -EINVAL;
			}
			*ret = json_integer(n);
		} else {
			*why = json_is_array(v) ? "a list" : "a dict";
			return -EINVAL;
		}
		return *ret ? 0 : -ENOMEM;
	}
	if (json_is_null(v) || json_is_string(v) || !strcmp(key, "vendor_id") ||
	    !strcmp(key, "product_id")) {
		*ret = json_incref(v);
		return 0;
	}
	if (json_is_array(v) || json_is_object(v)) {
		*why = json_is_array(v) ? "a list" : "a dict";
		return -EINVAL;
	}
	py_str(&b, v); /* "True", "1", "1.5" */
	t = sb_take(&b);
	*ret = t ? json_string(t) : NULL;
	free(t);
	return *ret ? 0 : -ENOMEM;
}

/* The keys as the scheduler reads them back (SRIOV_NOVA_SCHEDULER). */
static int stored_keys(struct sriov_nova_stats *st, int m, json_t **keys)
{
	json_auto_t *out = json_object();
	const char *k, *why = NULL;
	json_t *v, *sv;
	int r;

	if (!out)
		return -ENOMEM;
	json_object_foreach(*keys, k, v) {
		r = stored_value(k, v, &sv, &why);
		if (r == -EINVAL) {
			snprintf(
				st->unreported, sizeof(st->unreported),
				"device_spec %zu: tag \"%s\" is %s, which Nova cannot store in a pool (PciDevicePool takes strings and numbers), so the compute node reports no PCI devices and the scheduler sees none",
				sriov_nova_whitelist_value_index(st->wl,
								 (size_t)m),
				k, why);
			return r;
		}
		if (r < 0 || json_object_set_new(out, k, sv) < 0)
			return -ENOMEM;
	}
	json_decref(*keys);
	*keys = TAKE_PTR(out);
	return 0;
}

/* Track device d (its keys stolen) as st->tr[st->ntr]. */
static void track(struct sriov_nova_stats *st, json_t *d, json_t *keys)
{
	const char *t = json_string_value(json_object_get(d, "dev_type"));
	struct tdev *td = &st->tr[st->ntr++];

	td->dev = json_incref(d);
	td->keys = keys;
	td->addr = json_string_value(json_object_get(d, "address"));
	td->pf = !strcmp(t, "type-PF");
	td->vf = !strcmp(t, "type-VF") || !strcmp(t, "vdpa");
	td->parent = -1;
}

static bool libvirt_device(json_t *d)
{
	json_t *dt = json_object_get(d, "dev_type");
	json_t *nn = json_object_get(d, "numa_node");
	bool ok = false;

	for (int k = 0; k < 4 && json_is_string(dt); k++)
		ok = ok || !strcmp(json_string_value(dt), dev_types[k]);
	return ok && (!nn || json_is_null(nn) || json_is_integer(nn)) &&
	       json_is_string(json_object_get(d, "vendor_id")) &&
	       json_is_string(json_object_get(d, "product_id")) &&
	       json_is_string(json_object_get(d, "address"));
}

/* PciDeviceStats.add_device() for device i of the host. */
static int stats_add(struct sriov_nova_stats *st, size_t i, json_t *d,
		     struct sriov_error *err)
{
	const struct sriov_nova_whitelist *wl = st->wl;
	json_t *dt = json_object_get(d, "dev_type");
	json_t *nn = json_object_get(d, "numa_node");
	json_t *keys = NULL;
	int m, r;

	if (!libvirt_device(d))
		return nova_err(
			err,
			"device %zu: not a device as libvirt reports it (dev_type, numa_node, vendor_id, product_id, address)",
			i);
	/* match_pci_obj()'s dict differs from the device only in
	 * capabilities, which only remote_managed specs read */
	json_t *od = nova_whitelist_remote_managed(wl) ? obj_dev_dict(d) :
							 json_incref(d);
	if (!od)
		return -ENOMEM;
	m = sriov_nova_whitelist_match(wl, od, err);
	json_decref(od);
	if (m == -ENOENT)
		return 0;
	if (m < 0)
		return m;
	json_t *pi = json_object_get(d, "parent_ifname");
	json_t *prod = json_object_get(d, "product_id");
	json_t *vend = json_object_get(d, "vendor_id");
	json_t *numa = nn ? nn : json_null();
	/* parent_ifname as a key: a non-empty string (other values
	 * are stringified: no signature for them) */
	bool sig = !pi || json_is_string(pi) || !py_truthy(pi);
	json_t *sig_pi = pi && json_is_string(pi) && py_truthy(pi) ? pi : NULL;
	struct pool *same =
		sig ? find_pool_sig(st, m, prod, vend, numa, dt, sig_pi) : NULL;
	if (same) {
		r = pool_push(same, st->ntr);
		if (r == 0)
			track(st, d, json_incref(same->keys));
		return r;
	}
	char sigbuf[512];
	const char *sigkey = sig ? sig_key(sigbuf, sizeof(sigbuf), st->flags, m,
					   prod, vend, numa, dt, sig_pi) :
				   NULL;
	json_t *known = NULL;
	/* another host built the keys from the same inputs: equal keys,
	 * shared (they are never changed) */
	if (sigkey && nova_sig_class(wl, sigkey, &known) >= 0 && known) {
		keys = json_incref(known);
	} else {
		r = pool_keys(wl, d, m, &keys);
		if (r == 0 && (st->flags & SRIOV_NOVA_SCHEDULER))
			r = stored_keys(st, m, &keys);
		if (r < 0) {
			json_decref(keys);
			/* the pools cannot be stored: see stats_new */
			return r == -EINVAL ? 0 : r;
		}
	}
	track(st, d, keys);
	size_t before = st->n;
	struct pool *p;
	r = add_device(st, st->ntr - 1, sigkey, &p);
	if (r < 0)
		return r;
	if (sig && st->n > before) {
		p->sig_m = m;
		p->sig_prod = prod;
		p->sig_vend = vend;
		p->sig_numa = numa;
		p->sig_dt = dt;
		p->sig_pi = sig_pi;
	}
	return 0;
}

int sriov_nova_stats_new_flags(const struct sriov_nova_whitelist *wl,
			       json_t *in, const struct sriov_nova_cell *cells,
			       size_t ncells, unsigned flags,
			       struct sriov_nova_stats **ret,
			       struct sriov_error *err)
{
	struct sriov_nova_stats *st = calloc(1, sizeof(*st));
	json_t *d, *devs = in;
	size_t i;
	int r = 0;

	if (!st)
		return nova_oom(err);
	st->wl = wl;
	st->flags = flags;
	/* the order the hypervisor reports devices in must not matter: take
	 * them by address */
	if (flags & SRIOV_NOVA_DETERMINISTIC)
		r = by_address(in, &devs);
	if (r == 0) {
		st->tr = calloc(json_array_size(devs) + 1, sizeof(*st->tr));
		st->cells = calloc(ncells + 1, sizeof(*cells));
		if (!st->tr || !st->cells)
			r = -ENOMEM;
	}
	if (r == 0 && ncells) {
		memcpy(st->cells, cells, ncells * sizeof(*cells));
		st->ncells = ncells;
	}
	json_array_foreach(devs, i, d) {
		if (r < 0 || st->unreported[0])
			break;
		r = stats_add(st, i, d, err);
	}
	if (devs != in)
		json_decref(devs);
	/* Nova's resource tracker raises before it reports the pools */
	if (r == 0 && st->unreported[0])
		drop_pools(st);
	if (r == 0 && (flags & SRIOV_NOVA_HW_SHARED))
		r = build_tree(st);
	if (r < 0) {
		sriov_nova_stats_free(st);
		return r == -ENOMEM ? nova_oom(err) : r;
	}
	*ret = st;
	return 0;
}

const char *sriov_nova_stats_unreported(const struct sriov_nova_stats *st)
{
	return st->unreported[0] ? st->unreported : NULL;
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

	for (size_t i = 0; a && i < st->n; i++) {
		json_t *o = json_deep_copy(st->pools[i].keys);

		if (!o ||
		    json_object_set_new(o, "count",
					json_integer(st->pools[i].count)) < 0) {
			json_decref(o);
			json_decref(a);
			return NULL;
		}
		/* the array takes o, also when it fails */
		if (json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
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

/* Room in the request's memo for every pool class of the whitelist. */
static int memo_reserve(const struct sriov_nova_request *rq,
			const struct sriov_nova_stats *st)
{
	struct sriov_nova_request *r = (struct sriov_nova_request *)rq;
	size_t n = nova_whitelist_classes(st->wl);

	if (n <= r->memo_n)
		return 0;
	n += 64;
	unsigned char *m = realloc(r->memo, n);
	if (!m)
		return -ENOMEM;
	memset(m + r->memo_n, 0, n - r->memo_n);
	r->memo = m;
	r->memo_n = n;
	return 0;
}

/* prop_match() of the pool's class, remembered (memo_reserve() first). */
static bool spec_match_cached(const struct sriov_nova_request *rq,
			      const struct pool *p)
{
	struct sriov_nova_request *r = (struct sriov_nova_request *)rq;

	if (!r->memo[p->cls])
		r->memo[p->cls] = prop_match(p->keys, r->spec) ? 1 : 2;
	return r->memo[p->cls] == 1;
}

/* numa_node == cell for one pool, or numa_node is None. */
static bool numa_is(const struct pool *p, long cell, bool none)
{
	if (none)
		return p->nk == NK_NONE;
	return p->nk == NK_INT && p->numa == cell;
}

static bool numa_in(const struct pool *p, const long *cells, size_t n,
		    bool with_none)
{
	for (size_t i = 0; i < n; i++)
		if (numa_is(p, cells[i], false))
			return true;
	return with_none && numa_is(p, 0, true);
}

/* The socket policy: the pool's node is a host cell on the socket of one
 * of the guest's cells. */
static bool numa_on_guest_socket(const struct sriov_nova_stats *st,
				 const struct pool *p, const long *cells,
				 size_t ncells)
{
	for (size_t c = 0; c < st->ncells; c++) {
		if (!numa_is(p, st->cells[c].id, false))
			continue;
		for (size_t g = 0; g < ncells; g++)
			for (size_t h = 0; h < st->ncells; h++)
				if (cells[g] == st->cells[h].id &&
				    st->cells[h].socket == st->cells[c].socket)
					return true;
	}
	return false;
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

				for (size_t c = 0; c < st->ncells; c++)
					unknown = unknown ||
						  st->cells[c].socket < 0;
				if (unknown)
					n = 0;
				else
					KEEP(numa_on_guest_socket(st, p, cells,
								  ncells));
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

int sriov_nova_stats_support(const struct sriov_nova_stats *st,
			     const struct sriov_nova_request *reqs,
			     size_t nreqs, const long *cells, size_t ncells)
{
	size_t np = st->n ? st->n : 1;
	/* a host has a handful of pools: no allocation per host */
	long small[16 * 5];
	size_t need = np * (sizeof(long) + sizeof(bool) + 3 * sizeof(size_t));
	long *cnt = need <= sizeof(small) ? small : malloc(need);
	int ok = 1;

	if (!cnt)
		return -ENOMEM;
	size_t *idx = (size_t *)(cnt + np), *tmp = idx + np, *all = tmp + np;
	bool *alive = (bool *)(all + np);
	if (cells && !ncells)
		cells = NULL; /* an empty list is falsy */
	for (size_t j = 0; j < st->n; j++) {
		cnt[j] = st->pools[j].count;
		alive[j] = true;
	}
	for (size_t r = 0; r < nreqs; r++) {
		if (memo_reserve(&reqs[r], st) < 0) {
			ok = -ENOMEM;
			break;
		}
		long n = filter_pools(st, cnt, alive, &reqs[r], cells, ncells,
				      idx, tmp, all);
		if (n <= 0) {
			ok = 0;
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
static int build_tree(struct sriov_nova_stats *st)
{
	_cleanup_free_ size_t *ord = calloc(st->ntr + 1, sizeof(*ord));

	if (!ord)
		return -ENOMEM;
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
			return -ENOMEM;
		c[p->nchildren++] = ord[o];
		p->children = c;
	}
	st->tree = true;
	return 0;
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

/* Give back the devices this call took (not the dependents they removed:
 * Nova does not either). */
static int give_back(struct sriov_nova_stats *st, json_t *alloc)
{
	while (json_array_size(alloc)) {
		size_t last = json_array_size(alloc) - 1;
		json_t *a = json_array_get(alloc, last);

		if (add_device(
			    st,
			    (size_t)json_integer_value(json_object_get(a, "t")),
			    NULL, NULL) < 0)
			return -ENOMEM;
		json_array_remove(alloc, last);
	}
	return 0;
}

/* The pool whose keys are these (pools move when dependents go). */
static struct pool *pool_by_keys(struct sriov_nova_stats *st, json_t *keys)
{
	for (size_t k = 0; k < st->n; k++)
		if (st->pools[k].keys == keys)
			return &st->pools[k];
	return NULL;
}

/* _apply_request() of one request that _filter_pools() answered with the
 * pools idx[0..n): take the devices. */
static int take(struct sriov_nova_stats *st, size_t q, long count,
		const size_t *idx, long n, json_t *alloc)
{
	/* the filtered pools, as their keys: dependents may remove pools
	 * from the array while we walk it */
	_cleanup_free_ json_t **keys = calloc((size_t)n + 1, sizeof(*keys));
	int r = 0;

	if (!keys)
		return -ENOMEM;
	for (long i = 0; i < n; i++)
		keys[i] = json_incref(st->pools[idx[i]].keys);
	for (long i = 0; i < n && count && r == 0; i++) {
		struct pool *p = pool_by_keys(st, keys[i]);
		if (!p)
			continue; /* Nova keeps walking a stale pool */
		long num = p->count >= count ? count : p->count;
		count -= num;
		p->count -= num;
		for (long d = 0; d < num; d++) {
			size_t sz = json_array_size(p->devs);
			size_t at = (st->flags & SRIOV_NOVA_DETERMINISTIC) ?
					    0 :
					    sz - 1;
			if (!sz)
				break;
			size_t t = (size_t)json_integer_value(
				json_array_get(p->devs, at));
			json_array_remove(p->devs, at);
			handle_dependents(st, t);
			p = pool_by_keys(st, keys[i]);
			if (json_array_append_new(
				    alloc, json_pack("{s:s?,s:I,s:I}",
						     "address", st->tr[t].addr,
						     "request", (json_int_t)q,
						     "t", (json_int_t)t)) < 0) {
				r = -ENOMEM;
				break;
			}
			if (!p)
				break;
		}
	}
	for (long i = 0; i < n; i++)
		json_decref(keys[i]);
	return r;
}

int sriov_nova_stats_consume(struct sriov_nova_stats *st,
			     const struct sriov_nova_request *reqs,
			     size_t nreqs, const long *cells, size_t ncells,
			     json_t **ret)
{
	json_auto_t *alloc = json_array();
	int r = 0;

	if (!alloc)
		return -ENOMEM;
	if (cells && !ncells)
		cells = NULL;
	if (!st->tree) {
		r = build_tree(st);
		if (r < 0)
			return r;
	}
	for (size_t q = 0; q < nreqs && r == 0; q++) {
		size_t np = st->n + 1;
		_cleanup_free_ long *cnt = calloc(np, sizeof(long));
		_cleanup_free_ bool *alive = calloc(np, sizeof(bool));
		_cleanup_free_ size_t *idx = calloc(3 * np, sizeof(size_t));

		if (!cnt || !alive || !idx || memo_reserve(&reqs[q], st) < 0)
			return -ENOMEM;
		for (size_t j = 0; j < st->n; j++) {
			cnt[j] = st->pools[j].count;
			alive[j] = true;
		}
		long n = filter_pools(st, cnt, alive, &reqs[q], cells, ncells,
				      idx, idx + np, idx + 2 * np);
		if (n <= 0) {
			r = give_back(st, alloc);
			return r < 0 ? r : -ENOSPC;
		}
		r = take(st, q, reqs[q].count, idx, n, alloc);
	}
	if (r < 0)
		return r;
	size_t i;
	json_t *a;
	json_array_foreach(alloc, i, a)
		json_object_del(a, "t");
	*ret = TAKE_PTR(alloc);
	return 0;
}

static int stats_clone(const struct sriov_nova_stats *st,
		       struct sriov_nova_stats **ret)
{
	struct sriov_nova_stats *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	*c = *st;
	/* the tracked devices, the tree and the cells are shared */
	c->clone = true;
	c->n = 0;
	c->pools = calloc(st->n + 1, sizeof(*c->pools));
	c->cap = st->n + 1;
	if (!c->pools) {
		free(c);
		return -ENOMEM;
	}
	for (size_t k = 0; k < st->n; k++) {
		c->pools[k] = st->pools[k];
		c->pools[k].devs = json_copy(st->pools[k].devs);
		if (!c->pools[k].devs) {
			sriov_nova_stats_free(c);
			return -ENOMEM;
		}
		json_incref(c->pools[k].keys);
		c->n++;
	}
	*ret = c;
	return 0;
}

int sriov_nova_stats_support_flags(const struct sriov_nova_stats *st,
				   const struct sriov_nova_request *reqs,
				   size_t nreqs, const long *cells,
				   size_t ncells)
{
	struct sriov_nova_stats *c = NULL;
	json_t *got = NULL;
	int r;

	if (!(st->flags & SRIOV_NOVA_HW_SHARED))
		return sriov_nova_stats_support(st, reqs, nreqs, cells, ncells);
	/* a PF and its VFs are one piece of hardware: answer with what
	 * consuming would do, dependents included */
	r = stats_clone(st, &c);
	if (r < 0)
		return r;
	r = sriov_nova_stats_consume(c, reqs, nreqs, cells, ncells, &got);
	json_decref(got);
	sriov_nova_stats_free(c);
	return r == 0 ? 1 : r == -ENOSPC ? 0 : r;
}
