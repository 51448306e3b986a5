/* SPDX-License-Identifier: MIT */
/*
 * The cases of Nova's nova/tests/unit/pci/test_request.py (Zed) that
 * concern [pci] alias and flavor requests, as our own vectors. The
 * get_instance_pci_request_from_vif cases need Nova's instance objects and
 * have no counterpart here.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sriov/nova.h>

#define ALIAS1                                                   \
	"{\"name\":\"QuickAssist\",\"capability_type\":\"pci\"," \
	"\"product_id\":\"4443\",\"vendor_id\":\"8086\","        \
	"\"device_type\":\"type-PCI\",\"numa_policy\":\"legacy\"}"
#define ALIAS2                                                            \
	"{\"name\":\"IntelNIC\",\"capability_type\":\"pci\","             \
	"\"product_id\":\"1111\",\"vendor_id\":\"8086\",\"device_type\":" \
	"\"type-PF\"}"
#define SPEC1                                                    \
	"[{\"capability_type\":\"pci\",\"product_id\":\"4443\"," \
	"\"vendor_id\":\"8086\",\"dev_type\":\"type-PCI\"}]"
#define SPEC2                                                    \
	"[{\"capability_type\":\"pci\",\"product_id\":\"1111\"," \
	"\"vendor_id\":\"8086\",\"dev_type\":\"type-PF\"}]"

static struct sriov_nova_aliases *parse(const char **v, size_t n, int want)
{
	struct sriov_nova_aliases *al = NULL;
	struct sriov_error err = { 0 };

	assert_int_equal(sriov_nova_aliases_parse(v, n, &al, &err), want);
	if (want < 0)
		assert_true(!strncmp(err.msg,
				     "Invalid PCI alias definition: ", 30));
	return al;
}

/* Translate and check count, alias_name, spec and policy of each. */
struct want {
	long count;
	const char *name;
	const char *spec;
	enum sriov_numa_policy policy;
};

static void translate(struct sriov_nova_aliases *al, const char *extra,
		      const char *policy, const struct want *w, size_t n)
{
	struct sriov_nova_request *rq = NULL;
	size_t got = 0;

	assert_int_equal(sriov_nova_aliases_translate(al, extra, policy, &rq,
						      &got, NULL),
			 0);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++) {
		json_t *spec = json_loads(w[i].spec, 0, NULL);

		assert_int_equal(rq[i].count, w[i].count);
		assert_string_equal(rq[i].alias_name, w[i].name);
		assert_true(json_equal(rq[i].spec, spec));
		assert_int_equal(rq[i].policy, w[i].policy);
		json_decref(spec);
	}
	sriov_nova_requests_free(rq, got);
}

static void test_get_alias_from_config_valid(void **state)
{
	const char *v[] = { ALIAS1 };
	struct sriov_nova_aliases *al = parse(v, 1, 0);
	const struct want w[] = { { 1, "QuickAssist", SPEC1,
				    SRIOV_NUMA_LEGACY } };

	translate(al, "QuickAssist:1", NULL, w, 1);
	sriov_nova_aliases_free(al);
}

static void test_get_alias_from_config_valid_multispec(void **state)
{
	const char *v[] = {
		ALIAS1,
		"{\"name\":\"QuickAssist\",\"capability_type\":\"pci\",\"product_id\":\"4444\","
		"\"vendor_id\":\"8086\",\"device_type\":\"type-PCI\"}"
	};
	struct sriov_nova_aliases *al = parse(v, 2, 0);
	const struct want w[] = {
		{ 1, "QuickAssist",
		  "[{\"capability_type\":\"pci\",\"product_id\":\"4443\",\"vendor_id\":\"8086\",\"dev_type\":\"type-PCI\"},"
		  "{\"capability_type\":\"pci\",\"product_id\":\"4444\",\"vendor_id\":\"8086\",\"dev_type\":\"type-PCI\"}]",
		  SRIOV_NUMA_LEGACY }
	};

	translate(al, "QuickAssist:1", NULL, w, 1);
	sriov_nova_aliases_free(al);
}

static void test_get_alias_from_config_invalid(void **state)
{
	static const char *const bad[] = {
		/* test_get_alias_from_config_invalid_device_type */
		"{\"name\":\"xxx\",\"device_type\":\"N\"}",
		/* ..._device_type_vdpa */
		"{\"name\":\"xxx\",\"device_type\":\"vdpa\"}",
		/* ..._invalid_product_id */
		"{\"name\":\"xxx\",\"product_id\":\"g111\"}",
		/* ..._invalid_vendor_id */
		"{\"name\":\"xxx\",\"vendor_id\":\"0xg111\"}",
		/* ..._invalid_capability_type */
		"{\"name\":\"xxx\",\"capability_type\":\"usb\"}",
		/* ..._invalid_numa_policy */
		"{\"name\":\"xxx\",\"numa_policy\":\"derp\"}",
		/* ..._invalid_arbitrary_field */
		"{\"name\":\"xxx\",\"foo\":\"bar\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *v = bad[i];
		parse(&v, 1, -EINVAL);
	}
}

