/* SPDX-License-Identifier: MIT */
/* yaml_doc_load(): one bounded YAML document (config/yamldoc.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
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

/*
 * The events of the whole stream, before the tree is built: an alias or a
 * second document is refused at its own position (the tree keeps neither),
 * and so is a syntax error anywhere in the stream.
 */
static int scan(const char *path, const char *buf, size_t len,
		struct sriov_error *err)
{
	yaml_parser_t p;
	yaml_event_t e;
	unsigned docs = 0;
	int r = 0;

	if (!yaml_parser_initialize(&p))
		return sriov_error_set(err, -ENOMEM, "%s: out of memory", path);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	for (;;) {
		bool end;

		if (!yaml_parser_parse(&p, &e)) {
			/* here, not in the loader: it stops at the first
			 * document and would not see one in a second */
			r = syntax_error(path, &p, err);
			break;
		}
		if (e.type == YAML_ALIAS_EVENT) {
			r = sriov_error_set_at(
				err, -EINVAL, path,
				(unsigned)e.start_mark.line + 1,
				(unsigned)e.start_mark.column + 1,
				"the alias *%s: YAML aliases are not accepted (write the value out where it is used)",
				(const char *)e.data.alias.anchor);
		} else if (e.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			r = sriov_error_set_at(
				err, -EINVAL, path,
				(unsigned)e.start_mark.line + 1,
				(unsigned)e.start_mark.column + 1,
				"a second YAML document: the file holds one (remove this '---' and what follows, or merge them)");
		}
		end = e.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&e);
		if (r < 0 || end)
			break;
	}
	yaml_parser_delete(&p);
	return r;
}

static int cmp_key(const void *a, const void *b)
{
	const yaml_node_t *x = *(const yaml_node_t *const *)a,
			  *y = *(const yaml_node_t *const *)b;
	int c = strcmp((const char *)x->data.scalar.value,
		       (const char *)y->data.scalar.value);

	if (c)
		return c;
	return x->start_mark.index < y->start_mark.index ?
		       -1 :
		       x->start_mark.index > y->start_mark.index;
}

/*
 * A key given twice in one mapping: YAML forbids it, libyaml keeps both,
 * and a walker would read the second over the first (merged, or the first
 * lost). Sorted, so a mapping of many keys costs n log n.
 */
static int unique_keys(const char *path, yaml_document_t *doc,
		       struct sriov_error *err)
{
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
		size_t k = 0, np;
		const yaml_node_t **keys;

		if (n->type != YAML_MAPPING_NODE)
			continue;
		np = (size_t)(n->data.mapping.pairs.top -
			      n->data.mapping.pairs.start);
		if (np < 2)
			continue;
		keys = malloc(np * sizeof(*keys));
		if (!keys)
			return sriov_error_set(err, -ENOMEM,
					       "%s: out of memory", path);
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++) {
			yaml_node_t *key = yaml_document_get_node(doc, pr->key);

			if (key && key->type == YAML_SCALAR_NODE)
				keys[k++] = key;
		}
		qsort(keys, k, sizeof(*keys), cmp_key);
		for (size_t i = 1; i < k; i++) {
			const yaml_node_t *a = keys[i - 1], *b = keys[i];

			if (strcmp((const char *)a->data.scalar.value,
				   (const char *)b->data.scalar.value))
				continue;
			sriov_error_set_at(
				err, -EINVAL, path,
				(unsigned)b->start_mark.line + 1,
				(unsigned)b->start_mark.column + 1,
				"'%s' is given twice (first at line %u column %u)",
				(const char *)b->data.scalar.value,
				(unsigned)a->start_mark.line + 1,
				(unsigned)a->start_mark.column + 1);
			free(keys);
			return -EINVAL;
		}
		free(keys);
	}
	return 0;
}

int yaml_doc_load(const char *path, const char *buf, size_t len,
		  yaml_document_t *doc, struct sriov_error *err)
{
	yaml_parser_t p;
	int r;

	memset(doc, 0, sizeof(*doc));
	r = scan(path, buf, len, err);
	if (r < 0)
		return r;
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
	r = unique_keys(path, doc, err);
	if (r < 0) {
		yaml_document_delete(doc);
		memset(doc, 0, sizeof(*doc));
	}
	return r;
}
