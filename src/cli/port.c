/* SPDX-License-Identifier: MIT */
/* sriovctl port: talk to sriovd over its socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

#define DEFAULT_SOCKET "/run/sriovd/sriovd.sock"
/* One answer line: port.list of 100000 ports is ~50 MiB. */
#define ANSWER_MAX (64u << 20)

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Send @text as one line, read one line back. */
static int exchange(const char *path, const char *text, size_t len,
		    json_t **ret)
{
	_cleanup_close_ int fd = connect_to(path);
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, cap = 0;
	json_error_t je;
	size_t off = 0;

	if (fd < 0)
		return cli_error(
			"cannot connect to sriovd at %s: %s (is it running? --socket PATH)",
			path, strerror(-fd));
	while (off < len) {
		ssize_t w = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (w < 0)
			break; /* the daemon may have answered and closed */
		off += (size_t)w;
	}
	send(fd, "\n", 1, MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t r;

		if (n > ANSWER_MAX)
			return cli_error(
				"the answer from %s is larger than %u MiB, the limit of an answer (is it sriovd's socket?)",
				path, ANSWER_MAX >> 20);
		if (n + 4096 > cap) {
			/* doubled, not grown by a step: no quadratic copying
			 * of a large answer */
			size_t ncap = !cap ? 65536 :
				      cap * 2 > ANSWER_MAX ?
					     ANSWER_MAX + 65536 :
					     cap * 2;
			char *b = realloc(buf, ncap);

			if (!b)
				return cli_error("out of memory");
			buf = b;
			cap = ncap;
		}
		r = recv(fd, buf + n, cap - n - 1, 0);
		if (r < 0)
			return cli_error("reading from sriovd: %s",
					 strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
		if (memchr(buf + n - (size_t)r, '\n', (size_t)r))
			break;
	}
	if (!n)
		return cli_error(
			"sriovd closed the connection without an answer");
	*ret = json_loadb(buf, n, JSON_DISABLE_EOF_CHECK, &je);
	if (!*ret)
		return cli_error("sriovd answered with invalid json: %s",
				 je.text);
	return 0;
}

static int call(struct cli *cli, const char *path, json_t *req, json_t **ret)
{
	char *text = json_dumps(req, JSON_COMPACT);
	json_t *resp = NULL;
	int r;

	json_decref(req);
	if (!text)
		return cli_error("out of memory");
	r = exchange(path, text, strlen(text), &resp);
	free(text);
	if (r)
		return r;
	if (!json_is_true(json_object_get(resp, "ok"))) {
		json_t *e = json_object_get(resp, "error");
		const char *m =
			json_string_value(json_object_get(e, "message"));

		if (cli->json) {
			char *s = json_dumps(resp, JSON_COMPACT);

			if (s)
				puts(s);
			free(s);
		}
		r = cli_error("%s", m ? m : "request failed");
		json_decref(resp);
		return r;
	}
	json_object_del(resp, "ok");
	*ret = resp;
	return 0;
}

static json_t *number_or_string(const char *v)
{
	uint64_t n;

	if (parse_u64(v, 10, &n) == 0 && n <= INT64_MAX)
		return json_integer((json_int_t)n);
	return json_string(v);
}

static int build_bind(int argc, char **argv, json_t **ret)
{
	json_t *port = json_object(), *net = json_object();

	json_object_set_new(port, "id", json_string(argv[0]));
	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			json_decref(port);
			json_decref(net);
			return cli_usage("port bind: '%s' needs a value", k);
		}
		if (!strcmp(k, "network") || !strcmp(k, "physnet"))
			json_object_set_new(net, "physnet", json_string(v));
		else if (!strcmp(k, "vlan") || !strcmp(k, "qos"))
			json_object_set_new(net, k, number_or_string(v));
		else if (!strcmp(k, "proto"))
			json_object_set_new(net, "vlan_proto", json_string(v));
		else if (!strcmp(k, "pkey") || !strcmp(k, "membership"))
			json_object_set_new(net, k, json_string(v));
		else if (!strcmp(k, "vnic") || !strcmp(k, "vnic_type"))
			json_object_set_new(port, "vnic_type", json_string(v));
		else if (!strcmp(k, "mac") || !strcmp(k, "guid") ||
			 !strcmp(k, "numa") || !strcmp(k, "pf") ||
			 !strcmp(k, "pci_slot") ||
			 !strcmp(k, "guid_from_mac") || !strcmp(k, "device_id"))
			json_object_set_new(port, k, json_string(v));
		else if (!strcmp(k, "trust") || !strcmp(k, "spoofchk")) {
			if (strcmp(v, "on") && strcmp(v, "off")) {
				json_decref(port);
				json_decref(net);
				return cli_usage(
					"port bind: %s takes on or off, not '%s'",
					k, v);
			}
			json_object_set_new(port,
					    !strcmp(k, "trust") ? "trusted" : k,
					    json_boolean(!strcmp(v, "on")));
		} else if (!strcmp(k, "min_tx_rate") ||
			   !strcmp(k, "max_tx_rate") || !strcmp(k, "numa_node"))
			json_object_set_new(port, k, number_or_string(v));
		else {
			json_decref(port);
			json_decref(net);
			return cli_usage("port bind: unknown keyword '%s'", k);
		}
	}
	json_object_set_new(port, "network", net);
	*ret = port;
	return 0;
}

