/* SPDX-License-Identifier: MIT */
/*
 * sriovctl render KIND -f host.yaml: configuration for other programs, from
 * host.yaml. One table entry per KIND, so more can be added beside these:
 *   udev     a rule that runs `sriovctl apply --present` when a PF of the
 *            file appears (the job Kayobe's SR-IOV role does with a rule)
 *   systemd  a oneshot unit that runs `sriovctl apply` before
 *            network-pre.target, after the PFs named in the file exist
 * and, from this host's hardware and --physnet-map (src/cli/render_hw.c):
 *   nova     [pci] device_spec and alias lines
 *   neutron  sriov_agent.ini [sriov_nic]
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sriov/apply.h>
#include "cli.h"
#include "util/macro.h"
#include "util/banned.h"

struct render_ctx {
	const char *file; /* absolute */
	const char *exe; /* absolute path of sriovctl */
	const struct sriov_host_selector *sel;
	size_t n_sel;
	FILE *out;
};

/* Paths go into udev RUN+= and ExecStart= unquoted: keep them plain. */
static bool path_is_plain(const char *s)
{
	if (s[0] != '/')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("/._-+:@", *s)))
			return false;
	return true;
}

static int render_udev(const struct render_ctx *c)
{
	FILE *o = c->out;

	fprintf(o,
		"# Apply %s when one of its PFs appears.\n"
		"# Written by: sriovctl render udev -f %s\n"
		"# Install as /etc/udev/rules.d/70-sriov.rules. Each event "
		"applies the PFs\n"
		"# present so far; apply is idempotent.\n",
		c->file, c->file);
	for (size_t i = 0; i < c->n_sel; i++) {
		const struct sriov_host_selector *s = &c->sel[i];

		/* A netdev exists once its driver has probed; a PCI PF is
		 * ready when it is bound (not at "add", before any driver). */
		if (!strcmp(s->kind, "name"))
			fprintf(o,
				"ACTION==\"add\", SUBSYSTEM==\"net\", "
				"KERNEL==\"%s\", ",
				s->value);
		else if (!strcmp(s->kind, "pci"))
			fprintf(o,
				"ACTION==\"bind\", SUBSYSTEM==\"pci\", "
				"KERNEL==\"%s\", ",
				s->value);
		else
			fprintf(o,
				"ACTION==\"bind\", SUBSYSTEM==\"pci\", "
				"ATTR{vendor}==\"0x%04x\", "
				"ATTR{device}==\"0x%04x\", "
				"ATTR{sriov_totalvfs}==\"?*\", ",
				s->vendor, s->device);
		fprintf(o, "RUN+=\"%s apply --present -f %s\"\n", c->exe,
			c->file);
	}
	return 0;
}

/* systemd.unit(5) escaping of a netdev name in a device unit name. */
static void unit_escape(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s && n + 5 < size; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == ':' || *s == '_' ||
		    (*s == '.' && n > 0))
			buf[n++] = *s;
		else
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x",
					      (unsigned char)*s);
	}
	buf[n] = '\0';
}

static int render_systemd(const struct render_ctx *c)
{
	FILE *o = c->out;
	char esc[256];

	fprintf(o,
		"# Written by: sriovctl render systemd -f %s\n"
		"# Install as /etc/systemd/system/sriov-apply.service, then\n"
		"# systemctl enable sriov-apply.service\n"
		"[Unit]\n"
		"Description=SR-IOV VFs and VF settings from %s\n"
		"Documentation=man:sriovctl(8)\n"
		"DefaultDependencies=no\n"
		"Wants=network-pre.target\n"
		"Before=network-pre.target shutdown.target\n"
		"Conflicts=shutdown.target\n"
		"After=systemd-udev-trigger.service systemd-modules-load.service\n"
		"ConditionPathExists=%s\n",
		c->file, c->file, c->file);
	for (size_t i = 0; i < c->n_sel; i++) {
		if (strcmp(c->sel[i].kind, "name"))
			continue;
		unit_escape(c->sel[i].value, esc, sizeof(esc));
		fprintf(o,
			"Wants=sys-subsystem-net-devices-%s.device\n"
			"After=sys-subsystem-net-devices-%s.device\n",
			esc, esc);
	}
	fprintf(o,
		"\n[Service]\n"
		"Type=oneshot\n"
		"RemainAfterExit=yes\n"
		"ExecStart=%s apply -f %s\n"
		"\n[Install]\n"
		"WantedBy=network-pre.target\n",
		c->exe, c->file);
	return 0;
}

