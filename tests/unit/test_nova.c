/* SPDX-License-Identifier: MIT */
/* Cases of Nova's test_devspec.py / test_stats.py / test_request.py as
 * our own vectors (facts re-expressed, Nova's code not copied). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sriov/nova.h>

static int parse1(const char *v, struct sriov_nova_whitelist **wl, char *msg)
{
	struct sriov_error err = { 0 };
	int r = sriov_nova_whitelist_parse(NULL, &v, 1, wl, &err);

	snprintf(msg, 512, "%s", err.msg);
	return r;
}

static void expect_error(const char *spec, const char *msg)
{
	struct sriov_nova_whitelist *wl = NULL;
	char got[512];

	assert_int_equal(parse1(spec, &wl, got), -EINVAL);
	assert_string_equal(got, msg);
}

static void test_devspec_errors(void **state)
{
	expect_error(
		"{\"vendor_id\":\"80860\"}",
		"Invalid [pci]device_spec config: property vendor_id (80860) is greater than the maximum allowable value (FFFF).");
	expect_error(
		"{\"product_id\":\"zz\"}",
		"Invalid [pci]device_spec config: property product_id ('zz') does not parse as a hex number.");
	expect_error(
		"{\"address\":\"0000:0a:0b:00.5\"}",
		"The PCI address 0000:0a:0b:00.5 has an incorrect format.");
	expect_error(
		"{\"address\":\"0000:0a:00.8\"}",
		"Invalid [pci]device_spec config: property func (8) is greater than the maximum allowable value (7).");
	expect_error(
		"{\"address\":\"0000:11:0*.*\"}",
		"Invalid [pci]device_spec config: property slot ('0*') does not parse as a hex number.");
	expect_error(
		"{\"address\":{\"domain\":\"*\"}}",
		"The PCI address {'domain': '*'} has an incorrect format.");
	expect_error(
		"{\"address\":\"0000:0a:00.1\",\"devname\":\"eth0\"}",
		"Invalid PCI Whitelist: The PCI whitelist can specify devname or address, but not both");
	expect_error(
		"{\"remote_managed\":\"true\",\"devname\":\"nonexistent0\"}",
		"Invalid PCI Whitelist: A device specified as \"remote_managed\" is not actually present on the host");
	expect_error(
		"5",
		"Invalid [pci]device_spec config: Invalid entry: '5'; Expecting list or dict");
	expect_error(
		"[5]",
		"Invalid [pci]device_spec config: Invalid entry: '5'; Expecting dict");
}

/* glibc's regcomp() copies an atom once per count of a bounded repeat:
 * what would expand beyond 4096 positions is refused, not compiled. */
static void test_regex_expansion(void **state)
{
	struct sriov_nova_whitelist *wl = NULL;
	char msg[512];

	assert_int_equal(parse1("{\"address\":{\"function\":\"0{,21018}a\"}}",
				&wl, msg),
			 -ENOTSUP);
	assert_true(
		!strncmp(msg, "sriov: regular expression '0{,21018}a'", 38));
	assert_int_equal(parse1("{\"address\":{\"bus\":\"((a{100}){100})\"}}",
				&wl, msg),
			 -ENOTSUP);
	assert_int_equal(
		parse1("{\"address\":{\"bus\":\"(0{2}){3}|[0-9]{0,200}\"}}",
		       &wl, msg),
		0);
	sriov_nova_whitelist_free(wl);
}

static int match(const char *spec, const char *dev)
{
	struct sriov_nova_whitelist *wl = NULL;
	char msg[512];
	json_t *d = json_loads(dev, 0, NULL);

	assert_int_equal(parse1(spec, &wl, msg), 0);
	int r = sriov_nova_whitelist_match(wl, d, NULL);
	json_decref(d);
	sriov_nova_whitelist_free(wl);
	return r;
}

