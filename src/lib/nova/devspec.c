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
#include "util/macro.h"
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
	json_t **sig_keys; /* the keys built from it, shared by the pools */
	size_t nsig, cap_sig, cap_sig_cls, cap_sig_keys;
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

/* Open addressing over strings: index + 1 in h, 0 empty. The slot for
 * key; NULL when the table had to grow and could not. */
static size_t *str_table_slot(char **keys, size_t n, size_t **h, size_t *nh,
			      const char *key)
{
	if (n * 2 >= *nh) {
		size_t m = *nh ? *nh * 2 : 64;
		size_t *t = calloc(m, sizeof(*t));

		if (!t)
			return NULL;
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

long nova_sig_class(const struct sriov_nova_whitelist *cwl, const char *sig,
		    json_t **keys)
{
	struct sriov_nova_whitelist *wl = (struct sriov_nova_whitelist *)cwl;
	size_t *slot =
		str_table_slot(wl->sig, wl->nsig, &wl->sigh, &wl->nsigh, sig);

	if (!slot || !*slot)
		return -1;
	if (keys)
		*keys = wl->sig_keys[*slot - 1];
	return (long)wl->sig_cls[*slot - 1];
}

int nova_sig_class_set(const struct sriov_nova_whitelist *cwl, const char *sig,
		       size_t cls, json_t *keys)
{
	struct sriov_nova_whitelist *wl = (struct sriov_nova_whitelist *)cwl;
	size_t *slot =
		str_table_slot(wl->sig, wl->nsig, &wl->sigh, &wl->nsigh, sig);
	char *copy;

	if (!slot)
		return -ENOMEM;
	if (*slot)
		return 0;
	if (grow_array((void **)&wl->sig, &wl->cap_sig, wl->nsig,
		       sizeof(char *)) < 0 ||
	    grow_array((void **)&wl->sig_cls, &wl->cap_sig_cls, wl->nsig,
		       sizeof(size_t)) < 0 ||
	    grow_array((void **)&wl->sig_keys, &wl->cap_sig_keys, wl->nsig,
		       sizeof(json_t *)) < 0 ||
	    !(copy = strdup(sig)))
		return -ENOMEM;
	wl->sig[wl->nsig] = copy;
	wl->sig_cls[wl->nsig] = cls;
	wl->sig_keys[wl->nsig] = json_incref(keys);
	*slot = ++wl->nsig;
	return 0;
}

int nova_intern_pool(const struct sriov_nova_whitelist *cwl, const char *key,
		     size_t *ret)
{
	struct sriov_nova_whitelist *wl = (struct sriov_nova_whitelist *)cwl;
	size_t *slot =
		str_table_slot(wl->cls, wl->ncls, &wl->hash, &wl->nhash, key);
	char *copy;

	if (!slot)
		return -ENOMEM;
	if (*slot) {
		*ret = *slot - 1;
		return 0;
	}
	if (grow_array((void **)&wl->cls, &wl->cap_cls, wl->ncls,
		       sizeof(char *)) < 0 ||
	    !(copy = strdup(key)))
		return -ENOMEM;
	wl->cls[wl->ncls] = copy;
	*slot = ++wl->ncls;
	*ret = wl->ncls - 1;
	return 0;
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

int nova_oom(struct sriov_error *err)
{
	return sriov_error_set(err, -ENOMEM, "out of memory");
}

static bool json_oom(const json_error_t *je)
{
	return json_error_code(je) == json_error_out_of_memory || !je->text[0];
}

json_t *nova_json_text(const json_t *v)
{
	size_t flags = JSON_ENCODE_ANY | JSON_COMPACT;
	size_t n = json_dumpb(v, NULL, 0, flags);
	_cleanup_free_ char *s = n ? malloc(n + 1) : NULL;

	if (!s || json_dumpb(v, s, n, flags) != n)
		return NULL;
	s[n] = '\0';
	return json_stringn(s, n);
}

int nova_json_loads(const char *text, json_t **ret, json_error_t *je)
{
	json_error_t first = { 0 };
	json_t *j = json_loads(text, JSON_DECODE_ANY, &first);

	if (j) {
		*ret = j;
		return 0;
	}
	memset(je, 0, sizeof(*je));
	j = json_loads(text, JSON_DECODE_ANY, je);
	if (j) {
		*ret = j;
		return 0;
	}
	if (json_oom(je) || json_oom(&first) || strcmp(je->text, first.text))
		return -ENOMEM;
	return -EINVAL;
}

static int invalid_spec(struct sriov_error *err, const char *reason)
{
	return nova_err(err, "Invalid [pci]device_spec config: %s", reason);
}

static int wrong_address(struct sriov_error *err, const json_t *addr)
{
	struct sbuf b = { 0 };
	char *s;
	int r;

	py_str(&b, addr);
	s = sb_take(&b);
	if (!s)
		return -ENOMEM;
	r = nova_err(err, "The PCI address %s has an incorrect format.", s);
	free(s);
	return r;
}

/* A JSON string of s: only ever a piece of a JSON string cut at ASCII
 * characters, so valid UTF-8; NULL means out of memory. */
static json_t *jstr(const char *s)
{
	return json_string_nocheck(s);
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
	int r;

	if (json_is_string(v) && !strcmp(json_string_value(v), ANY)) {
		*out = strdup(ANY);
		return *out ? 0 : -ENOMEM;
	}
	if (!json_is_string(v))
		return nova_err(
			err,
			"int() can't convert non-string with explicit base");
	const char *a = json_string_value(v);
	r = py_hex_normalise(a, width, max, &norm, &gt);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
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
	json_t *v = jstr(a);
	int r;

	if (!v)
		return -ENOMEM;
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

	if (!a)
		return -ENOMEM;
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
		_cleanup_free_ char *dbs = strndup(s, dbs_len);
		if (!dbs) {
			r = -ENOMEM;
			goto out;
		}
		char *c1 = strchr(dbs, ':'),
		     *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c1 || !c2 || strchr(c2 + 1, ':')) {
			r = wrong_address(err, addr);
			goto out;
		}
		*c1 = *c2 = '\0';
		parts[F_DOMAIN] = jstr(dbs);
		parts[F_BUS] = jstr(c1 + 1);
		parts[F_SLOT] = jstr(c2 + 1);
		parts[F_FUNC] = jstr(dot ? dot + 1 : "");
		for (int i = 0; i < 4; i++)
			if (!parts[i])
				r = -ENOMEM;
		if (r < 0)
			goto out;
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

/* The fields of a glob "[[[domain]:]bus]:slot.func", right-aligned:
 * fields[0..2] are domain, bus and slot, NULL when absent. */
static int glob_fields(const char *s, size_t dbs_len, char *fields[3],
		       struct sriov_error *err)
{
	_cleanup_free_ char *dbs = strndup(s, dbs_len);
	int nf = 1;

	if (!dbs)
		return -ENOMEM;
	for (char *p = dbs; *p; p++)
		if (*p == ':')
			nf++;
	if (nf > 3) {
		json_t *js = jstr(s);
		int r;

		if (!js)
			return -ENOMEM;
		r = wrong_address(err, js);
		json_decref(js);
		return r;
	}
	int k = 3 - nf;
	char *p = dbs;
	for (int i = 0; i < nf; i++) {
		char *c = strchr(p, ':');
		if (c)
			*c = '\0';
		fields[k + i] = py_strip(p);
		if (!fields[k + i])
			return -ENOMEM;
		p = c ? c + 1 : p + strlen(p);
	}
	return 0;
}

static int glob_parse(const char *s, struct addr_spec **ret,
		      struct sriov_error *err)
{
	struct addr_spec *a = calloc(1, sizeof(*a));
	const char *dot = strchr(s, '.');
	size_t dbs_len = dot ? (size_t)(dot - s) : strlen(s);
	char *fields[3] = { 0 };
	int r = 0;

	if (!a)
		return -ENOMEM;
	a->kind = A_GLOB;
	a->cls = "PciAddressGlobSpec";
	for (int i = 0; i < 4; i++)
		if (!(a->f[i] = strdup(ANY)))
			r = -ENOMEM;
	if (r == 0 && dot && dot[1]) {
		char *func = py_strip(dot + 1);
		char *norm = NULL;

		r = func ? set_str_info("func", func, 1, "7", "7", &norm, err) :
			   -ENOMEM;
		free(func);
		if (r == 0) {
			free(a->f[F_FUNC]);
			a->f[F_FUNC] = norm;
		}
	}
	if (r == 0 && dbs_len)
		r = glob_fields(s, dbs_len, fields, err);
	for (int i = 0; r == 0 && dbs_len && i < 3; i++) {
		char *norm = NULL;
		const char *v = fields[i] && *fields[i] ? fields[i] : ANY;

		r = set_str_info(field_name[i], v, field_width[i], field_max[i],
				 field_max_X[i], &norm, err);
		if (r == 0) {
			free(a->f[i]);
			a->f[i] = norm;
		}
	}
	for (int i = 0; i < 3; i++)
		free(fields[i]);
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

	if (!a)
		return -ENOMEM;
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
		r = a->f[i] ? pyre_compile(&a->re[i], a->f[i]) : -ENOMEM;
		if (r < 0) {
			free(a->f[i]);
			a->f[i] = NULL;
			addr_free(a);
		}
		if (r == -ENOTSUP) {
			char *rep = py_repr_dup(v);
			if (!rep)
				return -ENOMEM;
			nova_err(
				err,
				"sriov: regular expression %s uses a construct that POSIX regex cannot express (see docs/nova.md)",
				rep);
			free(rep);
			if (err)
				err->code = -ENOTSUP;
			return -ENOTSUP;
		}
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return wrong_address(err, d);
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

/* A sysfs count file ("8\n") as int(): positive? 1, 0, or -ENOMEM. */
static int read_positive(struct sriov_root *root, const char *const *comps)
{
	_cleanup_free_ char *v = NULL, *t = NULL;
	char *end;
	long n;
	int r;

	r = fs_read_str(root->sys_fd, comps, &v);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	t = py_strip(v);
	if (!t)
		return -ENOMEM;
	n = strtol(t, &end, 10);
	return *t && !*end && n > 0;
}

/* utils.is_physical_function() through our root: 1, 0, or -ENOMEM. */
static int is_pf_at(struct sriov_root *root, const char *const f[4])
{
	char name[512];

	if (!root)
		return 0;
	snprintf(name, sizeof(name), "%s:%s:%s.%s", f[0], f[1], f[2], f[3]);
	if (!name_is_safe(name) ||
	    !fs_is_dir(root->sys_fd, SP("bus/pci/devices", name)))
		return 0;
	return read_positive(root,
			     SP("bus/pci/devices", name, "sriov_totalvfs"));
}

static int check_pf(struct sriov_root *root, struct addr_spec *a)
{
	int r;

	for (int i = 0; i < 4; i++)
		if (!all_hex(a->f[i]))
			return 0;
	r = is_pf_at(root, (const char *const *)a->f);
	if (r < 0)
		return r;
	a->is_pf = r;
	return 0;
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
	if (r == 0) {
		r = check_pf(root, *ret);
		if (r < 0) {
			addr_free(*ret);
			*ret = NULL;
		}
	}
	return r;
}

/* utils.get_function_by_ifname(): *ret the address string or NULL, *pf
 * whether it is a PF. */
static int function_by_ifname(struct sriov_root *root, const char *ifname,
			      char **ret, bool *pf)
{
	_cleanup_free_ char *link = NULL;
	int r;

	*ret = NULL;
	*pf = false;
	if (!root || !name_is_safe(ifname) ||
	    !fs_is_dir(root->sys_fd, SP("class/net", ifname, "device")))
		return 0;
	r = fs_readlink(root->sys_fd, SP("class/net", ifname, "device"), &link);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	r = read_positive(root,
			  SP("class/net", ifname, "device", "sriov_totalvfs"));
	if (r < 0)
		return r;
	*pf = r;
	*ret = py_strip_chars(link, "./");
	return *ret ? 0 : -ENOMEM;
}

/* The first line of a PCI device's file, its newline kept: 0, -ENOENT
 * when it cannot be read, -ENOMEM. */
static int read_line_strip(struct sriov_root *root, const char *addr,
			   const char *file, char **ret)
{
	char *v = NULL;
	int r;

	if (!root || !name_is_safe(addr))
		return -ENOENT;
	r = fs_read_str(root->sys_fd, SP("bus/pci/devices", addr, file), &v);
	if (r < 0)
		return r == -ENOMEM ? r : -ENOENT;
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

/* A PF's vendor or product file, stripped and without "0x": 0, -ENOENT,
 * -EINVAL (empty file: Nova's message in err), -ENOMEM. */
static int read_pf_id(struct sriov_root *root, const char *pf_addr,
		      const char *name, char **ret, struct sriov_error *err)
{
	_cleanup_free_ char *t = NULL, *st = NULL;
	struct sbuf o = { 0 };
	int r;

	r = read_line_strip(root, pf_addr, name, &t);
	if (r < 0)
		return r;
	if (!*t)
		return nova_err(err, "%s file does not contain a valid value",
				name);
	st = py_strip(t);
	if (!st)
		return -ENOMEM;
	for (char *p = st; *p; p++) {
		if (p[0] == '0' && p[1] == 'x') {
			p++;
			continue;
		}
		sb_putc(&o, *p);
	}
	*ret = sb_take(&o);
	return *ret ? 0 : -ENOMEM;
}

/* The remote_managed checks of PciDeviceSpec._init_dev_details(). */
static int check_remote_managed_pf(struct sriov_root *root, struct devspec *s,
				   struct sriov_error *err)
{
	_cleanup_free_ char *pf_addr = NULL, *vfp = NULL, *ven = NULL,
			    *prod = NULL, *t = NULL;
	struct sbuf b = { 0 };
	int r;

	addr_str(&b, s->addr);
	pf_addr = sb_take(&b);
	if (!pf_addr)
		return -ENOMEM;
	r = read_line_strip(root, pf_addr, "sriov_vf_device", &t);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return nova_err(err, "PCI device %s not found", pf_addr);
	vfp = py_strip(t);
	if (!vfp)
		return -ENOMEM;
	if (!*vfp)
		return nova_err(
			err,
			"sriov_vf_device file does not contain a VF product ID");
	r = read_pf_id(root, pf_addr, "vendor", &ven, err);
	if (r == 0)
		r = read_pf_id(root, pf_addr, "product", &prod, err);
	if (r == -ENOENT)
		return nova_err(err, "PCI device %s not found", pf_addr);
	if (r < 0)
		return r;
	bool ven_ok = !strcmp(s->vendor_id, ven) || !strcmp(s->vendor_id, ANY);
	if (!strcmp(s->product_id, vfp) && ven_ok)
		return 0;
	if ((!strcmp(s->product_id, prod) || !strcmp(s->product_id, ANY)) &&
	    ven_ok) {
		_cleanup_free_ char *as = NULL;

		addr_str(&b, s->addr);
		as = sb_take(&b);
		if (!as)
			return -ENOMEM;
		return nova_err(err, "%s", as);
	}
	return nova_err(
		err,
		"Invalid [pci]device_spec config: the specified VF vendor ID %s and product ID %s do not match the expected VF IDs based on the corresponding PF identified by PCI address %s",
		s->vendor_id, s->product_id, pf_addr);
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

/* The spec's address from devname: get_function_by_ifname(). */
static int devname_address(struct sriov_root *root, json_t *devname,
			   struct devspec *s, struct sriov_error *err)
{
	_cleanup_free_ char *name = NULL, *as = NULL;
	struct sbuf b = { 0 };
	bool pf;
	int r;

	py_str(&b, devname);
	name = sb_take(&b);
	if (!name)
		return -ENOMEM;
	r = function_by_ifname(root, name, &as, &pf);
	if (r < 0 || !as || !*as)
		return r;
	json_t *js = json_string(as);
	if (!js)
		return -ENOMEM;
	r = whitelist_address(root, js, pf, &s->addr, err);
	json_decref(js);
	return r;
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
	if (!tags) {
		r = -ENOMEM;
		goto out;
	}
	if (!vendor && !(vendor = jstr(ANY))) {
		r = -ENOMEM;
		goto out;
	}
	if (!product && !(product = jstr(ANY))) {
		r = -ENOMEM;
		goto out;
	}
	if (!json_is_string(vendor)) {
		r = nova_err(err, "'%s' object has no attribute 'strip'",
			     py_type_name(vendor));
		goto out;
	}
	{
		char *st = py_strip(json_string_value(vendor));
		r = st ? set_str_info("vendor_id", st, 4, "ffff", "FFFF",
				      &s->vendor_id, err) :
			 -ENOMEM;
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
				    jstr("*:*:*.*");
		r = a ? whitelist_address(root, a, false, &s->addr, err) :
			-ENOMEM;
		json_decref(a);
	} else {
		r = devname_address(root, devname, s, err);
	}
	if (r < 0)
		goto out;
	json_t *rm = json_object_get(tags, "remote_managed");
	s->remote_managed = rm && py_bool_from_string(rm);
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
	if (r < 0)
		devspec_free(s);
	return r;
}

/* One option value: its specs appended to wl. */
static int parse_value(struct sriov_root *root, struct sriov_nova_whitelist *wl,
		       size_t *cap, const char *value, size_t i,
		       struct sriov_error *err)
{
	json_error_t je;
	json_auto_t *list = NULL;
	json_t *v = NULL;
	size_t k;
	json_t *e;
	int r = nova_json_loads(value, &v, &je);

	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return nova_err(
			err,
			"Invalid [pci]device_spec config: Invalid entry: '%s'",
			value);
	if (json_is_object(v)) {
		list = json_pack("[o]", v);
		if (!list)
			return -ENOMEM;
	} else if (json_is_array(v)) {
		list = v;
	} else {
		json_decref(v);
		return nova_err(
			err,
			"Invalid [pci]device_spec config: Invalid entry: '%s'; Expecting list or dict",
			value);
	}
	json_array_foreach(list, k, e) {
		if (!json_is_object(e)) {
			struct sbuf b = { 0 };
			_cleanup_free_ char *s = NULL;

			py_str(&b, e);
			s = sb_take(&b);
			if (!s)
				return -ENOMEM;
			return nova_err(
				err,
				"Invalid [pci]device_spec config: Invalid entry: '%s'; Expecting dict",
				s);
		}
		if (grow_array((void **)&wl->specs, cap, wl->n,
			       sizeof(*wl->specs)) < 0)
			return -ENOMEM;
		r = devspec_init(root, e, &wl->specs[wl->n], err);
		if (r < 0)
			return r;
		wl->remote_managed = wl->remote_managed ||
				     wl->specs[wl->n].remote_managed;
		wl->specs[wl->n++].value = i;
	}
	return 0;
}

int sriov_nova_whitelist_parse(struct sriov_root *root,
			       const char *const *values, size_t n,
			       struct sriov_nova_whitelist **ret,
			       struct sriov_error *err)
{
	struct sriov_nova_whitelist *wl = calloc(1, sizeof(*wl));
	size_t cap = 0;
	int r = 0;

	if (!wl)
		return nova_oom(err);
	for (size_t i = 0; i < n && r == 0; i++)
		r = parse_value(root, wl, &cap, values[i], i, err);
	if (r < 0) {
		sriov_nova_whitelist_free(wl);
		return r == -ENOMEM ? nova_oom(err) : r;
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
	for (size_t i = 0; i < wl->nsig; i++) {
		free(wl->sig[i]);
		json_decref(wl->sig_keys[i]);
	}
	free(wl->sig);
	free(wl->sig_cls);
	free(wl->sig_keys);
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

/* 1 the spec's address matches the device's, 0 not, -ENOMEM. */
static int addr_match(const struct addr_spec *a, const struct addr_spec *p)
{
	for (int i = 0; i < 4; i++) {
		if (a->kind == A_REGEX) {
			int r = pyre_match(&a->re[i], p->f[i]);
			if (r <= 0)
				return r;
		} else if (a->kind == A_GLOB) {
			if (strcmp(a->f[i], ANY) && strcmp(a->f[i], p->f[i]))
				return 0;
		} else if (strcmp(a->f[i], p->f[i])) {
			return 0;
		}
	}
	return 1;
}

#define PHYS_MEMO_MAX 65536

/* Remember phys_parse()'s answer for key (the result a is owned by the
 * memo from here on, errors by their message). */
static int phys_memo_add(struct sriov_nova_whitelist *wl, size_t slot,
			 const char *key, struct addr_spec *a, int r,
			 const char *msg)
{
	struct phys_memo m = { .a = a, .r = r };

	if (grow_array((void **)&wl->pm, &wl->cap_pm, wl->npm,
		       sizeof(*wl->pm)) < 0 ||
	    !(m.key = strdup(key)) || (r < 0 && !(m.msg = strdup(msg)))) {
		free(m.key);
		return -ENOMEM;
	}
	wl->pm[wl->npm] = m;
	wl->pmh[slot] = ++wl->npm;
	return 0;
}

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
			return -ENOMEM;
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

	/* running out of memory is not an answer to remember */
	if (r == -ENOMEM)
		return r;
	if (phys_memo_add(wl, b, key, r < 0 ? NULL : a, r, e.msg) < 0) {
		addr_free(a);
		return -ENOMEM;
	}
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
		r = addr_match(a, p);
		if (owned)
			addr_free(p);
		if (r != 0)
			return r;
	}
	r = phys_parse_memo(wl, addr, &p, &owned, err);
	if (r < 0)
		return r;
	r = addr_match(a, p);
	if (owned)
		addr_free(p);
	return r;
}

/* py_eq(str(id), v): a str equals only a str. */
static bool id_eq(const char *id, json_t *v)
{
	return json_is_string(v) && strlen(id) == json_string_length(v) &&
	       !memcmp(id, json_string_value(v), strlen(id));
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
		/* dev.get('capabilities', {}).get('vpd', {}).get(...) */
		json_t *caps = json_object_get(dev, "capabilities"),
		       *vpd = NULL, *sn = NULL;

		r = caps ? dict_get(caps, "vpd", &vpd, err) : 0;
		if (r == 0 && vpd)
			r = dict_get(vpd, "card_serial_number", &sn, err);
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

size_t nova_whitelist_classes(const struct sriov_nova_whitelist *wl)
{
	return wl->ncls;
}

int sriov_nova_whitelist_match(const struct sriov_nova_whitelist *wl,
			       json_t *dev, struct sriov_error *err)
{
	for (size_t i = 0; i < wl->n; i++) {
		int r = spec_match(wl, &wl->specs[i], dev, err);

		if (r == -ENOMEM)
			return nova_oom(err);
		if (r < 0)
			return r;
		if (r)
			return (int)i;
	}
	return -ENOENT;
}