/* "vf N", or the whole PF (direct-physical): "vf": null. A macro, so the
 * format stays a literal that -Wformat checks. */
#define print_vf_index(p, o, fmt)                                      \
	({                                                             \
		json_t *vf_ = json_object_get(o, "vf");                \
		if (json_is_integer(vf_))                              \
			print_uint(p, PRINT_ANY, "vf", fmt,            \
				   (unsigned)json_integer_value(vf_)); \
		else                                                   \
			print_vf_whole(p);                             \
	})

static void print_vf_whole(struct printer *p)
{
	print_null(p, PRINT_ANY, "vf", " (whole)");
	print_bool(p, PRINT_JSON, "whole_pf", NULL, true);
}

static const char *vf_label(json_t *o, char *buf, size_t size)
{
	json_t *vf = json_object_get(o, "vf");

	if (!json_is_integer(vf))
		return "(whole)";
	snprintf(buf, size, "vf %lld", (long long)json_integer_value(vf));
	return buf;
}

static void print_port(struct printer *p, json_t *o)
{
	json_t *s = json_object_get(o, "settings");
	json_t *net = json_object_get(s, "network");
	const char *addr = json_string_value(json_object_get(o, "address"));

	print_open_object(p, NULL);
	print_string(p, PRINT_ANY, "id", "%-20s",
		     json_string_value(json_object_get(o, "id")));
	print_string(p, PRINT_ANY, "status", " %-9s",
		     json_string_value(json_object_get(o, "status")));
	print_string(p, PRINT_ANY, "network", " %-10s",
		     json_string_value(json_object_get(o, "network")));
	print_string(p, PRINT_JSON, "vnic_type", NULL,
		     json_string_value(json_object_get(o, "vnic_type")));
	print_string(p, PRINT_ANY, "pf", " %s",
		     json_string_value(json_object_get(o, "pf")));
	print_vf_index(p, o, " vf %u");
	if (addr)
		print_string(p, PRINT_ANY, "address", " %s", addr);
	if (json_object_get(net, "vlan"))
		print_uint(p, PRINT_TEXT, NULL, " vlan %u",
			   (unsigned)json_integer_value(
				   json_object_get(net, "vlan")));
	if (json_object_get(net, "pkey"))
		print_string(p, PRINT_TEXT, NULL, " pkey %s",
			     json_string_value(json_object_get(net, "pkey")));
	print_text(p, "\n");
	if (s)
		print_json(p, "settings", json_incref(s));
	print_close_object(p);
}

static void print_vf(struct printer *p, json_t *o)
{
	const char *port = json_string_value(json_object_get(o, "port"));
	const char *addr = json_string_value(json_object_get(o, "address"));
	const char *reason = json_string_value(json_object_get(o, "reason"));

	print_open_object(p, NULL);
	print_string(p, PRINT_ANY, "pf", "%-14s",
		     json_string_value(json_object_get(o, "pf")));
	print_vf_index(p, o, " vf %-3u");
	print_string(p, PRINT_ANY, "address", " %-12s", addr ? addr : "-");
	print_string(p, PRINT_ANY, "physnet", " %-10s",
		     json_string_value(json_object_get(o, "physnet")));
	print_string(p, PRINT_ANY, "state", " %-11s",
		     json_string_value(json_object_get(o, "state")));
	print_bool(p, PRINT_JSON, "excluded", NULL,
		   json_is_true(json_object_get(o, "excluded")));
	if (json_is_true(json_object_get(o, "excluded")))
		print_text(p, " excluded");
	print_bool(p, PRINT_JSON, "scrubbed", NULL,
		   json_is_true(json_object_get(o, "scrubbed")));
	if (port)
		print_string(p, PRINT_ANY, "port", " port %s", port);
	if (reason)
		print_string(p, PRINT_ANY, "reason", " (%s)", reason);
	print_text(p, "\n");
	print_close_object(p);
}

