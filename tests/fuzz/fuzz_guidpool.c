/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the GUID pool file (guid_pool: {start, end}), what
 * sriov_guid_pool_load() parses once it has read the file. Invariant: an
 * accepted pool is a valid range, and a GUID allocated from it with
 * nothing in use lies in it.
 *
 * libFuzzer: -DSRIOV_FUZZ=ON with clang-14, then
 * build/tests/fuzz/fuzz_guidpool tests/fuzz/corpus-guidpool
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/ib.h>
#include "core/ib-guid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sriov_error err = { 0 };
	struct sriov_guid_pool p;
	uint64_t g;

	if (guid_pool_parse_text("p.yaml", (const char *)data, size, &p, &err) <
	    0) {
		if (strncmp(err.msg, "p.yaml", 6) &&
		    strncmp(err.msg, "out of memory", 13))
			abort();
		return 0;
	}
	if (p.start > p.end || sriov_guid_pool_check(&p, NULL) < 0)
		abort();
	if (sriov_guid_allocate(&p, 0x0002c90300000001ull, 0, SRIOV_GUID_PORT,
				NULL, 0, 0, &g, &err) < 0 ||
	    g < p.start || g > p.end)
		abort();
	return 0;
}
