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
	const char *socket; /* port --socket, else $SRIOVD_SOCKET or default */
};

/*
 * Commands are a tree of tables (git's OPT_SUBCOMMAND, our main.c): a
 * group lists its subcommands, a leaf runs. One dispatcher serves every
 * level with one rule: a word selects the command it names, or the one
 * command it is a prefix of; "-h"/"--help" among a command's arguments
 * (before "--"), or "help" as the subcommand, prints that command's help
 * and runs nothing.
 */
struct cli_command {
	const char *name;
	const char *summary; /* one line, in the group's list */
	/* a leaf: argv[0] is its name, its arguments follow */
	int (*run)(struct cli *cli, int argc, char **argv);
	/* a group: its subcommands, ended by NULL */
	const struct cli_command *const *sub;
	/* a group's options before the subcommand (port --socket PATH):
	 * consume them from *argv (which starts at the first option) and
	 * return 0, or an exit code */
	int (*group_opts)(struct cli *cli, int *argc, char ***argv);
	const char *usage; /* leaf: the arguments; one form per line */
	const char *options; /* "  -x, --long ARG   what\n" lines, or NULL */
};

/* Run @argv[0..] against the command @cmd named @path ("sriovctl fabric"):
 * a group dispatches to its subcommands, a leaf runs. */
int cli_dispatch(struct cli *cli, const struct cli_command *cmd,
		 const char *path, int argc, char **argv);

/* Print the running command's usage line to stderr; returns EXIT_USAGE. */
int cli_bad_usage(void);

/* Print "sriovctl: error: ..." to stderr; returns EXIT_FAIL. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "sriovctl: error: ..." and the running command's usage line to
 * stderr; returns EXIT_USAGE. For every mistake of the command line: an
 * unknown word, a missing argument, a value malformed or out of range. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "sriovctl: warning: ..." to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open the roots chosen on the command line; reports errors itself and
 * returns -errno. */
int cli_open_root(struct cli *cli, struct sriov_root **ret);

/* Does arg abbreviate the keyword (iproute2's matches(), non-empty)? */
bool cli_matches(const char *arg, const char *keyword);

void cli_printer(struct cli *cli, struct printer *p);

/* The commands, each defined in its own file (a group with its table). */
extern const struct cli_command cli_show, cli_capture, cli_doctor, cli_pf,
	cli_vf, cli_nova, cli_fabric, cli_apply, cli_render, cli_ib, cli_port,
	cli_cluster;

/* render nova|neutron from this host's hardware (src/cli/render_hw.c). */
extern const struct cli_command cli_render_nova, cli_render_neutron;

#endif