static int show_body(struct cli *cli, const char *what, json_t *resp)
{
	struct printer p;
	json_t *v;
	size_t i;

	cli_printer(cli, &p);
	if (!strcmp(what, "list") || !strcmp(what, "vfs")) {
		json_t *a = json_object_get(
			resp, !strcmp(what, "list") ? "ports" : "vfs");

		print_open_array(&p, NULL);
		json_array_foreach(a, i, v) {
			if (!strcmp(what, "list"))
				print_port(&p, v);
			else
				print_vf(&p, v);
		}
		print_close_array(&p);
	} else if (!strcmp(what, "show")) {
		print_port(&p, json_object_get(resp, "port"));
	} else if (!strcmp(what, "metrics") && !cli->json) {
		fputs(json_string_value(json_object_get(resp, "text")) ?: "",
		      stdout);
	} else if (!strcmp(what, "bind") && !cli->json) {
		const char *addr =
			json_string_value(json_object_get(resp, "address"));
		const char *xml =
			json_string_value(json_object_get(resp, "libvirt_xml"));

		char lb[32];

		printf("port %s bound: pf %s %s%s%s\n",
		       json_string_value(json_object_get(resp, "port")),
		       json_string_value(json_object_get(resp, "pf")),
		       vf_label(resp, lb, sizeof(lb)), addr ? " pci " : "",
		       addr ? addr : "");
		if (xml)
			fputs(xml, stdout);
		else
			printf("(no libvirt xml: %s)\n",
			       json_string_value(json_object_get(resp, "libvirt_xml_note")) ?:
				       "");
	} else if (!cli->json && (!strcmp(what, "unbind"))) {
		char lb[32];

		printf("port %s unbound: pf %s %s is %s\n",
		       json_string_value(json_object_get(resp, "port")),
		       json_string_value(json_object_get(resp, "pf")),
		       vf_label(resp, lb, sizeof(lb)),
		       json_string_value(json_object_get(resp, "vf_state")));
	} else {
		print_json(&p, NULL, json_incref(resp));
		if (!cli->json) {
			char *s = json_dumps(resp, JSON_INDENT(2));

			if (s)
				puts(s);
			free(s);
		}
	}
	json_decref(resp);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

/* port --socket PATH COMMAND ...: the group's one option. */
static int port_options(struct cli *cli, int *argc, char ***argv)
{
	while (*argc >= 1 && !strncmp((*argv)[0], "--socket", 8)) {
		const char *a = (*argv)[0];

		if (a[8] == '=') {
			cli->socket = a + 9;
			(*argc)--, (*argv)++;
		} else if (!a[8] && *argc >= 2) {
			cli->socket = (*argv)[1];
			*argc -= 2, *argv += 2;
		} else {
			return cli_usage("port: --socket needs a PATH");
		}
	}
	if (*argc >= 1 && (*argv)[0][0] == '-')
		return cli_usage(
			"port: unknown option '%s' (expected --socket PATH)",
			(*argv)[0]);
	return 0;
}

/* port COMMAND ARGS: argv[0] is the command. */
static int port_run(struct cli *cli, int argc, char **argv)
{
	const char *path = cli->socket			   ?:
				   getenv("SRIOVD_SOCKET") ?:
							     DEFAULT_SOCKET;
	json_t *req = NULL, *resp = NULL;
	const char *what = argv[0];
	int r;

	argc--, argv++;
	if (!strcmp(what, "request")) {
		if (argc != 1)
			return cli_bad_usage();
		r = exchange(path, argv[0], strlen(argv[0]), &resp);
		if (r)
			return r;
		char *s = json_dumps(resp, JSON_COMPACT);
		if (s)
			puts(s);
		free(s);
		r = json_is_true(json_object_get(resp, "ok")) ? 0 : EXIT_FAIL;
		json_decref(resp);
		return r;
	}
	req = json_object();
	if (!strcmp(what, "bind")) {
		json_t *port = NULL;

		if (argc < 1) {
			json_decref(req);
			return cli_bad_usage();
		}
		r = build_bind(argc, argv, &port);
		if (r) {
			json_decref(req);
			return r;
		}
		json_object_set_new(req, "op", json_string("port.bind"));
		json_object_set_new(req, "port", port);
	} else if (!strcmp(what, "unbind") || !strcmp(what, "show")) {
		if (argc != 1) {
			json_decref(req);
			return cli_bad_usage();
		}
		json_object_set_new(req, "op",
				    json_string(!strcmp(what, "unbind") ?
							"port.unbind" :
							"port.show"));
		json_object_set_new(req, "id", json_string(argv[0]));
	} else if (!strcmp(what, "clear")) {
		uint64_t vf;

		bool whole = argc == 2 && !strcmp(argv[1], "pf");

		if (argc != 2 || (!whole && parse_u64(argv[1], 10, &vf) < 0)) {
			json_decref(req);
			return cli_bad_usage();
		}
		json_object_set_new(req, "op", json_string("vf.clear"));
		json_object_set_new(req, "pf", json_string(argv[0]));
		json_object_set_new(req, "vf",
				    whole ? json_string("pf") :
					    json_integer((json_int_t)vf));
	} else {
		static const char *const simple[][2] = {
			{ "list", "port.list" },
			{ "vfs", "vf.list" },
			{ "health", "health" },
			{ "metrics", "metrics" },
			{ "inventory", "host.inventory" },
		};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(simple); i++)
			if (!strcmp(what, simple[i][0]))
				break;
		if (i == ARRAY_SIZE(simple) || argc) {
			json_decref(req);
			return cli_bad_usage();
		}
		json_object_set_new(req, "op", json_string(simple[i][1]));
	}
	r = call(cli, path, req, &resp);
	if (r)
		return r;
	return show_body(cli, what, resp);
}

