/* SPDX-License-Identifier: MIT */
/* sriovctl apply -f host.yaml [--dry-run]: see docs/vf.md. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/apply.h>
#include "cli.h"
#include "util/macro.h"
#include "util/banned.h"

static void root_freep(struct sriov_root **r)
{
	sriov_root_free(*r);
}

static void report_releasep(struct sriov_apply_report *r)
{
	sriov_apply_report_release(r);
}

static const char *pf_status(const struct sriov_apply_pf *o, bool dry)
{
	if (o->code)
		return "failed";
	if (!o->n_changes)
		return "unchanged";
	return dry ? "planned" : "applied";
}

static int cmd_apply(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "present", no_argument, NULL, 'P' },
		{ 0 },
	};
	_cleanup_(root_freep) struct sriov_root *root = NULL;
	_cleanup_(report_releasep) struct sriov_apply_report rep = { 0 };
	struct sriov_error err = { 0 };
	const char *file = NULL;
	unsigned flags = 0;
	size_t total = 0;
	struct printer p;
	int c, r;

	optind = 0; /* glibc: restart the scan */
	while ((c = getopt_long(argc, argv, "f:n", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			file = optarg;
			break;
		case 'n':
			flags |= SRIOV_APPLY_DRY_RUN;
			break;
		case 'P':
			flags |= SRIOV_APPLY_PRESENT_ONLY;
			break;
		default:
			return cli_bad_usage();
		}
	}
	if (!file)
		return cli_usage("apply: give the host file with -f FILE");
	if (optind != argc)
		return cli_usage("apply: unexpected argument '%s'",
				 argv[optind]);
	if (cli_open_root(cli, &root) < 0)
		return EXIT_FAIL;
	r = sriov_apply_file(root, file, flags, &rep, &err);
	if (r < 0 && !rep.pfs)
		return cli_error("%s", err.msg);

	cli_printer(cli, &p);
	print_open_object(&p, NULL);
	print_string(&p, PRINT_JSON, "file", NULL, file);
	print_bool(&p, PRINT_JSON, "dry_run", NULL,
		   flags & SRIOV_APPLY_DRY_RUN);
	print_open_array(&p, "pfs");
	for (size_t i = 0; i < rep.n_pfs; i++) {
		const struct sriov_apply_pf *o = &rep.pfs[i];
		bool dry = flags & SRIOV_APPLY_DRY_RUN;

		total += o->n_changes;
		print_open_object(&p, NULL);
		print_string(&p, PRINT_JSON, "pf", NULL, o->name);
		print_string(&p, PRINT_JSON, "dev", NULL, o->dev);
		print_open_array(&p, "changes");
		for (size_t j = 0; j < rep.n_changes; j++) {
			const struct sriov_apply_change *ch = &rep.changes[j];

			if (ch->pf != i)
				continue;
			print_open_object(&p, NULL);
			print_text(&p, "%s", o->name);
			if (ch->vf >= 0)
				print_uint(&p, PRINT_ANY, "vf", " vf %u",
					   (unsigned)ch->vf);
			print_string(&p, PRINT_ANY, "key", " %s:", ch->key);
			print_string(&p, PRINT_ANY, "from", " %s", ch->from);
			print_string(&p, PRINT_ANY, "to", " -> %s\n", ch->to);
			print_close_object(&p);
		}
		print_close_array(&p);
		print_string(&p, PRINT_JSON, "status", NULL, pf_status(o, dry));
		if (o->code) {
			print_string(&p, PRINT_JSON, "error", NULL, o->msg);
			print_bool(&p, PRINT_JSON, "restored", NULL,
				   o->restored);
			if (o->restore_msg[0])
				print_string(&p, PRINT_JSON, "restore_error",
					     NULL, o->restore_msg);
		} else if (!o->n_changes) {
			print_text(&p, "%s: nothing to change\n", o->name);
		} else {
			print_text(
				&p,
				dry ? "%s: %zu change(s) planned (dry run, nothing changed)\n" :
				      "%s: %zu change(s) applied and read back\n",
				o->name, o->n_changes);
		}
		print_close_object(&p);
	}
	print_close_array(&p);
	print_bool(&p, PRINT_JSON, "changed", NULL,
		   total > 0 && !(flags & SRIOV_APPLY_DRY_RUN) && r >= 0);
	if (!total && r >= 0)
		print_text(&p, "nothing to change: the host matches %s\n",
			   file);
	print_close_object(&p);
	if (print_end(&p) < 0)
		return EXIT_FAIL;
	/* Failures go to stderr, once per PF, with what was restored. */
	for (size_t i = 0; i < rep.n_pfs; i++) {
		const struct sriov_apply_pf *o = &rep.pfs[i];

		if (!o->code)
			continue;
		if (o->restored)
			cli_error("%s: %s; what was changed on %s is restored",
				  o->name, o->msg, o->name);
		else
			cli_error("%s: %s; restoring %s failed: %s", o->name,
				  o->msg, o->name,
				  o->restore_msg[0] ? o->restore_msg : "?");
	}
	return r < 0 ? EXIT_FAIL : 0;
}

const struct cli_command cli_apply = {
	.name = "apply",
	.summary =
		"bring PFs and VFs to the state host.yaml declares; print the plan as a diff",
	.run = cmd_apply,
	.usage = "-f FILE [--dry-run] [--present]",
	.options =
		"  -f, --file FILE   the host description (host.yaml, docs/vf.md)\n"
		"  -n, --dry-run     print the plan, change nothing\n"
		"  --present         skip PF entries that select no device (yet), as at boot\n",
};
