/* SPDX-License-Identifier: MIT */
/*
 * sriovctl fabric: InfiniBand partitions.
 *
 *   fabric check [--table-size N] [--allow-both] PARTITIONS.CONF
 *   fabric render INTENT.yaml -o PARTITIONS.CONF [--hup PIDFILE]
 *   fabric predict PARTITIONS.CONF --ports FILE --sm GUID [--allow-both]
 *   fabric show [--ca NAME] [--port N]
 *   fabric verify INTENT.yaml|--conf PARTITIONS.CONF [--allow-both] [--ca..]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/ib.h>
#include <sriov/opensm.h>
#include <sriov/partitions.h>

#include "cli.h"
#include "util/macro.h"
#include "util/readfile.h"
#include "util/strutil.h"
#include "util/banned.h"

/* An input of the fabric commands: a regular file of at most @max bytes. */
static int read_input(const char *path, size_t max, char **ret, size_t *len,
		      const char *note)
{
	struct sriov_error err = { 0 };

	if (read_file_capped(path, max, ret, len, &err) < 0)
		return cli_error("%s%s", err.msg, note);
	return 0;
}

static void print_diags(struct printer *p, const struct sriov_partitions *pc)
{
	char line[1024];

	print_open_array(p, "diagnostics");
	for (size_t i = 0; i < pc->n_diags; i++) {
		const struct sriov_diag *d = &pc->diags[i];

		if (!p->json) {
			sriov_diag_format(pc, d, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
			continue;
		}
		print_open_object(p, NULL);
		print_string(p, PRINT_JSON, "level", NULL,
			     d->level == SRIOV_DIAG_ERROR ? "error" :
							    "warning");
		print_uint(p, PRINT_JSON, "line", NULL, d->line);
		print_uint(p, PRINT_JSON, "column", NULL, d->column);
		print_uint(p, PRINT_JSON, "osm_line", NULL, d->osm_line);
		print_string(p, PRINT_JSON, "code", NULL, d->code);
		print_string(p, PRINT_JSON, "message", NULL, d->msg);
		print_close_object(p);
	}
	print_close_array(p);
}

static void print_partitions(struct printer *p,
			     const struct sriov_partitions *pc)
{
	char pk[8];

	print_open_array(p, "partitions");
	for (size_t i = 0; i < pc->n_stmts; i++) {
		const struct sriov_prtn_stmt *st = &pc->stmts[i];

		if (!st->pkey)
			continue;
		snprintf(pk, sizeof(pk), "0x%04x", st->pkey);
		print_open_object(p, NULL);
		print_string(p, PRINT_JSON, "name", NULL, st->name);
		print_string(p, PRINT_JSON, "pkey", NULL, pk);
		print_uint(p, PRINT_JSON, "line", NULL, st->line);
		print_size(p, PRINT_JSON, "members", NULL, st->n_members);
		print_close_object(p);
	}
	print_close_array(p);
}

static int check_text(struct cli *cli, const char *file, const char *buf,
		      size_t len, const struct sriov_lint_opts *opts,
		      bool quiet_ok)
{
	struct sriov_partitions pc;
	struct sriov_error err = { 0 };
	struct printer p;
	size_t nerr, nwarn;
	int r;

	r = sriov_partitions_parse(buf, len, file, &pc, &err);
	if (r < 0)
		return cli_error("%s", err.msg);
	r = sriov_partitions_lint(&pc, opts, &err);
	if (r < 0) {
		sriov_partitions_release(&pc);
		return cli_error("%s", err.msg);
	}
	nerr = sriov_partitions_count(&pc, SRIOV_DIAG_ERROR);
	nwarn = sriov_partitions_count(&pc, SRIOV_DIAG_WARNING);
	if (!quiet_ok) {
		cli_printer(cli, &p);
		print_open_object(&p, NULL);
		print_string(&p, PRINT_JSON, "file", NULL, file);
		print_bool(&p, PRINT_JSON, "fallback", NULL, pc.fallback);
		print_size(&p, PRINT_JSON, "errors", NULL, nerr);
		print_size(&p, PRINT_JSON, "warnings", NULL, nwarn);
		print_diags(&p, &pc);
		print_partitions(&p, &pc);
		print_close_object(&p);
		if (!cli->json)
			printf("%s: %zu partition statement(s), %zu error(s), %zu warning(s)%s\n",
			       file, pc.n_stmts, nerr, nwarn,
			       pc.fallback ?
				       "; OpenSM would DISCARD this file and open the fabric (Default=0x7fff, ALL=full)" :
				       "");
		print_end(&p);
	}
	sriov_partitions_release(&pc);
	return nerr ? EXIT_FAIL : 0;
}

static int fabric_check(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "table-size", required_argument, NULL, 't' },
		{ "allow-both", no_argument, NULL, 'b' },
		{ 0 },
	};
	struct sriov_lint_opts lo = { 0 };
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int c, v;

	optind = 0; /* glibc: re-initialise getopt after main()'s "+" parse */
	while ((c = getopt_long(argc, argv, "t:b", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_int(optarg, &v) < 0 || v < 1 || v > 65535)
				return cli_usage(
					"--table-size: expected 1..65535, got '%s'",
					optarg);
			lo.table_size = (unsigned)v;
			break;
		case 'b':
			lo.allow_both = true;
			break;
		default:
			return cli_bad_usage();
		}
	}
	if (optind + 1 != argc)
		return cli_bad_usage();
	if (read_input(
		    argv[optind], INPUT_MAX_PARTITIONS, &buf, &len,
		    " (OpenSM would apply its open default if it cannot read it)"))
		return EXIT_FAIL;
	return check_text(cli, argv[optind], buf, len, &lo, false);
}

