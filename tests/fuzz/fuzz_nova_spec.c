/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for [pci] device_spec and alias values and what runs on
 * them: matching, pools in both views (the compute node's, the
 * scheduler's), requests from aliases and from JSON, support and claims.
 * The input is lines: device_spec values, a line "--", alias values, a
 * line "--", scheduling questions (the JSON of nova fit's REQUESTS
 * elements). libFuzzer build (tests/fuzz/nova.cmake, -DSRIOV_FUZZ=ON with
 * clang):
 *
 *   ./fuzz_nova_spec tests/fuzz/corpus-nova-spec
 *
 * CTest replays the corpus through the same function (fuzz.nova-spec).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/nova.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VALUES 16

static const char devices[] =
	"[{\"address\": \"0000:0a:00.0\", \"vendor_id\": \"15b3\", \"product_id\": \"1017\", \"dev_type\": \"type-PF\", \"numa_node\": 0},"
	"{\"address\": \"0000:0a:00.1\", \"vendor_id\": \"15b3\", \"product_id\": \"1018\", \"dev_type\": \"type-VF\", \"parent_addr\": \"0000:0a:00.0\", \"numa_node\": 0, \"parent_ifname\": \"ens1f0\"},"
	"{\"address\": \"0000:0a:00.2\", \"vendor_id\": \"15b3\", \"product_id\": \"1018\", \"dev_type\": \"vdpa\", \"parent_addr\": \"0000:0a:00.0\", \"numa_node\": 0},"
	"{\"address\": \"0000:0b:00.1\", \"vendor_id\": \"8086\", \"product_id\": \"154c\", \"dev_type\": \"type-VF\", \"parent_addr\": \"0000:0b:00.0\", \"numa_node\": 1, \"capabilities\": {\"vpd\": {\"card_serial_number\": \"MT1\"}}},"
	"{\"address\": \"0000:0b:00.2\", \"vendor_id\": \"8086\", \"product_id\": \"154c\", \"dev_type\": \"type-VF\", \"parent_addr\": \"0000:0b:00.0\", \"numa_node\": null},"
	"{\"address\": \"0000:1a:00.0\", \"vendor_id\": \"10de\", \"product_id\": \"1db4\", \"dev_type\": \"type-PCI\", \"numa_node\": 1}]";

static const struct sriov_nova_cell cells[] = { { 0, 0 }, { 1, 1 } };

/* Every pool has a positive count (0 after a claim), and no more
 * devices than the host. */
static void check_pools(struct sriov_nova_stats *st, size_t ndevs, bool taken)
{
	json_t *pools = sriov_nova_stats_pools(st), *p;
	json_int_t sum = 0;
	size_t i;

	if (!pools)
		abort();
	json_array_foreach(pools, i, p) {
		json_int_t c = json_integer_value(json_object_get(p, "count"));
		if (c < 0 || (c == 0 && !taken))
			abort();
		sum += c;
	}
	/* (a request for a negative count gives devices, in Nova too) */
	if (!taken && sum > (json_int_t)ndevs)
		abort();
	json_decref(pools);
}

static void run_query(const struct sriov_nova_whitelist *wl, json_t *devs,
		      const struct sriov_nova_aliases *al, json_t *e)
{
	struct sriov_nova_query q = { 0 };
	struct sriov_error err = { 0 };
	static const unsigned views[] = { 0, SRIOV_NOVA_SCHEDULER,
					  SRIOV_NOVA_HW_SHARED |
						  SRIOV_NOVA_DETERMINISTIC };

	if (sriov_nova_query_from_json(al, e, &q, &err) < 0) {
		if (!err.msg[0])
			abort();
		return;
	}
	for (size_t v = 0; v < sizeof(views) / sizeof(views[0]); v++) {
		struct sriov_nova_stats *st = NULL, *again = NULL;
		json_t *got = NULL;

		if (sriov_nova_stats_new_flags(wl, devs, cells, 2, views[v],
					       &st, &err) < 0)
			continue;
		int s = sriov_nova_stats_support_flags(st, q.reqs, q.n, q.cells,
						       q.ncells);
		int plain = sriov_nova_stats_support(st, q.reqs, q.n, q.cells,
						     q.ncells);
		if (s < 0 || plain < 0)
			abort();
		int c = sriov_nova_stats_consume(st, q.reqs, q.n, q.cells,
						 q.ncells, &got);
		if (c != 0 && c != -ENOSPC)
			abort();
		/* a claim that succeeds is one the filter passes, but for
		 * Nova's count 0 quirk: a pool a claim emptied stays in the
		 * pools (count 0) and meets a later request for 0 devices,
		 * the filter's copy drops it */
		bool some_zero = false;
		for (size_t k = 0; k < q.n; k++)
			some_zero = some_zero || q.reqs[k].count <= 0;
		if (c == 0 && !plain && !some_zero)
			abort();
		/* with a PF and its VFs as one piece of hardware, the
		 * filter answers what the claim does */
		if ((views[v] & SRIOV_NOVA_HW_SHARED) && s != (c == 0))
			abort();
		json_decref(got);
		check_pools(st, json_array_size(devs), true);
		/* a failed claim gives its devices back */
		if (c == -ENOSPC &&
		    sriov_nova_stats_new_flags(wl, devs, cells, 2, views[v],
					       &again, &err) == 0) {
			json_t *a = sriov_nova_stats_pools(st);
			json_t *b = sriov_nova_stats_pools(again);
			if (!a || !b || json_array_size(a) > json_array_size(b))
				abort();
			json_decref(a);
			json_decref(b);
			sriov_nova_stats_free(again);
		}
		sriov_nova_stats_free(st);
	}
	sriov_nova_query_release(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *save = NULL;
	const char *vals[3][MAX_VALUES];
	size_t n[3] = { 0 }, part = 0;
	struct sriov_nova_whitelist *wl = NULL;
	struct sriov_nova_aliases *al = NULL;
	struct sriov_error err = { 0 };
	json_t *devs = json_loads(devices, 0, NULL), *d;
	size_t i;

	if (!text || !devs)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(l, "--")) {
			part += part < 2;
			continue;
		}
		if (n[part] < MAX_VALUES)
			vals[part][n[part]++] = l;
	}
	if (sriov_nova_whitelist_parse(NULL, vals[0], n[0], &wl, &err) < 0) {
		if (!err.msg[0])
			abort();
		goto out;
	}
	json_array_foreach(devs, i, d) {
		err.msg[0] = '\0';
		int m = sriov_nova_whitelist_match(wl, d, &err);
		if (m >= 0 && (size_t)m >= sriov_nova_whitelist_size(wl))
			abort();
		if (m >= 0 &&
		    sriov_nova_whitelist_value_index(wl, (size_t)m) >= n[0])
			abort();
		if (m < 0 && m != -ENOENT && !err.msg[0])
			abort();
	}
	struct sriov_nova_stats *st = NULL;
	if (sriov_nova_stats_new(wl, devs, cells, 2, &st, &err) == 0) {
		check_pools(st, json_array_size(devs), false);
		sriov_nova_stats_free(st);
	}
	if (sriov_nova_aliases_parse(vals[1], n[1], &al, &err) < 0) {
		if (!err.msg[0])
			abort();
		al = NULL;
	}
	for (size_t k = 0; k < n[2]; k++) {
		json_t *e = json_loads(vals[2][k], JSON_DECODE_ANY, NULL);
		if (json_is_object(e))
			run_query(wl, devs, al, e);
		json_decref(e);
	}
out:
	sriov_nova_aliases_free(al);
	sriov_nova_whitelist_free(wl);
	json_decref(devs);
	free(text);
	return 0;
}
