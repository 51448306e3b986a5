/* SPDX-License-Identifier: MIT */
/*
 * Parser, lint, prediction and writer of partitions.conf; intent YAML.
 * Expected values come from OpenSM's documented rules (man opensm,
 * doc/partition-config.txt) and its parser's reading of numbers (strtoul
 * base 0), not from running this code; the lab test oracle-parser.sh
 * compares with the real OpenSM.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sriov/partitions.h>

#include "util/macro.h"

static void parse(const char *text, struct sriov_partitions *pc)
{
	assert_int_equal(sriov_partitions_parse(text, strlen(text), "t.conf",
						pc, NULL),
			 0);
}

static const struct sriov_diag *first(const struct sriov_partitions *pc,
				      enum sriov_diag_level lvl)
{
	for (size_t i = 0; i < pc->n_diags; i++)
		if (pc->diags[i].level == lvl)
			return &pc->diags[i];
	return NULL;
}

static bool has_code(const struct sriov_partitions *pc, const char *code)
{
	for (size_t i = 0; i < pc->n_diags; i++)
		if (!strcmp(pc->diags[i].code, code))
			return true;
	return false;
}

static void test_pkey_model(void **state)
{
	uint16_t v;

	assert_int_equal(sriov_pkey_base(0xffff), 0x7fff);
	assert_true(sriov_pkey_is_full(0x8001));
	assert_false(sriov_pkey_is_full(0x0001));
	assert_false(sriov_pkey_is_valid(0x8000));
	assert_false(sriov_pkey_is_valid(0));
	assert_int_equal(sriov_pkey_parse("0x8100", &v, NULL), 0);
	assert_int_equal(v, 0x8100);
	assert_int_equal(sriov_pkey_parse("0100", &v, NULL), -EINVAL);
	assert_int_equal(sriov_pkey_parse("0x10000", &v, NULL), -EINVAL);
	assert_int_equal(sriov_pkey_parse("0x8000", &v, NULL), -EINVAL);
}

static void test_statements(void **state)
{
	struct sriov_partitions pc;

	/* Two statements on one line, one spanning three lines. */
	parse("Default=0x7fff, ipoib : ALL=full ; a=0x10: SELF;\n"
	      "b=0x20, defmember=full :\n"
	      "  0x0002c90300000021,\n"
	      "  0x0002c90300000031=limited ; # a comment, with ; and :\n",
	      &pc);
	assert_false(pc.fallback);
	assert_int_equal(pc.n_stmts, 3);
	assert_int_equal(pc.stmts[0].pkey, 0x7fff);
	assert_true(pc.stmts[0].ipoib);
	assert_int_equal(pc.stmts[0].members[0].kind, SRIOV_MEMBER_ALL);
	assert_int_equal(pc.stmts[0].members[0].membership, SRIOV_MEMBER_FULL);
	assert_int_equal(pc.stmts[1].members[0].kind, SRIOV_MEMBER_SELF);
	assert_int_equal(pc.stmts[1].members[0].membership,
			 SRIOV_MEMBER_LIMITED);
	assert_int_equal(pc.stmts[2].n_members, 2);
	assert_int_equal(pc.stmts[2].members[0].membership, SRIOV_MEMBER_FULL);
	assert_false(pc.stmts[2].members[0].explicit_membership);
	assert_int_equal(pc.stmts[2].members[1].membership,
			 SRIOV_MEMBER_LIMITED);
	assert_int_equal(pc.stmts[2].members[1].guid, 0x0002c90300000031ULL);
	assert_int_equal(pc.stmts[2].members[1].line, 4);
	assert_int_equal(pc.stmts[2].members[1].column, 3);
	sriov_partitions_release(&pc);
	/*
	 * A ';' alone on its line: OpenSM steps over it, reads the stale
	 * rest of the previous (longer) line, "x0002c...", and fails.
	 */
	parse("b=0x20 :\n  0x0002c90300000031=limited\n;\n", &pc);
	assert_true(pc.fallback);
	assert_true(has_code(&pc, "read-past-line"));
	assert_int_equal(first(&pc, SRIOV_DIAG_ERROR)->line, 3);
	sriov_partitions_release(&pc);
	/* Worse: a comment after a lone ';' is read as a statement. */
	parse("b=0x20 : ALL\n  ; # ends b\n", &pc);
	assert_true(pc.fallback);
	sriov_partitions_release(&pc);
	/*
	 * After "ALL=full" the stale byte is the NUL over '=': OpenSM takes
	 * the file, but what it read decides that, so it is refused.
	 */
	parse("b=0x20 :\n\tALL=full\n\t;\n", &pc);
	assert_false(pc.fallback);
	assert_true(has_code(&pc, "read-past-line"));
	sriov_partitions_release(&pc);
}

