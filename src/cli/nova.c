/* SPDX-License-Identifier: MIT */
/*
 * sriovctl nova: Nova's [pci] device_spec / alias semantics.
 *
 *   nova match --device-spec FILE DEVICES.json
 *   nova pools --device-spec FILE DEVICES.json
 *   nova fit   --device-spec FILE [--alias FILE] HOSTS.json REQUESTS.json
 *   nova consume --device-spec FILE [--alias FILE] HOST.json REQUESTS.json
 *   nova check [--root SYSFS] nova.conf
 *
 * fit and consume take --hw-shared (a PF and its VFs are one piece of
 * hardware) and --deterministic (device choice independent of the
 * reporting order): both beyond Nova, off by default.
 *
 * Output is JSON. An invalid device_spec or alias exits 2 with Nova's
 * message, alone, on stderr.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/host.h>
#include <sriov/nova.h>

#include "cli.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

static void strv_free_n(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* One value per line, as in nova.conf; blank and '#' lines skipped. */
static int read_values(const char *path, char ***ret, size_t *ret_n)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, n = 0, vcap = 0;
	char **v = NULL;
	ssize_t len;

	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 &&
		       (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		grow_array((void **)&v, &vcap, n, sizeof(*v));
		v[n++] = strdup(line);
	}
	free(line);
	fclose(f);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The whole file, then json_loadb(): json_load_file() reads a character
 * at a time through getc(), which dominated loading 10,000 hosts. */
