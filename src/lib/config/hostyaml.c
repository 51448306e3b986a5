/* SPDX-License-Identifier: MIT */
/* host.yaml: shape checks over libyaml's document tree. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/hostyaml.h"
#include "config/yamldoc.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

static const char *const pf_keys[] = { "pci",	 "name",   "vendor", "device",
				       "numvfs", "driver", "vfs",    NULL };
static const char *const vf_keys[] = {
	"vf",	     "mac",	  "vlan",      "qos",	      "proto",
	"spoofchk",  "trust",	  "state",     "min_tx_rate", "max_tx_rate",
	"query_rss", "node_guid", "port_guid", "driver",      NULL
};

#define PF_KEYS_TEXT "pci, name, vendor, device, numvfs, driver or vfs"
#define VF_KEYS_TEXT                                                       \
	"vf, mac, vlan, qos, proto, spoofchk, trust, state, min_tx_rate, " \
	"max_tx_rate, query_rss, node_guid, port_guid or driver"

struct ctx {
	yaml_document_t *doc;
	const char *path;
	struct sriov_error *err;
};

static int at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int at(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[SRIOV_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sriov_error_set_at(c->err, -EINVAL, c->path,
				  (unsigned)n->start_mark.line + 1,
				  (unsigned)n->start_mark.column + 1, "%s",
				  msg);
}

static bool known(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (!strcmp(*keys, k))
			return true;
	return false;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

static int add_kv(struct host_kv **arr, size_t *n, size_t *cap, const char *key,
		  const yaml_node_t *v)
{
	struct host_kv *kv;

	if (grow_array((void **)arr, cap, *n + 1, sizeof(**arr)) < 0)
		return -ENOMEM;
	kv = &(*arr)[*n];
	kv->key = strdup(key);
	kv->val = strdup((const char *)v->data.scalar.value);
	kv->line = (unsigned)v->start_mark.line + 1;
	kv->col = (unsigned)v->start_mark.column + 1;
	if (!kv->key || !kv->val) {
		free(kv->key);
		free(kv->val);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

static int parse_range(struct ctx *c, const yaml_node_t *v,
		       struct host_vfs *out)
{
	const char *s = (const char *)v->data.scalar.value;
	_cleanup_free_ char *a = strdup(s);
	char *dash;
	uint64_t first, last;

	if (!a)
		return sriov_error_set(c->err, -ENOMEM, "out of memory");
	dash = strchr(a, '-');
	if (dash)
		*dash = '\0';
	if (parse_u64(a, 10, &first) < 0 || first > 65535 ||
	    (dash && (parse_u64(dash + 1, 10, &last) < 0 || last > 65535)))
		return at(
			c, v,
			"invalid vf '%s' (expected an index such as 3, or a range such as 0-7)%s",
			s, "");
	if (!dash)
		last = first;
	if (last < first)
		return at(c, v, "invalid vf range '%s': %s", s,
			  "the end is below the start");
	out->first = (unsigned)first;
	out->last = (unsigned)last;
	out->line = (unsigned)v->start_mark.line + 1;
	out->col = (unsigned)v->start_mark.column + 1;
	return 0;
}

static int parse_vf(struct ctx *c, const yaml_node_t *n, struct host_vfs *out)
{
	size_t cap = 0;
	bool have_vf = false;
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return at(
			c, n,
			"a vfs entry must be a mapping with vf: and settings, not %s%s",
			node_kind(n), "");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *key;

		if (k->type != YAML_SCALAR_NODE)
			return at(c, k, "a key must be a word, not %s%s",
				  node_kind(k), "");
		key = (const char *)k->data.scalar.value;
		if (!known(vf_keys, key))
			return at(
				c, k,
				"unknown key '%s' in a vfs entry (expected %s)",
				key, VF_KEYS_TEXT);
		if (v->type != YAML_SCALAR_NODE)
			return at(c, v, "'%s' takes a value, not %s", key,
				  node_kind(v));
		if (host_kv_get(out->kv, out->n_kv, key) ||
		    (!strcmp(key, "vf") && have_vf))
			return at(c, k, "'%s' is given twice%s", key, "");
		if (!strcmp(key, "vf")) {
			r = parse_range(c, v, out);
			if (r < 0)
				return r;
			have_vf = true;
			continue;
		}
		r = add_kv(&out->kv, &out->n_kv, &cap, key, v);
		if (r < 0)
			return sriov_error_set(c->err, r, "out of memory");
	}
	if (!have_vf)
		return at(
			c, n,
			"a vfs entry needs vf: (an index such as 3, or a range such as 0-7)%s%s",
			"", "");
	return 0;
}

static int parse_pf(struct ctx *c, const yaml_node_t *n, struct host_pf *out)
{
	size_t cap = 0, vcap = 0;
	int r;

	out->line = (unsigned)n->start_mark.line + 1;
	out->col = (unsigned)n->start_mark.column + 1;
	if (n->type != YAML_MAPPING_NODE)
		return at(
			c, n,
			"a pfs entry must be a mapping (pci:, name: or vendor: and device:, then numvfs:, driver:, vfs:), not %s%s",
			node_kind(n), "");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *key;

		if (k->type != YAML_SCALAR_NODE)
			return at(c, k, "a key must be a word, not %s%s",
				  node_kind(k), "");
		key = (const char *)k->data.scalar.value;
		if (!known(pf_keys, key))
			return at(
				c, k,
				"unknown key '%s' in a pfs entry (expected %s)",
				key, PF_KEYS_TEXT);
		if (host_kv_get(out->kv, out->n_kv, key) ||
		    (!strcmp(key, "vfs") && out->vfs))
			return at(c, k, "'%s' is given twice%s", key, "");
		if (!strcmp(key, "vfs")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return at(
					c, v,
					"vfs must be a list of entries (- vf: 0-7 ...), not %s%s",
					node_kind(v), "");
			for (yaml_node_item_t *i = v->data.sequence.items.start;
			     i < v->data.sequence.items.top; i++) {
				if (grow_array((void **)&out->vfs, &vcap,
					       out->n_vfs + 1,
					       sizeof(*out->vfs)) < 0)
					return sriov_error_set(c->err, -ENOMEM,
							       "out of memory");
				memset(&out->vfs[out->n_vfs], 0,
				       sizeof(*out->vfs));
				out->n_vfs++;
				r = parse_vf(c,
					     yaml_document_get_node(c->doc, *i),
					     &out->vfs[out->n_vfs - 1]);
				if (r < 0)
					return r;
			}
			if (!out->vfs) { /* "vfs: []": empty, not absent */
				out->vfs = calloc(1, sizeof(*out->vfs));
				if (!out->vfs)
					return sriov_error_set(c->err, -ENOMEM,
							       "out of memory");
			}
			continue;
		}
		if (v->type != YAML_SCALAR_NODE)
			return at(c, v, "'%s' takes a value, not %s", key,
				  node_kind(v));
		r = add_kv(&out->kv, &out->n_kv, &cap, key, v);
		if (r < 0)
			return sriov_error_set(c->err, r, "out of memory");
	}
	if (!host_kv_get(out->kv, out->n_kv, "pci") &&
	    !host_kv_get(out->kv, out->n_kv, "name") &&
	    !host_kv_get(out->kv, out->n_kv, "vendor"))
		return at(
			c, n,
			"a pfs entry must say which PF: pci: ADDRESS, name: NETDEV, or vendor: and device: ids%s%s",
			"", "");
	if (!!host_kv_get(out->kv, out->n_kv, "vendor") !=
	    !!host_kv_get(out->kv, out->n_kv, "device"))
		return at(c, n, "vendor: and device: go together%s%s", "", "");
	return 0;
}