static void test_quirks(void **state)
{
	struct sriov_partitions pc;

	/* strtoul base 0: leading 0 is octal; 0100 is 64. */
	parse("t=0100 : ALL ;\n", &pc);
	assert_int_equal(pc.stmts[0].pkey, 64);
	assert_true(has_code(&pc, "octal-pkey"));
	sriov_partitions_release(&pc);
	/* "08" is not octal: OpenSM refuses the definition. */
	parse("t=08 : ALL ;\n", &pc);
	assert_true(pc.fallback);
	assert_int_equal(first(&pc, SRIOV_DIAG_ERROR)->column, 3);
	sriov_partitions_release(&pc);
	/* Prefixes: A = ALL, ALL_S = ALL_SWITCHES, =f = full, s = scope. */
	parse("t=0x1, s=2, i : A=f, ALL_S=l ;\n", &pc);
	assert_false(pc.fallback);
	assert_true(pc.stmts[0].ipoib);
	assert_true(pc.stmts[0].flags.scope_mask & (1u << 2));
	assert_int_equal(pc.stmts[0].members[0].kind, SRIOV_MEMBER_ALL);
	assert_int_equal(pc.stmts[0].members[0].membership, SRIOV_MEMBER_FULL);
	assert_int_equal(pc.stmts[0].members[1].kind,
			 SRIOV_MEMBER_ALL_SWITCHES);
	assert_true(has_code(&pc, "abbreviation"));
	sriov_partitions_release(&pc);
	/* Case matters: "all" is read as a GUID and fails. */
	parse("t=0x1 : all ;\n", &pc);
	assert_true(pc.fallback);
	assert_int_equal(first(&pc, SRIOV_DIAG_ERROR)->line, 1);
	assert_int_equal(first(&pc, SRIOV_DIAG_ERROR)->column, 9);
	sriov_partitions_release(&pc);
	/* Unknown flag: a warning, not an error. */
	parse("t=0x1, bogus : ALL ;\n", &pc);
	assert_false(pc.fallback);
	assert_true(has_code(&pc, "unknown-flag"));
	sriov_partitions_release(&pc);
	/* The header must be on one line with its ':'. */
	parse("t=0x1,\n ipoib : ALL ;\n", &pc);
	assert_true(pc.fallback);
	assert_int_equal(first(&pc, SRIOV_DIAG_ERROR)->line, 1);
	sriov_partitions_release(&pc);
	/* No P-key: by name, else the next free one from 1. */
	parse("a : ALL ; b=0x1 : ALL ; c : ALL ; a : SELF ;\n", &pc);
	assert_int_equal(pc.stmts[0].pkey, 1);
	assert_int_equal(pc.stmts[1].pkey, 1);
	assert_int_equal(pc.stmts[2].pkey, 2);
	assert_int_equal(pc.stmts[3].pkey, 1);
	sriov_partitions_release(&pc);
	/* Membership bit and bits above 16 are dropped. */
	parse("t=0x18005 : ALL ;\n", &pc);
	assert_int_equal(pc.stmts[0].pkey, 5);
	sriov_partitions_release(&pc);
	/* mgid ends the member list on its line. */
	parse("t=0x1 : 0x21, mgid=ff12:401b::1, 0x31\n, 0x41 ;\n", &pc);
	assert_int_equal(pc.stmts[0].n_members, 2);
	assert_int_equal(pc.stmts[0].members[1].guid, 0x41);
	assert_int_equal(pc.stmts[0].n_mgids, 1);
	assert_true(has_code(&pc, "mgid-flag"));
	sriov_partitions_release(&pc);
	/* A CR is not blank to OpenSM. */
	parse("t=0x1 : ALL ;\r\n", &pc);
	assert_true(pc.fallback);
	sriov_partitions_release(&pc);
}