static json_t *load_json(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	json_error_t je;
	FILE *f = fopen(path, "re");
	json_t *j;

	if (!f) {
		cli_error("%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			char *nb = realloc(buf, cap);
			if (!nb) {
				fclose(f);
				cli_error("%s: out of memory", path);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		cli_error("%s: %s", path, strerror(errno));
		fclose(f);
		return NULL;
	}
	fclose(f);
	j = json_loadb(buf, len, JSON_DECODE_ANY, &je);
	if (!j)
		cli_error("%s:%d:%d: %s", path, je.line, je.column, je.text);
	return j;
}

static int emit(struct cli *cli, json_t *out)
{
	size_t flags = JSON_ENCODE_ANY | (cli->pretty ? JSON_INDENT(2) : 0);
	int r = json_dumpf(out, stdout, flags);

	fputc('\n', stdout);
	json_decref(out);
	return r < 0 || fflush(stdout) ? EXIT_FAIL : 0;
}

struct nova_opts {
	const char *spec;
	const char *alias;
	unsigned flags;
	int first_arg;
};

static int parse_opts(int argc, char **argv, struct nova_opts *o)
{
	static const struct option opts[] = {
		{ "device-spec", required_argument, NULL, 's' },
		{ "alias", required_argument, NULL, 'a' },
		{ "hw-shared", no_argument, NULL, 'H' },
		{ "deterministic", no_argument, NULL, 'D' },
		{ 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->spec = optarg;
			break;
		case 'a':
			o->alias = optarg;
			break;
		case 'H':
			o->flags |= SRIOV_NOVA_HW_SHARED;
			break;
		case 'D':
			o->flags |= SRIOV_NOVA_DETERMINISTIC;
			break;
		default:
			return -EINVAL;
		}
	}
	o->first_arg = optind;
	return 0;
}

static struct sriov_root *maybe_root(struct cli *cli)
{
	struct sriov_root *root = NULL;
	struct sriov_error err = { 0 };

	if (sriov_root_open(cli->sys_root, cli->proc_root, &root, &err) < 0)
		return NULL;
	return root;
}

static int load_whitelist(struct cli *cli, const char *path,
			  struct sriov_root **root,
			  struct sriov_nova_whitelist **wl)
{
	struct sriov_error err = { 0 };
	char **vals = NULL;
	size_t n = 0;
	int r;

	r = read_values(path, &vals, &n);
	if (r < 0)
		return cli_error("%s: %s", path, strerror(-r));
	*root = maybe_root(cli);
	r = sriov_nova_whitelist_parse(*root, (const char *const *)vals, n, wl,
				       &err);
	strv_free_n(vals, n);
	if (r < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_match(struct cli *cli, struct sriov_nova_whitelist *wl,
		     json_t *devs)
{
	json_t *out = json_array();
	size_t i;
	json_t *d;

	json_array_foreach(devs, i, d) {
		struct sriov_error err = { 0 };
		json_t *o = json_object();
		json_t *addr = json_is_object(d) ?
				       json_object_get(d, "address") :
				       NULL;
		int m = json_is_object(d) ?
				sriov_nova_whitelist_match(wl, d, &err) :
				-ENOENT;

		json_object_set(o, "address", addr ? addr : json_null());
		if (m >= 0) {
			json_object_set_new(
				o, "spec",
				json_integer(
					(json_int_t)
						sriov_nova_whitelist_value_index(
							wl, (size_t)m)));
			json_object_set_new(
				o, "tags",
				json_deep_copy(sriov_nova_whitelist_tags(
					wl, (size_t)m)));
		} else {
			json_object_set_new(o, "spec", json_null());
			json_object_set_new(o, "tags", json_object());
			if (m != -ENOENT)
				json_object_set_new(o, "error",
						    json_string(err.msg));
		}
		json_array_append_new(out, o);
	}
	return emit(cli, out);
}

static int cmd_pools(struct cli *cli, struct sriov_nova_whitelist *wl,
		     json_t *devs)
{
	struct sriov_error err = { 0 };
	struct sriov_nova_stats *st;

	if (sriov_nova_stats_new(wl, devs, NULL, 0, &st, &err) < 0)
		return cli_error("%s", err.msg);
	json_t *out = sriov_nova_stats_pools(st);
	sriov_nova_stats_free(st);
	return emit(cli, out);
}

static int parse_cells(json_t *a, long **ret, size_t *n)
{
	size_t i;
	json_t *c;

	*ret = calloc(json_array_size(a) + 1, sizeof(long));
	*n = json_array_size(a);
	json_array_foreach(a, i, c) {
		if (json_is_object(c))
			c = json_object_get(c, "id");
		if (!json_is_integer(c))
			return -EINVAL;
		(*ret)[i] = (long)json_integer_value(c);
	}
	return 0;
}

/* One request entry: its InstancePCIRequests. */
static int build_requests(const struct sriov_nova_aliases *al, json_t *e,
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
	if (json_is_string(alias)) {
		char buf[1024];
		json_t *cnt = json_object_get(e, "count");
		const char *s = json_string_value(alias);

		if (json_is_integer(cnt)) {
			snprintf(buf, sizeof(buf), "%s:%" JSON_INTEGER_FORMAT,
				 s, json_integer_value(cnt));
			s = buf;
		}
		struct sriov_nova_aliases *none = NULL;
		int r;

		if (!al) {
			r = sriov_nova_aliases_parse(NULL, 0, &none, err);
			if (r < 0)
				return r;
		}
		r = sriov_nova_aliases_translate(al ? al : none, s, policy, ret,
						 ret_n, err);
		sriov_nova_aliases_free(none);
		return r;
	}
	json_t *list = json_object_get(e, "requests");
	json_t *one = NULL;
	if (!list) {
		one = json_pack("[O]", e);
		list = one;
	}
	size_t n = json_array_size(list), i;
	struct sriov_nova_request *reqs = calloc(n + 1, sizeof(*reqs));
	json_t *q;
	json_array_foreach(list, i, q) {
		json_t *spec = json_object_get(q, "spec");
		json_t *cnt = json_object_get(q, "count");
		json_t *qp = json_object_get(q, "numa_policy");
		const char *qps = json_is_string(qp) ? json_string_value(qp) :
						       policy;

		if (!json_is_array(spec) || !json_is_integer(cnt)) {
			sriov_nova_requests_free(reqs, i);
			json_decref(one);
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
		/* InstancePCIRequest.spec: dicts of nullable strings */
		json_t *sp = json_array(), *d;
		size_t k;
		json_array_foreach(spec, k, d) {
			json_t *o = json_object(), *v;
			const char *key;
			json_object_foreach(d, key, v) {
				char b[64];
				if (json_is_string(v) || json_is_null(v))
					json_object_set(o, key, v);
				else if (json_is_true(v))
					json_object_set_new(
						o, key, json_string("True"));
				else if (json_is_false(v))
					json_object_set_new(
						o, key, json_string("False"));
				else if (json_is_integer(v)) {
					snprintf(b, sizeof(b),
						 "%" JSON_INTEGER_FORMAT,
						 json_integer_value(v));
					json_object_set_new(o, key,
							    json_string(b));
				} else {
					json_decref(o);
					json_decref(sp);
					sriov_nova_requests_free(reqs, i);
					json_decref(one);
					return sriov_error_set(
						err, -EINVAL,
						"request %zu: spec values must be strings",
						i);
				}
			}
			json_array_append_new(sp, o);
		}
		reqs[i].spec = sp;
	}
	json_decref(one);
	*ret = reqs;
	*ret_n = n;
	return 0;
}

static int host_stats(struct sriov_nova_whitelist *wl, json_t *hv,
		      unsigned flags, struct sriov_nova_stats **ret,
		      struct sriov_error *err)
{
	json_t *devs = json_is_array(hv) ? hv : json_object_get(hv, "devices");
	json_t *cells = json_is_object(hv) ? json_object_get(hv, "numa_cells") :
					     NULL;
	size_t nc = json_array_size(cells), i;
	struct sriov_nova_cell *hc = calloc(nc + 1, sizeof(*hc));
	json_t *c, *empty = json_array();

	json_array_foreach(cells, i, c) {
		json_t *s = json_object_get(c, "socket");
		hc[i].id = (long)json_integer_value(json_object_get(c, "id"));
		hc[i].socket =
			json_is_integer(s) ? (long)json_integer_value(s) : -1;
	}
	int r = sriov_nova_stats_new_flags(wl, devs ? devs : empty, hc, nc,
					   flags, ret, err);
	free(hc);
	json_decref(empty);
	return r;
}

static int cmd_fit(struct cli *cli, struct sriov_nova_whitelist *wl,
		   struct sriov_nova_aliases *al, json_t *hosts, json_t *rqs,
		   unsigned flags)
{
	struct sriov_error err = { 0 };
	size_t nh = json_object_size(hosts), h = 0;
	struct sriov_nova_stats **st = calloc(nh + 1, sizeof(*st));
	const char **names = calloc(nh + 1, sizeof(*names));
	const char *name;
	json_t *hv;
	int rc = 0;

	json_object_foreach(hosts, name, hv) {
		names[h] = name;
		int r = host_stats(wl, hv, flags, &st[h], &err);
		if (r < 0) {
			rc = cli_error("host %s: %s", name, err.msg);
			goto out;
		}
		h++;
	}
	/* Written as it is computed (the answer for 10,000 hosts and 1,000
	 * requests is ~100 MB): each host name is encoded once, and the
	 * text is what json_dumpf() writes for the same array. --pretty
	 * builds the array and indents it. */
	json_t *out = cli->pretty ? json_array() : NULL, *e;
	char **quoted = calloc(nh + 1, sizeof(*quoted));
	size_t i;
	for (size_t k = 0; k < nh; k++) {
		json_t *js = json_string(names[k]);
		quoted[k] = json_dumps(js, JSON_ENCODE_ANY);
		json_decref(js);
	}
	if (!out)
		fputc('[', stdout);
	json_array_foreach(rqs, i, e) {
		struct sriov_nova_request *reqs = NULL;
		size_t n = 0;
		long *cells = NULL;
		size_t ncells = 0;
		json_t *jc = json_object_get(e, "numa_cells");
		const char *error = NULL;

		if (build_requests(al, e, &reqs, &n, &err) < 0)
			error = err.msg;
		else if (json_is_array(jc) &&
			 parse_cells(jc, &cells, &ncells) < 0)
			error = "numa_cells: integers expected";
		if (out) {
			json_t *o =
				json_pack("{s:I}", "request", (json_int_t)i);
			json_t *pass = error ? NULL : json_array();
			for (size_t k = 0; pass && k < nh; k++)
				if (sriov_nova_stats_support_flags(
					    st[k], reqs, n,
					    json_is_array(jc) ? cells : NULL,
					    ncells))
					json_array_append_new(
						pass, json_string(names[k]));
			if (error)
				json_object_set_new(o, "error",
						    json_string(error));
			else
				json_object_set_new(o, "hosts", pass);
			json_array_append_new(out, o);
		} else {
			printf("%s{\"request\": %zu, ", i ? ", " : "", i);
			if (error) {
				json_t *js = json_string(error);
				char *q = json_dumps(js, JSON_ENCODE_ANY);
				printf("\"error\": %s}", q);
				free(q);
				json_decref(js);
			} else {
				bool first = true;
				fputs("\"hosts\": [", stdout);
				for (size_t k = 0; k < nh; k++)
					if (sriov_nova_stats_support_flags(
						    st[k], reqs, n,
						    json_is_array(jc) ? cells :
									NULL,
						    ncells)) {
						if (!first)
							fputs(", ", stdout);
						fputs(quoted[k], stdout);
						first = false;
					}
				fputs("]}", stdout);
			}
		}
		free(cells);
		sriov_nova_requests_free(reqs, n);
	}
	for (size_t k = 0; k < nh; k++)
		free(quoted[k]);
	free(quoted);
	if (out) {
		rc = emit(cli, out);
	} else {
		fputs("]\n", stdout);
		rc = fflush(stdout) || ferror(stdout) ? EXIT_FAIL : 0;
	}
out:
	for (size_t k = 0; k < nh; k++)
		sriov_nova_stats_free(st[k]);
	free(st);
	free(names);
	return rc;
}

/* The host's PCI functions as Nova's libvirt driver reports them. */
static json_t *host_devices(const struct sriov_host *h)
{
	json_t *a = json_array();

	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct sriov_pf *pf = &h->pfs[i];
		json_t *numa = pf->numa_node >= 0 ?
				       json_integer(pf->numa_node) :
				       json_null();

		if (strcmp(pf->bus, "pci") || !pf->vendor || !pf->device) {
			json_decref(numa);
			continue;
		}
		json_array_append_new(
			a, json_pack("{s:s,s:s,s:s,s:s,s:O}", "address",
				     pf->address, "vendor_id", pf->vendor,
				     "product_id", pf->device, "dev_type",
				     pf->sriov_totalvfs > 0 ? "type-PF" :
							      "type-PCI",
				     "numa_node", numa));
		for (size_t k = 0; k < pf->n_vfs; k++) {
			const struct sriov_vf *vf = &pf->vfs[k];
			if (!vf->address || !vf->vendor || !vf->device)
				continue;
			json_t *d = json_pack(
				"{s:s,s:s,s:s,s:s,s:s,s:O}", "address",
				vf->address, "vendor_id", vf->vendor,
				"product_id", vf->device, "dev_type", "type-VF",
				"parent_addr", pf->address, "numa_node", numa);
			if (pf->n_netdevs)
				json_object_set_new(
					d, "parent_ifname",
					json_string(pf->netdevs[0].name));
			json_array_append_new(a, d);
		}
		json_decref(numa);
	}
	for (size_t i = 0; i < h->n_others; i++) {
		const struct sriov_other_device *o = &h->others[i];
		if (o->address && o->vendor && o->device)
			json_array_append_new(
				a,
				json_pack("{s:s,s:s,s:s,s:s,s:n}", "address",
					  o->address, "vendor_id", o->vendor,
					  "product_id", o->device, "dev_type",
					  "type-PCI", "numa_node"));
	}
	return a;
}

struct conf_value {
	char *key; /* as written */
	char *value;
	unsigned line;
};

/*
 * The [pci] and [DEFAULT] options of a nova.conf as oslo.config reads
 * them: "key = value" or "key: value", '#' and ';' comments, a line that
 * starts with white space continues the value above, and a repeated key
 * adds a value (MultiStrOpt).
 */
static int read_conf(const char *path, struct conf_value **ret, size_t *ret_n)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *section = NULL;
	size_t cap = 0, n = 0, vcap = 0;
	struct conf_value *v = NULL;
	unsigned lineno = 0;
	ssize_t len;
	bool cont = false;

	if (!f)
		return -errno;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 &&
		       (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (cont && (line[0] == ' ' || line[0] == '\t')) {
			const char *p = line;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p) {
				struct conf_value *c = &v[n - 1];
				size_t a = strlen(c->value), b = strlen(p);
				char *nv = realloc(c->value, a + b + 2);
				if (!nv)
					abort();
				nv[a] = '\n';
				memcpy(nv + a + 1, p, b + 1);
				c->value = nv;
			}
			continue;
		}
		cont = false;
		if (!line[0] || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			char *e = strchr(line, ']');
			free(section);
			section = strndup(line + 1,
					  e ? (size_t)(e - line - 1) : 0);
			continue;
		}
		if (!section)
			continue;
		size_t k = strcspn(line, "=:");
		if (!line[k])
			continue;
		char *key = strndup(line, k), *val = line + k + 1;
		size_t kl = strlen(key);
		while (kl && (key[kl - 1] == ' ' || key[kl - 1] == '\t'))
			key[--kl] = '\0';
		while (*val == ' ' || *val == '\t')
			val++;
		size_t vl = strlen(val);
		while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
			val[--vl] = '\0';
		bool pci = !strcmp(section, "pci");
		bool dflt = !strcmp(section, "DEFAULT");
		if ((pci && (!strcmp(key, "device_spec") ||
			     !strcmp(key, "passthrough_whitelist") ||
			     !strcmp(key, "alias"))) ||
		    (dflt && (!strcmp(key, "pci_passthrough_whitelist") ||
			      !strcmp(key, "pci_alias")))) {
			grow_array((void **)&v, &vcap, n, sizeof(*v));
			v[n++] = (struct conf_value){ .key = key,
						      .value = strdup(val),
						      .line = lineno };
			cont = true;
		} else {
			free(key);
		}
	}
	free(line);
	free(section);
	fclose(f);
	*ret = v;
	*ret_n = n;
	return 0;
}

struct problems {
	const char *path;
	json_t *list;
	unsigned errors;
};

static void problem(struct problems *pr, unsigned line, bool error,
		    const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void problem(struct problems *pr, unsigned line, bool error,
		    const char *key, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr->errors += error;
	json_array_append_new(pr->list,
			      json_pack("{s:s,s:i,s:s,s:s,s:s}", "file",
					pr->path, "line", (json_int_t)line,
					"severity", error ? "error" : "warning",
					"option", key, "message", msg));
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

/* Lints of one spec object that Nova accepts. */
static void lint_spec(struct problems *pr, const struct conf_value *c,
		      json_t *spec, const struct sriov_host *host)
{
	const char *k;
	json_t *v, *addr = json_object_get(spec, "address");

	json_object_foreach(spec, k, v) {
		if (!strcmp(k, "vendor_id") || !strcmp(k, "product_id") ||
		    !strcmp(k, "address") || !strcmp(k, "devname"))
			continue;
		if (json_is_boolean(v) || json_is_number(v)) {
			char *t = json_dumps(v, JSON_ENCODE_ANY);
			problem(pr, c->line, false, c->key,
				"tag \"%s\" is the JSON %s %s: a request's values are strings (\"%s\"), and Nova compares them with the tag's type, so this never matches; write \"%s\"",
				k, json_is_boolean(v) ? "boolean" : "number", t,
				json_is_true(v) ? "true" : t,
				json_is_true(v) ? "true" : t);
			free(t);
		}
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
			problem(pr, c->line, false, c->key,
				"address %s \"%s\" is anchored at the start only (re.match): it also matches every %s that begins with a match; end it with '$'",
				k, re, k);
		}
	}
	/* a PF address includes its VFs */
	const char *a = json_string_value(addr);
	if (a && !json_object_get(spec, "product_id")) {
		for (size_t i = 0; host && i < host->n_pfs; i++) {
			const struct sriov_pf *pf = &host->pfs[i];
			if (pf->sriov_totalvfs <= 0 || !pf->address)
				continue;
			/* only a full address names one PF */
			char d[8], b[4], s[4], f[4];
			if (sscanf(a, "%7[^:]:%3[^:]:%3[^.].%3s", d, b, s, f) !=
				    4 ||
			    !is_hex_field(d) || !is_hex_field(b) ||
			    !is_hex_field(s) || !is_hex_field(f))
				break;
			unsigned x[4], y[4];
			if (sscanf(a, "%x:%x:%x.%x", &x[0], &x[1], &x[2],
				   &x[3]) == 4 &&
			    sscanf(pf->address, "%x:%x:%x.%x", &y[0], &y[1],
				   &y[2], &y[3]) == 4 &&
			    !memcmp(x, y, sizeof(x)))
				problem(pr, c->line, false, c->key,
					"address %s is a PF with %d VFs possible: the spec matches the PF and all its VFs; add \"product_id\": \"%s\" for the VFs only (or the PF's \"%s\" for the PF only)",
					a, pf->sriov_totalvfs,
					pf->sriov_vf_device ?
						pf->sriov_vf_device :
						"<VF product>",
					pf->device ? pf->device : "?");
		}
	}
}

static void check_specs(struct problems *pr, struct sriov_root *root,
			const struct conf_value *c,
			const struct sriov_host *host, json_t *devs)
{
	struct sriov_nova_whitelist *wl = NULL;
	struct sriov_error err = { 0 };
	const char *val = c->value;

	if (sriov_nova_whitelist_parse(root, &val, 1, &wl, &err) < 0) {
		const char *hint = "";
		if (strstr(err.msg, "does not parse as a hex number") &&
		    strchr(c->value, '*'))
			hint = " (Nova has no partial wildcards: a field is '*' or a hex number; use an address dict of regular expressions)";
		problem(pr, c->line, true, c->key, "%s%s", err.msg, hint);
		return;
	}
	json_t *j = json_loads(c->value, JSON_DECODE_ANY, NULL);
	if (json_is_object(j)) {
		lint_spec(pr, c, j, host);
	} else if (json_is_array(j)) {
		size_t i;
		json_t *e;
		json_array_foreach(j, i, e)
			lint_spec(pr, c, e, host);
	}
	json_decref(j);
	if (devs) {
		size_t i, hits = 0;
		json_t *d;
		json_array_foreach(devs, i, d)
			hits += sriov_nova_whitelist_match(wl, d, NULL) >= 0;
		if (!hits && sriov_nova_whitelist_size(wl))
			problem(pr, c->line, false, c->key,
				"matches none of the %zu PCI functions on this host",
				json_array_size(devs));
	}
	sriov_nova_whitelist_free(wl);
}

static int cmd_nova_check(struct cli *cli, int argc, char **argv)
{
	struct conf_value *v = NULL;
	struct sriov_host host = { 0 };
	struct sriov_root *root = NULL;
	struct problems pr = { 0 };
	json_t *devs = NULL;
	size_t n = 0;
	int r;

	if (argc != 2)
		return cli_bad_usage();
	r = read_conf(argv[1], &v, &n);
	if (r < 0)
		return cli_error("%s: %s", argv[1], strerror(-r));
	pr.path = argv[1];
	pr.list = json_array();
	/* devname and PF look-ups need a sysfs; matching against the host
	 * only when one was named */
	root = maybe_root(cli);
	if (root && sriov_host_discover(root, &host, NULL) == 0 &&
	    cli->sys_root)
		devs = host_devices(&host);
	/* oslo.config takes the new name and ignores the deprecated ones */
	bool have_spec = false, have_alias = false;
	for (size_t i = 0; i < n; i++) {
		have_spec = have_spec || !strcmp(v[i].key, "device_spec");
		have_alias = have_alias || !strcmp(v[i].key, "alias");
	}
	const char **aliases = calloc(n + 1, sizeof(*aliases));
	size_t na = 0;
	for (size_t i = 0; i < n; i++) {
		bool spec = strstr(v[i].key, "whitelist") ||
			    !strcmp(v[i].key, "device_spec");
		if (spec && have_spec && strcmp(v[i].key, "device_spec")) {
			problem(&pr, v[i].line, false, v[i].key,
				"deprecated name, ignored: device_spec is set too, and oslo.config then reads only device_spec");
			continue;
		}
		if (!spec && have_alias && strcmp(v[i].key, "alias")) {
			problem(&pr, v[i].line, false, v[i].key,
				"deprecated name, ignored: alias is set too");
			continue;
		}
		if (spec) {
			if (strcmp(v[i].key, "device_spec"))
				problem(&pr, v[i].line, false, v[i].key,
					"deprecated name; use [pci] device_spec");
			check_specs(&pr, root, &v[i], &host, devs);
			continue;
		}
		struct sriov_nova_aliases *al = NULL;
		struct sriov_error err = { 0 };
		aliases[na] = v[i].value;
		if (sriov_nova_aliases_parse(&aliases[na], 1, &al, &err) < 0) {
			problem(&pr, v[i].line, true, v[i].key, "%s", err.msg);
			continue;
		}
		sriov_nova_aliases_free(al);
		na++;
		/* same-name aliases must agree: report at the later one */
		al = NULL;
		if (sriov_nova_aliases_parse(aliases, na, &al, &err) < 0) {
			problem(&pr, v[i].line, true, v[i].key, "%s", err.msg);
			na--;
		} else {
			sriov_nova_aliases_free(al);
		}
	}
	free(aliases);
	if (cli->json) {
		json_t *out = pr.list;
		pr.list = NULL;
		r = emit(cli, out);
	} else {
		size_t i;
		json_t *e;
		json_array_foreach(pr.list, i, e)
			printf("%s:%" JSON_INTEGER_FORMAT ": %s: %s: %s\n",
			       pr.path,
			       json_integer_value(json_object_get(e, "line")),
			       json_string_value(
				       json_object_get(e, "severity")),
			       json_string_value(json_object_get(e, "option")),
			       json_string_value(
				       json_object_get(e, "message")));
		r = 0;
	}
	json_decref(pr.list);
	json_decref(devs);
	sriov_host_release(&host);
	if (root)
		sriov_root_free(root);
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
	return r ? r : pr.errors ? EXIT_FAIL : 0;
}

/* Each element of REQUESTS is one claim on the same host, in order. */
static int cmd_consume(struct cli *cli, struct sriov_nova_whitelist *wl,
		       struct sriov_nova_aliases *al, json_t *host, json_t *rqs,
		       unsigned flags)
{
	struct sriov_error err = { 0 };
	struct sriov_nova_stats *st = NULL;
	json_t *out, *e;
	size_t i;

	if (host_stats(wl, host, flags, &st, &err) < 0)
		return cli_error("host: %s", err.msg);
	out = json_array();
	json_array_foreach(rqs, i, e) {
		struct sriov_nova_request *reqs = NULL;
		size_t n = 0, ncells = 0;
		long *cells = NULL;
		json_t *o = json_object(), *got = NULL;
		json_t *jc = json_object_get(e, "numa_cells");

		json_object_set_new(o, "request", json_integer((json_int_t)i));
		json_array_append_new(out, o);
		if (build_requests(al, e, &reqs, &n, &err) < 0) {
			json_object_set_new(o, "error", json_string(err.msg));
			continue;
		}
		if (json_is_array(jc) && parse_cells(jc, &cells, &ncells) < 0) {
			json_object_set_new(
				o, "error",
				json_string("numa_cells: integers expected"));
		} else if (sriov_nova_stats_consume(st, reqs, n,
						    json_is_array(jc) ? cells :
									NULL,
						    ncells, &got) < 0) {
			json_object_set_new(o, "devices", json_null());
		} else {
			json_object_set_new(o, "devices", got);
		}
		free(cells);
		sriov_nova_requests_free(reqs, n);
	}
	json_t *final = json_object();
	json_object_set_new(final, "claims", out);
	json_object_set_new(final, "pools", sriov_nova_stats_pools(st));
	sriov_nova_stats_free(st);
	return emit(cli, final);
}

/* nova match|pools|fit|consume: argv[0] is the subcommand. */
static int cmd_nova(struct cli *cli, int argc, char **argv)
{
	struct nova_opts o = { 0 };
	struct sriov_nova_whitelist *wl = NULL;
	struct sriov_nova_aliases *al = NULL;
	struct sriov_root *root = NULL;
	const char *sub;
	int rc;

	sub = argv[0];
	if (parse_opts(argc, argv, &o) < 0)
		return cli_bad_usage();
	if (!o.spec)
		return cli_usage("nova %s: --device-spec FILE is required",
				 sub);
	int nargs = argc - o.first_arg;
	char **args = argv + o.first_arg;
	bool consume = !strcmp(sub, "consume");
	bool fit = consume || !strcmp(sub, "fit");
	if (nargs != (fit ? 2 : 1))
		return cli_bad_usage();
	if (o.alias) {
		struct sriov_error err = { 0 };
		char **vals = NULL;
		size_t n = 0;
		int r = read_values(o.alias, &vals, &n);

		if (r < 0) {
			rc = cli_error("%s: %s", o.alias, strerror(-r));
			goto out;
		}
		r = sriov_nova_aliases_parse((const char *const *)vals, n, &al,
					     &err);
		strv_free_n(vals, n);
		if (r < 0) {
			fprintf(stderr, "%s\n", err.msg);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	rc = load_whitelist(cli, o.spec, &root, &wl);
	if (rc)
		goto out;
	json_t *a = load_json(args[0]);
	if (!a) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (!fit) {
		if (!json_is_array(a)) {
			json_decref(a);
			rc = cli_error("%s: a JSON array of devices expected",
				       args[0]);
			goto out;
		}
		rc = !strcmp(sub, "match") ? cmd_match(cli, wl, a) :
					     cmd_pools(cli, wl, a);
		json_decref(a);
	} else {
		json_t *b = load_json(args[1]);
		if (!b || !(json_is_object(a) || json_is_array(a)) ||
		    !json_is_array(b))
			rc = b ? cli_error(
					 "HOSTS must be an object, REQUESTS an array") :
				 EXIT_FAIL;
		else if (consume)
			rc = cmd_consume(cli, wl, al, a, b, o.flags);
		else if (!json_is_object(a))
			rc = cli_error("HOSTS must be an object");
		else
			rc = cmd_fit(cli, wl, al, a, b, o.flags);
		json_decref(a);
		json_decref(b);
	}
out:
	sriov_nova_aliases_free(al);
	sriov_nova_whitelist_free(wl);
	if (root)
		sriov_root_free(root);
	return rc;
}

/*
 * render nova / render neutron: configuration written from this host's
 * hardware and a map of physical networks to PFs.
 */

struct physmap {
	char *entry; /* "physnet1=ens1f0" as given, for messages */
	char *physnet;
	char *dev; /* as given */
	const struct sriov_pf *pf;
	const char *ifname; /* the PF's netdev for neutron, NULL if none */
};

static void physmap_free(struct physmap *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].entry);
		free(m[i].physnet);
		free(m[i].dev);
	}
	free(m);
}

/* "0000:3b:00.0" or "3b:00.0", any case, to the kernel's form. */
static bool pci_addr_canon(const char *s, char out[static 16])
{
	unsigned d = 0, b, sl, f;
	int n = 0;

	if (sscanf(s, "%x:%x:%x.%x%n", &d, &b, &sl, &f, &n) == 4 && !s[n])
		;
	else if (d = 0, n = 0,
		 sscanf(s, "%x:%x.%x%n", &b, &sl, &f, &n) == 3 && !s[n])
		;
	else
		return false;
	if (d > 0xffff || b > 0xff || sl > 0x1f || f > 7 ||
	    strspn(s, "0123456789abcdefABCDEF:.") != strlen(s))
		return false;
	snprintf(out, 16, "%04x:%02x:%02x.%x", d, b, sl, f);
	return true;
}

/* Physical network names go into comma- and colon-separated options. */
static bool physnet_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 64)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f ||
		    strchr(",:=\"\\", *s))
			return false;
	return true;
}

