/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util/banned.h"

static int cmd_version(struct cli *cli, int argc, char **argv);

static const struct cli_command commands[] = {
	{ "show", cmd_show, "show SR-IOV devices, their VFs and ports" },
	{ "capture", cmd_capture,
	  "copy what sriov reads of sysfs and procfs into a folder" },
	{ "doctor", cmd_doctor, "check the host for what SR-IOV needs" },
	{ "version", cmd_version, "print the version" },
	{ "pf", cmd_pf, "show or set a PF's VF count" },
	{ "vf", cmd_vf, "show and set VF settings and drivers" },
	{ "nova", cmd_nova, "Nova device_spec, pools and PCI request fitting" },
	{ "fabric", cmd_fabric,
	  "InfiniBand partitions: check, render, predict" },
	{ "apply", cmd_apply, "bring PFs and VFs to the state of host.yaml" },
	{ "render", cmd_render,
	  "write configuration: udev, systemd (host.yaml); nova, neutron (hardware)" },
	{ "ib", cmd_ib, "VF P-key tables (mlx4) and VF GUIDs" },
	{ "port", cmd_port, "bind, unbind and list ports through sriovd" },
};

static int cmd_version(struct cli *cli, int argc, char **argv)
{
	struct printer p;

	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_string(&p, PRINT_ANY, "version", "sriovctl %s\n", SRIOV_VERSION);
	print_close_object(&p);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "sriovctl: %s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
	return EXIT_FAIL;
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("usage", fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
	va_end(ap);
}

bool cli_matches(const char *arg, const char *keyword)
{
	size_t n = strlen(arg);

	return n > 0 && n <= strlen(keyword) && !strncmp(arg, keyword, n);
}

int cli_open_root(struct cli *cli, struct sriov_root **ret)
{
	struct sriov_error err = { 0 };
	int r;

	r = sriov_root_open(cli->sys_root, cli->proc_root, ret, &err);
	if (r < 0)
		cli_error("%s", err.msg);
	return r;
}

void cli_printer(struct cli *cli, struct printer *p)
{
	print_begin(p, cli->json, cli->pretty, stdout);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sriovctl [OPTIONS] COMMAND [ARGS...]\n\n"
		"options:\n"
		"  -j, --json          JSON output\n"
		"  -p, --pretty        indented JSON\n"
		"  --root DIR          sysfs root (default /sys, or $SRIOV_SYSFS_ROOT)\n"
		"  --proc-root DIR     procfs root (default /proc, or $SRIOV_PROC_ROOT)\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this help\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'R' },
		{ "proc-root", required_argument, NULL, 'P' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cli cli = { .prog = "sriovctl" };
	const struct cli_command *cmd = NULL;
	int c;

	/* '+': stop at the command, whose own options follow it. */
	while ((c = getopt_long(argc, argv, "+jpVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			cli.json = true;
			break;
		case 'p':
			cli.pretty = true;
			break;
		case 'R':
			cli.sys_root = optarg;
			break;
		case 'P':
			cli.proc_root = optarg;
			break;
		case 'V':
			printf("sriovctl %s\n", SRIOV_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[optind], commands[i].name)) {
			cmd = &commands[i];
			break;
		}
		if (cli_matches(argv[optind], commands[i].name)) {
			if (cmd)
				return cli_usage(
					"'%s' is ambiguous; give more letters",
					argv[optind]);
			cmd = &commands[i];
		}
	}
	if (!cmd)
		return cli_usage("unknown command '%s' (see sriovctl --help)",
				 argv[optind]);
	return cmd->run(&cli, argc - optind, argv + optind);
}
