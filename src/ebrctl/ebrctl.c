/* SPDX-License-Identifier: MIT */
/*
 * ebrctl: the program Nova's libvirt driver runs for an ib_hostdev VIF
 * (nova/privsep/libvirt.py), served by sriovd instead of eswitchd:
 *
 *   ebrctl add-port MAC INSTANCE_UUID FABRIC ib_hostdev PCI_SLOT   (plug)
 *   ebrctl del-port FABRIC MAC                                     (unplug)
 *
 * add-port binds exactly the VF Nova chose to the port "ib-MAC" on sriovd's
 * physnet FABRIC, its node and port GUIDs made of the MAC (eswitchd's rule,
 * sriov_guid_from_mac()); del-port unbinds it (restore, scrub). Nova checks
 * the exit status only (processutils.execute: anything but 0 raises); 0 is
 * "done" (or nothing left to do), 1 a refusal or failure, 2 a mistake of
 * the command line. The rules are sriovd's: ebrctl checks the shape of its
 * command line and sends the values as they came, so that what is refused
 * is refused by sriovd, in sriovd's log (docs/openstack.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include <sriov/port.h>
#include <sriov/types.h>
#include <sriov/vf.h>
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

#define DEFAULT_SOCKET "/run/sriovd/sriovd.sock"
#define ANSWER_MAX (1u << 20) /* a bind or show answer is a few KiB */
/* Nova's VIF type for networking-mlnx's InfiniBand ports */
#define VIF_TYPE "ib_hostdev"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char *socket_path = DEFAULT_SOCKET;
static int timeout_s = 60;

static const char usage_main[] =
	"usage: ebrctl [--socket PATH] [--timeout SECONDS] add-port MAC INSTANCE_UUID FABRIC VIF_TYPE PCI_SLOT\n"
	"       ebrctl [--socket PATH] [--timeout SECONDS] del-port FABRIC MAC\n";
static const char usage_add[] =
	"usage: ebrctl [--socket PATH] [--timeout SECONDS] add-port MAC INSTANCE_UUID FABRIC VIF_TYPE PCI_SLOT\n";
static const char usage_del[] =
	"usage: ebrctl [--socket PATH] [--timeout SECONDS] del-port FABRIC MAC\n";

static const char help_main[] =
	"\n"
	"Nova's ebrctl calls for ib_hostdev VIFs, served by sriovd.\n"
	"\n"
	"commands:\n"
	"  add-port   bind the VF at PCI_SLOT to port ib-MAC of FABRIC, GUIDs made of MAC\n"
	"  del-port   unbind port ib-MAC of FABRIC: its VF restored and scrubbed\n"
	"\n"
	"options:\n"
	"  --socket PATH       sriovd's socket (default " DEFAULT_SOCKET
	"; $SRIOVD_SOCKET)\n"
	"  --timeout SECONDS   wait at most this long for sriovd's answer (default 60)\n"
	"  -V, --version       print the version\n"
	"  -h, --help          this help; COMMAND --help: the command's\n"
	"\n"
	"exit status: 0 done or nothing to do, 1 refused or failed, 2 a mistake of the command line\n";
static const char help_add[] =
	"\n"
	"Bind exactly the VF at PCI_SLOT (Nova's pci_slot: dddd:bb:ss.f, or PF:vfN\n"
	"for a VF with no PCI function) to the port ib-MAC on sriovd's physnet\n"
	"FABRIC, for instance INSTANCE_UUID; its node and port GUIDs are MAC with\n"
	"00:00 inserted after the third byte (eswitchd's rule). VIF_TYPE must be\n"
	"ib_hostdev. Prints the VF's PCI slot. The same add-port again changes\n"
	"nothing and succeeds; one for another VF, network, GUID or instance fails.\n";
static const char help_del[] =
	"\n"
	"Unbind the port ib-MAC of FABRIC: the VF's saved state is restored and it\n"
	"is scrubbed (GUIDs invalid, link disabled). No such port: nothing to do,\n"
	"exit 0. A port of another network is refused; a VF quarantined because\n"
	"its scrub did not read back is exit 1.\n";