static void test_fallback(void **state)
{
	struct sriov_partitions pc;

	parse("", &pc);
	assert_true(pc.fallback);
	assert_non_null(first(&pc, SRIOV_DIAG_ERROR));
	sriov_partitions_release(&pc);
	parse("# only a comment\n   \n\t\n", &pc);
	assert_true(pc.fallback);
	sriov_partitions_release(&pc);
	/* Statement without ';' at the end of the file is accepted. */
	parse("t=0x1 : ALL", &pc);
	assert_false(pc.fallback);
	sriov_partitions_release(&pc);
}

static void test_lint(void **state)
{
	struct sriov_lint_opts o = { .table_size = 3 };
	struct sriov_partitions pc;

	parse("a=0x1 : 0x21=full ; b=0x2 : 0x21 ; c=0x3 : 0x21, 0x21=full ;\n",
	      &pc);
	assert_int_equal(sriov_partitions_lint(&pc, &o, NULL), 0);
	assert_true(has_code(&pc, "no-default"));
	assert_true(has_code(&pc, "member-twice"));
	/* Default + 3 partitions > 3 entries. */
	assert_true(has_code(&pc, "table-full"));
	sriov_partitions_release(&pc);
}

static const struct sriov_fabric_port ports[] = {
	{ 0x11, SRIOV_NODE_CA, 0 },
	{ 0x21, SRIOV_NODE_CA, 0 },
	{ 0x31, SRIOV_NODE_CA, 0 },
	{ 0xa01, SRIOV_NODE_SWITCH, 0 },
};

static void predict(const char *text, unsigned flags,
		    struct sriov_port_pkeys **t)
{
	struct sriov_partitions pc;

	parse(text, &pc);
	assert_int_equal(sriov_partitions_predict(&pc, ports, 4, 0x11, flags, t,
						  NULL),
			 0);
	sriov_partitions_release(&pc);
}

static void test_predict(void **state)
{
	struct sriov_port_pkeys *t;

	/* No Default statement: everyone limited, the SM full. */
	predict("t=0x5 : 0x21=full, 0x31 ;\n", 0, &t);
	assert_int_equal(t[0].n, 1);
	assert_int_equal(t[0].pkeys[0], 0xffff);
	assert_int_equal(t[1].n, 2);
	assert_int_equal(t[1].pkeys[0], 0x7fff);
	assert_int_equal(t[1].pkeys[1], 0x8005);
	assert_int_equal(t[2].pkeys[0], 0x0005);
	assert_int_equal(t[3].n, 1);
	assert_int_equal(t[1].index0, 0x7fff);
	sriov_port_pkeys_free(t, 4);
	/* A fatal error: the open default, every port 0xffff only. */
	predict("t=0x5 : 0x21=full ; x\n", 0, &t);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(t[i].n, 1);
		assert_int_equal(t[i].pkeys[0], 0xffff);
	}
	sriov_port_pkeys_free(t, 4);
	/* both: full only, unless allow_both_pkeys. */
	predict("Default=0x7fff : ALL=full ; t=0x5 : ALL_CAS=both ;\n", 0, &t);
	assert_int_equal(t[1].n, 2);
	assert_int_equal(t[1].pkeys[0], 0x8005);
	assert_int_equal(t[3].n, 1);
	sriov_port_pkeys_free(t, 4);
	predict("Default=0x7fff : ALL=full ; t=0x5 : ALL_CAS=both ;\n",
		SRIOV_PREDICT_ALLOW_BOTH, &t);
	assert_int_equal(t[1].n, 3);
	sriov_port_pkeys_free(t, 4);
	/* indx0 puts the partition at index 0. */
	predict("Default=0x7fff : ALL=full ; t=0x5, indx0 : 0x21 ;\n", 0, &t);
	assert_int_equal(t[1].index0, 0x0005);
	sriov_port_pkeys_free(t, 4);
}

