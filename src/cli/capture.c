/* SPDX-License-Identifier: MIT */
/* sriovctl capture DIR: a replayable snapshot of what sriov reads. */
#include <stdio.h>

#include <sriov/capture.h>

#include "cli.h"
#include "util/banned.h"

static int cmd_capture(struct cli *cli, int argc, char **argv)
{
	struct sriov_error err = { 0 };
	struct sriov_root *root = NULL;
	struct printer p;
	int r;

	if (argc != 2)
		return cli_usage("capture: give one folder to write into");
	if (cli_open_root(cli, &root) < 0)
		return EXIT_FAIL;
	r = sriov_capture(root, argv[1], &err);
	sriov_root_free(root);
	if (r < 0)
		return cli_error("%s", err.msg);
	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_string(&p, PRINT_ANY, "captured", "captured into %s", argv[1]);
	print_text(
		&p,
		"; replay with: sriovctl --root %s/sys --proc-root %s/proc show\n",
		argv[1], argv[1]);
	print_close_object(&p);
	return print_end(&p) < 0 ? EXIT_FAIL : 0;
}

const struct cli_command cli_capture = {
	.name = "capture",
	.summary =
		"copy what sriov reads of sysfs and procfs, and each PF's netlink answer, into a new or empty folder (replay with --root)",
	.run = cmd_capture,
	.usage = "DIR",
};
