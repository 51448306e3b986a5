/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the partitions.conf parser (and what runs on its
 * result: lint, prediction, and for accepted files the writer's round
 * trip). libFuzzer build, from the source tree:
 *
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Isrc/lib tests/fuzz/fuzz_partitions.c \
 *     src/lib/config/partitions.c src/lib/config/partitions-model.c \
 *     src/lib/config/intent.c src/lib/util/error.c src/lib/util/strutil.c \
 *     -lyaml -o fuzz_partitions
 *   ./fuzz_partitions tests/fuzz/corpus-partitions tests/fixtures/partitions
 *
 * CTest runs every file of both corpora through the same function with
 * replay_main.c (fuzz.partitions.replay).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/partitions.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sriov_fabric_port ports[] = {
	{ 0x0002c90300000011, SRIOV_NODE_CA, 0 },
	{ 0x0002c90300000021, SRIOV_NODE_CA, 4 },
	{ 0x0002c90300000a01, SRIOV_NODE_SWITCH, 0 },
	{ 0x21, SRIOV_NODE_ROUTER, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sriov_lint_opts lo = { .table_size = 4 };
	struct sriov_partitions pc;
	struct sriov_port_pkeys *t = NULL;
	char line[1024];

	if (sriov_partitions_parse((const char *)data, size, "fuzz", &pc,
				   NULL) < 0)
		return 0;
	if (pc.fallback && !sriov_partitions_count(&pc, SRIOV_DIAG_ERROR))
		abort(); /* a fallback is always an error */
	if (pc.fallback && pc.undefined)
		abort();
	for (size_t i = 0; i < pc.n_diags; i++) {
		const struct sriov_diag *d = &pc.diags[i];

		/* An error that is no fallback: OpenSM read past a line. */
		if (d->level == SRIOV_DIAG_ERROR && !pc.fallback &&
		    strcmp(d->code, "read-past-line") &&
		    strcmp(d->code, "undefined-read"))
			abort();
		/* Every error names its line and column. */
		if (d->level == SRIOV_DIAG_ERROR && (!d->line || !d->column))
			abort();
		if (!strcmp(d->code, "undefined-read") && !pc.undefined)
			abort();
	}
	sriov_partitions_lint(&pc, &lo, NULL);
	for (size_t i = 0; i < pc.n_diags; i++)
		sriov_diag_format(&pc, &pc.diags[i], line, sizeof(line));
	if (sriov_partitions_predict(&pc, ports, 4, ports[0].guid, 0, &t,
				     NULL) == 0) {
		if (pc.undefined)
			abort(); /* no prediction of an undefined outcome */
		for (size_t i = 0; i < 4; i++)
			if (ports[i].pkey_cap && t[i].n > ports[i].pkey_cap)
				abort();
		sriov_port_pkeys_free(t, 4);
	}
	sriov_partitions_release(&pc);
	return 0;
}