/*
 * SIGHUP to the OpenSM that pidfile names, once out is in place (the
 * library checks that the process is opensm before it signals).
 */
static int hup_pidfile(const char *out, const char *pidfile)
{
	struct sriov_opensm_proc proc;
	struct sriov_error err = { 0 };

	if (sriov_opensm_signal(pidfile, SIGHUP, &proc, &err) == 0)
		return 0;
	if (proc.stage == SRIOV_OPENSM_SEND_FAILED)
		return cli_error(
			"'%s' is in place, but OpenSM has not reread it: %s",
			out, err.msg);
	return cli_error("'%s' is in place, but OpenSM was not signalled: %s",
			 out, err.msg);
}

static int fabric_render(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "hup", required_argument, NULL, 'H' },
		{ "table-size", required_argument, NULL, 't' },
		{ 0 },
	};
	struct sriov_lint_opts lo = { 0 };
	const char *out = NULL, *pidfile = NULL;
	_cleanup_free_ char *buf = NULL, *text = NULL, *body = NULL;
	struct sriov_partitions pc;
	struct sriov_error err = { 0 };
	size_t len;
	int c, r, v;

	optind = 0; /* glibc: re-initialise getopt after main()'s "+" parse */
	while ((c = getopt_long(argc, argv, "o:H:t:", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'H':
			pidfile = optarg;
			break;
		case 't':
			if (parse_int(optarg, &v) < 0 || v < 1 || v > 65535)
				return cli_usage(
					"--table-size: expected 1..65535, got '%s'",
					optarg);
			lo.table_size = (unsigned)v;
			break;
		default:
			return cli_bad_usage();
		}
	}
	if (optind + 1 != argc || !out)
		return cli_bad_usage();
	if (read_input(argv[optind], INPUT_MAX_PARTITIONS, &buf, &len, ""))
		return EXIT_FAIL;
	r = sriov_intent_parse(buf, len, argv[optind], &pc, &err);
	if (r < 0)
		return cli_error("%s", err.msg);
	r = sriov_partitions_write(&pc, &body, &err);
	sriov_partitions_release(&pc);
	if (r < 0)
		return cli_error("%s: %s", argv[optind], err.msg);
	if (asprintf(
		    &text,
		    "# Written by sriovctl fabric render from %s; do not edit.\n"
		    "# OpenSM reads this file on every heavy sweep; kill -HUP opensm to apply.\n%s",
		    argv[optind], body) < 0)
		return cli_error("out of memory");
	/* Our own parser must accept what we are about to install. */
	r = check_text(cli, out, text, strlen(text), &lo, true);
	if (r != 0)
		return cli_error(
			"rendered text for '%s' fails the check; '%s' left as it was",
			out, out);
	r = sriov_partitions_install(out, text, strlen(text), &err);
	if (r < 0)
		return cli_error("%s ('%s' left as it was)", err.msg, out);
	if (pidfile && hup_pidfile(out, pidfile) != 0)
		return EXIT_FAIL;
	{
		struct printer p;

		cli_printer(cli, &p);
		print_open_object(&p, NULL);
		print_string(&p, PRINT_ANY, "output", "wrote %s", out);
		print_size(&p, PRINT_ANY, "bytes", " (%zu bytes)",
			   strlen(text));
		print_bool(&p, PRINT_JSON, "signalled", NULL, pidfile != NULL);
		print_text(&p, "%s\n", pidfile ? ", OpenSM signalled" : "");
		print_close_object(&p);
		return print_end(&p) < 0 ? EXIT_FAIL : 0;
	}
}