static void verror(const char *what, const char *fmt, va_list ap)
{
	fprintf(stderr, "ebrctl: error: %s%s", what ? what : "",
		what ? ": " : "");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

__attribute__((format(printf, 2, 3))) static int fail(const char *what,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(what, fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

__attribute__((format(printf, 2, 3))) static int usage(const char *u,
						       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror(NULL, fmt, ap);
	va_end(ap);
	fputs(u, stderr);
	return EXIT_USAGE;
}

/* ---- sriovd's socket: one request line, one answer line ---- */

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_s };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a bind that hangs must not hang Nova's plug without end */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/*
 * Send @req, read the answer. Return: 0 with *ret the answer ("ok" true or
 * false), or EXIT_FAIL after saying why there is none.
 */
static int call(const char *what, json_t *req, json_t **ret)
{
	_cleanup_free_ char *text = json_dumps(req, JSON_COMPACT);
	_cleanup_free_ char *buf = malloc(ANSWER_MAX + 1);
	_cleanup_close_ int fd = -1;
	size_t len, off = 0, n = 0;
	json_error_t je;

	if (!text || !buf)
		return fail(what, "out of memory");
	fd = connect_to(socket_path);
	if (fd < 0)
		return fail(
			what,
			"cannot connect to sriovd at %s: %s (is it running? --socket PATH)",
			socket_path, strerror(-fd));
	len = strlen(text);
	while (off < len) {
		ssize_t w = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (w < 0)
			return fail(what, "writing to sriovd at %s: %s",
				    socket_path, strerror(errno));
		off += (size_t)w;
	}
	if (send(fd, "\n", 1, MSG_NOSIGNAL) < 0)
		return fail(what, "writing to sriovd at %s: %s", socket_path,
			    strerror(errno));
	while (!memchr(buf, '\n', n)) {
		ssize_t r;

		if (n == ANSWER_MAX)
			return fail(
				what,
				"the answer from %s is larger than %u KiB (is it sriovd's socket?)",
				socket_path, ANSWER_MAX >> 10);
		r = recv(fd, buf + n, ANSWER_MAX - n, 0);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return fail(
				what,
				"sriovd at %s did not answer within %d s (--timeout); what it was asked may still finish: see sriovctl port show",
				socket_path, timeout_s);
		if (r < 0)
			return fail(what, "reading from sriovd: %s",
				    strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!n)
		return fail(what,
			    "sriovd closed the connection without an answer");
	*ret = json_loadb(buf, n, JSON_DISABLE_EOF_CHECK, &je);
	if (!*ret || !json_is_object(*ret))
		return fail(what, "sriovd answered with invalid json: %s",
			    je.text);
	return 0;
}

static bool answer_ok(const json_t *a)
{
	return json_is_true(json_object_get(a, "ok"));
}

static const char *answer_code(const json_t *a)
{
	const char *c = json_string_value(
		json_object_get(json_object_get(a, "error"), "code"));

	return c ? c : "";
}

static const char *answer_message(const json_t *a)
{
	const char *m = json_string_value(
		json_object_get(json_object_get(a, "error"), "message"));

	return m ? m : "request failed";
}

/* ---- the port of a MAC ---- */

/*
 * The port id of a MAC: "ib-" and the MAC as sriovd prints MACs (lower
 * case, two digits a byte), so del-port finds what add-port bound however
 * the MAC was written, and a Neutron agent finds it from the port's MAC. A
 * MAC that does not parse is kept as written: sriovd refuses it by name.
 */
static void port_id(const char *mac, char *id, size_t size, bool *valid,
		    uint8_t out[6])
{
	struct sriov_vf_config c = { 0 };
	char buf[24];

	*valid = sriov_parse_mac(mac, &c, NULL) == 0 && c.mac_len == 6;
	if (*valid) {
		memcpy(out, c.mac, 6);
		sriov_format_mac(c.mac, 6, buf, sizeof(buf));
		snprintf(id, size, "ib-%s", buf);
		return;
	}
	snprintf(id, size, "ib-%s", mac);
}

/* "PF:vfN" -> PF and N; a PCI address -> false. */
static bool split_pf_vf(const char *slot, char *pf, size_t size,
			unsigned *index)
{
	const char *colon = strrchr(slot, ':');
	uint64_t n;

	if (!colon || strncmp(colon + 1, "vf", 2) ||
	    parse_u64(colon + 3, 10, &n) < 0 || n > 65535 ||
	    (size_t)(colon - slot) >= size)
		return false;
	memcpy(pf, slot, (size_t)(colon - slot));
	pf[colon - slot] = '\0';
	*index = (unsigned)n;
	return true;
}

static bool same_slot(const json_t *port, const char *slot)
{
	const char *addr = json_string_value(json_object_get(port, "address"));
	const char *pf = json_string_value(json_object_get(port, "pf"));
	json_t *vf = json_object_get(port, "vf");
	char want_pf[96];
	unsigned idx;

	if (split_pf_vf(slot, want_pf, sizeof(want_pf), &idx))
		return pf && !strcmp(pf, want_pf) && json_is_integer(vf) &&
		       json_integer_value(vf) == (json_int_t)idx;
	return addr && !strcasecmp(addr, slot);
}

/*
 * Is the bound port @port what this add-port asks for: the VF at @slot on
 * @fabric with the GUID of @mac, for @instance (when the port names one: a
 * port bound first by a Neutron agent may not)? Its P-key, whoever gave
 * it, is not add-port's to judge. 0 when it is, else EXIT_FAIL saying what
 * differs.
 */
static int compare_bound(const json_t *port, const char *id, const char *fabric,
			 const char *slot, const uint8_t mac[6],
			 const char *instance)
{
	const json_t *st = json_object_get(port, "settings");
	const char *net = json_string_value(json_object_get(port, "network"));
	const char *status = json_string_value(json_object_get(port, "status"));
	const char *guid = json_string_value(json_object_get(st, "guid"));
	const char *dev = json_string_value(json_object_get(st, "device_id"));
	const char *addr = json_string_value(json_object_get(port, "address"));
	uint64_t want = sriov_guid_from_mac(mac), got = 0;
	char wbuf[24];

	if (!status || strcmp(status, "bound"))
		return fail(
			"add-port",
			"port %s is %s in sriovd (another operation is under way); try again",
			id, status ? status : "in an unknown state");
	if (!net || strcmp(net, fabric))
		return fail(
			"add-port",
			"port %s is already bound on network '%s', not '%s'; del-port %s MAC first",
			id, net ? net : "?", fabric, net ? net : "?");
	if (!same_slot(port, slot))
		return fail(
			"add-port",
			"port %s is already bound to vf %s, not %s; del-port %s MAC first",
			id, addr ? addr : "(no pci function)", slot, fabric);
	if (!guid || sriov_guid_parse(guid, &got, NULL) < 0 || got != want)
		return fail(
			"add-port",
			"port %s is bound with guid %s, not %s (the guid of its mac); del-port %s MAC first",
			id, guid ? guid : "none", sriov_guid_format(want, wbuf),
			fabric);
	if (dev && strcmp(dev, instance))
		return fail(
			"add-port",
			"port %s is bound for instance %s, not %s; del-port %s MAC first",
			id, dev, instance, fabric);
	return 0;
}

/* The answer to a bind, or to an add-port already done: the VF's slot on
 * stdout, as eswitchd's ebrctl prints it. */
static void print_slot(const json_t *a, const char *slot)
{
	const char *addr = json_string_value(json_object_get(a, "address"));

	printf("%s\n", addr ? addr : slot);
}

/* add-port found the port bound already: done if it is this one. */
static int add_port_existing(const json_t *shown, const char *id, char **argv,
			     const uint8_t mac[6])
{
	const json_t *port = json_object_get(shown, "port");
	int r = compare_bound(port, id, argv[2], argv[4], mac, argv[1]);

	if (r)
		return r;
	print_slot(port, argv[4]);
	return EXIT_OK;
}

static int show(const char *id, json_t **ret)
{
	json_t *req = json_pack("{s:s, s:s}", "op", "port.show", "id", id);
	int r;

	if (!req)
		return fail("add-port", "out of memory");
	r = call("add-port", req, ret);
	json_decref(req);
	return r;
}

/* add-port MAC INSTANCE_UUID FABRIC VIF_TYPE PCI_SLOT */
static int add_port(int argc, char **argv)
{
	const char *mac, *fabric, *slot;
	json_t *shown = NULL, *req, *a = NULL;
	uint8_t m[6] = { 0 };
	char id[160];
	bool valid;
	int r;

	if (argc != 5)
		return usage(
			usage_add,
			"add-port takes 5 arguments (MAC INSTANCE_UUID FABRIC VIF_TYPE PCI_SLOT), not %d",
			argc);
	if (strcmp(argv[3], VIF_TYPE))
		return usage(
			usage_add,
			"add-port: vif type '%s' is not served (only ib_hostdev, Nova's InfiniBand hostdev VIF)",
			argv[3]);
	mac = argv[0];
	fabric = argv[2];
	slot = argv[4];
	port_id(mac, id, sizeof(id), &valid, m);

	/* Already bound (add-port again, or a Neutron agent first)? Only a
	 * MAC that parses can name a port; sriovd names the bad one below. */
	if (valid) {
		r = show(id, &shown);
		if (r)
			return r;
		if (answer_ok(shown)) {
			r = add_port_existing(shown, id, argv, m);
			json_decref(shown);
			return r;
		}
		json_decref(shown);
	}

	req = json_pack("{s:s, s:{s:s, s:{s:s}, s:s, s:s, s:s, s:s}}", "op",
			"port.bind", "port", "id", id, "network", "physnet",
			fabric, "vnic_type", "direct", "pci_slot", slot,
			"guid_from_mac", mac, "device_id", argv[1]);
	if (!req)
		return fail("add-port", "out of memory");
	r = call("add-port", req, &a);
	json_decref(req);
	if (r)
		return r;
	if (answer_ok(a)) {
		print_slot(a, slot);
		json_decref(a);
		return EXIT_OK;
	}
	/* a concurrent add-port of the same port won the race */
	if (!strcmp(answer_code(a), "EEXIST") && valid) {
		json_decref(a);
		r = show(id, &shown);
		if (r)
			return r;
		if (answer_ok(shown))
			r = add_port_existing(shown, id, argv, m);
		else
			r = fail("add-port", "%s", answer_message(shown));
		json_decref(shown);
		return r;
	}
	r = fail("add-port", "%s", answer_message(a));
	json_decref(a);
	return r;
}

/* del-port FABRIC MAC */
static int del_port(int argc, char **argv)
{
	const char *fabric, *mac;
	json_t *req, *a = NULL;
	uint8_t m[6];
	char id[160];
	const char *state;
	bool valid;
	int r;

	if (argc != 2)
		return usage(usage_del,
			     "del-port takes 2 arguments (FABRIC MAC), not %d",
			     argc);
	fabric = argv[0];
	mac = argv[1];
	port_id(mac, id, sizeof(id), &valid, m);
	/* no port can be named by it: there is nothing to ask sriovd */
	if (!valid)
		return usage(
			usage_del,
			"del-port: invalid mac '%s' (expected a unicast xx:xx:xx:xx:xx:xx)",
			mac);
	req = json_pack("{s:s, s:s, s:s}", "op", "port.unbind", "id", id,
			"network", fabric);
	if (!req)
		return fail("del-port", "out of memory");
	r = call("del-port", req, &a);
	json_decref(req);
	if (r)
		return r;
	if (!answer_ok(a)) {
		/* unplugged twice, or never plugged: what was asked holds */
		if (!strcmp(answer_code(a), "ENOENT")) {
			fprintf(stderr,
				"ebrctl: del-port: no port %s in sriovd; nothing to do\n",
				id);
			r = EXIT_OK;
		} else {
			r = fail("del-port", "%s", answer_message(a));
		}
		json_decref(a);
		return r;
	}
	state = json_string_value(json_object_get(a, "vf_state"));
	if (state && !strcmp(state, "quarantined"))
		r = fail(
			"del-port",
			"port %s is unbound, but its vf (pf %s vf %lld) is quarantined: its restore or scrub did not read back (see sriovd's log; sriovctl port vfs, port clear)",
			id, json_string_value(json_object_get(a, "pf")),
			(long long)json_integer_value(
				json_object_get(a, "vf")));
	json_decref(a);
	return r;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("SRIOVD_SOCKET");
	uint64_t t;
	int c;

	if (env && env[0])
		socket_path = env;
	/* options before the command only ("+"): the command's words are
	 * Nova's, and a MAC or slot never starts with '-' */
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			socket_path = optarg;
			break;
		case 't':
			if (parse_u64(optarg, 10, &t) < 0 || t < 1 || t > 3600)
				return usage(
					usage_main,
					"invalid --timeout '%s' (seconds, 1..3600)",
					optarg);
			timeout_s = (int)t;
			break;
		case 'V':
			printf("ebrctl %s\n", SRIOV_VERSION);
			return EXIT_OK;
		case 'h':
			fputs(usage_main, stdout);
			fputs(help_main, stdout);
			return EXIT_OK;
		default:
			fputs(usage_main, stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage(usage_main,
			     "a command is required (add-port or del-port)");
	if (!strcmp(argv[0], "add-port")) {
		if (wants_help(argc - 1, argv + 1)) {
			fputs(usage_add, stdout);
			fputs(help_add, stdout);
			return EXIT_OK;
		}
		return add_port(argc - 1, argv + 1);
	}
	if (!strcmp(argv[0], "del-port")) {
		if (wants_help(argc - 1, argv + 1)) {
			fputs(usage_del, stdout);
			fputs(help_del, stdout);
			return EXIT_OK;
		}
		return del_port(argc - 1, argv + 1);
	}
	return usage(usage_main,
		     "unknown command '%s' (expected add-port or del-port)",
		     argv[0]);
}
