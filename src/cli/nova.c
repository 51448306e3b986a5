/* SPDX-License-Identifier: MIT */
/*
 * sriovctl nova: Nova's [pci] device_spec / alias semantics (src/lib/nova).
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

#include <sriov/host.h>
#include <sriov/nova.h>

#include "cli.h"
#include "util/macro.h"
#include "util/readfile.h"
#include "util/strutil.h"
#include "util/banned.h"

static void strv_free_n(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* One value per line, as in nova.conf; blank and '#' lines skipped.
 * The file is read whole, at most INPUT_MAX_NOVA bytes. 0, or the exit
 * code of the error printed. */
static int read_values(const char *path, char ***ret, size_t *ret_n)
{
	struct sriov_error err = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len, n = 0, vcap = 0;
	char **v = NULL;
	int r;

	r = read_file_capped(path, INPUT_MAX_NOVA, &buf, &len, &err);
	if (r < 0)
		return cli_error("%s", err.msg);
	for (char *line = buf, *next; line < buf + len; line = next) {
		char *end = memchr(line, '\n', (size_t)(buf + len - line));

		next = end ? end + 1 : buf + len;
		if (!end)
			end = buf + len;
		while (end > line && (end[-1] == '\r' || end[-1] == '\n'))
			end--;
		*end = '\0';
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (grow_array((void **)&v, &vcap, n, sizeof(*v)) < 0 ||
		    !(v[n] = strdup(line))) {
			strv_free_n(v, n);
			return cli_error("%s: %s", path, strerror(ENOMEM));
		}
		n++;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The whole file (at most INPUT_MAX_NOVA_JSON bytes), then json_loadb():
 * json_load_file() reads a character at a time through getc(), which
 * dominated loading 10,000 hosts. */
static json_t *load_json(const char *path)
{
	struct sriov_error err = { 0 };
	_cleanup_free_ char *buf = NULL;
	json_error_t je;
	size_t len;
	json_t *j;

	if (read_file_capped(path, INPUT_MAX_NOVA_JSON, &buf, &len, &err) < 0) {
		cli_error("%s", err.msg);
		return NULL;
	}
	j = json_loadb(buf, len, JSON_DECODE_ANY, &je);
	if (!j)
		cli_error("%s:%d:%d: %s", path, je.line, je.column, je.text);
	return j;
}

/* match, pools, fit and consume answer in JSON, -j or not. */
static void json_printer(struct cli *cli, struct printer *p)
{
	print_begin(p, true, cli->pretty, stdout);
}

/* Write the answer; a document that could not be built (out of memory)
 * or written is an error. */
static int finish(struct printer *p)
{
	int r = print_end(p);

	return r < 0 ? cli_error("the answer: %s", strerror(-r)) : 0;
}

/* Write a whole answer (stolen; NULL: out of memory). */
static int emit(struct cli *cli, json_t *out)
{
	struct printer p;

	json_printer(cli, &p);
	print_json(&p, NULL, out);
	return finish(&p);
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

/* devname and PF look-ups read sysfs when there is one. */
static struct sriov_root *maybe_root(struct cli *cli)
{
	struct sriov_root *root = NULL;
	struct sriov_error err = { 0 };

	if (sriov_root_open(cli->sys_root, cli->proc_root, &root, &err) < 0)
		return NULL;
	return root;
}

/* The exit status of parsing @path: a bad value is the user's (usage). */
static int parsed(const char *path, int r, const struct sriov_error *err)
{
	if (r == -ENOMEM)
		return cli_error("%s: %s", path, strerror(-r));
	if (r < 0) {
		fprintf(stderr, "%s\n", err->msg);
		return EXIT_USAGE;
	}
	return 0;
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
	if (r)
		return r;
	*root = maybe_root(cli);
	r = sriov_nova_whitelist_parse(*root, (const char *const *)vals, n, wl,
				       &err);
	strv_free_n(vals, n);
	return parsed(path, r, &err);
}

static int load_aliases(const char *path, struct sriov_nova_aliases **al)
{
	struct sriov_error err = { 0 };
	char **vals = NULL;
	size_t n = 0;
	int r;

	r = read_values(path, &vals, &n);
	if (r)
		return r;
	r = sriov_nova_aliases_parse((const char *const *)vals, n, al, &err);
	strv_free_n(vals, n);
	return parsed(path, r, &err);
}

static int cmd_match(struct cli *cli, struct sriov_nova_whitelist *wl,
		     json_t *devs)
{
	struct printer p;
	size_t i;
	json_t *d;

	json_printer(cli, &p);
	print_open_array(&p, NULL);
	json_array_foreach(devs, i, d) {
		struct sriov_error err = { 0 };
		json_t *addr = json_is_object(d) ?
				       json_object_get(d, "address") :
				       NULL;
		int m = json_is_object(d) ?
				sriov_nova_whitelist_match(wl, d, &err) :
				-ENOENT;

		if (m == -ENOMEM) {
			print_discard(&p);
			return cli_error("%s", strerror(-m));
		}
		print_open_object(&p, NULL);
		print_json(&p, "address",
			   addr ? json_incref(addr) : json_null());
		if (m >= 0) {
			print_size(&p, PRINT_JSON, "spec", NULL,
				   sriov_nova_whitelist_value_index(wl,
								    (size_t)m));
			print_json(&p, "tags",
				   json_deep_copy(sriov_nova_whitelist_tags(
					   wl, (size_t)m)));
		} else {
			print_null(&p, PRINT_JSON, "spec", NULL);
			print_json(&p, "tags", json_object());
			if (m != -ENOENT)
				print_string(&p, PRINT_JSON, "error", NULL,
					     err.msg);
		}
		print_close_object(&p);
	}
	print_close_array(&p);
	return finish(&p);
}

static int cmd_pools(struct cli *cli, struct sriov_nova_whitelist *wl,
		     json_t *devs)
{
	struct sriov_error err = { 0 };
	struct sriov_nova_stats *st;
	json_t *out;

	if (sriov_nova_stats_new(wl, devs, NULL, 0, &st, &err) < 0)
		return cli_error("%s", err.msg);
	out = sriov_nova_stats_pools(st);
	sriov_nova_stats_free(st);
	return emit(cli, out);
}

/* Hosts whose pools Nova cannot store pass nothing: say why, once per
 * reason, naming the first such host. */
static void warn_unreported(struct sriov_nova_stats *const *st,
			    json_t *const *names, size_t nh)
{
	_cleanup_free_ size_t *first = calloc(nh + 1, sizeof(*first));
	_cleanup_free_ size_t *count = calloc(nh + 1, sizeof(*count));
	size_t nr = 0;

	if (!first || !count)
		return; /* a warning lost, not an answer */
	for (size_t k = 0; k < nh; k++) {
		const char *why = sriov_nova_stats_unreported(st[k]);
		size_t j;

		if (!why)
			continue;
		for (j = 0; j < nr; j++)
			if (!strcmp(sriov_nova_stats_unreported(st[first[j]]),
				    why))
				break;
		if (j == nr)
			first[nr++] = k;
		count[j]++;
	}
	for (size_t j = 0; j < nr; j++)
		cli_warn("host %s (%zu host(s) in all): %s",
			 json_string_value(names[first[j]]), count[j],
			 sriov_nova_stats_unreported(st[first[j]]));
}

/*
 * Answered as computed: for 10,000 hosts and 1,000 requests the answer is
 * ~100 MB, so the printer writes each request's member when it is
 * complete (--pretty builds it whole), and a host's name is one JSON
 * string shared by every answer that lists it.
 */
static int cmd_fit(struct cli *cli, struct sriov_nova_whitelist *wl,
		   struct sriov_nova_aliases *al, json_t *hosts, json_t *rqs,
		   unsigned flags)
{
	struct sriov_error err = { 0 };
	size_t nh = json_object_size(hosts), h = 0, i;
	_cleanup_free_ struct sriov_nova_stats **st =
		calloc(nh + 1, sizeof(*st));
	_cleanup_free_ json_t **names = calloc(nh + 1, sizeof(*names));
	struct printer p;
	const char *name;
	json_t *hv, *e;
	int rc = 0;

	if (!st || !names)
		return cli_error("%s", strerror(ENOMEM));
	/* the PciPassthroughFilter answers on the pools as the scheduler
	 * reads them back from the database */
	flags |= SRIOV_NOVA_SCHEDULER;
	json_object_foreach(hosts, name, hv) {
		int r = sriov_nova_stats_from_json(wl, hv, flags, &st[h], &err);
		if (r < 0) {
			rc = cli_error("host %s: %s", name,
				       r == -ENOMEM ? strerror(-r) : err.msg);
			goto out;
		}
		names[h++] = json_string(name);
		if (!names[h - 1]) {
			rc = cli_error("%s", strerror(ENOMEM));
			goto out;
		}
	}
	warn_unreported(st, names, nh);
	json_printer(cli, &p);
	print_stream(&p);
	print_open_array(&p, NULL);
	json_array_foreach(rqs, i, e) {
		struct sriov_nova_query q = { 0 };
		int r = sriov_nova_query_from_json(al, e, &q, &err);

		if (r == -ENOMEM) {
			print_discard(&p);
			rc = cli_error("%s", strerror(-r));
			goto out;
		}
		print_open_object(&p, NULL);
		print_size(&p, PRINT_JSON, "request", NULL, i);
		if (r < 0) {
			print_string(&p, PRINT_JSON, "error", NULL, err.msg);
		} else {
			print_open_array(&p, "hosts");
			for (size_t k = 0; k < nh && r >= 0; k++) {
				r = sriov_nova_stats_support_flags(
					st[k], q.reqs, q.n, q.cells, q.ncells);
				if (r > 0)
					print_json(&p, NULL,
						   json_incref(names[k]));
			}
			print_close_array(&p);
		}
		print_close_object(&p);
		sriov_nova_query_release(&q);
		if (r == -ENOMEM) {
			print_discard(&p);
			rc = cli_error("%s", strerror(-r));
			goto out;
		}
	}
	print_close_array(&p);
	rc = finish(&p);
out:
	for (size_t k = 0; k < h; k++) {
		sriov_nova_stats_free(st[k]);
		json_decref(names[k]);
	}
	return rc;
}

/* Each element of REQUESTS is one claim on the same host, in order. */
static int cmd_consume(struct cli *cli, struct sriov_nova_whitelist *wl,
		       struct sriov_nova_aliases *al, json_t *host, json_t *rqs,
		       unsigned flags)
{
	struct sriov_error err = { 0 };
	struct sriov_nova_stats *st = NULL;
	struct printer p;
	json_t *e;
	size_t i;
	int r;

	r = sriov_nova_stats_from_json(wl, host, flags, &st, &err);
	if (r < 0)
		return cli_error("host: %s",
				 r == -ENOMEM ? strerror(-r) : err.msg);
	json_printer(cli, &p);
	print_open_object(&p, NULL);
	print_open_array(&p, "claims");
	json_array_foreach(rqs, i, e) {
		struct sriov_nova_query q = { 0 };
		json_t *got = NULL;

		r = sriov_nova_query_from_json(al, e, &q, &err);
		if (r == -ENOMEM)
			break;
		print_open_object(&p, NULL);
		print_size(&p, PRINT_JSON, "request", NULL, i);
		if (r < 0) {
			print_string(&p, PRINT_JSON, "error", NULL, err.msg);
			r = 0;
		} else {
			r = sriov_nova_stats_consume(st, q.reqs, q.n, q.cells,
						     q.ncells, &got);
			if (r == -ENOSPC)
				r = 0;
			print_json(&p, "devices", got ? got : json_null());
		}
		print_close_object(&p);
		sriov_nova_query_release(&q);
		if (r < 0)
			break;
	}
	print_close_array(&p);
	print_json(&p, "pools", sriov_nova_stats_pools(st));
	print_close_object(&p);
	sriov_nova_stats_free(st);
	if (r < 0) {
		print_discard(&p);
		return cli_error("%s", strerror(-r));
	}
	return finish(&p);
}

/* nova match|pools|fit|consume: argv[0] is the subcommand. */
static int cmd_nova(struct cli *cli, int argc, char **argv)
{
	struct nova_opts o = { 0 };
	struct sriov_nova_whitelist *wl = NULL;
	struct sriov_nova_aliases *al = NULL;
	struct sriov_root *root = NULL;
	json_t *a = NULL, *b = NULL;
	const char *sub = argv[0];
	int rc;

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
		rc = load_aliases(o.alias, &al);
		if (rc)
			goto out;
	}
	rc = load_whitelist(cli, o.spec, &root, &wl);
	if (rc)
		goto out;
	a = load_json(args[0]);
	if (!a) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (!fit) {
		if (!json_is_array(a))
			rc = cli_error("%s: a JSON array of devices expected",
				       args[0]);
		else if (!strcmp(sub, "match"))
			rc = cmd_match(cli, wl, a);
		else
			rc = cmd_pools(cli, wl, a);
		goto out;
	}
	b = load_json(args[1]);
	if (!b)
		rc = EXIT_FAIL;
	else if (!(json_is_object(a) || json_is_array(a)) || !json_is_array(b))
		rc = cli_error("HOSTS must be an object, REQUESTS an array");
	else if (consume)
		rc = cmd_consume(cli, wl, al, a, b, o.flags);
	else if (!json_is_object(a))
		rc = cli_error("HOSTS must be an object");
	else
		rc = cmd_fit(cli, wl, al, a, b, o.flags);
out:
	json_decref(a);
	json_decref(b);
	sriov_nova_aliases_free(al);
	sriov_nova_whitelist_free(wl);
	if (root)
		sriov_root_free(root);
	return rc;
}

/* The host's PCI functions as Nova's libvirt driver reports them. */
static int host_devices(const struct sriov_host *h, json_t **ret)
{
	json_t *a = json_array();
	int r = a ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < h->n_pfs; i++) {
		const struct sriov_pf *pf = &h->pfs[i];

		if (strcmp(pf->bus, "pci") || !pf->vendor || !pf->device)
			continue;
		r = sriov_nova_device_append(
			a,
			&(struct sriov_nova_device){
				.address = pf->address,
				.vendor_id = pf->vendor,
				.product_id = pf->device,
				.dev_type = pf->sriov_totalvfs > 0 ? "type-PF" :
								     "type-PCI",
				.numa_node = pf->numa_node });
		for (size_t k = 0; r == 0 && k < pf->n_vfs; k++) {
			const struct sriov_vf *vf = &pf->vfs[k];
			if (!vf->address || !vf->vendor || !vf->device)
				continue;
			r = sriov_nova_device_append(
				a, &(struct sriov_nova_device){
					   .address = vf->address,
					   .vendor_id = vf->vendor,
					   .product_id = vf->device,
					   .dev_type = "type-VF",
					   .parent_addr = pf->address,
					   .parent_ifname =
						   pf->n_netdevs ?
							   pf->netdevs[0].name :
							   NULL,
					   .numa_node = pf->numa_node });
		}
	}
	for (size_t i = 0; r == 0 && i < h->n_others; i++) {
		const struct sriov_other_device *o = &h->others[i];
		if (o->address && o->vendor && o->device)
			r = sriov_nova_device_append(
				a, &(struct sriov_nova_device){
					   .address = o->address,
					   .vendor_id = o->vendor,
					   .product_id = o->device,
					   .dev_type = "type-PCI",
					   .numa_node = -1 });
	}
	if (r < 0) {
		json_decref(a);
		return r;
	}
	*ret = a;
	return 0;
}

static int cmd_nova_check(struct cli *cli, int argc, char **argv)
{
	struct sriov_nova_report rep = { 0 };
	struct sriov_error err = { 0 };
	struct sriov_host host = { 0 };
	struct sriov_root *root = NULL;
	json_t *devs = NULL;
	struct printer p;
	int r;

	if (argc != 2)
		return cli_bad_usage();
	/* devname and PF look-ups need a sysfs; matching against the host
	 * only when one was named */
	root = maybe_root(cli);
	if (root && cli->sys_root &&
	    sriov_host_discover(root, &host, NULL) == 0) {
		r = host_devices(&host, &devs);
		if (r < 0) {
			r = cli_error("%s", strerror(-r));
			goto out;
		}
	}
	r = sriov_nova_check(root, argv[1], devs, &rep, &err);
	if (r < 0) {
		r = cli_error("%s", err.msg);
		goto out;
	}
	cli_printer(cli, &p);
	print_open_array(&p, NULL);
	for (size_t i = 0; i < rep.n; i++) {
		const struct sriov_nova_problem *e = &rep.problems[i];

		print_open_object(&p, NULL);
		print_string(&p, PRINT_ANY, "file", "%s:", argv[1]);
		print_uint(&p, PRINT_ANY, "line", "%u: ", e->line);
		print_string(&p, PRINT_ANY, "severity",
			     "%s: ", e->error ? "error" : "warning");
		if (e->option)
			print_string(&p, PRINT_ANY, "option",
				     "%s: ", e->option);
		else
			print_null(&p, PRINT_JSON, "option", NULL);
		print_string(&p, PRINT_ANY, "message", "%s\n", e->message);
		print_close_object(&p);
	}
	print_close_array(&p);
	r = print_end(&p);
	r = r < 0      ? cli_error("writing: %s", strerror(-r)) :
	    rep.errors ? EXIT_FAIL :
			 0;
out:
	sriov_nova_report_release(&rep);
	json_decref(devs);
	sriov_host_release(&host);
	if (root)
		sriov_root_free(root);
	return r;
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
