/* SPDX-License-Identifier: MIT */
/* yaml_doc_load(): one bounded YAML document (config/yamldoc.h). */
#include <errno.h>
#include <string.h>
#include <yaml.h>

#include "config/yamldoc.h"
#include "util/banned.h"

static int syntax_error(const char *path, const yaml_parser_t *p,
			struct sriov_error *err)
{
	if (p->error == YAML_MEMORY_ERROR)
		return sriov_error_set(err, -ENOMEM, "%s: out of memory", path);
	return sriov_error_set_at(
		err, -EINVAL, path, (unsigned)p->problem_mark.line + 1,
		(unsigned)p->problem_mark.column + 1, "invalid YAML: %s%s%s",
		p->problem ? p->problem : "syntax error", p->context ? " " : "",
		p->context ? p->context : "");
}

int yaml_doc_load(const char *path, const char *buf, size_t len,
		  yaml_document_t *doc, struct sriov_error *err)
{
	yaml_parser_t p;
	int r;

	memset(doc, 0, sizeof(*doc));
	if (!yaml_parser_initialize(&p))
		return sriov_error_set(err, -ENOMEM, "%s: out of memory", path);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, doc)) {
		r = syntax_error(path, &p, err);
		yaml_parser_delete(&p);
		memset(doc, 0, sizeof(*doc));
		return r;
	}
	yaml_parser_delete(&p);
	return 0;
}