static const struct sriov_diag *find(const struct sriov_partitions *pc,
				     const char *code)
{
	for (size_t i = 0; i < pc->n_diags; i++)
		if (!strcmp(pc->diags[i].code, code))
			return &pc->diags[i];
	return NULL;
}

/* diagnostic `code` is at line:column and its message has `text` */
static void assert_diag(const struct sriov_partitions *pc, const char *code,
			unsigned line, unsigned column, const char *text)
{
	const struct sriov_diag *d = find(pc, code);

	if (!d)
		fail_msg("no '%s' diagnostic", code);
	if (d->line != line || d->column != column)
		fail_msg("'%s' at %u:%u, want %u:%u", code, d->line, d->column,
			 line, column);
	if (text && !strstr(d->msg, text))
		fail_msg("'%s': '%s' lacks '%s'", code, d->msg, text);
}

static const struct sriov_prtn_stmt *stmt(const struct sriov_partitions *pc,
					  const char *name)
{
	for (size_t i = 0; i < pc->n_stmts; i++)
		if (pc->stmts[i].name && !strcmp(pc->stmts[i].name, name))
			return &pc->stmts[i];
	return NULL;
}

/*
 * Issue 12, class 1: OpenSM's mgroup_create() reads no flags after a GID
 * that is not multicast, and parse_part_conf() goes on just past that
 * token: what follows a ',' is a new statement, what follows its ';' the
 * next one.
 */
static void test_mgid_not_multicast(void **state)
{
	struct sriov_partitions pc;
	const struct sriov_prtn_stmt *st;

	parse("t=0x10 : ALL=full, mgid=fe80::1, rate=3 ;\n", &pc);
	assert_true(pc.fallback);
	assert_diag(&pc, "parse", 1, 34, "no partition definition found");
	assert_diag(&pc, "mgid-not-multicast", 1, 25, "'rate=3");
	sriov_partitions_release(&pc);

	/* The statement after the ';' is not swallowed as mgid flags. */
	parse("t=0x10 : 0x21=full, mgid=fe80::1 ; u=0x20 : 0x31 ;\n", &pc);
	assert_false(pc.fallback);
	st = stmt(&pc, "u");
	assert_non_null(st);
	assert_int_equal(st->n_members, 1);
	assert_int_equal(st->members[0].guid, 0x31);
	assert_int_equal(stmt(&pc, "t")->n_mgids, 0);
	assert_false(has_code(&pc, "mgid-flag"));
	sriov_partitions_release(&pc);

	/*
	 * After ',' a new statement starts that the ';' does not end: the
	 * rest of the line (c) is not read, the next line adds to b.
	 */
	parse("a=0x10 : 0x21, mgid=fe80::1, b=0x20 : 0x31 ; c=0x30 : 0x41 ;\n"
	      "0x51 ;\n",
	      &pc);
	assert_false(pc.fallback);
	assert_int_equal(pc.n_stmts, 2);
	st = stmt(&pc, "b");
	assert_non_null(st);
	assert_int_equal(st->n_members, 2);
	assert_int_equal(st->members[1].guid, 0x51);
	assert_null(stmt(&pc, "c"));
	sriov_partitions_release(&pc);

	/* No ';' on the line: its rest is not read, a goes on. */
	parse("a=0x10 : 0x21, mgid=fe80::1, 0x31\n0x41 ;\n", &pc);
	assert_false(pc.fallback);
	assert_int_equal(pc.n_stmts, 1);
	assert_int_equal(pc.stmts[0].n_members, 2);
	assert_int_equal(pc.stmts[0].members[1].guid, 0x41);
	sriov_partitions_release(&pc);
}

/*
 * Class 2: osm_prtn_find_by_name() walks OpenSM's partition map, keyed by
 * the P-key's bytes swapped on a little-endian host, so of two partitions
 * with one name the first in that order wins.
 */
