/* SPDX-License-Identifier: MIT */
/*
 * The pools as the scheduler sees them (SRIOV_NOVA_SCHEDULER) against the
 * compute node's own. Nova's resource tracker stores the compute node's
 * pools as PciDevicePool objects (nova/objects/pci_device_pool.py): tags
 * are a DictOfNullableStringsField, whose String.coerce() is str() of an
 * int, float or str (oslo_versionedobjects/fields.py) and raises
 * ValueError for anything else; numa_node is an IntegerField, int(). The
 * PciPassthroughFilter runs support_requests() on what comes back; the
 * claim on the compute node runs on the pools it kept. The differential
 * test (tests/nova/differential.py) checks the same against Nova's code.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sriov/nova.h>

#define VF(addr, numa)                                          \
	"{\"address\": \"" addr "\", \"vendor_id\": \"15b3\", " \
	"\"product_id\": \"1018\", \"dev_type\": \"type-VF\", " \
	"\"parent_addr\": \"0000:0a:00.0\", \"numa_node\": " numa "}"

struct host {
	struct sriov_nova_whitelist *wl;
	struct sriov_nova_stats *compute, *scheduler;
};

static void host_of(struct host *h, const char *spec, const char *devs)
{
	struct sriov_error err = { 0 };
	json_t *d = json_loads(devs, 0, NULL);

	assert_non_null(d);
	assert_int_equal(
		sriov_nova_whitelist_parse(NULL, &spec, 1, &h->wl, &err), 0);
	assert_int_equal(sriov_nova_stats_new_flags(h->wl, d, NULL, 0, 0,
						    &h->compute, &err),
			 0);
	assert_int_equal(sriov_nova_stats_new_flags(h->wl, d, NULL, 0,
						    SRIOV_NOVA_SCHEDULER,
						    &h->scheduler, &err),
			 0);
	json_decref(d);
}

static void host_free(struct host *h)
{
	sriov_nova_stats_free(h->compute);
	sriov_nova_stats_free(h->scheduler);
	sriov_nova_whitelist_free(h->wl);
}

/* support_requests() of one request {spec} x count, guest cells or none */
static int support(struct sriov_nova_stats *st, const char *spec, long count,
		   const long *cells, size_t nc)
{
	struct sriov_nova_request rq = {
		.count = count,
		.spec = json_loads(spec, 0, NULL),
		.policy = cells ? SRIOV_NUMA_REQUIRED : SRIOV_NUMA_LEGACY,
	};
	int r;

	assert_non_null(rq.spec);
	r = sriov_nova_stats_support(st, &rq, 1, cells, nc);
	json_decref(rq.spec);
	free(rq.memo);
	return r;
}

/* The value of key in the one pool. */
static json_t *pool_value(struct sriov_nova_stats *st, const char *key)
{
	static json_t *pools;

	json_decref(pools);
	pools = sriov_nova_stats_pools(st);
	assert_int_equal(json_array_size(pools), 1);
	return json_object_get(json_array_get(pools, 0), key);
}

/* Issue 12: a port asking trusted "True" passes the filter and fails the
 * claim. */
static void test_boolean_tag(void **state)
{
	struct host h = { 0 };
	const char *rq = "[{\"trusted\": \"True\"}]";

	host_of(&h, "{\"vendor_id\": \"15b3\", \"trusted\": true}",
		"[" VF("0000:0a:00.1", "0") "]");
	assert_true(json_is_true(pool_value(h.compute, "trusted")));
	assert_string_equal(
		json_string_value(pool_value(h.scheduler, "trusted")), "True");
	assert_int_equal(support(h.scheduler, rq, 1, NULL, 0), 1);
	/* requests compare in lower case */
	assert_int_equal(support(h.scheduler, "[{\"trusted\": \"true\"}]", 1,
				 NULL, 0),
			 1);
	assert_int_equal(support(h.compute, rq, 1, NULL, 0), 0);
	assert_null(sriov_nova_stats_unreported(h.scheduler));

	struct sriov_nova_request claim = {
		.count = 1,
		.spec = json_loads(rq, 0, NULL),
		.policy = SRIOV_NUMA_LEGACY,
	};
	json_t *got = NULL;
	assert_int_equal(sriov_nova_stats_consume(h.compute, &claim, 1, NULL, 0,
						  &got),
			 -ENOSPC);
	json_decref(claim.spec);
	free(claim.memo);
	host_free(&h);
}

