/* SPDX-License-Identifier: MIT */
/*
 * nova check: a nova.conf's [pci] options read as Nova reads them, each
 * value checked with Nova's own parsers, then linted for what Nova accepts
 * but does not do what its author meant.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

#include "nova/internal.h"
#include "nova/pyval.h"
#include "sysfs/fs.h"
#include "util/macro.h"
#include "util/banned.h"

void sriov_nova_report_release(struct sriov_nova_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->problems[i].option);
		free(r->problems[i].message);
	}
	free(r->problems);
	memset(r, 0, sizeof(*r));
}

struct report {
	struct sriov_nova_report *rep;
	size_t cap;
};

static int problem(struct report *r, unsigned line, bool error, const char *key,
		   const char *fmt, ...)
	__attribute__((format(printf, 5, 6), warn_unused_result));

static int problem(struct report *r, unsigned line, bool error, const char *key,
		   const char *fmt, ...)
{
	struct sriov_nova_report *rep = r->rep;
	struct sriov_nova_problem *p;
	va_list ap;
	int n;

	if (grow_array((void **)&rep->problems, &r->cap, rep->n,
		       sizeof(*rep->problems)) < 0)
		return -ENOMEM;
	p = &rep->problems[rep->n];
	*p = (struct sriov_nova_problem){ .line = line, .error = error };
	va_start(ap, fmt);
	n = vasprintf(&p->message, fmt, ap);
	va_end(ap);
	if (n < 0) {
		p->message = NULL;
		return -ENOMEM;
	}
	if (key && !(p->option = strdup(key))) {
		free(p->message);
		return -ENOMEM;
	}
	rep->n++;
	rep->errors += error;
	return 0;
}

static bool is_hex_field(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789abcdefABCDEF", *s))
			return false;
	return true;
}

/* A sysfs id file ("0x1017\n", or sriov_vf_device's "1018\n") as 4 hex
 * digits; NULL when unreadable. */
static int read_id(struct sriov_root *root, const char *addr, const char *file,
		   char **ret)
{
	_cleanup_free_ char *v = NULL;
	unsigned long id;
	char *end;
	int r;

	*ret = NULL;
	r = fs_read_str(root->sys_fd, SP("bus/pci/devices", addr, file), &v);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	id = strtoul(v, &end, 16);
	if (end == v || id > 0xffff)
		return 0;
	return asprintf(ret, "%04lx", id) < 0 ? (*ret = NULL, -ENOMEM) : 0;
}

/* A full PF address in a spec takes the PF and all its VFs. */
static int lint_pf_address(struct report *rp, struct sriov_root *root,
			   const struct sriov_nova_conf_value *c, const char *a)
{
	_cleanup_free_ char *vfp = NULL, *dev = NULL;
	char d[8], b[4], s[4], f[4], canon[32];
	unsigned x[4];
	int tvfs = 0, r;

	/* only a full address names one PF */
	if (!root || sscanf(a, "%7[^:]:%3[^:]:%3[^.].%3s", d, b, s, f) != 4 ||
	    !is_hex_field(d) || !is_hex_field(b) || !is_hex_field(s) ||
	    !is_hex_field(f) ||
	    sscanf(a, "%x:%x:%x.%x", &x[0], &x[1], &x[2], &x[3]) != 4)
		return 0;
	snprintf(canon, sizeof(canon), "%04x:%02x:%02x.%x", x[0], x[1], x[2],
		 x[3]);
	if (!name_is_safe(canon))
		return 0;
	r = fs_read_int(root->sys_fd,
			SP("bus/pci/devices", canon, "sriov_totalvfs"), &tvfs);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || tvfs <= 0)
		return 0;
	r = read_id(root, canon, "sriov_vf_device", &vfp);
	if (r == 0)
		r = read_id(root, canon, "device", &dev);
	if (r < 0)
		return r;
	return problem(
		rp, c->line, false, c->key,
		"address %s is a PF with %d VFs possible: the spec matches the PF and all its VFs; add \"product_id\": \"%s\" for the VFs only (or the PF's \"%s\" for the PF only)",
		a, tvfs, vfp ? vfp : "<VF product>", dev ? dev : "?");
}

