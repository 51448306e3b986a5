/* SPDX-License-Identifier: MIT */
/*
 * The cases of Nova's nova/tests/unit/pci/test_stats.py (Zed) as our own
 * vectors, through our public API: pools, support_requests (with NUMA
 * policies and socket affinity) and consume_requests (with PF/VF/vdpa
 * dependents). Nova's remove_device/update_device/to_device_pools_obj
 * and apply_requests's in-place pool changes have no public counterpart
 * (pool removal is exercised through consume's dependents instead).
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

static struct sriov_nova_whitelist *wl_of(const char **specs, size_t n)
{
	struct sriov_nova_whitelist *wl = NULL;

	assert_int_equal(sriov_nova_whitelist_parse(NULL, specs, n, &wl, NULL),
			 0);
	return wl;
}

static struct sriov_nova_stats *stats_of(struct sriov_nova_whitelist *wl,
					 const char *devs,
					 const struct sriov_nova_cell *cells,
					 size_t nc)
{
	struct sriov_nova_stats *st = NULL;
	json_t *d = json_loads(devs, 0, NULL);

	assert_non_null(d);
	assert_int_equal(sriov_nova_stats_new(wl, d, cells, nc, &st, NULL), 0);
	json_decref(d);
	return st;
}

/* Requests from "count|policy|spec-json;..." */
static struct sriov_nova_request *reqs_of(const char *text, size_t *n)
{
	struct sriov_nova_request *r = calloc(8, sizeof(*r));
	char *s = strdup(text), *save = NULL;

	*n = 0;
	for (char *t = strtok_r(s, ";", &save); t;
	     t = strtok_r(NULL, ";", &save)) {
		char *bar = strchr(t, '|'), *bar2 = strchr(bar + 1, '|');
		*bar = *bar2 = '\0';
		r[*n].count = strtol(t, NULL, 10);
		r[*n].policy = SRIOV_NUMA_LEGACY;
		if (bar[1])
			assert_int_equal(sriov_numa_policy_parse(
						 bar + 1, SRIOV_NUMA_NOVA,
						 &r[*n].policy, NULL),
					 0);
		r[*n].spec = json_loads(bar2 + 1, 0, NULL);
		assert_non_null(r[*n].spec);
		(*n)++;
	}
	free(s);
	return r;
}

static bool support(struct sriov_nova_stats *st, const char *rq,
		    const long *cells, size_t nc)
{
	size_t n;
	struct sriov_nova_request *r = reqs_of(rq, &n);
	bool ok = sriov_nova_stats_support(st, r, n, cells, nc);

	sriov_nova_requests_free(r, n);
	return ok;
}

/* consume; returns the sorted, comma-joined values of KEY of the devices
 * taken (looked up in DEVS by address), or "FAILED" */
static char *consume(struct sriov_nova_stats *st, const char *devs,
		     const char *rq, const long *cells, size_t nc,
		     const char *key)
{
	size_t n;
	struct sriov_nova_request *r = reqs_of(rq, &n);
	json_t *got = NULL, *all = json_loads(devs, 0, NULL);
	int rc = sriov_nova_stats_consume(st, r, n, cells, nc, &got);
	char *out;

	sriov_nova_requests_free(r, n);
	if (rc < 0) {
		assert_int_equal(rc, -ENOSPC);
		json_decref(all);
		return strdup("FAILED");
	}
	size_t m = json_array_size(got), i, k;
	char **v = calloc(m + 1, sizeof(*v));
	json_t *g, *d;
	json_array_foreach(got, i, g) {
		json_array_foreach(all, k, d)
			if (json_equal(json_object_get(d, "address"),
				       json_object_get(g, "address")))
				v[i] = (char *)json_string_value(
					json_object_get(d, key));
	}
	for (i = 1; i < m; i++) /* insertion sort */
		for (k = i; k > 0 && strcmp(v[k - 1], v[k]) > 0; k--) {
			char *t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	size_t len = 1;
	for (i = 0; i < m; i++)
		len += strlen(v[i]) + 1;
	out = calloc(1, len);
	for (i = 0; i < m; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, v[i]);
	}
	free(v);
	json_decref(got);
	json_decref(all);
	return out;
}

