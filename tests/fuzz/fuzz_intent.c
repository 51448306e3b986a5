/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the partition intent (sriov_intent_parse()) and what
 * sriovctl fabric render does with it: write partitions.conf, then read
 * that text back with the partitions.conf parser and lint it. Invariant:
 * what the intent accepts and the writer writes, our own parser reads
 * back without an error, the same partitions in the same order.
 *
 * libFuzzer: -DSRIOV_FUZZ=ON with clang-14, then
 * build/tests/fuzz/fuzz_intent tests/fuzz/corpus-intent
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/partitions.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sriov_lint_opts lo = { 0 };
	struct sriov_partitions in, back;
	struct sriov_error err = { 0 };
	char *text = NULL;

	if (sriov_intent_parse((const char *)data, size, "i.yaml", &in, &err) <
	    0) {
		if (strncmp(err.msg, "i.yaml", 6) &&
		    strncmp(err.msg, "out of memory", 13))
			abort();
		return 0;
	}
	if (!in.n_stmts)
		abort();
	if (sriov_partitions_write(&in, &text, &err) < 0) {
		sriov_partitions_release(&in);
		return 0;
	}
	if (sriov_partitions_parse(text, strlen(text), "w.conf", &back, &err) <
	    0)
		abort();
	if (sriov_partitions_lint(&back, &lo, &err) < 0)
		abort();
	if (back.fallback || back.undefined ||
	    sriov_partitions_count(&back, SRIOV_DIAG_ERROR))
		abort(); /* fabric render would refuse what it wrote */
	if (back.n_stmts != in.n_stmts)
		abort();
	for (size_t i = 0; i < in.n_stmts; i++)
		if (back.stmts[i].pkey != in.stmts[i].pkey ||
		    strcmp(back.stmts[i].name, in.stmts[i].name) ||
		    back.stmts[i].n_members != in.stmts[i].n_members)
			abort();
	free(text);
	sriov_partitions_release(&back);
	sriov_partitions_release(&in);
	return 0;
}