/* JSON text of a scalar, without allocating: 0 or -ENOMEM. */
static int scalar_text(json_t *v, char t[static 64])
{
	size_t n = json_dumpb(v, t, 63, JSON_ENCODE_ANY);

	if (!n || n >= 63)
		return -ENOMEM;
	t[n] = '\0';
	return 0;
}

/*
 * A tag whose value is not a string: the compute node keeps the JSON
 * type, the scheduler reads the pools back from the database with str()
 * of it (PciDevicePool's tags are strings), or the compute node cannot
 * store the pool at all.
 */
static int lint_typed_tag(struct report *rp,
			  const struct sriov_nova_conf_value *c, const char *k,
			  json_t *v)
{
	struct sbuf b = { 0 };
	_cleanup_free_ char *str = NULL;
	char t[64];
	int r;

	if (json_is_array(v) || json_is_object(v))
		return problem(
			rp, c->line, false, c->key,
			"tag \"%s\" is a JSON %s: Nova stores a pool's tags as strings and cannot store this one (ValueError), so the compute node reports no PCI devices and the scheduler passes no request to this host; write a string",
			k, json_is_array(v) ? "list" : "object");
	if (!json_is_boolean(v) && !json_is_number(v))
		return 0; /* a string, or null (stored as null) */
	r = scalar_text(v, t);
	if (r < 0)
		return r;
	py_str(&b, v);
	str = sb_take(&b);
	if (!str)
		return -ENOMEM;
	const char *want = json_is_true(v)  ? "true" :
			   json_is_false(v) ? "false" :
					      str;
	return problem(
		rp, c->line, false, c->key,
		"tag \"%s\" is the JSON %s %s: the scheduler reads pools back with tags as strings (\"%s\") and passes a request for \"%s\", the compute node compares the %s and fails its claim, so the instance is rescheduled; write \"%s\"",
		k, json_is_boolean(v) ? "boolean" : "number", t, str, want,
		json_is_boolean(v) ? "boolean" : "number", want);
}

/* A numa_node tag sets the pools' node: an integer in the database. */
static int lint_numa_node(struct report *rp,
			  const struct sriov_nova_conf_value *c, json_t *v)
{
	long long n = 0;
	char t[64];
	int r;

	if (json_is_null(v) || json_is_integer(v) || json_is_boolean(v))
		return 0; /* the same number on both sides */
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d > -9.2e18 && d < 9.2e18 && (double)(long long)d == d)
			return 0;
		if (d > -9.2e18 && d < 9.2e18) {
			r = scalar_text(v, t);
			n = (long long)d;
		} else {
			r = 1;
		}
	} else if (json_is_string(v)) {
		r = py_int(json_string_value(v), json_string_length(v), &n);
		if (r == 0) {
			struct sbuf b = { 0 };
			py_repr(&b, v);
			char *q = sb_take(&b);
			if (!q)
				return -ENOMEM;
			snprintf(t, sizeof(t), "the string %.48s", q);
			free(q);
		}
	} else {
		r = 1;
	}
	if (r == -ENOMEM)
		return r;
	if (r != 0)
		return problem(
			rp, c->line, false, c->key,
			"tag \"numa_node\" is no integer, which Nova cannot store as a pool's NUMA node (ValueError), so the compute node reports no PCI devices and the scheduler passes no request to this host; write an integer");
	return problem(
		rp, c->line, false, c->key,
		"tag \"numa_node\" is %s: the scheduler reads it back as the number %lld, the compute node compares the tag itself with its NUMA cells and finds none, so a guest with a NUMA topology passes the scheduler and fails the claim; write %lld",
		t, n, n);
}