static void test_name_lookup(void **state)
{
	struct sriov_partitions pc;
	struct sriov_port_pkeys *t;

	parse("Default=0x0040 : ALL_SWITCHES ;\nDefault : ALL=full ;\n", &pc);
	assert_int_equal(pc.stmts[1].pkey, 0x0040);
	assert_diag(&pc, "duplicate-name", 1, 1, "0x7fff");
	assert_diag(&pc, "ambiguous-name", 2, 1, "0x0040");
	sriov_partitions_release(&pc);
	predict("Default=0x0040 : ALL_SWITCHES ;\nDefault : ALL=full ;\n", 0,
		&t);
	assert_int_equal(t[1].n, 2);
	assert_int_equal(t[1].pkeys[0], 0x7fff);
	assert_int_equal(t[1].pkeys[1], 0x8040);
	sriov_port_pkeys_free(t, 4);

	/* 0x0100 (map key 0x0001) before 0x0003 (0x0300). */
	parse("a=0x0003 : SELF ; a=0x0100 : SELF ; a : ALL ;\n", &pc);
	assert_int_equal(pc.stmts[2].pkey, 0x0100);
	sriov_partitions_release(&pc);
	/* An auto P-key (0x0001) loses to 0x0100 as well. */
	parse("a : SELF ; a=0x0100 : SELF ; a : ALL ;\n", &pc);
	assert_int_equal(pc.stmts[0].pkey, 0x0001);
	assert_int_equal(pc.stmts[2].pkey, 0x0100);
	sriov_partitions_release(&pc);
	/* One partition of a name: no warning. */
	parse("a=0x0003 : SELF ; a : ALL ;\n", &pc);
	assert_int_equal(pc.stmts[1].pkey, 0x0003);
	assert_false(has_code(&pc, "ambiguous-name"));
	assert_false(has_code(&pc, "duplicate-name"));
	sriov_partitions_release(&pc);
}

static void predict_cap(const char *text, unsigned flags, unsigned cap,
			struct sriov_port_pkeys **t)
{
	struct sriov_fabric_port p[ARRAY_SIZE(ports)];

	memcpy(p, ports, sizeof(p));
	for (size_t i = 0; i < ARRAY_SIZE(p); i++)
		p[i].pkey_cap = cap;
	struct sriov_partitions pc;

	parse(text, &pc);
	assert_int_equal(
		sriov_partitions_predict(&pc, p, 4, 0x11, flags, t, NULL), 0);
	sriov_partitions_release(&pc);
}

static void assert_pkeys(const struct sriov_port_pkeys *t, int index0,
			 const uint16_t *want, size_t n)
{
	char got[128] = "", w[128] = "";

	for (size_t k = 0; k < t->n; k++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got),
			 " 0x%04x", t->pkeys[k]);
	for (size_t k = 0; k < n; k++)
		snprintf(w + strlen(w), sizeof(w) - strlen(w), " 0x%04x",
			 want[k]);
	if (strcmp(got, w) || t->index0 != index0)
		fail_msg(
			"port 0x%llx: got%s (index 0: 0x%04x), want%s (0x%04x)",
			(unsigned long long)t->guid, got, t->index0, w, index0);
}

/*
 * Class 3: what osm_pkey_mgr.c keeps when a table overflows. Ports hold 4
 * entries here; 0x21 is port 1.
 */