/*
 * "TYPE LID PORT GUID NAME [cap=N]" lines, as tests/lab/fabric/lib.sh
 * prints them (cap=N: the port's P-key table size).
 */
static int read_ports(const char *path, struct sriov_fabric_port **ret,
		      size_t *ret_n)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ struct sriov_fabric_port *ports = NULL;
	size_t len, n = 0, cap = 0;
	char *save = NULL, *line;

	if (read_input(path, INPUT_MAX_PARTITIONS, &buf, &len, ""))
		return EXIT_FAIL;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char type[8], guid[32];
		unsigned lid, port, pcap = 0;
		const char *c;
		uint64_t g;

		if (sscanf(line, "%7s %u %u %31s", type, &lid, &port, guid) !=
			    4 ||
		    parse_u64(guid, 0, &g) < 0)
			return cli_error(
				"%s: bad line '%s' (expected TYPE LID PORT GUID [NAME])",
				path, line);
		if (grow_array((void **)&ports, &cap, n, sizeof(*ports)) < 0)
			return cli_error("out of memory");
		c = strstr(line, " cap=");
		if (c && sscanf(c, " cap=%u", &pcap) != 1)
			pcap = 0;
		ports[n].pkey_cap = pcap;
		ports[n].guid = g;
		ports[n].type = !strcmp(type, "SW") ? SRIOV_NODE_SWITCH :
				!strcmp(type, "RT") ? SRIOV_NODE_ROUTER :
						      SRIOV_NODE_CA;
		n++;
	}
	*ret = TAKE_PTR(ports);
	*ret_n = n;
	return 0;
}

