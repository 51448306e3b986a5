/* SPDX-License-Identifier: MIT */
/*
 * The VF GUID scheme (include/sriov/ib.h, docs/infiniband.md): expected
 * values are written out from the documented layout by hand.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sriov/ib.h>
#include "assert_msg.h"

static void test_layout(void **state)
{
	struct sriov_error e = { 0 };
	uint64_t g;

	(void)state;
	/* 0x02 | vf (16 bits) | low 40 bits of the PF port GUID */
	assert_int_equal(sriov_guid_derive(0x0002c90300a1b2c1ull, 5,
					   SRIOV_GUID_PORT, &g, &e),
			 0);
	assert_true(g == 0x0200050300a1b2c1ull);
	assert_int_equal(sriov_guid_derive(0x0002c90300a1b2c1ull, 5,
					   SRIOV_GUID_NODE, &g, &e),
			 0);
	assert_true(g == 0x0600050300a1b2c1ull);
	assert_int_equal(sriov_guid_derive(0x0002c90300a1b2c1ull, 0xffff,
					   SRIOV_GUID_PORT, &g, &e),
			 0);
	assert_true(g == 0x02ffff0300a1b2c1ull);
	assert_int_equal(sriov_guid_derive(0x0002c90300a1b2c1ull, 0x10000,
					   SRIOV_GUID_PORT, &g, &e),
			 -ERANGE);
	assert_int_equal(sriov_guid_derive(0, 1, SRIOV_GUID_PORT, &g, &e),
			 -EINVAL);
	assert_int_equal(sriov_guid_derive(UINT64_MAX, 1, SRIOV_GUID_PORT, &g,
					   &e),
			 -EINVAL);
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* PFs of one vendor: two ports each of four adapters with neighbouring
 * GUIDs, every VF index up to 511, both kinds: all distinct, all valid,
 * none a PF's GUID or any IEEE (U/L clear) GUID. */
static void test_no_collisions(void **state)
{
	const uint64_t pfs[] = {
		0x0002c90300a1b2c1ull, 0x0002c90300a1b2c2ull,
		0x0002c90300a1b2c9ull, 0x0002c90300a1b2caull,
		0x0002c90300a1b2d1ull, 0x0002c90300a1b2d2ull,
		0x248a070300112231ull, 0x248a070300112232ull,
	};
	const size_t npf = sizeof(pfs) / sizeof(pfs[0]), nvf = 512;
	size_t n = 0;
	uint64_t *all = calloc(npf * nvf * 2, sizeof(*all));

	(void)state;
	for (size_t p = 0; p < npf; p++)
		for (unsigned v = 0; v < nvf; v++)
			for (int k = 0; k < 2; k++) {
				uint64_t g;

				assert_int_equal(
					sriov_guid_derive(pfs[p], v,
							  k ? SRIOV_GUID_NODE :
							      SRIOV_GUID_PORT,
							  &g, NULL),
					0);
				assert_int_equal(sriov_guid_check(g, NULL), 0);
				/* locally administered */
				assert_true(g >> 56 & 0x02);
				all[n++] = g;
			}
	qsort(all, n, sizeof(*all), cmp);
	for (size_t i = 1; i < n; i++)
		assert_true(all[i] != all[i - 1]);
	for (size_t p = 0; p < npf; p++)
		assert_null(bsearch(&pfs[p], all, n, sizeof(*all), cmp));
	free(all);
}

static void test_check_and_parse(void **state)
{
	struct sriov_error e = { 0 };
	uint64_t g;

	(void)state;
	assert_int_equal(sriov_guid_check(0, &e), -EINVAL);
	assert_int_equal(sriov_guid_check(UINT64_MAX, &e), -EINVAL);
	assert_int_equal(sriov_guid_check(0x0102c90300000001ull, &e), -EINVAL);
	assert_msg_has(e.msg, "group");
	assert_int_equal(sriov_guid_check(0x0002c90300000001ull, &e), 0);

	assert_int_equal(sriov_guid_parse("0x0002c90300a1b2c1", &g, &e), 0);
	assert_true(g == 0x0002c90300a1b2c1ull);
	assert_int_equal(sriov_guid_parse("0002:c903:00a1:b2c1", &g, &e), 0);
	assert_true(g == 0x0002c90300a1b2c1ull);
	assert_int_equal(sriov_guid_parse("00:02:c9:03:00:a1:b2:c1", &g, &e),
			 0);
	assert_true(g == 0x0002c90300a1b2c1ull);
	assert_int_equal(sriov_guid_parse("0x1", &g, &e), 0);
	assert_true(g == 1);
	const char *bad[] = { "",
			      "0x",
			      "0x10002c90300a1b2c1",
			      "0002:c903:00a1",
			      "00:02:c9:03:00:a1:b2",
			      "0002:c903:00a1:b2c1:",
			      "0002c90300a1b2c1",
			      "0x00g2",
			      "00:02:c9:03:00a1:b2:c1",
			      NULL };
	for (const char **b = bad; *b; b++)
		if (sriov_guid_parse(*b, &g, &e) != -EINVAL)
			fail_msg("accepted '%s'", *b);
}

