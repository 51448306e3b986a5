/* SPDX-License-Identifier: MIT */
/* sriovctl doctor: one line per check, ok / warn / fail, with a hint. */
#include <stdio.h>

#include <sriov/doctor.h>

#include "cli.h"
#include "util/banned.h"

static int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	struct sriov_error err = { 0 };
	struct sriov_root *root = NULL;
	struct sriov_doctor d;
	struct sriov_host host;
	size_t count[3] = { 0 };
	struct printer p;
	int r;

	if (argc > 1)
		return cli_usage("doctor takes no arguments, got '%s'",
				 argv[1]);
	if (cli_open_root(cli, &root) < 0)
		return EXIT_FAIL;
	r = sriov_host_discover(root, &host, &err);
	if (r >= 0) {
		r = sriov_doctor_run(root, &host, &d, &err);
		sriov_host_release(&host);
	}
	sriov_root_free(root);
	if (r < 0)
		return cli_error("%s", err.msg);

	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_open_array(&p, "checks");
	for (size_t i = 0; i < d.n_checks; i++) {
		const struct sriov_check *c = &d.checks[i];

		count[c->verdict]++;
		print_open_object(&p, NULL);
		print_string(&p, PRINT_ANY, "status", "%-5s",
			     sriov_verdict_name(c->verdict));
		print_string(&p, PRINT_ANY, "check", "%-22s", c->id);
		print_string(&p, PRINT_JSON, "subject", NULL, c->subject);
		if (c->subject)
			print_text(&p, "%s: ", c->subject);
		print_string(&p, PRINT_ANY, "message", "%s", c->message);
		print_string(&p, c->hint ? PRINT_ANY : PRINT_JSON, "hint",
			     "\n      hint: %s", c->hint);
		print_text(&p, "\n");
		print_close_object(&p);
	}
	print_close_array(&p);
	print_open_object(&p, "summary");
	print_size(&p, PRINT_ANY, "ok", "%zu ok", count[SRIOV_OK]);
	print_size(&p, PRINT_ANY, "warn", ", %zu warn", count[SRIOV_WARN]);
	print_size(&p, PRINT_ANY, "fail", ", %zu fail\n", count[SRIOV_FAIL]);
	print_close_object(&p);
	print_close_object(&p);
	r = print_end(&p);
	sriov_doctor_release(&d);
	if (r < 0)
		return EXIT_FAIL;
	return count[SRIOV_FAIL] ? EXIT_FAIL : 0;
}

const struct cli_command cli_doctor = {
	.name = "doctor",
	.summary =
		"check the host for what SR-IOV needs (exit 1 when a check fails)",
	.run = cmd_doctor,
};