/* Why dev names no PF: the message for the entry. */
static int unknown_device(const struct sriov_host *h, const char *entry,
			  const char *dev, const char *canon)
{
	for (size_t i = 0; i < h->n_pfs; i++) {
		const struct sriov_pf *pf = &h->pfs[i];
		for (size_t k = 0; k < pf->n_vfs; k++) {
			const struct sriov_vf *vf = &pf->vfs[k];
			if ((vf->netdev && !strcmp(vf->netdev, dev)) ||
			    (vf->address && canon &&
			     !strcmp(vf->address, canon)))
				return cli_error(
					"--physnet-map %s: %s is VF %d of %s; map its PF",
					entry, dev, vf->index, pf->address);
		}
	}
	for (size_t i = 0; canon && i < h->n_others; i++)
		if (h->others[i].address &&
		    !strcmp(h->others[i].address, canon))
			return cli_error(
				"--physnet-map %s: %s has no SR-IOV capability (no sriov_totalvfs); map an SR-IOV PF",
				entry, canon);
	return cli_error(
		"--physnet-map %s: no SR-IOV PF on this host has the netdev or PCI address '%s' (see sriovctl show)",
		entry, dev);
}

/*
 * --physnet-map PHYSNET=DEV[,PHYSNET=DEV...]: DEV is a PF's netdev or PCI
 * address. One PF takes one physical network: Nova gives a device the
 * tags of the first spec that matches it, and Neutron requires unique
 * devices in physical_device_mappings.
 */