static int fabric_predict(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ports", required_argument, NULL, 'P' },
		{ "sm", required_argument, NULL, 's' },
		{ "allow-both", no_argument, NULL, 'b' },
		{ 0 },
	};
	_cleanup_free_ struct sriov_fabric_port *ports = NULL;
	_cleanup_free_ char *buf = NULL;
	struct sriov_port_pkeys *t = NULL;
	const char *ports_file = NULL;
	struct sriov_partitions pc;
	struct sriov_error err = { 0 };
	unsigned flags = 0;
	uint64_t sm = 0;
	size_t n = 0, len;
	struct printer p;
	char s[24];
	int c, r;

	optind = 0; /* glibc: re-initialise getopt after main()'s "+" parse */
	while ((c = getopt_long(argc, argv, "P:s:b", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			ports_file = optarg;
			break;
		case 's':
			if (parse_u64(optarg, 0, &sm) < 0)
				return cli_usage(
					"--sm: expected a GUID, got '%s'",
					optarg);
			break;
		case 'b':
			flags |= SRIOV_PREDICT_ALLOW_BOTH;
			break;
		default:
			return cli_bad_usage();
		}
	}
	if (optind + 1 != argc || !ports_file || !sm)
		return cli_bad_usage();
	r = read_ports(ports_file, &ports, &n);
	if (r)
		return r;
	if (read_input(argv[optind], INPUT_MAX_PARTITIONS, &buf, &len, ""))
		return EXIT_FAIL;
	r = sriov_partitions_parse(buf, len, argv[optind], &pc, &err);
	if (r < 0)
		return cli_error("%s", err.msg);
	r = sriov_partitions_predict(&pc, ports, n, sm, flags, &t, &err);
	if (r < 0) {
		sriov_partitions_release(&pc);
		return cli_error("%s", err.msg);
	}
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_bool(&p, PRINT_ANY, "fallback", "fallback %s\n", pc.fallback);
	print_open_object(&p, "ports");
	for (size_t i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "0x%016" PRIx64, t[i].guid);
		print_open_object(&p, s);
		print_text(&p, "%s", s);
		if (t[i].index0 >= 0) {
			snprintf(s, sizeof(s), "0x%04x", t[i].index0);
			print_string(&p, PRINT_ANY, "index0", " index0 %s", s);
		} else {
			print_null(&p, PRINT_ANY, "index0", " index0 -");
		}
		print_open_array(&p, "pkeys");
		print_text(&p, " pkeys");
		for (size_t k = 0; k < t[i].n; k++) {
			snprintf(s, sizeof(s), "0x%04x", t[i].pkeys[k]);
			print_string(&p, PRINT_ANY, NULL, " %s", s);
		}
		print_close_array(&p);
		print_text(&p, "\n");
		print_close_object(&p);
	}
	print_close_object(&p);
	print_close_object(&p);
	sriov_port_pkeys_free(t, n);
	sriov_partitions_release(&pc);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

static void print_port_head(struct printer *p,
			    const struct sriov_mad_port *port)
{
	char s[24];

	snprintf(s, sizeof(s), "0x%016" PRIx64, port->guid);
	print_string(p, PRINT_ANY, "guid", "%s", s);
	print_uint(p, PRINT_ANY, "lid", " lid %u", port->lid);
	print_uint(p, PRINT_ANY, "port", " port %u", port->port);
	print_string(p, PRINT_ANY, "type", " %s",
		     port->type == SRIOV_NODE_SWITCH ? "switch" :
		     port->type == SRIOV_NODE_ROUTER ? "router" :
						       "ca");
	print_string(p, PRINT_ANY, "name", " \"%s\"", port->name);
}

static int scan(const char *ca, int ca_port, struct sriov_ib_fabric *f)
{
	struct sriov_error err = { 0 };

	if (sriov_ib_fabric_scan(ca, ca_port, f, &err) < 0)
		return cli_error("%s", err.msg);
	return 0;
}

static int ca_opt(int c, const char *arg, const char **ca, int *port)
{
	if (c == 'C') {
		*ca = arg;
		return 0;
	}
	if (parse_int(arg, port) < 0 || *port < 0 || *port > 254)
		return cli_usage("--port: expected 1..254, got '%s'", arg);
	return 0;
}

static int fabric_show(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ca", required_argument, NULL, 'C' },
		{ "port", required_argument, NULL, 'N' },
		{ 0 },
	};
	struct sriov_ib_fabric f;
	const char *ca = NULL;
	struct printer p;
	int c, port = 0, r;
	char s[8];

	optind = 0;
	while ((c = getopt_long(argc, argv, "C:N:", opts, NULL)) != -1) {
		if (c == '?' || (r = ca_opt(c, optarg, &ca, &port)))
			return c == '?' ? cli_bad_usage() : r;
	}
	if (optind != argc)
		return cli_bad_usage();
	r = scan(ca, port, &f);
	if (r)
		return r;
	cli_printer(cli, &p);
	print_open_array(&p, NULL);
	for (size_t i = 0; i < f.n_ports; i++) {
		const struct sriov_mad_port *pt = &f.ports[i];

		print_open_object(&p, NULL);
		print_port_head(&p, pt);
		print_uint(&p, PRINT_ANY, "pkey_cap", " cap %u", pt->pkey_cap);
		print_bool(&p, PRINT_JSON, "sm", NULL, pt->guid == f.sm_guid);
		print_text(&p, "%s\n  pkeys",
			   pt->guid == f.sm_guid ? " (SM)" : "");
		print_open_array(&p, "pkeys");
		for (size_t k = 0; k < pt->n_pkeys; k++) {
			if (!pt->pkeys[k])
				continue;
			snprintf(s, sizeof(s), "0x%04x", pt->pkeys[k]);
			print_text(&p, " [%zu]", k);
			print_string(&p, PRINT_ANY, NULL, "%s", s);
		}
		print_close_array(&p);
		print_text(&p, "\n");
		print_close_object(&p);
	}
	print_close_array(&p);
	sriov_ib_fabric_release(&f);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