static int parse_root(struct ctx *c, struct host_file *h)
{
	yaml_node_t *root = yaml_document_get_root_node(c->doc);
	size_t cap = 0;
	int r;

	if (!root)
		return sriov_error_set_at(
			c->err, -EINVAL, c->path, 1, 1,
			"empty file (expected pfs: with a list of PFs)");
	if (root->type != YAML_MAPPING_NODE)
		return at(c, root,
			  "the top level must be a mapping with pfs:, not %s%s",
			  node_kind(root), "");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);

		if (k->type != YAML_SCALAR_NODE ||
		    strcmp((const char *)k->data.scalar.value, "pfs"))
			return at(c, k,
				  "unknown top-level key '%s' (expected %s)",
				  k->type == YAML_SCALAR_NODE ?
					  (const char *)k->data.scalar.value :
					  "?",
				  "pfs");
		if (v->type != YAML_SEQUENCE_NODE)
			return at(
				c, v,
				"pfs must be a list of PFs (- pci: ...), not %s%s",
				node_kind(v), "");
		for (yaml_node_item_t *i = v->data.sequence.items.start;
		     i < v->data.sequence.items.top; i++) {
			if (grow_array((void **)&h->pfs, &cap, h->n_pfs + 1,
				       sizeof(*h->pfs)) < 0)
				return sriov_error_set(c->err, -ENOMEM,
						       "out of memory");
			memset(&h->pfs[h->n_pfs], 0, sizeof(*h->pfs));
			h->n_pfs++;
			r = parse_pf(c, yaml_document_get_node(c->doc, *i),
				     &h->pfs[h->n_pfs - 1]);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int host_parse(const char *path, const char *buf, size_t len,
	       struct host_file *ret, struct sriov_error *err)
{
	struct host_file h = { 0 };
	yaml_document_t doc;
	struct ctx c = { .doc = &doc, .path = path, .err = err };
	int r;

	r = yaml_doc_load(path, buf, len, &doc, err);
	if (r < 0)
		return r;
	h.path = strdup(path);
	r = h.path ? parse_root(&c, &h) :
		     sriov_error_set(err, -ENOMEM, "out of memory");
	yaml_document_delete(&doc);
	if (r < 0) {
		host_file_release(&h);
		return r;
	}
	*ret = h;
	return 0;
}

static void kv_free(struct host_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].val);
	}
	free(kv);
}

void host_file_release(struct host_file *h)
{
	for (size_t i = 0; i < h->n_pfs; i++) {
		struct host_pf *pf = &h->pfs[i];

		kv_free(pf->kv, pf->n_kv);
		for (size_t j = 0; j < pf->n_vfs; j++)
			kv_free(pf->vfs[j].kv, pf->vfs[j].n_kv);
		free(pf->vfs);
	}
	free(h->pfs);
	free(h->path);
	memset(h, 0, sizeof(*h));
}

const struct host_kv *host_kv_get(const struct host_kv *kv, size_t n,
				  const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return &kv[i];
	return NULL;
}
