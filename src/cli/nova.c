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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

#include "cli.h"
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

static json_t *load_json(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, JSON_DECODE_ANY, &je);

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
			o->flags |= NOVA_HW_SHARED;
			break;
		case 'D':
			o->flags |= NOVA_DETERMINISTIC;
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
			  struct sriov_root **root, struct nova_whitelist **wl)
{
	struct sriov_error err = { 0 };
	char **vals = NULL;
	size_t n = 0;
	int r;

	r = read_values(path, &vals, &n);
	if (r < 0)
		return cli_error("%s: %s", path, strerror(-r));
	*root = maybe_root(cli);
	r = nova_whitelist_parse(*root, (const char *const *)vals, n, wl, &err);
	strv_free_n(vals, n);
	if (r < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_match(struct cli *cli, struct nova_whitelist *wl, json_t *devs)
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
		int m = json_is_object(d) ? nova_whitelist_match(wl, d, &err) :
					    -ENOENT;

		json_object_set(o, "address", addr ? addr : json_null());
		if (m >= 0) {
			json_object_set_new(
				o, "spec",
				json_integer(
					(json_int_t)nova_whitelist_value_index(
						wl, (size_t)m)));
			json_object_set_new(o, "tags",
					    json_deep_copy(nova_whitelist_tags(
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

static int cmd_pools(struct cli *cli, struct nova_whitelist *wl, json_t *devs)
{
	struct sriov_error err = { 0 };
	struct nova_stats *st;

	if (nova_stats_new(wl, devs, NULL, 0, &st, &err) < 0)
		return cli_error("%s", err.msg);
	json_t *out = nova_stats_pools(st);
	nova_stats_free(st);
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
static int build_requests(const struct nova_aliases *al, json_t *e,
			  struct nova_request **ret, size_t *ret_n,
			  struct sriov_error *err)
{
	json_t *alias = json_object_get(e, "alias");
	json_t *pol = json_object_get(e, "numa_policy");
	const char *policy = json_is_string(pol) ? json_string_value(pol) :
						   NULL;
	enum nova_numa_policy p;

	if (policy && nova_numa_policy_parse(policy, &p) < 0)
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
		struct nova_aliases *none = NULL;
		int r;

		if (!al) {
			r = nova_aliases_parse(NULL, 0, &none, err);
			if (r < 0)
				return r;
		}
		r = nova_aliases_translate(al ? al : none, s, policy, ret,
					   ret_n, err);
		nova_aliases_free(none);
		return r;
	}
	json_t *list = json_object_get(e, "requests");
	json_t *one = NULL;
	if (!list) {
		one = json_pack("[O]", e);
		list = one;
	}
	size_t n = json_array_size(list), i;
	struct nova_request *reqs = calloc(n + 1, sizeof(*reqs));
	json_t *q;
	json_array_foreach(list, i, q) {
		json_t *spec = json_object_get(q, "spec");
		json_t *cnt = json_object_get(q, "count");
		json_t *qp = json_object_get(q, "numa_policy");
		const char *qps = json_is_string(qp) ? json_string_value(qp) :
						       policy;

		if (!json_is_array(spec) || !json_is_integer(cnt)) {
			nova_requests_free(reqs, i);
			json_decref(one);
			return sriov_error_set(
				err, -EINVAL,
				"request %zu: needs \"spec\" (array) and \"count\" (integer)",
				i);
		}
		reqs[i].count = (long)json_integer_value(cnt);
		reqs[i].policy = NOVA_NUMA_LEGACY;
		if (qps)
			nova_numa_policy_parse(qps, &reqs[i].policy);
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
					nova_requests_free(reqs, i);
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

static int host_stats(struct nova_whitelist *wl, json_t *hv, unsigned flags,
		      struct nova_stats **ret, struct sriov_error *err)
{
	json_t *devs = json_is_array(hv) ? hv : json_object_get(hv, "devices");
	json_t *cells = json_is_object(hv) ? json_object_get(hv, "numa_cells") :
					     NULL;
	size_t nc = json_array_size(cells), i;
	struct nova_cell *hc = calloc(nc + 1, sizeof(*hc));
	json_t *c, *empty = json_array();

	json_array_foreach(cells, i, c) {
		json_t *s = json_object_get(c, "socket");
		hc[i].id = (long)json_integer_value(json_object_get(c, "id"));
		hc[i].socket =
			json_is_integer(s) ? (long)json_integer_value(s) : -1;
	}
	int r = nova_stats_new_flags(wl, devs ? devs : empty, hc, nc, flags,
				     ret, err);
	free(hc);
	json_decref(empty);
	return r;
}

static int cmd_fit(struct cli *cli, struct nova_whitelist *wl,
		   struct nova_aliases *al, json_t *hosts, json_t *rqs,
		   unsigned flags)
{
	struct sriov_error err = { 0 };
	size_t nh = json_object_size(hosts), h = 0;
	struct nova_stats **st = calloc(nh + 1, sizeof(*st));
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
	json_t *out = json_array(), *e;
	size_t i;
	json_array_foreach(rqs, i, e) {
		struct nova_request *reqs = NULL;
		size_t n = 0;
		json_t *o = json_object();
		long *cells = NULL;
		size_t ncells = 0;
		json_t *jc = json_object_get(e, "numa_cells");

		json_object_set_new(o, "request", json_integer((json_int_t)i));
		if (build_requests(al, e, &reqs, &n, &err) < 0) {
			json_object_set_new(o, "error", json_string(err.msg));
			json_array_append_new(out, o);
			continue;
		}
		if (json_is_array(jc) && parse_cells(jc, &cells, &ncells) < 0) {
			json_object_set_new(
				o, "error",
				json_string("numa_cells: integers expected"));
			json_array_append_new(out, o);
			free(cells);
			nova_requests_free(reqs, n);
			continue;
		}
		json_t *pass = json_array();
		for (size_t k = 0; k < nh; k++)
			if (nova_stats_support_flags(
				    st[k], reqs, n,
				    json_is_array(jc) ? cells : NULL, ncells))
				json_array_append_new(pass,
						      json_string(names[k]));
		json_object_set_new(o, "hosts", pass);
		json_array_append_new(out, o);
		free(cells);
		nova_requests_free(reqs, n);
	}
	rc = emit(cli, out);
out:
	for (size_t k = 0; k < nh; k++)
		nova_stats_free(st[k]);
	free(st);
	free(names);
	return rc;
}

static int cmd_nova_check(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	return cli_error("nova check: not yet");
}

/* Each element of REQUESTS is one claim on the same host, in order. */
static int cmd_consume(struct cli *cli, struct nova_whitelist *wl,
		       struct nova_aliases *al, json_t *host, json_t *rqs,
		       unsigned flags)
{
	struct sriov_error err = { 0 };
	struct nova_stats *st = NULL;
	json_t *out, *e;
	size_t i;

	if (host_stats(wl, host, flags, &st, &err) < 0)
		return cli_error("host: %s", err.msg);
	out = json_array();
	json_array_foreach(rqs, i, e) {
		struct nova_request *reqs = NULL;
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
		} else if (nova_stats_consume(st, reqs, n,
					      json_is_array(jc) ? cells : NULL,
					      ncells, &got) < 0) {
			json_object_set_new(o, "devices", json_null());
		} else {
			json_object_set_new(o, "devices", got);
		}
		free(cells);
		nova_requests_free(reqs, n);
	}
	json_t *final = json_object();
	json_object_set_new(final, "claims", out);
	json_object_set_new(final, "pools", nova_stats_pools(st));
	nova_stats_free(st);
	return emit(cli, final);
}

int cmd_nova(struct cli *cli, int argc, char **argv)
{
	struct nova_opts o = { 0 };
	struct nova_whitelist *wl = NULL;
	struct nova_aliases *al = NULL;
	struct sriov_root *root = NULL;
	const char *sub;
	int rc;

	if (argc < 2)
		return cli_usage(
			"nova match|pools|fit|consume --device-spec FILE ... | nova check nova.conf");
	sub = argv[1];
	if (!strcmp(sub, "check"))
		return cmd_nova_check(cli, argc - 1, argv + 1);
	if (parse_opts(argc - 1, argv + 1, &o) < 0 || !o.spec)
		return cli_usage("nova %s: --device-spec FILE is required",
				 sub);
	int nargs = argc - 1 - o.first_arg;
	char **args = argv + 1 + o.first_arg;
	bool consume = !strcmp(sub, "consume");
	bool fit = consume || !strcmp(sub, "fit");
	if (!fit && strcmp(sub, "match") && strcmp(sub, "pools"))
		return cli_usage(
			"nova: unknown command '%s' (match, pools, fit, consume, check)",
			sub);
	if (nargs != (fit ? 2 : 1))
		return cli_usage(
			fit ? "nova %s --device-spec FILE [--alias FILE] [--hw-shared] [--deterministic] HOSTS.json REQUESTS.json" :
			      "nova %s --device-spec FILE DEVICES.json",
			sub);
	if (o.alias) {
		struct sriov_error err = { 0 };
		char **vals = NULL;
		size_t n = 0;
		int r = read_values(o.alias, &vals, &n);

		if (r < 0) {
			rc = cli_error("%s: %s", o.alias, strerror(-r));
			goto out;
		}
		r = nova_aliases_parse((const char *const *)vals, n, &al, &err);
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
	nova_aliases_free(al);
	nova_whitelist_free(wl);
	if (root)
		sriov_root_free(root);
	return rc;
}