static int fabric_verify(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conf", no_argument, NULL, 'c' },
		{ "allow-both", no_argument, NULL, 'b' },
		{ "ca", required_argument, NULL, 'C' },
		{ "port", required_argument, NULL, 'N' },
		{ 0 },
	};
	_cleanup_free_ struct sriov_pkey_diff *d = NULL;
	_cleanup_free_ char *buf = NULL;
	struct sriov_error err = { 0 };
	struct sriov_partitions pc;
	struct sriov_ib_fabric f;
	bool conf = false, both = false;
	const char *ca = NULL;
	size_t len, n = 0;
	struct printer p;
	int c, port = 0, r;
	char s[8];

	optind = 0;
	while ((c = getopt_long(argc, argv, "cbC:N:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = true;
			break;
		case 'b':
			both = true;
			break;
		case 'C':
		case 'N':
			r = ca_opt(c, optarg, &ca, &port);
			if (r)
				return r;
			break;
		default:
			return cli_bad_usage();
		}
	}
	if (optind + 1 != argc)
		return cli_bad_usage();
	if (read_input(argv[optind], INPUT_MAX_PARTITIONS, &buf, &len, ""))
		return EXIT_FAIL;
	if (conf)
		r = sriov_partitions_parse(buf, len, argv[optind], &pc, &err);
	else
		r = sriov_intent_parse(buf, len, argv[optind], &pc, &err);
	if (r < 0)
		return cli_error("%s", err.msg);
	r = scan(ca, port, &f);
	if (r) {
		sriov_partitions_release(&pc);
		return r;
	}
	if (!f.sm_guid)
		cli_warn(
			"no port reports a master SM LID: SELF matches nothing");
	r = sriov_ib_verify(&f, &pc, both, &d, &n, &err);
	sriov_partitions_release(&pc);
	if (r < 0) {
		sriov_ib_fabric_release(&f);
		return cli_error("%s", err.msg);
	}
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_size(&p, PRINT_JSON, "ports", NULL, f.n_ports);
	print_size(&p, PRINT_JSON, "differences", NULL, n);
	print_open_array(&p, "diffs");
	for (size_t i = 0; i < n; i++) {
		const struct sriov_mad_port *pt = &f.ports[d[i].port];

		print_open_object(&p, NULL);
		print_port_head(&p, pt);
		print_string(&p, PRINT_ANY, "kind", ": %s",
			     sriov_pkey_diff_kind_name(d[i].kind));
		if (d[i].want) {
			snprintf(s, sizeof(s), "0x%04x", d[i].want);
			print_string(&p, PRINT_ANY, "want", " want %s", s);
		}
		if (d[i].have) {
			snprintf(s, sizeof(s), "0x%04x", d[i].have);
			print_string(&p, PRINT_ANY, "have", " have %s", s);
		}
		print_text(&p, "\n");
		print_close_object(&p);
	}
	print_close_array(&p);
	print_text(&p, "%zu port(s), %zu difference(s)\n", f.n_ports, n);
	print_close_object(&p);
	sriov_ib_fabric_release(&f);
	if (print_end(&p) < 0)
		return EXIT_FAIL;
	return n ? EXIT_FAIL : 0;
}