static void test_pool(void **state)
{
	struct sriov_guid_pool p = { 0x0202c90300000000ull,
				     0x0202c90300000003ull };
	const uint64_t used[] = { 0x0202c90300000001ull, 0x0202c90300000000ull,
				  0x0002c90300000011ull,
				  0x0202c90300000003ull };
	struct sriov_error e = { 0 };
	uint64_t g;

	(void)state;
	assert_int_equal(sriov_guid_allocate(&p, 0, 0, SRIOV_GUID_PORT, NULL, 0,
					     0, &g, &e),
			 0);
	assert_true(g == p.start);
	assert_int_equal(sriov_guid_allocate(&p, 0, 0, SRIOV_GUID_PORT, used, 4,
					     0, &g, &e),
			 0);
	assert_true(g == 0x0202c90300000002ull);
	/* the VF keeps a GUID of the pool it has */
	assert_int_equal(sriov_guid_allocate(&p, 0, 0, SRIOV_GUID_PORT, used, 4,
					     0x0202c90300000003ull, &g, &e),
			 0);
	assert_true(g == 0x0202c90300000003ull);
	p.end = 0x0202c90300000001ull;
	assert_int_equal(sriov_guid_allocate(&p, 0, 0, SRIOV_GUID_PORT, used, 4,
					     0, &g, &e),
			 -ENOSPC);

	assert_int_equal(sriov_guid_pool_parse("0x0202c90300000010-"
					       "0x0202c903000000ff",
					       &p, &e),
			 0);
	assert_true(p.start == 0x0202c90300000010ull &&
		    p.end == 0x0202c903000000ffull);
	/* end below start; crossing into group GUIDs; all-ones; zero */
	assert_int_equal(sriov_guid_pool_parse("0x0202c90300000010-"
					       "0x0202c90300000001",
					       &p, &e),
			 -EINVAL);
	assert_int_equal(sriov_guid_pool_parse("0x00ffffffffffff00-"
					       "0x0200000000000010",
					       &p, &e),
			 -EINVAL);
	assert_int_equal(sriov_guid_pool_parse("0xfffffffffffffff0-"
					       "0xffffffffffffffff",
					       &p, &e),
			 -EINVAL);
	assert_int_equal(sriov_guid_pool_parse("0x0-0x10", &p, &e), -EINVAL);
	assert_int_equal(sriov_guid_pool_parse("0x10", &p, &e), -EINVAL);
}

/* The derived GUID taken already: an error naming it, unless it is the
 * VF's own. */
static void test_derived_collision(void **state)
{
	const uint64_t used[] = { 0x0200030300a1b2c1ull };
	struct sriov_error e = { 0 };
	uint64_t g;

	(void)state;
	assert_int_equal(sriov_guid_allocate(NULL, 0x0002c90300a1b2c1ull, 3,
					     SRIOV_GUID_PORT, used, 1, 0, &g,
					     &e),
			 -EEXIST);
	assert_msg_has(e.msg, "0x0200030300a1b2c1");
	assert_int_equal(sriov_guid_allocate(NULL, 0x0002c90300a1b2c1ull, 3,
					     SRIOV_GUID_PORT, used, 1,
					     0x0200030300a1b2c1ull, &g, &e),
			 0);
	assert_int_equal(sriov_guid_allocate(NULL, 0x0002c90300a1b2c1ull, 4,
					     SRIOV_GUID_PORT, used, 1, 0, &g,
					     &e),
			 0);
	assert_true(g == 0x0200040300a1b2c1ull);
}

static const char *tmpfile_with(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/sriov-test-pool-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_pool_yaml(void **state)
{
	struct sriov_guid_pool p;
	struct sriov_error e = { 0 };
	const char *path;

	(void)state;
	path = tmpfile_with("guid_pool:\n  start: 0x0202c90300000000\n"
			    "  end: 0x0202c903000000ff\n");
	assert_int_equal(sriov_guid_pool_load(path, &p, &e), 0);
	assert_true(p.start == 0x0202c90300000000ull &&
		    p.end == 0x0202c903000000ffull);
	unlink(path);

	path = tmpfile_with("guid_pool:\n  start: 0x0202c90300000000\n"
			    "  ned: 0x0202c903000000ff\n");
	assert_int_equal(sriov_guid_pool_load(path, &p, &e), -EINVAL);
	assert_msg_has(e.msg, ":3:3:", "ned");
	unlink(path);

	path = tmpfile_with("guid_pool:\n  start: 0x0202c90300000000\n");
	assert_int_equal(sriov_guid_pool_load(path, &p, &e), -EINVAL);
	assert_msg_has(e.msg, "missing end");
	unlink(path);

	path = tmpfile_with("guid_pool:\n  start: banana\n  end: 0x1\n");
	assert_int_equal(sriov_guid_pool_load(path, &p, &e), -EINVAL);
	assert_msg_has(e.msg, ":2:10:");
	unlink(path);
}

static void test_fabric_guids(void **state)
{
	struct sriov_mad_port ports[3] = {
		{ .guid = 0x21, .node_guid = 0x20 },
		{ .guid = 0xa01, .node_guid = 0xa01 },
		{ .guid = 0x11, .node_guid = 0x10 },
	};
	struct sriov_ib_fabric f = { .ports = ports, .n_ports = 3 };
	const uint64_t want[] = { 0x10, 0x11, 0x20, 0x21, 0xa01 };
	uint64_t *g;
	size_t n;

	(void)state;
	assert_int_equal(sriov_ib_fabric_guids(&f, &g, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_true(g[i] == want[i]);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_no_collisions),
		cmocka_unit_test(test_check_and_parse),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_derived_collision),
		cmocka_unit_test(test_pool_yaml),
		cmocka_unit_test(test_fabric_guids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