/* The count of the pool with these key values, -1 if there is none. */
static long pool_count(struct sriov_nova_stats *st, const char *match)
{
	json_t *pools = sriov_nova_stats_pools(st),
	       *m = json_loads(match, 0, NULL);
	json_t *p;
	size_t i;
	long c = -1;

	json_array_foreach(pools, i, p) {
		const char *k;
		json_t *v;
		bool ok = true;
		json_object_foreach(m, k, v)
			ok = ok && json_equal(v, json_object_get(p, k));
		if (ok)
			c = (long)json_integer_value(
				json_object_get(p, "count"));
	}
	json_decref(pools);
	json_decref(m);
	return c;
}

/* PciDeviceStatsTestCase: fake_pci_1..4 and a whitelist that takes all */
#define FAKE(a, v, p, n)                                                     \
	"{\"address\":\"" a "\",\"product_id\":\"" p "\",\"vendor_id\":\"" v \
	"\",\"numa_node\":" n                                                \
	",\"dev_type\":\"type-PCI\",\"parent_addr\":null}"
/* Nova's fake_pci_4 reuses fake_pci_3's address and the v4 devices
 * fake_pci_1's; we give them their own, as a host would, so that the
 * devices a claim takes can be told apart */
#define DEVS4                                                           \
	"[" FAKE("0000:00:00.1", "v1", "p1", "0") "," FAKE(             \
		"0000:00:00.2", "v2", "p2",                             \
		"1") "," FAKE("0000:00:00.3", "v1", "p1",               \
			      "0") "," FAKE("0000:00:00.4", "v3", "p3", \
					    "null") "]"
#define DEVS7                                                                                         \
	"[" FAKE("0000:00:00.1", "v1", "p1", "0") "," FAKE("0000:00:00.2", "v2", "p2", "1") "," FAKE( \
		"0000:00:00.3", "v1", "p1",                                                           \
		"0") "," FAKE("0000:00:00.4", "v3", "p3",                                             \
			      "null") "," FAKE("0000:00:00.5", "v4", "pr0",                           \
					       "0") "," FAKE("0000:00:00.6",                          \
							     "v4", "pr1",                             \
							     "1") "," FAKE("0000:00:00.7",            \
									   "v4",                      \
									   "pr_none",                 \
									   "null") "]"
#define REQS "1||[{\"vendor_id\":\"v1\"}];1||[{\"vendor_id\":\"v2\"}]"
#define REQS_MULTI "1||[{\"vendor_id\":\"v1\"}];3||[{\"vendor_id\":\"v2\"}]"

static void test_stats_basic(void **state)
{
	const char *all = "{}";
	struct sriov_nova_whitelist *wl = wl_of(&all, 1);
	struct sriov_nova_stats *st = stats_of(wl, DEVS4, NULL, 0);
	const long c0 = 0, c01[] = { 0, 1 };

	/* test_add_device */
	json_t *pools = sriov_nova_stats_pools(st);
	assert_int_equal(json_array_size(pools), 3);
	json_decref(pools);
	assert_int_equal(pool_count(st, "{\"vendor_id\":\"v1\"}"), 2);
	assert_int_equal(pool_count(st, "{\"vendor_id\":\"v2\"}"), 1);
	assert_int_equal(pool_count(st, "{\"vendor_id\":\"v3\"}"), 1);
	/* test_support_requests(_failed): and the pools stay */
	assert_true(support(st, REQS, NULL, 0));
	assert_false(support(st, REQS_MULTI, NULL, 0));
	assert_int_equal(pool_count(st, "{\"vendor_id\":\"v1\"}"), 2);
	/* test_apply_requests_failed: the same request */
	/* test_support_requests_numa(_failed) */
	assert_true(support(st, REQS, c01, 2));
	assert_false(support(st, REQS, &c0, 1));
	/* test_support_requests_no_numa_info (default and legacy) */
	assert_true(support(st, "1||[{\"vendor_id\":\"v3\"}]", &c0, 1));
	assert_true(support(st, "1|legacy|[{\"vendor_id\":\"v3\"}]", &c0, 1));
	/* ..._pci_numa_policy_preferred */
	assert_true(support(st,
			    "1|preferred|[{\"vendor_id\":\"v1\"}];"
			    "1|preferred|[{\"vendor_id\":\"v2\"}]",
			    &c0, 1));
	/* test_support_requests_no_numa_info_pci_numa_policy_required */
	assert_false(
		support(st, "1|required|[{\"vendor_id\":\"v3\"}]", &c0, 1));
	sriov_nova_stats_free(st);
	sriov_nova_whitelist_free(wl);
}

