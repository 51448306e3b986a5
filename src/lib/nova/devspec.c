/* SPDX-License-Identifier: MIT */
/*
 * [pci] device_spec: nova/pci/devspec.py and whitelist.py (Zed), in C.
 * Every error text is Nova's (exception.py), formatted the way Python
 * would format it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

#include "nova/internal.h"
#include "nova/pyre.h"
#include "nova/pyval.h"
#include "sysfs/fs.h"
#include "util/banned.h"

#define ANY "*"

enum { F_DOMAIN, F_BUS, F_SLOT, F_FUNC };
static const char *const field_name[4] = { "domain", "bus", "slot", "func" };
static const unsigned field_width[4] = { 4, 2, 2, 1 };
static const char *const field_max[4] = { "ffff", "ff", "1f", "7" };
static const char *const field_max_X[4] = { "FFFF", "FF", "1F", "7" };
/* Nova validates func first, then domain, bus, slot. */
static const int check_order[4] = { F_FUNC, F_DOMAIN, F_BUS, F_SLOT };

enum addr_kind { A_GLOB, A_REGEX, A_PHYS };

struct addr_spec {
	enum addr_kind kind;
	char *f[4]; /* glob / phys: normalised or "*"; regex: the pattern */
	regex_t re[4];
	bool is_pf;
	const char *cls; /* Python class name, for str() of the object */
};

struct devspec {
	char *vendor_id, *product_id;
	bool has_devname;
	struct addr_spec *addr; /* NULL: devname did not resolve */
	bool remote_managed;
	json_t *tags;
	size_t value;
};

/* A device address as PhysicalPciAddress parsed it, or its error. */
struct phys_memo {
	char *key;
	struct addr_spec *a; /* NULL: r and msg hold the error */
	int r;
	char *msg;
};

struct sriov_nova_whitelist {
	struct devspec *specs;
	size_t n;
	bool remote_managed; /* some spec has the tag */
	/* phys_parse() of device address strings: a pure function of the
	 * string, and a cloud repeats the same addresses on every host */
	struct phys_memo *pm;
	size_t npm, cap_pm;
	size_t *pmh; /* open addressing: index + 1, 0 empty */
	size_t npmh;
	/* pool signature (what stats.c builds a pool's keys from) -> class */
	char **sig;
	size_t *sig_cls;
	size_t nsig, cap_sig, cap_sig_cls;
	size_t *sigh;
	size_t nsigh;
	/* pool classes seen by sriov_nova_stats_new(), for request memos */
	char **cls;
	size_t ncls, cap_cls;
	size_t *hash; /* open addressing: index + 1, 0 empty */
	size_t nhash;
};