static int parse_physmap(const struct sriov_host *h, const char *arg,
			 struct physmap **ret, size_t *ret_n)
{
	_cleanup_free_ char *copy = strdup(arg);
	struct physmap *m = NULL;
	size_t n = 0, cap = 0;
	char *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return cli_error("out of memory");
	if (!*arg || arg[strlen(arg) - 1] == ',' || arg[0] == ',' ||
	    strstr(arg, ",,")) {
		return cli_usage(
			"--physnet-map '%s': empty entry; expected PHYSNET=DEV[,PHYSNET=DEV...] (DEV: a PF's netdev or PCI address)",
			arg);
	}
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		char canon[16];

		if (!eq || eq == tok || !eq[1] || strchr(eq + 1, '=')) {
			rc = cli_usage(
				"--physnet-map: entry '%s' is not PHYSNET=DEV (DEV: a PF's netdev or PCI address)",
				tok);
			goto fail;
		}
		*eq = '\0';
		if (!physnet_ok(tok)) {
			*eq = '=';
			rc = cli_usage(
				"--physnet-map: entry '%s': physical network names are 1-64 characters without spaces, ',', ':', '=', quotes or backslashes",
				tok);
			goto fail;
		}
		*eq = '=';
		grow_array((void **)&m, &cap, n, sizeof(*m));
		struct physmap *e = &m[n++];
		*e = (struct physmap){ .entry = strdup(tok),
				       .physnet =
					       strndup(tok, (size_t)(eq - tok)),
				       .dev = strdup(eq + 1) };
		bool is_addr = pci_addr_canon(e->dev, canon);
		e->pf = sriov_host_find_pf(h, is_addr ? canon : e->dev);
		if (!e->pf) {
			rc = unknown_device(h, e->entry, e->dev,
					    is_addr ? canon : NULL);
			goto fail;
		}
		if (strcmp(e->pf->bus, "pci")) {
			rc = cli_error(
				"--physnet-map %s: %s is on the %s bus, not PCI: Nova and Neutron pass through PCI functions only",
				e->entry, e->dev, e->pf->bus);
			goto fail;
		}
		if (e->pf->sriov_totalvfs <= 0) {
			rc = cli_error(
				"--physnet-map %s: %s reports sriov_totalvfs %d: it cannot have VFs",
				e->entry, e->pf->address,
				e->pf->sriov_totalvfs);
			goto fail;
		}
		if (!is_addr)
			e->ifname = e->dev;
		else if (e->pf->n_netdevs)
			e->ifname = e->pf->netdevs[0].name;
		for (size_t k = 0; k + 1 < n; k++)
			if (m[k].pf == e->pf) {
				rc = cli_error(
					"--physnet-map %s: %s is the same PF as %s; a PF belongs to one physical network",
					e->entry, e->pf->address, m[k].entry);
				goto fail;
			}
	}
	*ret = m;
	*ret_n = n;
	return 0;