/* str() of the other types a tag may have; None stays None. */
static void test_tag_strings(void **state)
{
	static const struct {
		const char *tag, *want;
	} v[] = {
		{ "false", "False" }, { "5", "5" },	   { "-0", "0" },
		{ "1.5", "1.5" },     { "1e16", "1e+16" }, { "0.1", "0.1" },
		{ "1e-05", "1e-05" }, { "\"x\"", "x" },
	};
	char spec[128];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct host h = { 0 };

		snprintf(spec, sizeof(spec), "{\"t\": %s}", v[i].tag);
		host_of(&h, spec, "[" VF("0000:0a:00.1", "0") "]");
		json_t *t = pool_value(h.scheduler, "t");
		if (!json_is_string(t) ||
		    strcmp(json_string_value(t), v[i].want))
			fail_msg("tag %s: want \"%s\"", v[i].tag, v[i].want);
		host_free(&h);
	}
	struct host h = { 0 };
	host_of(&h, "{\"t\": null}", "[" VF("0000:0a:00.1", "0") "]");
	assert_true(json_is_null(pool_value(h.scheduler, "t")));
	host_free(&h);
}

/* A numa_node tag is the pool's node, int() in the database. */
static void test_numa_node_tag(void **state)
{
	struct host h = { 0 };
	const long cell1[] = { 1 };

	host_of(&h, "{\"numa_node\": \" 1 \"}",
		"[" VF("0000:0a:00.1", "0") "]");
	assert_int_equal(
		json_integer_value(pool_value(h.scheduler, "numa_node")), 1);
	/* the compute node compares the string with the cell: no match */
	assert_int_equal(support(h.scheduler, "[{}]", 1, cell1, 1), 1);
	assert_int_equal(support(h.compute, "[{}]", 1, cell1, 1), 0);
	host_free(&h);

	host_of(&h, "{\"numa_node\": \"1_0\"}",
		"[" VF("0000:0a:00.1", "0") "]");
	assert_int_equal(
		json_integer_value(pool_value(h.scheduler, "numa_node")), 10);
	host_free(&h);
	host_of(&h, "{\"numa_node\": true}", "[" VF("0000:0a:00.1", "0") "]");
	assert_int_equal(
		json_integer_value(pool_value(h.scheduler, "numa_node")), 1);
	host_free(&h);
}

/* Pools Nova cannot store: the resource tracker raises, the node reports
 * none, the filter passes nothing; the compute node keeps its pools. */
static void test_unstorable(void **state)
{
	static const char *const specs[] = {
		"{\"foo\": [1, 2]}",
		"{\"foo\": {\"a\": \"b\"}}",
		"{\"numa_node\": \"one\"}",
		"{\"numa_node\": \"1.0\"}",
	};

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct host h = { 0 };
		json_t *pools;

		host_of(&h, specs[i],
			"[" VF("0000:0a:00.1", "0") "," VF("0000:0a:00.2",
							   "0") "]");
		pools = sriov_nova_stats_pools(h.scheduler);
		assert_int_equal(json_array_size(pools), 0);
		json_decref(pools);
		assert_non_null(sriov_nova_stats_unreported(h.scheduler));
		assert_non_null(strstr(sriov_nova_stats_unreported(h.scheduler),
				       strstr(specs[i], "numa") ?
					       "tag \"numa_node\"" :
					       "tag \"foo\""));
		assert_int_equal(support(h.scheduler, "[{}]", 1, NULL, 0), 0);
		assert_int_equal(support(h.compute, "[{}]", 2, NULL, 0), 1);
		assert_null(sriov_nova_stats_unreported(h.compute));
		host_free(&h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boolean_tag),
		cmocka_unit_test(test_tag_strings),
		cmocka_unit_test(test_numa_node_tag),
		cmocka_unit_test(test_unstorable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