#define PORT_COMMAND(cmd, text, args)                        \
	static const struct cli_command port_##cmd##_cmd = { \
		.name = #cmd,                                \
		.summary = text,                             \
		.run = port_run,                             \
		.usage = args,                               \
	}

static const struct cli_command port_bind_cmd = {
	.name = "bind",
	.summary =
		"bind a port to a free VF of a network, configure it, answer with the libvirt XML",
	.run = port_run,
	.usage =
		"ID network PHYSNET [vlan N [qos N] [proto 802.1Q|802.1ad] | pkey 0xNNNN [membership full|limited|both]] [vnic direct|macvtap|direct-physical] [mac M] [guid G] [trust on|off] [spoofchk on|off] [min_tx_rate N] [max_tx_rate N] [numa none|preferred|required|legacy] [numa_node N] [pf DEV] [pci_slot SLOT] [guid_from_mac MAC] [device_id ID]",
};
PORT_COMMAND(unbind, "give the port's VF back, restored and scrubbed", "ID");
PORT_COMMAND(show, "one port: its VF, settings and state", "ID");
PORT_COMMAND(list, "the ports sriovd holds", "");
PORT_COMMAND(vfs, "the VFs sriovd manages and their state", "");
PORT_COMMAND(clear, "take a quarantined VF (or whole PF) back into service",
	     "PF VF|pf");
PORT_COMMAND(health, "sriovd's health: ok or degraded, and why", "");
PORT_COMMAND(metrics, "sriovd's metrics (Prometheus text)", "");
PORT_COMMAND(inventory, "the host's inventory as sriovd sees it", "");
PORT_COMMAND(request, "send one raw request line, print the answer (for tests)",
	     "JSON");

static const struct cli_command *const port_commands[] = {
	&port_bind_cmd,
	&port_unbind_cmd,
	&port_show_cmd,
	&port_list_cmd,
	&port_vfs_cmd,
	&port_clear_cmd,
	&port_health_cmd,
	&port_metrics_cmd,
	&port_inventory_cmd,
	&port_request_cmd,
	NULL,
};

const struct cli_command cli_port = {
	.name = "port",
	.summary = "bind, unbind and list ports through sriovd",
	.sub = port_commands,
	.group_opts = port_options,
	.options =
		"  --socket PATH   sriovd's socket (default $SRIOVD_SOCKET, else " DEFAULT_SOCKET
		")\n",
};