fail:
	physmap_free(m, n);
	return rc;
}

struct render_opts {
	const char *map;
	const char *prefix;
	const char *policy;
	bool include_pf;
	char **excludes;
	size_t n_excludes;
};

static int parse_render_opts(int argc, char **argv, bool neutron,
			     struct render_opts *o)
{
	static const struct option opts[] = {
		{ "physnet-map", required_argument, NULL, 'm' },
		{ "include-pf", no_argument, NULL, 'p' },
		{ "alias-prefix", required_argument, NULL, 'a' },
		{ "numa-policy", required_argument, NULL, 'n' },
		{ "exclude", required_argument, NULL, 'x' },
		{ 0 },
	};
	size_t cap = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'm')
			o->map = optarg;
		else if (c == 'p' && !neutron)
			o->include_pf = true;
		else if (c == 'a' && !neutron)
			o->prefix = optarg;
		else if (c == 'n' && !neutron)
			o->policy = optarg;
		else if (c == 'x' && neutron) {
			grow_array((void **)&o->excludes, &cap, o->n_excludes,
				   sizeof(char *));
			o->excludes[o->n_excludes++] = optarg;
		} else
			return -EINVAL;
	}
	return optind == argc && o->map ? 0 : -EINVAL;
}

static int open_host(struct cli *cli, struct sriov_root **root,
		     struct sriov_host *host)
{
	struct sriov_error err = { 0 };

