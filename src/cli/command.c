/* SPDX-License-Identifier: MIT */
/*
 * The one dispatcher of sriovctl's command tree (cli.h): matching, help,
 * and the usage line of the command that runs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util/banned.h"

/* The leaf that runs, for the usage line of its errors. A CLI process
 * runs one command, so this is the one piece of state the dispatcher
 * keeps. */
static const struct cli_command *running;
static char running_path[128];

static void print_usage_lines(FILE *f, const char *path,
			      const struct cli_command *c)
{
	const char *u = c->usage ? c->usage : "";
	bool first = true;

	do {
		size_t len = strcspn(u, "\n");

		fprintf(f, "%s %s%s%.*s\n", first ? "usage:" : "      ", path,
			len ? " " : "", (int)len, u);
		u += len;
		if (*u)
			u++;
		first = false;
	} while (*u);
}

/* Where the first option line's text starts ("  --x N   text"), so the
 * -h line lines up with it; two spaces after "-h, --help" without one. */
static size_t help_column(const char *options)
{
	const char *gap = options ? strstr(options + 2, "  ") : NULL;
	const char *nl = options ? strchr(options, '\n') : NULL;
	size_t col;

	if (!gap || (nl && gap > nl))
		return 12;
	col = (size_t)(gap - options);
	while (gap[0] == ' ')
		gap++, col++;
	return col > 14 && col < 40 ? col - 2 : 12;
}

static void print_help(FILE *f, const char *path, const struct cli_command *c)
{
	if (c->sub) {
		size_t w = 0;

		fprintf(f, "usage: %s%s COMMAND [ARGS...]\n", path,
			c->options ? " [OPTIONS]" : "");
		if (c->summary)
			fprintf(f, "\n%s\n", c->summary);
		if (c->options)
			fprintf(f, "\noptions:\n%s", c->options);
		for (const struct cli_command *const *s = c->sub; *s; s++)
			if (strlen((*s)->name) > w)
				w = strlen((*s)->name);
		fprintf(f, "\ncommands:\n");
		for (const struct cli_command *const *s = c->sub; *s; s++)
			fprintf(f, "  %-*s  %s\n", (int)w, (*s)->name,
				(*s)->summary ? (*s)->summary : "");
		fprintf(f,
			"\nA command may be abbreviated to a prefix of its name that no other command shares.\n'%s COMMAND --help' shows a command's arguments and options.\n",
			path);
		return;
	}
	print_usage_lines(f, path, c);
	if (c->summary)
		fprintf(f, "\n%s\n", c->summary);
	fprintf(f, "\noptions:\n%s  %-*s%s\n", c->options ? c->options : "",
		(int)help_column(c->options), "-h, --help", "this help");
}

int cli_bad_usage(void)
{
	if (running) {
		print_usage_lines(stderr, running_path, running);
		fprintf(stderr, "('%s --help' for more)\n", running_path);
	}
	return EXIT_USAGE;
}

/* The subcommand @word names: exact, or the only one it is a prefix of. */
static int find_sub(const struct cli_command *group, const char *path,
		    const char *word, const struct cli_command **ret)
{
	const struct cli_command *hit = NULL;
	char names[256] = "";
	size_t off = 0, n = 0;

	for (const struct cli_command *const *s = group->sub; *s; s++) {
		if (!strcmp(word, (*s)->name)) {
			*ret = *s;
			return 0;
		}
		if (*word && !strncmp(word, (*s)->name, strlen(word))) {
			hit = *s;
			n++;
		}
	}
	if (n == 1) {
		*ret = hit;
		return 0;
	}
	for (const struct cli_command *const *s = group->sub; *s; s++) {
		if (n > 1 && strncmp(word, (*s)->name, strlen(word)))
			continue;
		if (off < sizeof(names))
			off += (size_t)snprintf(names + off,
						sizeof(names) - off, "%s%s",
						off ? ", " : "", (*s)->name);
	}
	if (n > 1)
		fprintf(stderr,
			"sriovctl: error: '%s' is ambiguous in '%s': it begins %s; give more letters\n",
			word, path, names);
	else
		fprintf(stderr,
			"sriovctl: error: unknown command '%s' in '%s' (expected %s, or help)\n",
			word, path, names);
	return EXIT_USAGE;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

/* "help A B": the help of the command that the words A B name. */
static int help_of(const struct cli_command *cmd, const char *path, int argc,
		   char **argv)
{
	char p[128];

	snprintf(p, sizeof(p), "%s", path);
	for (int i = 0; i < argc && cmd->sub; i++) {
		const struct cli_command *sub;
		size_t len = strlen(p);

		if (find_sub(cmd, p, argv[i], &sub))
			return EXIT_USAGE;
		snprintf(p + len, sizeof(p) - len, " %s", sub->name);
		cmd = sub;
	}
	print_help(stdout, p, cmd);
	return 0;
}

int cli_dispatch(struct cli *cli, const struct cli_command *cmd,
		 const char *path, int argc, char **argv)
{
	const struct cli_command *sub;
	char sub_path[128];
	int r;

	if (!cmd->sub) {
		if (wants_help(argc, argv)) {
			print_help(stdout, path, cmd);
			return 0;
		}
		running = cmd;
		snprintf(running_path, sizeof(running_path), "%s", path);
		return cmd->run(cli, argc, argv);
	}
	argc--, argv++;
	if (cmd->group_opts && argc > 0 && argv[0][0] == '-' &&
	    strcmp(argv[0], "-h") && strcmp(argv[0], "--help")) {
		r = cmd->group_opts(cli, &argc, &argv);
		if (r)
			return r;
	}
	if (argc < 1) {
		print_help(stderr, path, cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "-h") ||
	    !strcmp(argv[0], "--help")) {
		/* "help [COMMAND...]": the help of that command */
		if (!strcmp(argv[0], "help"))
			return help_of(cmd, path, argc - 1, argv + 1);
		print_help(stdout, path, cmd);
		return 0;
	}
	if (find_sub(cmd, path, argv[0], &sub))
		return EXIT_USAGE;
	snprintf(sub_path, sizeof(sub_path), "%s %s", path, sub->name);
	return cli_dispatch(cli, sub, sub_path, argc, argv);
}