static const struct {
	const char *kind;
	int (*render)(const struct render_ctx *c);
} renderers[] = {
	{ "udev", render_udev },
	{ "systemd", render_systemd },
};

/* render udev|systemd -f host.yaml: argv[0] is the kind. */
static int render_host(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "sriovctl", required_argument, NULL, 'x' },
		{ 0 },
	};
	_cleanup_free_ struct sriov_host_selector *sel = NULL;
	_cleanup_free_ char *file = NULL, *exe = NULL;
	struct sriov_error err = { 0 };
	struct render_ctx ctx = { .out = stdout };
	const char *path = NULL, *exe_arg = NULL;
	size_t n_sel = 0, k;
	int c, r;

	optind = 0; /* glibc: restart the scan */
	while ((c = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			path = optarg;
			break;
		case 'x':
			exe_arg = optarg;
			break;
		default:
			return cli_bad_usage();
		}
	}
	if (!path)
		return cli_usage("render %s: give the host file with -f FILE",
				 argv[0]);
	if (optind != argc)
		return cli_usage("render %s: unexpected argument '%s'", argv[0],
				 argv[optind]);
	for (k = 0; k < ARRAY_SIZE(renderers); k++)
		if (!strcmp(argv[0], renderers[k].kind))
			break;
	file = realpath(path, NULL);
	if (!file)
		return cli_error("cannot find %s: %s", path, strerror(errno));
	exe = exe_arg ? strdup(exe_arg) : realpath("/proc/self/exe", NULL);
	if (!exe)
		return cli_error(
			"cannot find the sriovctl binary: %s (give --sriovctl PATH)",
			strerror(errno));
	if (!path_is_plain(file))
		return cli_error(
			"%s: the path of host.yaml must be absolute and plain (letters, digits, / . _ - + : @) to go into a rule",
			file);
	if (!path_is_plain(exe))
		return cli_error(
			"%s: the sriovctl path must be absolute and plain (letters, digits, / . _ - + : @)",
			exe);
	r = sriov_host_selectors(file, &sel, &n_sel, &err);
	if (r < 0)
		return cli_error("%s", err.msg);
	ctx.file = file;
	ctx.exe = exe;
	ctx.sel = sel;
	ctx.n_sel = n_sel;
	if (cli->json) {
		/* -j: the same text as a JSON string, for tooling */
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		struct printer p;

		ctx.out = open_memstream(&text, &len);
		if (!ctx.out)
			return cli_error("out of memory");
		r = renderers[k].render(&ctx);
		fclose(ctx.out);
		cli_printer(cli, &p);
		print_open_object(&p, NULL);
		print_string(&p, PRINT_JSON, "kind", NULL, renderers[k].kind);
		print_string(&p, PRINT_JSON, "file", NULL, file);
		print_string(&p, PRINT_JSON, "content", NULL, text);
		print_close_object(&p);
		return print_end(&p) < 0 || r < 0 ? EXIT_FAIL : 0;
	}
	r = renderers[k].render(&ctx);
	if (fflush(stdout) != 0 || ferror(stdout))
		return cli_error("writing: %s", strerror(errno));
	return r < 0 ? EXIT_FAIL : 0;
}

#define RENDER_HOST_OPTIONS                                                 \
	"  -f, --file FILE   the host description (absolute, plain path)\n" \
	"  --sriovctl PATH   the sriovctl the rule or unit runs (default: this one)\n"

static const struct cli_command render_udev_cmd = {
	.name = "udev",
	.summary = "a udev rule that runs apply when a PF of host.yaml appears",
	.run = render_host,
	.usage = "-f FILE [--sriovctl PATH]",
	.options = RENDER_HOST_OPTIONS,
};

static const struct cli_command render_systemd_cmd = {
	.name = "systemd",
	.summary = "a systemd unit that runs apply at boot, before the network",
	.run = render_host,
	.usage = "-f FILE [--sriovctl PATH]",
	.options = RENDER_HOST_OPTIONS,
};

static const struct cli_command *const render_commands[] = {
	&render_udev_cmd, &render_systemd_cmd, &cli_render_nova,
	&cli_render_neutron, NULL
};

const struct cli_command cli_render = {
	.name = "render",
	.summary =
		"write configuration: udev, systemd (host.yaml); nova, neutron (hardware)",
	.sub = render_commands,
};
