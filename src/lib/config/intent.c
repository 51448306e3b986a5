/* SPDX-License-Identifier: MIT */
/*
 * The partition intent (YAML): what other tools write, and what
 * `sriovctl fabric render` turns into partitions.conf. Strict: every key
 * is known, every value has one type, every problem names file:line:col.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include <sriov/partitions.h>

#include "config/yamldoc.h"
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

struct ictx {
	yaml_document_t *doc;
	const char *file;
	struct sriov_error *err;
};

#define FAIL(c, node, ...)                                          \
	sriov_error_set_at((c)->err, -EINVAL, (c)->file,            \
			   (unsigned)(node)->start_mark.line + 1,   \
			   (unsigned)(node)->start_mark.column + 1, \
			   __VA_ARGS__)

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
		       (const char *)n->data.scalar.value :
		       NULL;
}

static int get_uint(struct ictx *c, yaml_node_t *n, const char *key,
		    uint64_t max, uint64_t *ret)
{
	const char *s = scalar(n);
	uint64_t v;

	if (!s || parse_u64(s, 0, &v) < 0 || v > max ||
	    (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return FAIL(c, n,
			    "'%s' must be a number 0..%" PRIu64
			    " (hex 0x.. or decimal), got '%s'",
			    key, max, s ? s : "a list or mapping");
	*ret = v;
	return 0;
}

static int get_bool(struct ictx *c, yaml_node_t *n, const char *key, bool *ret)
{
	const char *s = scalar(n);

	if (s && !strcmp(s, "true"))
		*ret = true;
	else if (s && !strcmp(s, "false"))
		*ret = false;
	else
		return FAIL(c, n, "'%s' must be true or false, got '%s'", key,
			    s ? s : "a list or mapping");
	return 0;
}

static int get_membership(struct ictx *c, yaml_node_t *n, const char *key,
			  enum sriov_membership *ret)
{
	const char *s = scalar(n);

	if (sriov_membership_from_name(s, ret) < 0)
		return FAIL(c, n,
			    "'%s' must be full, limited or both, got '%s'", key,
			    s ? s : "a list or mapping");
	return 0;
}

static int parse_member(struct ictx *c, yaml_node_t *n,
			struct sriov_prtn_member *m, bool *explicit_ms)
{
	bool have_who = false;

	if (n->type != YAML_MAPPING_NODE)
		return FAIL(
			c, n,
			"a member must be a mapping {guid: 0x..., membership: full|limited|both} or {group: ALL|ALL_CAS|ALL_SWITCHES|ALL_ROUTERS|SELF, ...}");
	m->line = (unsigned)n->start_mark.line + 1;
	m->column = (unsigned)n->start_mark.column + 1;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
		const char *key = scalar(k);
		int r;

		if (key && !strcmp(key, "guid")) {
			if (have_who)
				return FAIL(
					c, k,
					"a member has one of 'guid' or 'group', not both");
			r = get_uint(c, v, "guid", UINT64_MAX, &m->guid);
			if (r < 0)
				return r;
			if (!m->guid || m->guid == UINT64_MAX)
				return FAIL(
					c, v,
					"guid 0x%016" PRIx64
					" is not a port GUID (all-zero and all-ones are invalid)",
					m->guid);
			m->kind = SRIOV_MEMBER_GUID;
			have_who = true;
		} else if (key && !strcmp(key, "group")) {
			if (have_who)
				return FAIL(
					c, k,
					"a member has one of 'guid' or 'group', not both");
			if (sriov_member_kind_from_name(scalar(v), &m->kind) <
			    0)
				return FAIL(
					c, v,
					"unknown group '%s' (expected ALL, ALL_CAS, ALL_SWITCHES, ALL_ROUTERS or SELF)",
					scalar(v) ? scalar(v) : "");
			have_who = true;
		} else if (key && !strcmp(key, "membership")) {
			r = get_membership(c, v, "membership", &m->membership);
			if (r < 0)
				return r;
			*explicit_ms = true;
		} else {
			return FAIL(
				c, k,
				"unknown member key '%s' (expected guid, group, membership)",
				key ? key : "");
		}
	}
	if (!have_who)
		return FAIL(c, n, "a member needs 'guid' or 'group'");
	return 0;
}

static int parse_one_scope(struct ictx *c, yaml_node_t *v,
			   struct sriov_prtn_flags *f)
{
	uint64_t x;
	int r;

	r = get_uint(c, v, "scope", 15, &x);
	if (r < 0)
		return r;
	if (!x)
		return FAIL(c, v, "'scope' must be 1..15");
	f->scope_mask |= 1u << x;
	f->given |= SRIOV_FLAG_SCOPE;
	return 0;
}

/* scope: N, or scope: [N, ...]: a list of numbers, not of lists, so no
 * depth of [[[...]]] recurses */