/* Lints of one spec object that Nova accepts. */
static int lint_spec(struct report *rp, struct sriov_root *root,
		     const struct sriov_nova_conf_value *c, json_t *spec)
{
	const char *k;
	json_t *v, *addr = json_object_get(spec, "address");
	int r;

	json_object_foreach(spec, k, v) {
		if (!strcmp(k, "vendor_id") || !strcmp(k, "product_id") ||
		    !strcmp(k, "address") || !strcmp(k, "devname"))
			continue;
		r = !strcmp(k, "numa_node") ? lint_numa_node(rp, c, v) :
					      lint_typed_tag(rp, c, k, v);
		if (r < 0)
			return r;
	}
	if (json_is_object(addr)) {
		json_object_foreach(addr, k, v) {
			const char *re = json_string_value(v);
			size_t n = re ? strlen(re) : 0;
			/* a literal of the field's full width matches only
			 * itself */
			size_t w = !strcmp(k, "domain")	  ? 4 :
				   !strcmp(k, "function") ? 1 :
							    2;
			if (re && n == w && is_hex_field(re))
				continue;
			if (!re || !strcmp(re, ".*") ||
			    (n && re[n - 1] == '$' &&
			     (n < 2 || re[n - 2] != '\\')))
				continue;
			r = problem(
				rp, c->line, false, c->key,
				"address %s \"%s\" is anchored at the start only (re.match): it also matches every %s that begins with a match; end it with '$'",
				k, re, k);
			if (r < 0)
				return r;
		}
	}
	/* a PF address includes its VFs */
	if (json_is_string(addr) && !json_object_get(spec, "product_id"))
		return lint_pf_address(rp, root, c, json_string_value(addr));
	return 0;
}

static int check_specs(struct report *rp, struct sriov_root *root,
		       const struct sriov_nova_conf_value *c, json_t *devs)
{
	struct sriov_nova_whitelist *wl = NULL;
	struct sriov_error err = { 0 };
	const char *val = c->value;
	json_t *j = NULL;
	int r;

	r = sriov_nova_whitelist_parse(root, &val, 1, &wl, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		const char *hint = "";
		if (strstr(err.msg, "does not parse as a hex number") &&
		    strchr(c->value, '*'))
			hint = " (Nova has no partial wildcards: a field is '*' or a hex number; use an address dict of regular expressions)";
		return problem(rp, c->line, true, c->key, "%s%s", err.msg,
			       hint);
	}
	/* Nova parsed it: only memory can fail */
	json_error_t je;
	r = nova_json_loads(c->value, &j, &je);
	if (r < 0)
		r = -ENOMEM;
	else if (json_is_object(j)) {
		r = lint_spec(rp, root, c, j);
	} else if (json_is_array(j)) {
		size_t i;
		json_t *e;
		json_array_foreach(j, i, e) {
			r = lint_spec(rp, root, c, e);
			if (r < 0)
				break;
		}
	}
	json_decref(j);
	if (r == 0 && devs) {
		size_t i, hits = 0;
		json_t *d;
		json_array_foreach(devs, i, d) {
			int m = sriov_nova_whitelist_match(wl, d, NULL);
			if (m == -ENOMEM) {
				r = m;
				break;
			}
			hits += m >= 0;
		}
		if (r == 0 && !hits && sriov_nova_whitelist_size(wl))
			r = problem(
				rp, c->line, false, c->key,
				"matches none of the %zu PCI functions on this host",
				json_array_size(devs));
	}
	sriov_nova_whitelist_free(wl);
	return r;
}

/* A value with a NUL byte: Python's json.loads() refuses it (a control
 * character is no JSON, in a string or out of one); our parsers take C
 * strings. */