static void test_get_alias_from_config_valid_numa_policy(void **state)
{
	static const char *const pol[] = { "legacy", "required", "preferred",
					   "socket" };
	for (int i = 0; i < 4; i++) {
		char a[256];
		const char *v = a;

		snprintf(
			a, sizeof(a),
			"{\"name\":\"xxx\",\"capability_type\":\"pci\",\"product_id\":\"1111\","
			"\"vendor_id\":\"8086\",\"device_type\":\"type-PCI\",\"numa_policy\":\"%s\"}",
			pol[i]);
		struct sriov_nova_aliases *al = parse(&v, 1, 0);
		enum sriov_numa_policy p;
		assert_int_equal(sriov_numa_policy_parse(
					 pol[i], SRIOV_NUMA_NOVA, &p, NULL),
				 0);
		const struct want w[] = {
			{ 2, "xxx",
			  "[{\"capability_type\":\"pci\",\"product_id\":\"1111\",\"vendor_id\":\"8086\",\"dev_type\":\"type-PCI\"}]",
			  p }
		};
		translate(al, "xxx:2", NULL, w, 1);
		sriov_nova_aliases_free(al);
	}
}

static void test_get_alias_from_config_conflicts(void **state)
{
	const char *dt[] = {
		"{\"name\":\"xxx\",\"capability_type\":\"pci\",\"product_id\":\"1111\",\"vendor_id\":\"8086\",\"device_type\":\"type-PF\"}",
		"{\"name\":\"xxx\",\"capability_type\":\"pci\",\"product_id\":\"1111\",\"vendor_id\":\"8086\",\"device_type\":\"type-PCI\"}"
	};
	const char *np[] = {
		"{\"name\":\"xxx\",\"capability_type\":\"pci\",\"product_id\":\"1111\",\"vendor_id\":\"8086\",\"numa_policy\":\"required\"}",
		"{\"name\":\"xxx\",\"capability_type\":\"pci\",\"product_id\":\"1111\",\"vendor_id\":\"8086\",\"numa_policy\":\"legacy\"}"
	};
	struct sriov_nova_aliases *al = NULL;
	struct sriov_error err = { 0 };

	assert_int_equal(sriov_nova_aliases_parse(dt, 2, &al, &err), -EINVAL);
	assert_string_equal(
		err.msg,
		"Invalid PCI alias definition: Device type mismatch for alias 'xxx'");
	assert_int_equal(sriov_nova_aliases_parse(np, 2, &al, &err), -EINVAL);
	assert_string_equal(
		err.msg,
		"Invalid PCI alias definition: NUMA policy mismatch for alias 'xxx'");
}

static void test_translate_alias_to_requests(void **state)
{
	const char *v[] = { ALIAS1, ALIAS2 };
	struct sriov_nova_aliases *al = parse(v, 2, 0);
	const struct want w[] = {
		{ 3, "QuickAssist", SPEC1, SRIOV_NUMA_LEGACY },
		{ 1, "IntelNIC", SPEC2, SRIOV_NUMA_LEGACY },
	};
	const struct want wp[] = {
		{ 3, "QuickAssist", SPEC1, SRIOV_NUMA_PREFERRED },
		{ 1, "IntelNIC", SPEC2, SRIOV_NUMA_PREFERRED },
	};
	struct sriov_nova_request *rq = NULL;
	struct sriov_error err = { 0 };
	size_t n = 0;

	translate(al, "QuickAssist : 3, IntelNIC: 1", NULL, w, 2);
	/* test_translate_alias_to_requests_affinity_policy */
	translate(al, "QuickAssist : 3, IntelNIC: 1", "preferred", wp, 2);
	/* test_get_pci_requests_from_flavor(_multiple) */
	translate(al, "QuickAssist:3", NULL, w, 1);
	translate(al, "QuickAssist:3, IntelNIC: 1", NULL, w, 2);
	/* test_translate_alias_to_requests_invalid */
	assert_int_equal(sriov_nova_aliases_translate(al, "QuickAssistX : 3",
						      NULL, &rq, &n, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "PCI alias QuickAssistX is not defined");
	sriov_nova_aliases_free(al);
}

static void test_get_pci_requests_from_flavor_including_space(void **state)
{
	const char *v[] = {
		ALIAS2,
		"{\"name\":\" Cirrus Logic \",\"capability_type\":\"pci\",\"product_id\":\"0ff2\","
		"\"vendor_id\":\"10de\",\"device_type\":\"type-PCI\"}"
	};
	struct sriov_nova_aliases *al = parse(v, 2, 0);
	const struct want w[] = {
		{ 4, "Cirrus Logic",
		  "[{\"capability_type\":\"pci\",\"product_id\":\"0ff2\",\"vendor_id\":\"10de\",\"dev_type\":\"type-PCI\"}]",
		  SRIOV_NUMA_LEGACY },
		{ 3, "IntelNIC", SPEC2, SRIOV_NUMA_LEGACY },
	};

	translate(al, " Cirrus Logic : 4, IntelNIC: 3", NULL, w, 2);
	sriov_nova_aliases_free(al);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_alias_from_config_valid),
		cmocka_unit_test(test_get_alias_from_config_valid_multispec),
		cmocka_unit_test(test_get_alias_from_config_invalid),
		cmocka_unit_test(test_get_alias_from_config_valid_numa_policy),
		cmocka_unit_test(test_get_alias_from_config_conflicts),
		cmocka_unit_test(test_translate_alias_to_requests),
		cmocka_unit_test(
			test_get_pci_requests_from_flavor_including_space),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