	if (cli_open_root(cli, root) < 0)
		return EXIT_FAIL;
	if (sriov_host_discover(*root, host, &err) < 0)
		return cli_error("discovery: %s", err.msg);
	return 0;
}

/* The NUMA nodes a set of PFs sits on, as a bit mask (nodes 0-63). */
static unsigned long long numa_mask(const struct sriov_pf *pf)
{
	return pf->numa_node >= 0 && pf->numa_node < 64 ?
		       1ULL << pf->numa_node :
		       0;
}

/*
 * The alias's numa_policy. Nova's default, legacy, keeps a NUMA guest on
 * devices local to it when they report a node, and still allows devices
 * that report none. When the devices sit on some of the host's nodes only,
 * legacy (or required) would leave a guest placed on another node with no
 * device at all (NoValidHost): preferred then takes a local device when
 * there is one and any device otherwise.
 */
static const char *alias_policy(const struct sriov_host *h,
				unsigned long long devs)
{
	unsigned long long all = 0;

	for (size_t i = 0; i < h->n_pfs; i++)
		if (!strcmp(h->pfs[i].bus, "pci"))
			all |= numa_mask(&h->pfs[i]);
	return devs && devs != all ? "preferred" : "legacy";
}

static const char *vf_product(const struct sriov_pf *pf)
{
	if (pf->sriov_vf_device)
		return pf->sriov_vf_device;
	for (size_t k = 0; k < pf->n_vfs; k++)
		if (pf->vfs[k].device)
			return pf->vfs[k].device;
	return NULL;
}

static bool alias_name_ok(const char *s)
{
	if (!*s || *s == ' ' || strlen(s) > 200)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f || strchr(",:", *s))
			return false;
	return true;
}