static void test_overflow(void **state)
{
	struct sriov_port_pkeys *t;

	/* Map order, not numeric order: 0x0901 (key 0x0109) first. */
	predict_cap("a=0x0901 : 0x21=full ; b=0x0802 : 0x21=full ;\n"
		    "c=0x0703 : 0x21=full ; d=0x0604 : 0x21=full ;\n",
		    0, 4, &t);
	assert_pkeys(&t[1], 0x7fff,
		     (const uint16_t[]){ 0x7fff, 0x8703, 0x8802, 0x8901 }, 4);
	sriov_port_pkeys_free(t, 4);
	/*
	 * indx0: its P-key (0x02ff, late in map order) still takes index 0;
	 * the default P-key, moved off index 0, comes last and is dropped.
	 */
	predict_cap(
		"Default=0x7fff : ALL=full ; x=0x02ff, indx0 : 0x21=full ;\n"
		"p=0x0101 : 0x21=full ; q=0x0202 : 0x21=full ;\n"
		"r=0x0303 : 0x21=full ; s=0x0404 : 0x21=full ;\n",
		0, 4, &t);
	assert_pkeys(&t[1], 0x82ff,
		     (const uint16_t[]){ 0x8101, 0x8202, 0x82ff, 0x8303 }, 4);
	assert_pkeys(&t[2], 0xffff, (const uint16_t[]){ 0xffff }, 1);
	sriov_port_pkeys_free(t, 4);
	/* allow_both_pkeys, =both: limited then full, partition by partition. */
	predict_cap("Default=0x7fff : ALL=full ;\n"
		    "p=0x0123 : 0x21=both ; q=0x0246 : 0x21=both ;\n",
		    SRIOV_PREDICT_ALLOW_BOTH, 4, &t);
	assert_pkeys(&t[1], 0xffff,
		     (const uint16_t[]){ 0x0123, 0x0246, 0x8123, 0xffff }, 4);
	sriov_port_pkeys_free(t, 4);
	/*
	 * allow_both_pkeys without a Default statement: a port's limited
	 * 0x7fff is new to its table, goes last and is dropped; index 0
	 * stays empty. The SM port keeps 0xffff at index 0.
	 */
	predict_cap("p=0x0101 : ALL=full ; q=0x0202 : ALL=full ;\n"
		    "r=0x0303 : ALL=full ; s=0x0404 : ALL=full ;\n",
		    SRIOV_PREDICT_ALLOW_BOTH, 4, &t);
	assert_pkeys(&t[1], 0, (const uint16_t[]){ 0x8101, 0x8202, 0x8303 }, 3);
	assert_pkeys(&t[0], 0xffff,
		     (const uint16_t[]){ 0x8101, 0x8202, 0x8303, 0xffff }, 4);
	sriov_port_pkeys_free(t, 4);
	/* The same without allow_both_pkeys: 0x7fff stays at index 0. */
	predict_cap("p=0x0101 : ALL=full ; q=0x0202 : ALL=full ;\n"
		    "r=0x0303 : ALL=full ; s=0x0404 : ALL=full ;\n",
		    0, 4, &t);
	assert_pkeys(&t[1], 0x7fff,
		     (const uint16_t[]){ 0x7fff, 0x8101, 0x8202, 0x8303 }, 4);
	sriov_port_pkeys_free(t, 4);
}

/*
 * Class 4: where OpenSM's parser reads past the bytes fgets() stored for
 * the line, the file is refused; where it reads bytes no line wrote its
 * outcome is undefined and nothing is predicted.
 */
