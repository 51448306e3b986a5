/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CLI_CLI_H
#define SRIOV_CLI_CLI_H

#include <stdbool.h>

#include <sriov/error.h>
#include <sriov/root.h>

#include "print.h"

/* Exit codes, as iproute2 and git: 1 for a failure, 2 for bad usage. */
enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cli {
	const char *prog;
	bool json;
	bool pretty;
	const char *sys_root; /* --root, NULL for the default */
	const char *proc_root; /* --proc-root */
};

struct cli_command {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *summary;
};

/* Print "sriovctl: error: ..." to stderr; returns EXIT_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "sriovctl: usage: ..." to stderr; returns EXIT_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "sriovctl: warning: ..." to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open the roots chosen on the command line; reports errors itself and
 * returns -errno. */
int cli_open_root(struct cli *cli, struct sriov_root **ret);

/* Does arg abbreviate the keyword (iproute2's matches(), non-empty)? */
bool cli_matches(const char *arg, const char *keyword);

void cli_printer(struct cli *cli, struct printer *p);

/* Command groups, one file each. */
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_doctor(struct cli *cli, int argc, char **argv);
int cmd_capture(struct cli *cli, int argc, char **argv);
int cmd_pf(struct cli *cli, int argc, char **argv);
int cmd_vf(struct cli *cli, int argc, char **argv);
int cmd_nova(struct cli *cli, int argc, char **argv);
int cmd_fabric(struct cli *cli, int argc, char **argv);
int cmd_apply(struct cli *cli, int argc, char **argv);
int cmd_render(struct cli *cli, int argc, char **argv);
int cmd_ib(struct cli *cli, int argc, char **argv);
int cmd_port(struct cli *cli, int argc, char **argv);

/* render KINDs from this host's hardware (src/cli/nova.c); render.c
 * dispatches, argv[0] is the KIND. */
int render_nova(struct cli *cli, int argc, char **argv);
int render_neutron(struct cli *cli, int argc, char **argv);

#endif