int render_nova(struct cli *cli, int argc, char **argv)
{
	struct render_opts o = { .prefix = "sriov-" };
	struct sriov_host host = { 0 };
	struct sriov_root *root = NULL;
	struct physmap *m = NULL;
	size_t n = 0;
	enum sriov_numa_policy pol;
	int rc;

	if (parse_render_opts(argc, argv, false, &o) < 0)
		return cli_bad_usage();
	free(o.excludes);
	if (o.policy &&
	    sriov_numa_policy_parse(o.policy, SRIOV_NUMA_NOVA, &pol, NULL) < 0)
		return cli_usage(
			"render nova: --numa-policy '%s' is not one of legacy, required, preferred, socket",
			o.policy);
	if (!alias_name_ok(o.prefix) && *o.prefix)
		return cli_usage(
			"render nova: --alias-prefix '%s': alias names go into the flavor's pci_passthrough:alias (NAME:COUNT,...), so no ',', ':', control characters or leading space",
			o.prefix);
	rc = open_host(cli, &root, &host);
	if (rc)
		goto out;
	rc = parse_physmap(&host, o.map, &m, &n);
	if (rc)
		goto out;

	json_t *specs = json_array(), *aliases = json_array();
	json_t *notes = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct sriov_pf *pf = m[i].pf;
		const char *vfp = vf_product(pf);

		if (!pf->vendor || !pf->device || !vfp) {
			rc = cli_error(
				"--physnet-map %s: cannot read the %s of %s (no sriov_vf_device and no VFs to read it from)",
				m[i].entry,
				!pf->vendor ? "vendor id" :
				!pf->device ? "device id" :
					      "VF product id",
				pf->address);
			json_decref(specs);
			json_decref(aliases);
			json_decref(notes);
			goto out;
		}
		if (!strcmp(vfp, pf->device) && !o.include_pf)
			cli_warn(
				"%s: its VFs have the PF's product id %s, so the spec for its VFs also matches the PF",
				pf->address, vfp);
		char note[256], numa[32] = "no NUMA node";
		if (pf->numa_node >= 0)
			snprintf(numa, sizeof(numa), "NUMA node %d",
				 pf->numa_node);
		snprintf(note, sizeof(note),
			 "%s %s (%s:%s, %s): %d of %d VFs, VF product %s, %s",
			 pf->n_netdevs ? pf->netdevs[0].name : "-", pf->address,
			 pf->vendor, pf->device,
			 pf->driver ? pf->driver : "no driver",
			 pf->sriov_numvfs, pf->sriov_totalvfs, vfp, numa);
		/* The PF's address matches its VFs through parent_addr
		 * (devspec.py WhitelistPciAddress): stable across interface
		 * renames, unlike devname. The VF product id keeps the PF
		 * itself out. */
		json_array_append_new(
			specs,
			json_pack("{s:s,s:s,s:s,s:s}", "vendor_id", pf->vendor,
				  "product_id", vfp, "address", pf->address,
				  "physical_network", m[i].physnet));
		json_array_append_new(notes, json_string(note));
		if (o.include_pf) {
			json_array_append_new(
				specs,
				json_pack("{s:s,s:s,s:s,s:s}", "vendor_id",
					  pf->vendor, "product_id", pf->device,
					  "address", pf->address,
					  "physical_network", m[i].physnet));
			json_array_append_new(notes, json_null());
		}
	}
	/* One alias per distinct product (VFs, then PFs with --include-pf). */
	for (int pass = 0; pass < (o.include_pf ? 2 : 1); pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct sriov_pf *pf = m[i].pf;
			const char *prod = pass ? pf->device : vf_product(pf);
			bool seen = false;
			unsigned long long nodes = 0;

			for (size_t k = 0; k < n; k++) {
				const struct sriov_pf *q = m[k].pf;
				const char *qp = pass ? q->device :
							vf_product(q);
				if (strcmp(q->vendor, pf->vendor) ||
				    strcmp(qp, prod))
					continue;
				seen = seen || k < i;
				nodes |= numa_mask(q);
			}
			if (seen)
				continue;
			char name[256];
			snprintf(name, sizeof(name), "%s%s%s-%s", o.prefix,
				 pass ? "pf-" : "", pf->vendor, prod);
			json_array_append_new(
				aliases,
				json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", name,
					  "vendor_id", pf->vendor, "product_id",
					  prod, "device_type",
					  pass ? "type-PF" : "type-VF",
					  "numa_policy",
					  o.policy ?
						  o.policy :
						  alias_policy(&host, nodes)));
		}
	}
	if (cli->json) {
		json_decref(notes);
		rc = emit(cli, json_pack("{s:o,s:o}", "device_spec", specs,
					 "alias", aliases));
		goto out;
	}
	printf("# [pci] options for this host, written by sriovctl render nova --physnet-map %s%s\n"
	       "[pci]\n",
	       o.map, o.include_pf ? " --include-pf" : "");
	size_t i;
	json_t *v;
	json_array_foreach(specs, i, v) {
		char *s = json_dumps(v, 0);
		json_t *note = json_array_get(notes, i);
		if (json_is_string(note))
			printf("# %s\n", json_string_value(note));
		printf("device_spec = %s\n", s);
		free(s);
	}
	json_array_foreach(aliases, i, v) {
		char *s = json_dumps(v, 0);
		printf("alias = %s\n", s);
		free(s);
	}
	json_decref(specs);
	json_decref(aliases);
	json_decref(notes);
	rc = fflush(stdout) ? EXIT_FAIL : 0;
out:
	physmap_free(m, n);
	sriov_host_release(&host);
	if (root)
		sriov_root_free(root);
	return rc;
}

/* --exclude DEV:ADDR[;ADDR...], as Neutron's exclude_devices entries. */
static int add_exclude(const struct sriov_host *h, const struct physmap *m,
		       size_t n, const char *arg, json_t *ex)
{
	const char *colon = strchr(arg, ':');
	char canon[16];

	/* DEV may itself be a PCI address: the last ':' before the list
	 * would be wrong, so try the longest PCI address prefix first. */
	size_t dl = colon ? (size_t)(colon - arg) : 0;
	for (const char *c = strchr(arg, ':'); c; c = strchr(c + 1, ':')) {
		_cleanup_free_ char *d = strndup(arg, (size_t)(c - arg));
		if (pci_addr_canon(d, canon)) {
			dl = (size_t)(c - arg);
			break;
		}
	}
	if (!colon || !dl)
		return cli_usage(
			"--exclude '%s': expected DEV:ADDR[;ADDR...] (DEV: a mapped PF's netdev or PCI address, ADDR: its VFs' PCI addresses)",
			arg);
	_cleanup_free_ char *dev = strndup(arg, dl);
	const struct physmap *e = NULL;
	bool is_addr = pci_addr_canon(dev, canon);
	const struct sriov_pf *pf =
		sriov_host_find_pf(h, is_addr ? canon : dev);
	for (size_t i = 0; pf && i < n; i++)
		if (m[i].pf == pf)
			e = &m[i];
	if (!e)
		return cli_error(
			"--exclude %s: %s is not a device of --physnet-map (Neutron requires excluded devices' PFs in physical_device_mappings)",
			arg, dev);
	json_t *list = json_object_get(ex, e->ifname);
	if (!list) {
		list = json_array();
		json_object_set_new(ex, e->ifname, list);
	}
	_cleanup_free_ char *addrs = strdup(arg + dl + 1);
	char *save = NULL;
	for (char *a = strtok_r(addrs, ";", &save); a;
	     a = strtok_r(NULL, ";", &save)) {
		while (*a == ' ')
			a++;
		size_t al = strlen(a);
		while (al && a[al - 1] == ' ')
			a[--al] = '\0';
		if (!*a)
			continue;
		if (!pci_addr_canon(a, canon))
			return cli_usage(
				"--exclude %s: '%s' is not a PCI address (expected 0000:41:00.2)",
				arg, a);
		bool vf = false;
		for (size_t k = 0; k < pf->n_vfs; k++)
			vf = vf || (pf->vfs[k].address &&
				    !strcmp(pf->vfs[k].address, canon));
		if (!vf)
			cli_warn("--exclude %s: %s is not a VF of %s now", arg,
				 canon, pf->address);
		bool dup = false;
		size_t i;
		json_t *v;
		json_array_foreach(list, i, v)
			dup = dup || !strcmp(json_string_value(v), canon);
		if (!dup)
			json_array_append_new(list, json_string(canon));
	}
	return 0;
}

