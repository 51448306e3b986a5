/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util/banned.h"

static int cmd_version(struct cli *cli, int argc, char **argv)
{
	struct printer p;

	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_string(&p, PRINT_ANY, "version", "sriovctl %s\n", SRIOV_VERSION);
	print_close_object(&p);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

static const struct cli_command cli_version = {
	.name = "version",
	.summary = "print the version",
	.run = cmd_version,
};

static const struct cli_command *const commands[] = {
	&cli_show, &cli_capture, &cli_doctor,  &cli_version, &cli_pf,
	&cli_vf,   &cli_nova,	 &cli_fabric,  &cli_apply,   &cli_render,
	&cli_ib,   &cli_port,	 &cli_cluster, NULL,
};

static const struct cli_command sriovctl = {
	.name = "sriovctl",
	.summary =
		"SR-IOV networking for clouds: PFs and VFs, InfiniBand partitions and GUIDs, Nova and Neutron configuration, the sriovd agent",
	.sub = commands,
	.options =
		"  -j, --json          JSON output\n"
		"  -p, --pretty        indented JSON (implies -j)\n"
		"  --root DIR          sysfs root (default /sys, or $SRIOV_SYSFS_ROOT)\n"
		"  --proc-root DIR     procfs root (default /proc, or $SRIOV_PROC_ROOT)\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this help\n",
};

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
	vmsg("error", fmt, ap);
	va_end(ap);
	return cli_bad_usage();
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
	va_end(ap);
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
	char *help[] = { argv[0], (char *)"--help", NULL };
	int c;

	/* '+': stop at the command, whose own options follow it. */
	while ((c = getopt_long(argc, argv, "+jpVh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			cli.json = true;
			break;
		case 'p':
			cli.pretty = true;
			cli.json = true;
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
			return cli_dispatch(&cli, &sriovctl, "sriovctl", 2,
					    help);
		default:
			return cli_usage(
				"see 'sriovctl --help' for the options");
		}
	}
	/* the dispatcher skips the group's own word: argv[optind - 1] */
	return cli_dispatch(&cli, &sriovctl, "sriovctl", argc - optind + 1,
			    argv + optind - 1);
}