static int parse_scope(struct ictx *c, yaml_node_t *v,
		       struct sriov_prtn_flags *f)
{
	int r;

	if (v->type != YAML_SEQUENCE_NODE)
		return parse_one_scope(c, v, f);
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		r = parse_one_scope(c, yaml_document_get_node(c->doc, *it), f);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_partition(struct ictx *c, yaml_node_t *n,
			   struct sriov_prtn_stmt *st)
{
	yaml_node_t *members = NULL, *pkey_node = NULL;
	size_t cap = 0;
	uint64_t x;
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return FAIL(
			c, n,
			"a partition must be a mapping with name, pkey and members");
	st->line = (unsigned)n->start_mark.line + 1;
	st->column = (unsigned)n->start_mark.column + 1;
	st->defmember = SRIOV_MEMBER_LIMITED;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
	     pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);
		const char *key = scalar(k);

		r = 0;
		if (!key) {
			return FAIL(c, k, "keys must be plain words");
		} else if (!strcmp(key, "name")) {
			if (!scalar(v) || !*scalar(v))
				return FAIL(c, v, "'name' must be a word");
			free(st->name);
			st->name = strdup(scalar(v));
			if (!st->name)
				return -ENOMEM;
		} else if (!strcmp(key, "pkey")) {
			struct sriov_error e = { 0 };
			uint16_t pk;

			if (sriov_pkey_parse(scalar(v), &pk, &e) < 0)
				return FAIL(c, v, "%s", e.msg);
			if (pk & SRIOV_PKEY_FULL)
				return FAIL(
					c, v,
					"pkey '%s' has the membership bit 0x8000: give the partition (0x%04x) and set membership per member",
					scalar(v), sriov_pkey_base(pk));
			st->pkey = pk;
			st->pkey_given = true;
			pkey_node = v;
		} else if (!strcmp(key, "ipoib")) {
			r = get_bool(c, v, key, &st->ipoib);
		} else if (!strcmp(key, "indx0")) {
			r = get_bool(c, v, key, &st->indx0);
		} else if (!strcmp(key, "defmember")) {
			r = get_membership(c, v, key, &st->defmember);
			st->defmember_given = true;
		} else if (!strcmp(key, "mtu")) {
			r = get_uint(c, v, key, 5, &x);
			if (!r && !x)
				return FAIL(
					c, v,
					"'mtu' must be 1..5 (IBA MTU code: 4 = 2048, 5 = 4096)");
			st->flags.mtu = x;
			st->flags.given |= SRIOV_FLAG_MTU;
		} else if (!strcmp(key, "rate")) {
			r = get_uint(c, v, key, 63, &x);
			if (!r && !x)
				return FAIL(
					c, v,
					"'rate' must be an IBA rate code 2..63 (3 = 10 Gb/s)");
			st->flags.rate = x;
			st->flags.given |= SRIOV_FLAG_RATE;
		} else if (!strcmp(key, "sl")) {
			r = get_uint(c, v, key, 15, &x);
			st->flags.sl = x;
			st->flags.given |= SRIOV_FLAG_SL;
		} else if (!strcmp(key, "scope")) {
			r = parse_scope(c, v, &st->flags);
		} else if (!strcmp(key, "members")) {
			if (v->type != YAML_SEQUENCE_NODE)
				return FAIL(c, v, "'members' must be a list");
			members = v;
		} else {
			return FAIL(
				c, k,
				"unknown partition key '%s' (expected name, pkey, ipoib, indx0, defmember, mtu, rate, sl, scope, members)",
				key);
		}
		if (r < 0)
			return r;
	}
	if (!st->name)
		return FAIL(c, n, "partition without 'name'");
	if (!st->pkey_given)
		return FAIL(c, n, "partition '%s' without 'pkey'", st->name);
	if (!strcmp(st->name, "Default") != (st->pkey == SRIOV_PKEY_DEFAULT))
		return FAIL(
			c, pkey_node,
			"the Default partition is 0x7fff, and 0x7fff is named Default ('%s' has 0x%04x)",
			st->name, st->pkey);
	if (!members)
		return FAIL(
			c, n,
			"partition '%s' has no 'members' (OpenSM drops a partition without members)",
			st->name);
	for (yaml_node_item_t *it = members->data.sequence.items.start;
	     it < members->data.sequence.items.top; it++) {
		struct sriov_prtn_member *m;
		bool explicit_ms = false;

		if (grow_array((void **)&st->members, &cap, st->n_members,
			       sizeof(*st->members)) < 0)
			return -ENOMEM;
		m = &st->members[st->n_members++];
		memset(m, 0, sizeof(*m));
		r = parse_member(c, yaml_document_get_node(c->doc, *it), m,
				 &explicit_ms);
		if (r < 0)
			return r;
		if (!explicit_ms)
			m->membership = st->defmember;
		m->explicit_membership = true;
	}
	if (!st->n_members)
		return FAIL(
			c, members,
			"partition '%s' has an empty member list (OpenSM drops a partition without members)",
			st->name);
	return 0;
}

