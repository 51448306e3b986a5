/* SPDX-License-Identifier: MIT */
#ifndef SRIOV_CORE_IB_GUID_H
#define SRIOV_CORE_IB_GUID_H

#include <stddef.h>

#include <sriov/ib.h>

/*
 * The GUID pool file's text (guid_pool: {start: GUID, end: GUID}) parsed
 * and checked: what sriov_guid_pool_load() does once it has read @path,
 * and what the fuzz target (tests/fuzz/fuzz_guidpool.c) calls.
 */
int guid_pool_parse_text(const char *path, const char *buf, size_t len,
			 struct sriov_guid_pool *ret, struct sriov_error *err);

#endif