static void test_read_past(void **state)
{
	struct sriov_partitions pc;
	struct sriov_port_pkeys *t = NULL;
	struct sriov_error err = { 0 };
	char big[4200];
	size_t n;

	/* The mgid ends the longest line so far: undefined. */
	parse("Default=0x7fff : ALL=full ;\nt=0x10 : 0x21, mgid=ff12:401b::1\n"
	      ", 0x31 ;\n",
	      &pc);
	assert_true(pc.undefined);
	assert_false(pc.fallback);
	assert_diag(&pc, "undefined-read", 2, 16, "undefined");
	assert_diag(&pc, "undefined-read", 2, 16,
		    "e.g. 'mgid=ff12:401b::1, rate=3 ;'");
	assert_int_equal(sriov_partitions_predict(&pc, ports, 4, 0x11, 0, &t,
						  &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "t.conf:2:16:"));
	assert_null(t);
	sriov_partitions_release(&pc);
	/* ... with ';' right after it: the same. */
	parse("Default=0x7fff : ALL=full ;\nt=0x10 : 0x21, mgid=ff12:401b::1 ;\n",
	      &pc);
	assert_true(pc.undefined);
	assert_diag(&pc, "undefined-read", 2, 16, "';' right after it");
	sriov_partitions_release(&pc);
	/* A longer line before: its leftovers are read, refused. */
	parse("# a comment longer than the line with the mgid on it, a, b ;\n"
	      "t=0x10 : 0x21, mgid=ff12:401b::1\n, 0x31 ;\n",
	      &pc);
	assert_false(pc.undefined);
	assert_false(pc.fallback);
	assert_diag(&pc, "read-past-line", 2, 16, "line 1 left");
	sriov_partitions_release(&pc);
	/* A flag after ',' keeps OpenSM on the line: accepted. */
	parse("Default=0x7fff : ALL=full ;\nt=0x10 : 0x21, mgid=ff12:401b::1, rate=3 ;\n",
	      &pc);
	assert_int_equal(sriov_partitions_count(&pc, SRIOV_DIAG_ERROR), 0);
	sriov_partitions_release(&pc);
	/* A lone ';' on the longest line so far (blanks after it). */
	parse("t=0x10 : ALL\n;                  \n", &pc);
	assert_true(pc.undefined);
	assert_diag(&pc, "undefined-read", 2, 1, "empty statement");
	sriov_partitions_release(&pc);
	/* A lone ';' whose line has nothing after it: no read past. */
	parse("t=0x10 : ALL ;\n;\n", &pc);
	assert_true(pc.fallback);
	assert_false(has_code(&pc, "read-past-line"));
	assert_diag(&pc, "parse", 2, 2, "no partition definition found");
	sriov_partitions_release(&pc);
	/*
	 * fgets() takes 4094 bytes; the GID ends them, so the flags start
	 * at the buffer's last byte, which no fgets() writes.
	 */
	n = (size_t)snprintf(big, sizeof(big),
			     "t=0x10 : 0x21,%*smgid=ff12:401b::1",
			     4094 - 14 - 17, "");
	assert_int_equal(n, 4094);
	snprintf(big + n, sizeof(big) - n, ", rate=3 ;\n");
	parse(big, &pc);
	assert_true(pc.undefined);
	assert_diag(&pc, "undefined-read", 1, 4078, NULL);
	sriov_partitions_release(&pc);
	/* Shorter by the flags, the line is whole in the buffer: accepted. */
	n = (size_t)snprintf(big, sizeof(big),
			     "t=0x10 : 0x21,%*smgid=ff12:401b::1, rate=3 ;\n",
			     4094 - 14 - 17 - 11, "");
	assert_int_equal(n, 4094);
	parse(big, &pc);
	assert_int_equal(sriov_partitions_count(&pc, SRIOV_DIAG_ERROR), 0);
	assert_int_equal(pc.stmts[0].n_mgids, 1);
	sriov_partitions_release(&pc);
}

static void test_write_roundtrip(void **state)
{
	static const char yaml[] =
		"partitions:\n"
		"  - name: Default\n"
		"    pkey: 0x7fff\n"
		"    ipoib: true\n"
		"    members:\n"
		"      - {group: ALL_SWITCHES, membership: full}\n"
		"      - {group: SELF, membership: full}\n"
		"  - name: tenantA\n"
		"    pkey: 0x0100\n"
		"    ipoib: true\n"
		"    indx0: true\n"
		"    mtu: 5\n"
		"    scope: [2, 5]\n"
		"    defmember: full\n"
		"    members:\n"
		"      - guid: 0x0002c90300a1b2c1\n"
		"      - {guid: 0x0002c90300a1b2c2, membership: limited}\n";
	struct sriov_partitions in, back;
	_cleanup_free_ char *text = NULL;

	assert_int_equal(
		sriov_intent_parse(yaml, strlen(yaml), "i.yaml", &in, NULL), 0);
	assert_int_equal(in.stmts[1].members[0].membership, SRIOV_MEMBER_FULL);
	assert_int_equal(sriov_partitions_write(&in, &text, NULL), 0);
	parse(text, &back);
	assert_false(back.fallback);
	assert_int_equal(sriov_partitions_count(&back, SRIOV_DIAG_WARNING), 0);
	assert_int_equal(back.n_stmts, 2);
	assert_int_equal(back.stmts[1].pkey, 0x0100);
	assert_true(back.stmts[1].indx0);
	assert_int_equal(back.stmts[1].flags.mtu, 5);
	assert_int_equal(back.stmts[1].flags.scope_mask, (1u << 2) | (1u << 5));
	assert_int_equal(back.stmts[1].members[0].membership,
			 SRIOV_MEMBER_FULL);
	assert_int_equal(back.stmts[1].members[1].membership,
			 SRIOV_MEMBER_LIMITED);
	assert_int_equal(back.stmts[0].members[0].kind,
			 SRIOV_MEMBER_ALL_SWITCHES);
	sriov_partitions_release(&in);
	sriov_partitions_release(&back);
}