static void test_devspec_match(void **state)
{
	const char *vf =
		"{\"address\":\"0000:0a:00.1\",\"vendor_id\":\"8086\","
		"\"product_id\":\"154c\",\"parent_addr\":\"0000:0a:00.0\"}";

	assert_int_equal(match("{\"product_id\":\"154C\"}", vf), 0);
	assert_int_equal(match("{\"address\":\"*:0a:00.*\"}", vf), 0);
	assert_int_equal(match("{\"address\":\":0a:00.\"}", vf), 0);
	assert_int_equal(match("{\"address\":\"0a:00.2\"}", vf), -ENOENT);
	/* regexes are anchored at the start only, like re.match */
	assert_int_equal(match("{\"address\":{\"bus\":\"0\"}}", vf), 0);
	assert_int_equal(match("{\"address\":{\"bus\":\"a\"}}", vf), -ENOENT);
	assert_int_equal(match("{\"address\":{\"function\":\"[0-2]\"}}", vf),
			 0);
	/* devname without a sysfs root never matches */
	assert_int_equal(match("{\"devname\":\"eth0\"}", vf), -ENOENT);
}

static void test_alias_errors(void **state)
{
	const char *v[2] = { "{\"name\":\"a\",\"numa_policy\":\"required\"}",
			     "{\"name\":\"a\",\"numa_policy\":\"legacy\"}" };
	struct sriov_nova_aliases *al = NULL;
	struct sriov_error err = { 0 };

	assert_int_equal(sriov_nova_aliases_parse(v, 2, &al, &err), -EINVAL);
	assert_string_equal(
		err.msg,
		"Invalid PCI alias definition: NUMA policy mismatch for alias 'a'");
	v[0] = "{\"name\":\"a\",\"vendor_id\":\"0x8086\"}";
	assert_int_equal(sriov_nova_aliases_parse(v, 1, &al, &err), -EINVAL);
	assert_string_equal(
		err.msg,
		"Invalid PCI alias definition: '0x8086' does not match '^([\\\\da-fA-F]{4})$'");
}

static void test_numa_policies(void **state)
{
	/* one VF pool on NUMA node 1, guest cell 0: required fails, legacy
	 * fails, preferred passes; a node-less device passes legacy */
	const char *spec = "{\"vendor_id\":\"8086\"}";
	struct sriov_nova_whitelist *wl = NULL;
	struct sriov_nova_stats *st = NULL;
	char msg[512];
	json_t *devs = json_loads(
		"[{\"address\":\"0000:0a:00.1\",\"vendor_id\":\"8086\",\"product_id\":\"154c\","
		"\"dev_type\":\"type-VF\",\"parent_addr\":\"0000:0a:00.0\",\"numa_node\":1}]",
		0, NULL);
	struct sriov_nova_request rq = {
		.count = 1,
		.spec = json_loads("[{\"vendor_id\":\"8086\"}]", 0, NULL)
	};
	long cell0 = 0;

	assert_int_equal(parse1(spec, &wl, msg), 0);
	assert_int_equal(sriov_nova_stats_new(wl, devs, NULL, 0, &st, NULL), 0);
	rq.policy = SRIOV_NUMA_REQUIRED;
	assert_false(sriov_nova_stats_support(st, &rq, 1, &cell0, 1));
	rq.policy = SRIOV_NUMA_LEGACY;
	assert_false(sriov_nova_stats_support(st, &rq, 1, &cell0, 1));
	rq.policy = SRIOV_NUMA_PREFERRED;
	assert_true(sriov_nova_stats_support(st, &rq, 1, &cell0, 1));
	/* no guest cells: the PciPassthroughFilter view */
	rq.policy = SRIOV_NUMA_REQUIRED;
	assert_true(sriov_nova_stats_support(st, &rq, 1, NULL, 0));
	json_t *pools = sriov_nova_stats_pools(st);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(pools, 0),
						  "remote_managed")),
		"false");
	json_decref(pools);
	free(rq.memo);
	json_decref(rq.spec);
	json_decref(devs);
	sriov_nova_stats_free(st);
	sriov_nova_whitelist_free(wl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devspec_errors),
		cmocka_unit_test(test_regex_expansion),
		cmocka_unit_test(test_devspec_match),
		cmocka_unit_test(test_alias_errors),
		cmocka_unit_test(test_numa_policies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
