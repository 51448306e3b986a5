/* SPDX-License-Identifier: MIT */
/*
 * For tests/nova/conf.py: each nova.conf named on the command line as our
 * library reads it, one JSON object per line:
 *   {"file", "refused", "line", "device_spec": [...], "alias": [...]}
 * "refused" and "line" come from sriov_nova_check() (what nova check
 * reports), the values from sriov_nova_conf_load(); the two must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

static int dump(const char *path)
{
	struct sriov_nova_report rep = { 0 };
	struct sriov_nova_conf conf = { 0 };
	struct sriov_error err = { 0 };
	json_t *o, *spec, *alias;
	int refused_line = 0, r;

	r = sriov_nova_check(NULL, path, NULL, &rep, &err);
	if (r < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	for (size_t i = 0; i < rep.n; i++)
		if (!rep.problems[i].option)
			refused_line = (int)rep.problems[i].line;
	sriov_nova_report_release(&rep);
	r = sriov_nova_conf_load(path, &conf, &err);
	if ((r < 0) != (refused_line > 0)) {
		fprintf(stderr, "%s: check and load disagree (%s)\n", path,
			err.msg);
		return 1;
	}
	spec = json_array();
	alias = json_array();
	for (size_t i = 0; r == 0 && i < conf.n; i++)
		json_array_append_new(
			conf.values[i].option == SRIOV_NOVA_ALIAS ? alias :
								    spec,
			json_stringn(conf.values[i].value, conf.values[i].len));
	sriov_nova_conf_release(&conf);
	o = json_pack("{s:s,s:b,s:o,s:o,s:o}", "file", path, "refused",
		      refused_line > 0, "line",
		      refused_line ? json_integer(refused_line) : json_null(),
		      "device_spec", spec, "alias", alias);
	if (!o)
		return 1;
	json_dumpf(o, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(o);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0;

	for (int i = 1; i < argc; i++)
		bad |= dump(argv[i]);
	return bad;
}