static int fabric_set_pkey(struct cli *cli, int argc, char **argv)
{
	struct sriov_error err = { 0 };
	uint64_t lid, port, index, pkey;

	if (argc != 5 || parse_u64(argv[1], 0, &lid) < 0 || !lid ||
	    lid > 0xbfff || parse_u64(argv[2], 0, &port) < 0 || port > 254 ||
	    parse_u64(argv[3], 0, &index) < 0 || index > 65535 ||
	    parse_u64(argv[4], 0, &pkey) < 0 || pkey > 0xffff)
		return cli_bad_usage();
	if (sriov_ib_pkey_set(NULL, 0, (uint16_t)lid, (uint8_t)port,
			      (unsigned)index, (uint16_t)pkey, &err) < 0)
		return cli_error("%s", err.msg);
	return 0;
}

static const struct cli_command fabric_check_cmd = {
	.name = "check",
	.summary =
		"lint a partitions.conf as OpenSM reads it (exit 1 on any error)",
	.run = fabric_check,
	.usage = "[--table-size N] [--allow-both] PARTITIONS.CONF",
	.options =
		"  --table-size N   P-key table size of the ports (1..65535) for the overflow checks\n"
		"  --allow-both     OpenSM runs with allow_both_pkeys TRUE\n",
};

static const struct cli_command fabric_render_cmd = {
	.name = "render",
	.summary =
		"write partitions.conf from an intent file, linted, atomically",
	.run = fabric_render,
	.usage =
		"INTENT.yaml -o PARTITIONS.CONF [--hup PIDFILE] [--table-size N]",
	.options =
		"  -o, --output FILE  the partitions.conf to replace\n"
		"  --hup PIDFILE      signal the OpenSM whose pid the file holds, so it rereads\n"
		"  --table-size N     P-key table size of the ports (1..65535)\n",
};

static const struct cli_command fabric_predict_cmd = {
	.name = "predict",
	.summary = "the P-key table OpenSM would program into each port",
	.run = fabric_predict,
	.usage = "PARTITIONS.CONF --ports FILE --sm GUID [--allow-both]",
	.options =
		"  --ports FILE     the fabric's ports (JSON)\n"
		"  --sm GUID        the port GUID of the subnet manager\n"
		"  --allow-both     OpenSM runs with allow_both_pkeys TRUE\n",
};

static const struct cli_command fabric_show_cmd = {
	.name = "show",
	.summary = "the fabric's ports and their P-key tables, read over MADs",
	.run = fabric_show,
	.usage = "[--ca NAME] [--port N]",
	.options = "  --ca NAME        the local HCA to send MADs from\n"
		   "  --port N         its port (1..254)\n",
};

static const struct cli_command fabric_verify_cmd = {
	.name = "verify",
	.summary =
		"check that every port's P-key table is what the intent or file says (exit 1 on a difference)",
	.run = fabric_verify,
	.usage =
		"[--conf] [--allow-both] [--ca NAME] [--port N] INTENT.yaml|PARTITIONS.CONF",
	.options =
		"  --conf           the file is a partitions.conf, not an intent\n"
		"  --allow-both     OpenSM runs with allow_both_pkeys TRUE\n"
		"  --ca NAME        the local HCA to send MADs from\n"
		"  --port N         its port (1..254)\n",
};

static const struct cli_command fabric_set_pkey_cmd = {
	.name = "set-pkey",
	.summary =
		"write one P-key table entry of a port over MADs (the SM rewrites it on its next sweep)",
	.run = fabric_set_pkey,
	.usage = "LID PORT INDEX PKEY",
};

static const struct cli_command *const fabric_commands[] = {
	&fabric_check_cmd,
	&fabric_render_cmd,
	&fabric_predict_cmd,
	&fabric_show_cmd,
	&fabric_verify_cmd,
	&fabric_set_pkey_cmd,
	NULL,
};

const struct cli_command cli_fabric = {
	.name = "fabric",
	.summary = "InfiniBand partitions: check, render, predict, verify",
	.sub = fabric_commands,
};
