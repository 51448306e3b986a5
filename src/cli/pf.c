/* SPDX-License-Identifier: MIT */
/* sriovctl pf: the PF's VF count. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/vf.h>
#include "cli.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

static void root_freep(struct sriov_root **r)
{
	sriov_root_free(*r);
}

/* Open the roots and resolve the PF argv[1]; 0 or an exit code. */
static int open_pf(struct cli *cli, int argc, char **argv,
		   struct sriov_root **root, struct sriov_pf_ref *pf)
{
	struct sriov_error err = { 0 };

	if (argc < 2)
		return cli_usage("%s: give the PF (netdev or PCI address)",
				 argv[0]);
	if (cli_open_root(cli, root) < 0)
		return EXIT_FAIL;
	if (sriov_pf_resolve(*root, argv[1], pf, &err) < 0)
		return cli_error("%s", err.msg);
	return 0;
}

static int pf_show(struct cli *cli, int argc, char **argv)
{
	_cleanup_(root_freep) struct sriov_root *root = NULL;
	struct sriov_error err = { 0 };
	struct sriov_pf_ref ref, *pf = &ref;
	struct printer p;
	unsigned n, total;
	int r;

	r = open_pf(cli, argc, argv, &root, pf);
	if (r)
		return r;
	if (argc > 2)
		return cli_usage("pf show: unexpected argument '%s'", argv[2]);
	if (sriov_pf_numvfs(root, pf, &n, &total, &err) < 0)
		return cli_error("%s", err.msg);
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_string(&p, PRINT_ANY, "dev", "%s", pf->dev);
	print_string(&p, PRINT_ANY, "ifname", " %s",
		     pf->ifname[0] ? pf->ifname : NULL);
	print_uint(&p, PRINT_ANY, "numvfs", " numvfs %u", n);
	if (total != (unsigned)-1)
		print_uint(&p, PRINT_ANY, "totalvfs", " totalvfs %u", total);
	print_text(&p, "\n");
	print_close_object(&p);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

static int pf_set(struct cli *cli, int argc, char **argv)
{
	_cleanup_(root_freep) struct sriov_root *root = NULL;
	struct sriov_error err = { 0 };
	struct sriov_pf_ref pf;
	unsigned flags = 0, timeout = 10000;
	uint64_t n = 0;
	bool have_n = false;
	struct printer p;
	int r;

	if (argc < 2)
		return cli_usage("pf set: give the PF (netdev or PCI address)");
	/* Every word is checked before the root is opened. */
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "numvfs") && i + 1 < argc) {
			if (parse_u64(argv[++i], 10, &n) < 0 || n > 65535)
				return cli_usage(
					"invalid numvfs '%s' (expected 0 to 65535)",
					argv[i]);
			have_n = true;
		} else if (!strcmp(argv[i], "--no-autoprobe")) {
			flags |= SRIOV_NUMVFS_NO_AUTOPROBE;
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			uint64_t t;

			if (parse_u64(argv[++i], 10, &t) < 0 || t > 600000)
				return cli_usage(
					"invalid --timeout '%s' (milliseconds, up to 600000)",
					argv[i]);
			timeout = (unsigned)t;
		} else {
			return cli_usage(
				"unknown pf setting '%s' (expected numvfs N, --no-autoprobe, --timeout MS)",
				argv[i]);
		}
	}
	if (!have_n)
		return cli_usage("pf set: give numvfs N");
	r = open_pf(cli, argc, argv, &root, &pf);
	if (r)
		return r;
	r = sriov_pf_set_numvfs(root, &pf, (unsigned)n, flags, timeout, &err);
	if (r < 0)
		return cli_error("%s", err.msg);
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_string(&p, PRINT_ANY, "dev", "%s", pf.dev);
	print_uint(&p, PRINT_ANY, "numvfs", ": numvfs %u", (unsigned)n);
	print_bool(&p, PRINT_JSON, "changed", NULL, r > 0);
	print_text(&p, r > 0 ? "\n" : " (unchanged)\n");
	print_close_object(&p);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

static const struct cli_command pf_show_cmd = {
	.name = "show",
	.summary = "the PF's VF count and the most it can have",
	.run = pf_show,
	.usage = "DEV",
};

static const struct cli_command pf_set_cmd = {
	.name = "set",
	.summary = "set the PF's VF count (through 0 when it changes)",
	.run = pf_set,
	.usage = "DEV numvfs N [--no-autoprobe] [--timeout MS]",
	.options =
		"  --no-autoprobe   keep the new VFs unbound (sriov_drivers_autoprobe 0)\n"
		"  --timeout MS     how long to wait for the VFs to appear (default 10000)\n",
};

static const struct cli_command *const pf_commands[] = { &pf_show_cmd,
							 &pf_set_cmd, NULL };

const struct cli_command cli_pf = {
	.name = "pf",
	.summary = "show or set a PF's VF count",
	.sub = pf_commands,
};