static int nul_value(struct report *rp, const struct sriov_nova_conf_value *v)
{
	if (v->option == SRIOV_NOVA_DEVICE_SPEC)
		return problem(
			rp, v->line, true, v->key,
			"Invalid [pci]device_spec config: Invalid entry: '%s' (the value holds a NUL byte)",
			v->value);
	return problem(
		rp, v->line, true, v->key,
		"Invalid PCI alias definition: the value holds a NUL byte, which JSON does not allow");
}

static int check_alias(struct report *rp, const struct sriov_nova_conf_value *v,
		       const char **aliases, size_t *na)
{
	struct sriov_nova_aliases *al = NULL;
	struct sriov_error err = { 0 };
	int r;

	aliases[*na] = v->value;
	r = sriov_nova_aliases_parse(&aliases[*na], 1, &al, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return problem(rp, v->line, true, v->key, "%s", err.msg);
	sriov_nova_aliases_free(al);
	/* same-name aliases must agree: report at the later one */
	al = NULL;
	r = sriov_nova_aliases_parse(aliases, *na + 1, &al, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return problem(rp, v->line, true, v->key, "%s", err.msg);
	sriov_nova_aliases_free(al);
	(*na)++;
	return 0;
}

/* The values in Nova's order (so that "the later alias" is Nova's). */
static int check_values(struct report *rp, struct sriov_root *root,
			const struct sriov_nova_conf *conf, json_t *devs)
{
	const struct sriov_nova_conf_value *v = conf->values;
	size_t n = conf->n, na = 0;
	int r = 0;

	_cleanup_free_ const char **aliases = calloc(n + 1, sizeof(*aliases));
	if (!aliases)
		return -ENOMEM;
	for (size_t i = 0; i < n && r == 0; i++) {
		bool spec = v[i].option == SRIOV_NOVA_DEVICE_SPEC;

		if (v[i].deprecated)
			r = problem(rp, v[i].line, false, v[i].key,
				    "deprecated name; use [pci] %s",
				    spec ? "device_spec" : "alias");
		if (r < 0)
			break;
		if (strlen(v[i].value) != v[i].len)
			r = nul_value(rp, &v[i]);
		else if (spec)
			r = check_specs(rp, root, &v[i], devs);
		else
			r = check_alias(rp, &v[i], aliases, &na);
	}
	return r;
}

/* By line, in the order found within a line. */
static void sort_by_line(struct sriov_nova_report *rep)
{
	for (size_t i = 1; i < rep->n; i++) {
		struct sriov_nova_problem p = rep->problems[i];
		size_t j = i;

		while (j > 0 && rep->problems[j - 1].line > p.line) {
			rep->problems[j] = rep->problems[j - 1];
			j--;
		}
		rep->problems[j] = p;
	}
}

int nova_check_buf(struct sriov_root *root, const char *buf, size_t len,
		   json_t *devs, struct sriov_nova_report *ret)
{
	struct sriov_nova_report rep = { 0 };
	struct sriov_nova_conf conf = { 0 };
	struct report rp = { .rep = &rep };
	struct nova_conf_error fail = { 0 };
	int r;

	r = nova_conf_parse(buf, len, &conf, &fail);
	if (r == -EINVAL)
		/* Nova does not start: nothing else matters */
		r = problem(&rp, fail.line, true, NULL,
			    "oslo.config refuses the file: %s", fail.what);
	else if (r == 0)
		r = check_values(&rp, root, &conf, devs);
	sriov_nova_conf_release(&conf);
	if (r < 0) {
		sriov_nova_report_release(&rep);
		return r;
	}
	sort_by_line(&rep);
	*ret = rep;
	return 0;
}

int sriov_nova_check(struct sriov_root *root, const char *path, json_t *devs,
		     struct sriov_nova_report *ret, struct sriov_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = nova_conf_read(path, &buf, &len, err);
	if (r < 0)
		return r;
	r = nova_check_buf(root, buf, len, devs, ret);
	return r < 0 ? nova_oom(err) : 0;
}