static int intent_doc(struct ictx *c, struct sriov_partitions *pc)
{
	yaml_node_t *root = yaml_document_get_root_node(c->doc), *list = NULL;
	size_t cap = 0;
	int r;

	if (!root)
		return sriov_error_set(
			c->err, -EINVAL,
			"%s: empty intent (expected 'partitions:')", c->file);
	if (root->type != YAML_MAPPING_NODE)
		return FAIL(c, root, "expected a mapping with 'partitions:'");
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
		const char *key = scalar(k);

		if (!key || strcmp(key, "partitions"))
			return FAIL(
				c, k,
				"unknown top-level key '%s' (expected 'partitions')",
				key ? key : "");
		list = yaml_document_get_node(c->doc, pr->value);
	}
	if (!list || list->type != YAML_SEQUENCE_NODE)
		return FAIL(c, list ? list : root,
			    "'partitions' must be a list of partitions");
	for (yaml_node_item_t *it = list->data.sequence.items.start;
	     it < list->data.sequence.items.top; it++) {
		yaml_node_t *n = yaml_document_get_node(c->doc, *it);
		struct sriov_prtn_stmt *st;

		if (grow_array((void **)&pc->stmts, &cap, pc->n_stmts,
			       sizeof(*pc->stmts)) < 0)
			return -ENOMEM;
		st = &pc->stmts[pc->n_stmts++];
		memset(st, 0, sizeof(*st));
		r = parse_partition(c, n, st);
		if (r < 0)
			return r;
		for (size_t i = 0; i + 1 < pc->n_stmts; i++) {
			if (!strcmp(pc->stmts[i].name, st->name))
				return FAIL(
					c, n,
					"partition name '%s' again (first on line %u)",
					st->name, pc->stmts[i].line);
			if (pc->stmts[i].pkey == st->pkey)
				return FAIL(
					c, n,
					"pkey 0x%04x again (partition '%s', line %u)",
					st->pkey, pc->stmts[i].name,
					pc->stmts[i].line);
		}
	}
	if (!pc->n_stmts)
		return FAIL(
			c, list,
			"no partitions: an empty partitions.conf makes OpenSM open the whole fabric");
	return 0;
}

int sriov_intent_parse(const char *buf, size_t len, const char *file,
		       struct sriov_partitions *ret, struct sriov_error *err)
{
	struct ictx c = { .file = file ? file : "<intent>", .err = err };
	yaml_document_t doc;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->file = strdup(c.file);
	if (!ret->file)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	r = yaml_doc_load(c.file, buf, len, &doc, err);
	if (r < 0) {
		sriov_partitions_release(ret);
		return r;
	}
	c.doc = &doc;
	r = intent_doc(&c, ret);
	yaml_document_delete(&doc);
	if (r == -ENOMEM)
		sriov_error_set(err, r, "out of memory reading '%s'", c.file);
	if (r < 0)
		sriov_partitions_release(ret);
	return r;
}