static void test_intent_errors(void **state)
{
	static const struct {
		const char *yaml, *where;
	} cases[] = {
		{ "partitions:\n  - name: a\n    pkey: 0x1\n    colour: red\n    members: [{group: ALL}]\n",
		  "i.yaml:4:5: unknown partition key 'colour'" },
		{ "partitions:\n  - name: a\n    pkey: 0x1\n    members:\n      - {guid: 0x1, role: x}\n",
		  "i.yaml:5:21: unknown member key 'role'" },
		{ "partitions:\n  - name: a\n    pkey: 0100\n    members: [{group: ALL}]\n",
		  "i.yaml:3:11:" },
		{ "partitions:\n  - name: a\n    pkey: 0x8001\n    members: [{group: ALL}]\n",
		  "i.yaml:3:11:" },
		{ "partitions:\n  - name: a\n    pkey: 0x1\n    members: [{guid: 0}]\n",
		  "i.yaml:4:22:" },
		{ "partitions:\n  - name: a\n    pkey: 0x1\n    members: [{group: all}]\n",
		  "i.yaml:4:23: unknown group 'all'" },
		{ "partitions:\n  - name: a\n    pkey: 0x1\n    members: [{group: ALL}]\n  - name: b\n    pkey: 0x1\n    members: [{group: ALL}]\n",
		  "i.yaml:5:5: pkey 0x0001 again" },
		{ "partition:\n  - name: a\n",
		  "i.yaml:1:1: unknown top-level key" },
		{ "partitions: []\n", "i.yaml:1:13: no partitions" },
		/* the second list silently replaced the first */
		{ "partitions:\n  - name: a\n    pkey: 0x1\n    members: [{group: ALL}]\npartitions: []\n",
		  "i.yaml:5:1: 'partitions' is given twice (first at line 1 column 1)" },
		/* a list that contains itself: walked, it recursed for ever */
		{ "partitions:\n  - name: a\n    pkey: 0x1\n    scope: &s [*s]\n    members: [{group: ALL}]\n",
		  "i.yaml:4:16: the alias *s: YAML aliases are not accepted" },
		/* the same partition twice through an alias */
		{ "partitions:\n  - &p {name: a, pkey: 0x1, members: [{group: ALL}]}\n  - *p\n",
		  "i.yaml:3:5: the alias *p" },
		{ "partitions:\n  - name: a\n    pkey: 0x1\n    scope: [[2]]\n    members: [{group: ALL}]\n",
		  "i.yaml:4:13: 'scope' must be a number" },
		{ "partitions:\n  - name: a\n    pkey: 0x1\n    members: [{group: ALL}]\n---\npartitions: []\n",
		  "i.yaml:5:1: a second YAML document" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sriov_partitions pc;
		struct sriov_error err = { 0 };

		assert_int_equal(sriov_intent_parse(cases[i].yaml,
						    strlen(cases[i].yaml),
						    "i.yaml", &pc, &err),
				 -EINVAL);
		if (strncmp(err.msg, cases[i].where, strlen(cases[i].where)))
			fail_msg("case %zu: got '%s', want '%s...'", i, err.msg,
				 cases[i].where);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkey_model),
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_quirks),
		cmocka_unit_test(test_fallback),
		cmocka_unit_test(test_lint),
		cmocka_unit_test(test_predict),
		cmocka_unit_test(test_mgid_not_multicast),
		cmocka_unit_test(test_name_lookup),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_read_past),
		cmocka_unit_test(test_write_roundtrip),
		cmocka_unit_test(test_intent_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