static size_t str_hash(const char *s)
{
	size_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Open addressing over strings: index + 1 in h, 0 empty. */
static size_t *str_table_slot(char **keys, size_t n, size_t **h, size_t *nh,
			      const char *key)
{
	if (n * 2 >= *nh) {
		size_t m = *nh ? *nh * 2 : 64;
		size_t *t = calloc(m, sizeof(*t));

		if (!t)
			abort();
		for (size_t i = 0; i < n; i++) {
			size_t b = str_hash(keys[i]) & (m - 1);
			while (t[b])
				b = (b + 1) & (m - 1);
			t[b] = i + 1;
		}
		free(*h);
		*h = t;
		*nh = m;
	}
	size_t b = str_hash(key) & (*nh - 1);
	while ((*h)[b] && strcmp(keys[(*h)[b] - 1], key))
		b = (b + 1) & (*nh - 1);
	return &(*h)[b];
}

long nova_sig_class(const struct sriov_nova_whitelist *cwl, const char *sig)
{
	struct sriov_nova_whitelist *wl = (struct sriov_nova_whitelist *)cwl;
	size_t *slot =
		str_table_slot(wl->sig, wl->nsig, &wl->sigh, &wl->nsigh, sig);

	return *slot ? (long)wl->sig_cls[*slot - 1] : -1;
}

void nova_sig_class_set(const struct sriov_nova_whitelist *cwl, const char *sig,
			size_t cls)
{
	struct sriov_nova_whitelist *wl = (struct sriov_nova_whitelist *)cwl;
	size_t *slot =
		str_table_slot(wl->sig, wl->nsig, &wl->sigh, &wl->nsigh, sig);

	if (*slot)
		return;
	grow_array((void **)&wl->sig, &wl->cap_sig, wl->nsig, sizeof(char *));
	grow_array((void **)&wl->sig_cls, &wl->cap_sig_cls, wl->nsig,
		   sizeof(size_t));
	wl->sig[wl->nsig] = strdup(sig);
	wl->sig_cls[wl->nsig] = cls;
	*slot = ++wl->nsig;
}

size_t nova_intern_pool(const struct sriov_nova_whitelist *cwl, const char *key)
{
	struct sriov_nova_whitelist *wl = (struct sriov_nova_whitelist *)cwl;

	if (wl->ncls * 2 >= wl->nhash) {
		size_t nh = wl->nhash ? wl->nhash * 2 : 64;
		size_t *h = calloc(nh, sizeof(*h));

		for (size_t i = 0; i < wl->ncls; i++) {
			size_t b = str_hash(wl->cls[i]) & (nh - 1);
			while (h[b])
				b = (b + 1) & (nh - 1);
			h[b] = i + 1;
		}
		free(wl->hash);
		wl->hash = h;
		wl->nhash = nh;
	}
	size_t b = str_hash(key) & (wl->nhash - 1);
	while (wl->hash[b]) {
		if (!strcmp(wl->cls[wl->hash[b] - 1], key))
			return wl->hash[b] - 1;
		b = (b + 1) & (wl->nhash - 1);
	}
	grow_array((void **)&wl->cls, &wl->cap_cls, wl->ncls, sizeof(char *));
	wl->cls[wl->ncls] = strdup(key);
	wl->hash[b] = ++wl->ncls;
	return wl->ncls - 1;
}

int nova_err(struct sriov_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = -EINVAL;
	}
	return -EINVAL;
}

static int invalid_spec(struct sriov_error *err, const char *reason)
{
	return nova_err(err, "Invalid [pci]device_spec config: %s", reason);
}

static int wrong_address(struct sriov_error *err, const json_t *addr)
{
	struct sbuf b = { 0 };
	int r;

	py_str(&b, addr);
	r = nova_err(err, "The PCI address %s has an incorrect format.", b.s);
	free(b.s);
	return r;
}

/*
 * PciAddressSpec._set_pci_dev_info(): *val becomes the normalised text.
 * v is the Python value of the attribute (usually a str).
 */
static int set_dev_info(const char *prop, const json_t *v, unsigned width,
			const char *max, const char *maxX, char **out,
			struct sriov_error *err)
{
	char reason[SRIOV_ERROR_MSG_MAX];
	bool gt;
	char *norm;

	if (json_is_string(v) && !strcmp(json_string_value(v), ANY)) {
		*out = strdup(ANY);
		return 0;
	}
	if (!json_is_string(v))
		return nova_err(
			err,
			json_is_integer(v) || json_is_boolean(v) ?
				"int() can't convert non-string with explicit base" :
				"int() can't convert non-string with explicit base");
	const char *a = json_string_value(v);
	if (py_hex_normalise(a, width, max, &norm, &gt) < 0) {
		snprintf(reason, sizeof(reason),
			 "property %s ('%s') does not parse as a hex number.",
			 prop, a);
		return invalid_spec(err, reason);
	}
	if (gt) {
		free(norm);
		snprintf(
			reason, sizeof(reason),
			"property %s (%s) is greater than the maximum allowable value (%s).",
			prop, a, maxX);
		return invalid_spec(err, reason);
	}
	*out = norm;
	return 0;
}

static int set_str_info(const char *prop, const char *a, unsigned width,
			const char *max, const char *maxX, char **out,
			struct sriov_error *err)
{
	json_t *v = json_string(a);
	int r;

	if (!v) /* not UTF-8: cannot come from JSON */
		return nova_err(err, "invalid string");
	r = set_dev_info(prop, v, width, max, maxX, out, err);
	json_decref(v);
	return r;
}