static void test_socket_affinity(void **state)
{
	const char *all = "{}";
	struct sriov_nova_whitelist *wl = wl_of(&all, 1);
	const long c0 = 0;
	/* test_filter_pools_for_socket_affinity_no_socket: no pool */
	const struct sriov_nova_cell nosock[] = { { 0, -1 }, { 1, -1 } };
	struct sriov_nova_stats *st = stats_of(wl, DEVS4, nosock, 2);
	assert_false(support(st, "1|socket|[{\"vendor_id\":\"v2\"}]", &c0, 1));
	sriov_nova_stats_free(st);
	/* test_filter_pools_for_socket_affinity: node 1 shares socket 1
	 * with the guest's cell, so its pool (v2) is the one left */
	const struct sriov_nova_cell same[] = { { 0, 1 }, { 1, 1 } };
	st = stats_of(wl, DEVS4, same, 2);
	assert_true(support(st, "1|socket|[{\"vendor_id\":\"v2\"}]", &c0, 1));
	sriov_nova_stats_free(st);
	const struct sriov_nova_cell other[] = { { 0, 0 }, { 1, 1 } };
	st = stats_of(wl, DEVS4, other, 2);
	assert_false(support(st, "1|socket|[{\"vendor_id\":\"v2\"}]", &c0, 1));
	sriov_nova_stats_free(st);
	sriov_nova_whitelist_free(wl);
}

static void expect_consume(const char *devs, const char *rq, const long *cells,
			   size_t nc, const char *key, const char *want)
{
	const char *all = "{}";
	struct sriov_nova_whitelist *wl = wl_of(&all, 1);
	struct sriov_nova_stats *st = stats_of(wl, devs, NULL, 0);
	char *got = consume(st, devs, rq, cells, nc, key);

	if (strcmp(got, want))
		fail_msg("consume %s: want %s, got %s", rq, want, got);
	free(got);
	sriov_nova_stats_free(st);
	sriov_nova_whitelist_free(wl);
}