int render_neutron(struct cli *cli, int argc, char **argv)
{
	struct render_opts o = { 0 };
	struct sriov_host host = { 0 };
	struct sriov_root *root = NULL;
	struct physmap *m = NULL;
	json_t *ex = NULL;
	char *maps = NULL, *excl = NULL;
	size_t n = 0, ml = 0, el = 0;
	FILE *f;
	int rc;

	if (parse_render_opts(argc, argv, true, &o) < 0) {
		free(o.excludes);
		return cli_bad_usage();
	}
	rc = open_host(cli, &root, &host);
	if (rc)
		goto out;
	rc = parse_physmap(&host, o.map, &m, &n);
	if (rc)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!m[i].ifname) {
			rc = cli_error(
				"--physnet-map %s: %s has no network interface (driver %s); the sriov_nic agent maps physical networks to interfaces: bind the PF to its network driver",
				m[i].entry, m[i].pf->address,
				m[i].pf->driver ? m[i].pf->driver : "none");
			goto out;
		}
		for (size_t k = 0; k < m[i].pf->n_netdevs; k++)
			if (!strcmp(m[i].pf->netdevs[k].name, m[i].ifname) &&
			    m[i].pf->netdevs[k].link_type ==
				    SRIOV_LINK_INFINIBAND)
				cli_warn(
					"%s: %s is an InfiniBand interface; the sriov_nic agent configures Ethernet VFs",
					m[i].entry, m[i].ifname);
	}
	ex = json_object();
	for (size_t i = 0; i < o.n_excludes; i++) {
		rc = add_exclude(&host, m, n, o.excludes[i], ex);
		if (rc)
			goto out;
	}
	f = open_memstream(&maps, &ml);
	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "%s%s:%s", i ? "," : "", m[i].physnet, m[i].ifname);
	if (!f || fclose(f)) {
		rc = cli_error("out of memory");
		goto out;
	}
	f = open_memstream(&excl, &el);
	const char *dev;
	json_t *list;
	bool first = true;
	json_object_foreach(ex, dev, list) {
		size_t i;
		json_t *a;
		if (!json_array_size(list))
			continue;
		fprintf(f, "%s%s:", first ? "" : ",", dev);
		json_array_foreach(list, i, a)
			fprintf(f, "%s%s", i ? ";" : "", json_string_value(a));
		first = false;
	}
	if (!f || fclose(f)) {
		rc = cli_error("out of memory");
		goto out;
	}
	if (cli->json) {
		rc = emit(cli, json_pack("{s:{s:s,s:s}}", "sriov_nic",
					 "physical_device_mappings", maps,
					 "exclude_devices", excl));
		goto out;
	}
	printf("# sriov_agent.ini for this host, written by sriovctl render neutron\n"
	       "[sriov_nic]\n"
	       "physical_device_mappings = %s\n"
	       "exclude_devices = %s\n",
	       maps, excl);
	rc = fflush(stdout) ? EXIT_FAIL : 0;
out:
	free(maps);
	free(excl);
	json_decref(ex);
	free(o.excludes);
	physmap_free(m, n);
	sriov_host_release(&host);
	if (root)
		sriov_root_free(root);
	return rc;
}

#define NOVA_SPEC_OPTIONS \
	"  --device-spec FILE  [pci] device_spec values, one per line\n"

#define NOVA_FIT_OPTIONS                                           \
	NOVA_SPEC_OPTIONS                                          \
	"  --alias FILE        [pci] alias values, one per line\n" \
	"  --hw-shared         a PF and its VFs are one piece of hardware (beyond Nova)\n"

static const struct cli_command nova_match_cmd = {
	.name = "match",
	.summary = "which device_spec matches each device, with its tags",
	.run = cmd_nova,
	.usage = "--device-spec FILE DEVICES.json",
	.options = NOVA_SPEC_OPTIONS,
};

static const struct cli_command nova_pools_cmd = {
	.name = "pools",
	.summary = "the PCI device pools Nova builds from the devices",
	.run = cmd_nova,
	.usage = "--device-spec FILE DEVICES.json",
	.options = NOVA_SPEC_OPTIONS,
};

static const struct cli_command nova_fit_cmd = {
	.name = "fit",
	.summary =
		"the hosts whose devices support each request (PciPassthroughFilter)",
	.run = cmd_nova,
	.usage =
		"--device-spec FILE [--alias FILE] [--hw-shared] HOSTS.json REQUESTS.json",
	.options = NOVA_FIT_OPTIONS,
};

static const struct cli_command nova_consume_cmd = {
	.name = "consume",
	.summary =
		"the devices each claim takes on one host, in order, as the compute node claims them",
	.run = cmd_nova,
	.usage =
		"--device-spec FILE [--alias FILE] [--hw-shared] [--deterministic] HOST.json REQUESTS.json",
	.options = NOVA_FIT_OPTIONS
	"  --deterministic     claims do not depend on the order devices were reported in (beyond Nova)\n",
};

static const struct cli_command nova_check_cmd = {
	.name = "check",
	.summary =
		"read nova.conf's [pci] options as Nova does and check them against this host",
	.run = cmd_nova_check,
	.usage = "NOVA.CONF",
};

static const struct cli_command *const nova_commands[] = {
	&nova_match_cmd,   &nova_pools_cmd, &nova_fit_cmd,
	&nova_consume_cmd, &nova_check_cmd, NULL
};

const struct cli_command cli_nova = {
	.name = "nova",
	.summary = "Nova device_spec, pools and PCI request fitting",
	.sub = nova_commands,
};