static void addr_free(struct addr_spec *a)
{
	if (!a)
		return;
	for (int i = 0; i < 4; i++) {
		free(a->f[i]);
		if (a->kind == A_REGEX && a->f[i])
			regfree(&a->re[i]);
	}
	free(a);
}

/* PhysicalPciAddress(str): exactly d:b:s.f, each checked. */
static int phys_parse(const json_t *addr, struct addr_spec **ret,
		      struct sriov_error *err)
{
	struct addr_spec *a = calloc(1, sizeof(*a));
	json_t *parts[4] = { 0 };
	int r = 0;

	a->kind = A_PHYS;
	a->cls = "PhysicalPciAddress";
	if (json_is_object(addr)) {
		static const char *const keys[4] = { "domain", "bus", "slot",
						     "function" };
		for (int i = 0; i < 4; i++) {
			parts[i] = json_object_get(addr, keys[i]);
			if (!parts[i]) {
				r = wrong_address(err, addr);
				goto out;
			}
			json_incref(parts[i]);
		}
	} else if (json_is_string(addr)) {
		const char *s = json_string_value(addr);
		const char *dot = strchr(s, '.');
		size_t dbs_len = dot ? (size_t)(dot - s) : strlen(s);
		char *dbs = strndup(s, dbs_len);
		char *c1 = strchr(dbs, ':'),
		     *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c1 || !c2 || strchr(c2 + 1, ':')) {
			free(dbs);
			r = wrong_address(err, addr);
			goto out;
		}
		*c1 = *c2 = '\0';
		parts[F_DOMAIN] = json_string(dbs);
		parts[F_BUS] = json_string(c1 + 1);
		parts[F_SLOT] = json_string(c2 + 1);
		parts[F_FUNC] = json_string(dot ? dot + 1 : "");
		free(dbs);
	} else {
		r = nova_err(err, "'%s' object has no attribute 'partition'",
			     py_type_name(addr));
		goto out;
	}
	for (int k = 0; k < 4; k++) {
		int i = check_order[k];

		r = set_dev_info(field_name[i], parts[i], field_width[i],
				 field_max[i], field_max_X[i], &a->f[i], err);
		if (r < 0)
			goto out;
	}