static void test_consume(void **state)
{
	const long c0 = 0, c01[] = { 0, 1 }, c999 = 999;

	expect_consume(DEVS4, REQS, NULL, 0, "vendor_id", "v1,v2");
	expect_consume(DEVS4, REQS_MULTI, NULL, 0, "vendor_id", "FAILED");
	expect_consume(DEVS4, REQS, c01, 2, "vendor_id", "v1,v2");
	expect_consume(DEVS4, REQS, &c0, 1, "vendor_id", "FAILED");
	expect_consume(DEVS4, "1||[{\"vendor_id\":\"v3\"}]", &c0, 1,
		       "vendor_id", "v3");
	/* _test_consume_requests_numa_policy: cells, policy, expected */
	static const struct {
		long cell;
		const char *rq, *want;
	} t[] = {
		{ 0, "1|required|[{\"vendor_id\":\"v4\"}]", "pr0" },
		{ 999, "1|required|[{\"vendor_id\":\"v4\"}]", "FAILED" },
		{ 0, "1|legacy|[{\"vendor_id\":\"v4\"}]", "pr0" },
		{ 999, "1|legacy|[{\"vendor_id\":\"v4\"}]", "pr_none" },
		/* ..._legacy_multiple (Nova's test uses preferred) */
		{ 0, "2|preferred|[{\"vendor_id\":\"v4\"}]", "pr0,pr_none" },
		{ 0, "1|legacy|[{\"vendor_id\":\"v2\"}]", "FAILED" },
		{ 0, "1|preferred|[{\"vendor_id\":\"v4\"}]", "pr0" },
		{ 999, "1|preferred|[{\"vendor_id\":\"v4\"}]", "pr_none" },
		{ 0, "1|preferred|[{\"vendor_id\":\"v2\"}]", "p2" },
		{ 0, "2|preferred|[{\"vendor_id\":\"v4\"}]", "pr0,pr_none" },
		{ 0, "3|preferred|[{\"vendor_id\":\"v4\"}]",
		  "pr0,pr1,pr_none" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_consume(DEVS7, t[i].rq, t[i].cell ? &c999 : &c0, 1,
			       "product_id", t[i].want);
	/* test_consume_requests_empty */
	const char *all = "{}";
	struct sriov_nova_whitelist *wl = wl_of(&all, 1);
	struct sriov_nova_stats *st = stats_of(wl, DEVS4, NULL, 0);
	json_t *got = NULL;
	assert_int_equal(sriov_nova_stats_consume(st, NULL, 0, NULL, 0, &got),
			 0);
	assert_int_equal(json_array_size(got), 0);
	json_decref(got);
	sriov_nova_stats_free(st);
	sriov_nova_whitelist_free(wl);
}

/* PciDeviceStatsWithTagsTestCase */
static const char *tag_specs[] = {
	"{\"vendor_id\":\"1137\",\"product_id\":\"0071\",\"address\":\"*:0a:00.*\",\"physical_network\":\"physnet1\"}",
	"{\"vendor_id\":\"1137\",\"product_id\":\"0072\"}",
	"{\"vendor_id\":\"15b3\",\"product_id\":\"101e\",\"remote_managed\":\"true\"}",
	"{\"vendor_id\":\"15b3\",\"product_id\":\"101c\"}",
	"{\"vendor_id\":\"15b3\",\"product_id\":\"1018\",\"remote_managed\":\"false\"}",
};
#define TD(a, p, t, extra)                                                        \
	"{\"address\":\"" a "\",\"vendor_id\":\"" t "\",\"product_id\":\"" p      \
	"\",\"dev_type\":\"type-PCI\",\"parent_addr\":null,\"numa_node\":0" extra \
	"}"
#define VFD(a, v, p, pa, extra)                                              \
	"{\"address\":\"" a "\",\"vendor_id\":\"" v "\",\"product_id\":\"" p \
	"\",\"dev_type\":\"type-VF\",\"parent_addr\":\"" pa                  \
	"\",\"numa_node\":0" extra "}"
#define SERIAL \
	",\"capabilities\":{\"vpd\":{\"card_serial_number\":\"MT2113X00000\"}}"
#define TAGDEVS                                                                                                                \
	"[" TD("0000:0a:00.0", "0071", "1137", "") "," TD("0000:0a:00.1", "0071", "1137", "") "," TD(                          \
		"0000:0a:00.2", "0071", "1137",                                                                                \
		"") "," TD("0000:0a:00.3", "0071", "1137",                                                                     \
			   "") "," TD("0000:0b:00.0", "0072", "1137",                                                          \
				      "") "," TD("0000:0b:00.1", "0072",                                                       \
						 "1137",                                                                       \
						 "") "," TD("0000:0b:00.2",                                                    \
							    "0072", "1137",                                                    \
							    "") "," VFD("0000:0c:00.1",                                        \
									"15b3",                                                \
									"101e",                                                \
									"0000:0c:00.0",                                        \
									SERIAL) "," VFD("0000:0d:00.1",                        \
											"15b3",                                \
											"101c",                                \
											"0000:0d:00.0",                        \
											"") "," VFD("0000:0e:00.1",            \
												    "15b3",                    \
												    "1018",                    \
												    "0000:0e:00.0",            \
												    "") "," TD("0000:0f:00.1", \
													       "0172",         \
													       "2345",         \
													       "") "]"

static void test_with_tags(void **state)
{
	struct sriov_nova_whitelist *wl = wl_of(tag_specs, 5);
	struct sriov_nova_stats *st = stats_of(wl, TAGDEVS, NULL, 0);
	json_t *pools = sriov_nova_stats_pools(st);
	/* test_add_devices, test_add_device_no_devspec: the five pools in
	 * Nova's order (untagged first) and the 2345:0172 device (Nova
	 * reuses 0000:0c:00.1 for it; we give it its own) in none */
	const char *want =
		"[{\"product_id\":\"0072\",\"vendor_id\":\"1137\",\"numa_node\":0,\"dev_type\":\"type-PCI\",\"count\":3},"
		"{\"product_id\":\"0071\",\"vendor_id\":\"1137\",\"numa_node\":0,\"dev_type\":\"type-PCI\",\"physical_network\":\"physnet1\",\"count\":4},"
		"{\"product_id\":\"101e\",\"vendor_id\":\"15b3\",\"numa_node\":0,\"dev_type\":\"type-VF\",\"remote_managed\":\"true\",\"count\":1},"
		"{\"product_id\":\"101c\",\"vendor_id\":\"15b3\",\"numa_node\":0,\"dev_type\":\"type-VF\",\"remote_managed\":\"false\",\"count\":1},"
		"{\"product_id\":\"1018\",\"vendor_id\":\"15b3\",\"numa_node\":0,\"dev_type\":\"type-VF\",\"remote_managed\":\"false\",\"count\":1}]";
	json_t *w = json_loads(want, 0, NULL);
	assert_true(json_equal(pools, w));
	json_decref(w);
	json_decref(pools);
	/* test_consume_requests */
	char *got = consume(
		st, TAGDEVS,
		"1||[{\"physical_network\":\"physnet1\"}];"
		"1||[{\"vendor_id\":\"1137\",\"product_id\":\"0072\"}];"
		"1||[{\"vendor_id\":\"15b3\",\"product_id\":\"101e\",\"remote_managed\":\"True\"}];"
		"1||[{\"vendor_id\":\"15b3\",\"product_id\":\"101c\",\"remote_managed\":\"False\"}];"
		"1||[{\"vendor_id\":\"15b3\",\"product_id\":\"1018\",\"remote_managed\":\"False\"}]",
		NULL, 0, "product_id");
	assert_string_equal(got, "0071,0072,1018,101c,101e");
	free(got);
	/* the pools stay, at 0 */
	assert_int_equal(pool_count(st, "{\"product_id\":\"0072\"}"), 2);
	assert_int_equal(pool_count(st, "{\"product_id\":\"0071\"}"), 3);
	assert_int_equal(pool_count(st, "{\"product_id\":\"101e\"}"), 0);
	assert_int_equal(pool_count(st, "{\"product_id\":\"101c\"}"), 0);
	assert_int_equal(pool_count(st, "{\"product_id\":\"1018\"}"), 0);
	sriov_nova_stats_free(st);
	sriov_nova_whitelist_free(wl);
}

/* PciDeviceVFPFStatsTestCase */
static const char *vfpf_specs[] = {
	"{\"vendor_id\":\"8086\",\"product_id\":\"1528\"}",
	"{\"vendor_id\":\"8086\",\"product_id\":\"1515\"}",
	"{\"vendor_id\":\"15b3\",\"product_id\":\"a2d6\",\"remote_managed\":\"false\"}",
	"{\"vendor_id\":\"15b3\",\"product_id\":\"101e\",\"remote_managed\":\"true\"}",
};

static char *vfpf_devs(const char *pf_product)
{
	json_t *a = json_array();

	for (int i = 0; i < 2; i++)
		json_array_append_new(
			a, json_pack("{s:s%,s:s,s:s,s:s,s:n,s:i}", "address",
				     i ? "0000:81:00.1" : "0000:81:00.0",
				     (size_t)12, "vendor_id", "8086",
				     "product_id", pf_product, "dev_type",
				     "type-PF", "parent_addr", "numa_node", 0));
	for (int i = 0; i < 2; i++)
		json_array_append_new(
			a,
			json_pack("{s:s%,s:s,s:s,s:s,s:n,s:i,s:{s:{s:s}}}",
				  "address",
				  i ? "0001:81:00.1" : "0001:81:00.0",
				  (size_t)12, "vendor_id", "15b3", "product_id",
				  "a2d6", "dev_type", "type-PF", "parent_addr",
				  "numa_node", 0, "capabilities", "vpd",
				  "card_serial_number", "MT2113X00000"));
	static const char *const kinds[][4] = {
		{ "0000:81:10.", "8086", "1515", "type-VF" },
		{ "0000:82:10.", "8086", "1515", "vdpa" },
		{ "0001:81:10.", "15b3", "101e", "type-VF" },
	};
	for (int k = 0; k < 3; k++)
		for (int i = 0; i < 8; i++) {
			char ad[16], pa[16];
			snprintf(ad, sizeof(ad), "%s%d", kinds[k][0], i);
			snprintf(pa, sizeof(pa), "%s:81:00.%d",
				 k == 2 ? "0001" : "0000", i / 4);
			json_t *d = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}",
					      "address", ad, "vendor_id",
					      kinds[k][1], "product_id",
					      kinds[k][2], "dev_type",
					      kinds[k][3], "parent_addr", pa,
					      "numa_node", 0);
			if (k == 2)
				json_object_set_new(
					d, "capabilities",
					json_pack("{s:{s:s}}", "vpd",
						  "card_serial_number",
						  "MT2113X00000"));
			json_array_append_new(a, d);
		}
	char *s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static void vfpf(const char *pf_product, const char *rq, const char *want,
		 const char *pool, long left)
{
	struct sriov_nova_whitelist *wl = wl_of(vfpf_specs, 4);
	char *devs = vfpf_devs(pf_product);
	struct sriov_nova_stats *st = stats_of(wl, devs, NULL, 0);
	char *got = consume(st, devs, rq, NULL, 0, "product_id");

	if (strcmp(got, want))
		fail_msg("consume %s: want %s, got %s", rq, want, got);
	if (pool && pool_count(st, pool) != left)
		fail_msg("consume %s: pool %s: want %ld, got %ld", rq, pool,
			 left, pool_count(st, pool));
	free(got);
	free(devs);
	sriov_nova_stats_free(st);
	sriov_nova_whitelist_free(wl);
}

static void test_vf_pf(void **state)
{
	/* test_consume_VDPA_requests: 8 vdpa devices; their PFs go */
	vfpf("1528", "8||[{\"dev_type\":\"vdpa\"}]",
	     "1515,1515,1515,1515,1515,1515,1515,1515",
	     "{\"product_id\":\"1528\"}", -1);
	/* test_consume_VF_requests: 2 VFs of one PF (LIFO: 0000:81:10.7
	 * and .6); that PF goes, the other stays */
	vfpf("1528", "2||[{\"product_id\":\"1515\"}]", "1515,1515",
	     "{\"product_id\":\"1528\"}", 1);
	/* test_consume_PF_requests: both PFs; no free VF of theirs left */
	vfpf("1528", "2||[{\"product_id\":\"1528\",\"dev_type\":\"type-PF\"}]",
	     "1528,1528", "{\"product_id\":\"1515\"}", -1);
	/* test_consume_VF_and_PF_requests */
	vfpf("1528",
	     "2||[{\"product_id\":\"1515\"}];"
	     "1||[{\"product_id\":\"1528\",\"dev_type\":\"type-PF\"}]",
	     "1515,1515,1528", NULL, 0);
	/* test_consume_VF_and_PF_requests_failed */
	vfpf("1528",
	     "5||[{\"product_id\":\"1515\"}];"
	     "1||[{\"product_id\":\"1528\",\"dev_type\":\"type-PF\"}]",
	     "FAILED", NULL, 0);
	/* test_consume_VF_and_PF_same_product_id_failed */
	vfpf("1515", "9||[{\"product_id\":\"1515\"}]", "FAILED", NULL, 0);
	/* test_consume_PF_not_remote_managed */
	vfpf("1528",
	     "2||[{\"product_id\":\"1528\",\"dev_type\":\"type-PF\",\"remote_managed\":\"false\"}]",
	     "1528,1528", "{\"product_id\":\"1528\"}", 0);
	/* test_consume_VF_requests_remote_managed */
	vfpf("1528", "2||[{\"remote_managed\":\"true\"}]", "101e,101e",
	     "{\"product_id\":\"a2d6\"}", 1);
	/* test_consume_VF_requests_remote_managed_filtered: fails, and the
	 * free devices are as before */
	vfpf("1528",
	     "1||[{\"product_id\":\"101e\",\"remote_managed\":\"false\"}];"
	     "1||[{\"product_id\":\"101e\"}]",
	     "FAILED", "{\"product_id\":\"101e\"}", 8);
	/* test_consume_VF_requests_remote_managed_mix */
	vfpf("1528",
	     "1||[{\"product_id\":\"101e\",\"remote_managed\":\"true\"}];"
	     "1||[{\"product_id\":\"1515\",\"remote_managed\":\"false\"}]",
	     "101e,1515", NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_basic),
		cmocka_unit_test(test_socket_affinity),
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_with_tags),
		cmocka_unit_test(test_vf_pf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