out:
	for (int i = 0; i < 4; i++)
		json_decref(parts[i]);
	if (r < 0) {
		addr_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

static int glob_parse(const char *s, struct addr_spec **ret,
		      struct sriov_error *err)
{
	struct addr_spec *a = calloc(1, sizeof(*a));
	const char *dot = strchr(s, '.');
	size_t dbs_len = dot ? (size_t)(dot - s) : strlen(s);
	int r = 0;

	a->kind = A_GLOB;
	a->cls = "PciAddressGlobSpec";
	for (int i = 0; i < 4; i++)
		a->f[i] = strdup(ANY);
	if (dot && dot[1]) {
		char *func = py_strip(dot + 1);
		char *norm = NULL;

		r = set_str_info("func", func, 1, "7", "7", &norm, err);
		free(func);
		if (r < 0)
			goto out;
		free(a->f[F_FUNC]);
		a->f[F_FUNC] = norm;
	}
	if (dbs_len) {
		char *dbs = strndup(s, dbs_len), *fields[3] = { 0 };
		int nf = 1;

		for (char *p = dbs; *p; p++)
			if (*p == ':')
				nf++;
		if (nf > 3) {
			json_t *js = json_string(s);

			free(dbs);
			r = wrong_address(err, js);
			json_decref(js);
			goto out;
		}
		int k = 3 - nf;
		char *p = dbs;
		for (int i = 0; i < nf; i++) {
			char *c = strchr(p, ':');
			if (c)
				*c = '\0';
			fields[k + i] = py_strip(p);
			p = c ? c + 1 : p + strlen(p);
		}
		for (int i = 0; i < 3; i++) {
			char *norm = NULL;
			const char *v = fields[i] && *fields[i] ? fields[i] :
								  ANY;

			if (r == 0)
				r = set_str_info(field_name[i], v,
						 field_width[i], field_max[i],
						 field_max_X[i], &norm, err);
			if (r == 0) {
				free(a->f[i]);
				a->f[i] = norm;
			}
		}
		for (int i = 0; i < 3; i++)
			free(fields[i]);
		free(dbs);
	}
out:
	if (r < 0) {
		addr_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

static int regex_parse(json_t *d, struct addr_spec **ret,
		       struct sriov_error *err)
{
	static const char *const keys[4] = { "domain", "bus", "slot",
					     "function" };
	struct addr_spec *a = calloc(1, sizeof(*a));

	a->kind = A_REGEX;
	a->cls = "PciAddressRegexSpec";
	for (int i = 0; i < 4; i++) {
		json_t *v = json_object_get(d, keys[i]);
		int r;

		if (v && !json_is_string(v)) {
			addr_free(a);
			return nova_err(
				err,
				"first argument must be string or compiled pattern");
		}
		a->f[i] = strdup(v ? json_string_value(v) : ".*");
		r = pyre_compile(&a->re[i], a->f[i]);
		if (r < 0) {
			free(a->f[i]);
			a->f[i] = NULL;
			addr_free(a);
			if (r == -ENOTSUP) {
				char *rep = py_repr_dup(v);
				nova_err(
					err,
					"sriov: regular expression %s uses a construct that POSIX regex cannot express (see docs/nova.md)",
					rep);
				free(rep);
				if (err)
					err->code = -ENOTSUP;
				return -ENOTSUP;
			}
			return wrong_address(err, d);
		}
	}
	*ret = a;
	return 0;
}

static bool all_hex(const char *s)
{
	for (; *s; s++)
		if (!strchr("0123456789abcdefABCDEF", *s))
			return false;
	return true;
}

/* utils.is_physical_function() through our root. */
static bool is_pf_at(struct sriov_root *root, const char *const f[4])
{
	char name[512];
	char *v = NULL;
	bool r = false;

	if (!root)
		return false;
	snprintf(name, sizeof(name), "%s:%s:%s.%s", f[0], f[1], f[2], f[3]);
	if (!name_is_safe(name) ||
	    !fs_is_dir(root->sys_fd, SP("bus/pci/devices", name)))
		return false;
	if (fs_read_str(root->sys_fd,
			SP("bus/pci/devices", name, "sriov_totalvfs"),
			&v) == 0) {
		char *t = py_strip(v);
		char *end;
		long n = strtol(t, &end, 10);

		r = *t && !*end && n > 0;
		free(t);
	}
	free(v);
	return r;
}

static void check_pf(struct sriov_root *root, struct addr_spec *a)
{
	for (int i = 0; i < 4; i++)
		if (!all_hex(a->f[i]))
			return;
	a->is_pf = is_pf_at(root, (const char *const *)a->f);
}

/* WhitelistPciAddress(addr, is_pf) */
static int whitelist_address(struct sriov_root *root, json_t *addr, bool pf,
			     struct addr_spec **ret, struct sriov_error *err)
{
	int r;

	if (pf) {
		r = phys_parse(addr, ret, err);
		if (r == 0)
			(*ret)->is_pf = true;
		return r;
	}
	if (json_is_string(addr))
		r = glob_parse(json_string_value(addr), ret, err);
	else if (json_is_object(addr))
		r = regex_parse(addr, ret, err);
	else
		return wrong_address(err, addr);
	if (r == 0)
		check_pf(root, *ret);
	return r;
}

/* utils.get_function_by_ifname(): address string or NULL, and is-PF. */
static char *function_by_ifname(struct sriov_root *root, const char *ifname,
				bool *pf)
{
	char *link = NULL, *v = NULL, *addr;

	*pf = false;
	if (!root || !name_is_safe(ifname) ||
	    !fs_is_dir(root->sys_fd, SP("class/net", ifname, "device")))
		return NULL;
	if (fs_readlink(root->sys_fd, SP("class/net", ifname, "device"),
			&link) < 0)
		return NULL;
	addr = py_strip_chars(link, "./");
	free(link);
	if (fs_read_str(root->sys_fd,
			SP("class/net", ifname, "device", "sriov_totalvfs"),
			&v) == 0) {
		char *t = py_strip(v), *end;
		long n = strtol(t, &end, 10);

		*pf = *t && !*end && n > 0;
		free(t);
	}
	free(v);
	return addr;
}

static int read_line_strip(struct sriov_root *root, const char *addr,
			   const char *file, char **ret)
{
	char *v = NULL;
	int r;

	if (!root || !name_is_safe(addr))
		return -ENOENT;
	r = fs_read_str(root->sys_fd, SP("bus/pci/devices", addr, file), &v);
	if (r < 0)
		return r;
	char *nl = strchr(v, '\n');
	if (nl)
		nl[1] = '\0';
	*ret = v;
	return 0;
}

static void addr_str(struct sbuf *b, const struct addr_spec *a)
{
	if (a->kind == A_PHYS)
		sb_printf(b, "%s:%s:%s.%s", a->f[0], a->f[1], a->f[2], a->f[3]);
	else
		sb_printf(b, "<nova.pci.devspec.%s object at 0x0>", a->cls);
}

/* The remote_managed checks of PciDeviceSpec._init_dev_details(). */
static int check_remote_managed_pf(struct sriov_root *root, struct devspec *s,
				   struct sriov_error *err)
{
	struct sbuf b = { 0 };
	char *vfp = NULL, *ven = NULL, *prod = NULL, *t;
	int r;

	addr_str(&b, s->addr);
	char *pf_addr = sb_take(&b);
	if (read_line_strip(root, pf_addr, "sriov_vf_device", &t) < 0) {
		r = nova_err(err, "PCI device %s not found", pf_addr);
		goto out;
	}
	vfp = py_strip(t);
	free(t);
	if (!*vfp) {
		r = nova_err(
			err,
			"sriov_vf_device file does not contain a VF product ID");
		goto out;
	}
	const char *names[2] = { "vendor", "product" };
	char **outs[2] = { &ven, &prod };
	for (int i = 0; i < 2; i++) {
		if (read_line_strip(root, pf_addr, names[i], &t) < 0) {
			r = nova_err(err, "PCI device %s not found", pf_addr);
			goto out;
		}
		if (!*t) {
			free(t);
			r = nova_err(err,
				     "%s file does not contain a valid value",
				     names[i]);
			goto out;
		}
		char *st = py_strip(t);
		struct sbuf o = { 0 };
		for (char *p = st; *p; p++) {
			if (p[0] == '0' && p[1] == 'x') {
				p++;
				continue;
			}
			sb_putc(&o, *p);
		}
		*outs[i] = sb_take(&o);
		free(st);
		free(t);
	}
	bool ven_ok = !strcmp(s->vendor_id, ven) || !strcmp(s->vendor_id, ANY);
	if (!strcmp(s->product_id, vfp) && ven_ok) {
		r = 0;
	} else if ((!strcmp(s->product_id, prod) ||
		    !strcmp(s->product_id, ANY)) &&
		   ven_ok) {
		addr_str(&b, s->addr);
		r = nova_err(err, "%s", b.s);
		free(b.s);
	} else {
		r = nova_err(
			err,
			"Invalid [pci]device_spec config: the specified VF vendor ID %s and product ID %s do not match the expected VF IDs based on the corresponding PF identified by PCI address %s",
			s->vendor_id, s->product_id, pf_addr);
	}
out:
	free(pf_addr);
	free(vfp);
	free(ven);
	free(prod);
	return r;
}

static json_t *pop(json_t *d, const char *k)
{
	json_t *v = json_object_get(d, k);

	if (v) {
		json_incref(v);
		json_object_del(d, k);
	}
	return v;
}

static void devspec_free(struct devspec *s)
{
	free(s->vendor_id);
	free(s->product_id);
	addr_free(s->addr);
	json_decref(s->tags);
}

/* PciDeviceSpec(dev_spec) */
static int devspec_init(struct sriov_root *root, json_t *ds, struct devspec *s,
			struct sriov_error *err)
{
	json_t *tags = json_deep_copy(ds);
	json_t *vendor = pop(tags, "vendor_id");
	json_t *product = pop(tags, "product_id");
	json_t *devname = pop(tags, "devname");
	json_t *address = pop(tags, "address");
	int r = 0;

	memset(s, 0, sizeof(*s));
	s->tags = tags;
	if (!vendor)
		vendor = json_string(ANY);
	if (!product)
		product = json_string(ANY);
	if (!json_is_string(vendor)) {
		r = nova_err(err, "'%s' object has no attribute 'strip'",
			     py_type_name(vendor));
		goto out;
	}
	{
		char *st = py_strip(json_string_value(vendor));
		r = set_str_info("vendor_id", st, 4, "ffff", "FFFF",
				 &s->vendor_id, err);
		free(st);
		if (r < 0)
			goto out;
	}
	r = set_dev_info("product_id", product, 4, "ffff", "FFFF",
			 &s->product_id, err);
	if (r < 0)
		goto out;
	bool dn = devname && py_truthy(devname);
	if (address && py_truthy(address) && dn) {
		r = nova_err(
			err,
			"Invalid PCI Whitelist: The PCI whitelist can specify devname or address, but not both");
		goto out;
	}
	s->has_devname = dn;
	if (!dn) {
		json_t *a = address && py_truthy(address) ?
				    json_incref(address) :
				    json_string("*:*:*.*");
		r = whitelist_address(root, a, false, &s->addr, err);
		json_decref(a);
		if (r < 0)
			goto out;
	} else {
		struct sbuf b = { 0 };
		bool pf;

		py_str(&b, devname);
		char *name = sb_take(&b);
		char *as = function_by_ifname(root, name, &pf);
		free(name);
		if (as && *as) {
			json_t *js = json_string(as);
			r = whitelist_address(root, js, pf, &s->addr, err);
			json_decref(js);
		}
		free(as);
		if (r < 0)
			goto out;
	}
	s->remote_managed = py_bool_from_string(
		json_object_get(tags, "remote_managed") ?: json_null());
	if (s->remote_managed) {
		if (!s->addr) {
			r = nova_err(
				err,
				"Invalid PCI Whitelist: A device specified as \"remote_managed\" is not actually present on the host");
			goto out;
		}
		if (s->addr->is_pf) {
			r = check_remote_managed_pf(root, s, err);
			if (r < 0)
				goto out;
		}
	}
out:
	json_decref(vendor);
	json_decref(product);
	json_decref(devname);
	json_decref(address);
	if (r < 0) {
		s->tags = NULL;
		json_decref(tags);
		devspec_free(s);
	}
	return r;
}

int sriov_nova_whitelist_parse(struct sriov_root *root,
			       const char *const *values, size_t n,
			       struct sriov_nova_whitelist **ret,
			       struct sriov_error *err)
{
	struct sriov_nova_whitelist *wl = calloc(1, sizeof(*wl));
	size_t cap = 0;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		json_error_t je;
		json_t *v = json_loads(values[i], JSON_DECODE_ANY, &je);
		json_t *list;

		if (!v)
			r = nova_err(
				err,
				"Invalid [pci]device_spec config: Invalid entry: '%s'",
				values[i]);
		else if (json_is_object(v))
			list = json_pack("[O]", v);
		else if (json_is_array(v))
			list = json_incref(v);
		else
			r = nova_err(
				err,
				"Invalid [pci]device_spec config: Invalid entry: '%s'; Expecting list or dict",
				values[i]);
		if (r < 0) {
			json_decref(v);
			break;
		}
		size_t k;
		json_t *e;
		json_array_foreach(list, k, e) {
			if (!json_is_object(e)) {
				struct sbuf b = { 0 };

				py_str(&b, e);
				r = nova_err(
					err,
					"Invalid [pci]device_spec config: Invalid entry: '%s'; Expecting dict",
					b.s);
				free(b.s);
				break;
			}
			grow_array((void **)&wl->specs, &cap, wl->n,
				   sizeof(*wl->specs));
			r = devspec_init(root, e, &wl->specs[wl->n], err);
			if (r < 0)
				break;
			wl->remote_managed = wl->remote_managed ||
					     wl->specs[wl->n].remote_managed;
			wl->specs[wl->n++].value = i;
		}
		json_decref(list);
		json_decref(v);
	}
	if (r < 0) {
		sriov_nova_whitelist_free(wl);
		return r;
	}
	*ret = wl;
	return 0;
}

void sriov_nova_whitelist_free(struct sriov_nova_whitelist *wl)
{
	if (!wl)
		return;
	for (size_t i = 0; i < wl->n; i++)
		devspec_free(&wl->specs[i]);
	for (size_t i = 0; i < wl->ncls; i++)
		free(wl->cls[i]);
	for (size_t i = 0; i < wl->npm; i++) {
		free(wl->pm[i].key);
		addr_free(wl->pm[i].a);
		free(wl->pm[i].msg);
	}
	free(wl->pm);
	free(wl->pmh);
	for (size_t i = 0; i < wl->nsig; i++)
		free(wl->sig[i]);
	free(wl->sig);
	free(wl->sig_cls);
	free(wl->sigh);
	free(wl->cls);
	free(wl->hash);
	free(wl->specs);
	free(wl);
}

size_t sriov_nova_whitelist_size(const struct sriov_nova_whitelist *wl)
{
	return wl->n;
}

size_t sriov_nova_whitelist_value_index(const struct sriov_nova_whitelist *wl,
					size_t spec)
{
	return wl->specs[spec].value;
}

json_t *sriov_nova_whitelist_tags(const struct sriov_nova_whitelist *wl,
				  size_t spec)
{
	return wl->specs[spec].tags;
}

static bool addr_match(const struct addr_spec *a, const struct addr_spec *p)
{
	for (int i = 0; i < 4; i++) {
		if (a->kind == A_REGEX) {
			if (!pyre_match(&a->re[i], p->f[i]))
				return false;
		} else if (a->kind == A_GLOB) {
			if (strcmp(a->f[i], ANY) && strcmp(a->f[i], p->f[i]))
				return false;
		} else if (strcmp(a->f[i], p->f[i])) {
			return false;
		}
	}
	return true;
}

#define PHYS_MEMO_MAX 65536

/* phys_parse() through the whitelist's memo; *ret is borrowed when
 * *owned is false. */
static int phys_parse_memo(const struct sriov_nova_whitelist *cwl, json_t *addr,
			   struct addr_spec **ret, bool *owned,
			   struct sriov_error *err)
{
	struct sriov_nova_whitelist *wl = (struct sriov_nova_whitelist *)cwl;
	const char *key = json_string_value(addr);
	size_t b = 0;

	*owned = true;
	if (!wl || !key || strlen(key) != json_string_length(addr) ||
	    wl->npm >= PHYS_MEMO_MAX)
		return phys_parse(addr, ret, err);
	if (wl->npm * 2 >= wl->npmh) {
		size_t nh = wl->npmh ? wl->npmh * 2 : 256;
		size_t *h = calloc(nh, sizeof(*h));

		if (!h)
			return phys_parse(addr, ret, err);
		for (size_t i = 0; i < wl->npm; i++) {
			size_t c = str_hash(wl->pm[i].key) & (nh - 1);
			while (h[c])
				c = (c + 1) & (nh - 1);
			h[c] = i + 1;
		}
		free(wl->pmh);
		wl->pmh = h;
		wl->npmh = nh;
	}
	b = str_hash(key) & (wl->npmh - 1);
	while (wl->pmh[b]) {
		struct phys_memo *m = &wl->pm[wl->pmh[b] - 1];
		if (!strcmp(m->key, key)) {
			if (!m->a)
				return sriov_error_set(err, m->r, "%s", m->msg);
			*ret = m->a;
			*owned = false;
			return 0;
		}
		b = (b + 1) & (wl->npmh - 1);
	}
	struct sriov_error e = { 0 };
	struct addr_spec *a = NULL;
	int r = phys_parse(addr, &a, &e);

	grow_array((void **)&wl->pm, &wl->cap_pm, wl->npm, sizeof(*wl->pm));
	wl->pm[wl->npm] =
		(struct phys_memo){ .key = strdup(key),
				    .a = r < 0 ? NULL : a,
				    .r = r,
				    .msg = r < 0 ? strdup(e.msg) : NULL };
	wl->pmh[b] = ++wl->npm;
	if (r < 0)
		return sriov_error_set(err, r, "%s", e.msg);
	*ret = a;
	*owned = false;
	return 0;
}

/* WhitelistPciAddress.match() */
static int wl_addr_match(const struct sriov_nova_whitelist *wl,
			 const struct addr_spec *a, json_t *addr,
			 json_t *parent, struct sriov_error *err)
{
	struct addr_spec *p;
	bool owned;
	int r;

	if (a->is_pf && parent && py_truthy(parent)) {
		r = phys_parse_memo(wl, parent, &p, &owned, err);
		if (r < 0)
			return r;
		bool m = addr_match(a, p);
		if (owned)
			addr_free(p);
		if (m)
			return 1;
	}
	r = phys_parse_memo(wl, addr, &p, &owned, err);
	if (r < 0)
		return r;
	r = addr_match(a, p);
	if (owned)
		addr_free(p);
	return r;
}

/* py_eq(str(id), v) without allocating for the common string case. */
static bool id_eq(const char *id, json_t *v)
{
	if (json_is_string(v))
		return strlen(id) == json_string_length(v) &&
		       !memcmp(id, json_string_value(v), strlen(id));
	json_t *sv = json_string(id);
	bool r = py_eq(sv, v);
	json_decref(sv);
	return r;
}

static int dict_get(json_t *d, const char *k, json_t **ret,
		    struct sriov_error *err)
{
	if (!json_is_object(d))
		return nova_err(err, "'%s' object has no attribute 'get'",
				py_type_name(d));
	*ret = json_object_get(d, k);
	return 0;
}

/* PciDeviceSpec.match(dev_dict) */
static int spec_match(const struct sriov_nova_whitelist *wl,
		      const struct devspec *s, json_t *dev,
		      struct sriov_error *err)
{
	json_t *v, *p;
	int r;

	if (!s->addr)
		return 0;
	v = json_object_get(dev, "vendor_id");
	if (!v)
		return nova_err(err, "'vendor_id'");
	bool ok = !strcmp(s->vendor_id, ANY) || id_eq(s->vendor_id, v);
	p = json_object_get(dev, "product_id");
	if (!p)
		return nova_err(err, "'product_id'");
	ok = (!strcmp(s->product_id, ANY) || id_eq(s->product_id, p)) && ok;
	json_t *addr = json_object_get(dev, "address");
	if (!addr)
		return nova_err(err, "'address'");
	r = wl_addr_match(wl, s->addr, addr,
			  json_object_get(dev, "parent_addr"), err);
	if (r < 0)
		return r;
	ok = r && ok;
	if (s->remote_managed) {
		json_t *caps = json_object_get(dev, "capabilities"),
		       *vpd = NULL, *sn = NULL;
		json_t *empty = json_object();

		r = dict_get(caps ? caps : empty, "vpd", &vpd, err);
		if (r == 0)
			r = dict_get(vpd ? vpd : empty, "card_serial_number",
				     &sn, err);
		json_decref(empty);
		if (r < 0)
			return r;
		ok = ok && sn && py_truthy(sn);
	}
	return ok;
}

bool nova_whitelist_remote_managed(const struct sriov_nova_whitelist *wl)
{
	return wl->remote_managed;
}

int sriov_nova_whitelist_match(const struct sriov_nova_whitelist *wl,
			       json_t *dev, struct sriov_error *err)
{
	for (size_t i = 0; i < wl->n; i++) {
		int r = spec_match(wl, &wl->specs[i], dev, err);

		if (r < 0)
			return r;
		if (r)
			return (int)i;
	}
	return -ENOENT;
}
