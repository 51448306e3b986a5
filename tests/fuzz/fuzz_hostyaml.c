/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for host.yaml: the shape (config/hostyaml.c, through
 * yaml_doc_load()) and then every VF setting through the value parsers
 * apply uses (sriov_vf_config_set/check), as sriovctl apply reads a file
 * before it looks at a PF. Invariants: a refusal names the file and a
 * position; what is accepted has positions, a selector, ranges in order.
 *
 * libFuzzer: cmake -DSRIOV_FUZZ=ON -DCMAKE_C_COMPILER=clang-14, then
 * build/tests/fuzz/fuzz_hostyaml tests/fuzz/corpus-hostyaml
 * CTest replays the corpus and examples/host.yaml (fuzz.hostyaml.replay).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/vf.h>
#include "config/hostyaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sriov_error err = { 0 };
	struct host_file h;

	if (host_parse("h.yaml", (const char *)data, size, &h, &err) < 0) {
		if (strncmp(err.msg, "h.yaml", 6) &&
		    strcmp(err.msg, "out of memory"))
			abort(); /* every refusal names the file */
		return 0;
	}
	for (size_t i = 0; i < h.n_pfs; i++) {
		const struct host_pf *pf = &h.pfs[i];
		bool ven = host_kv_get(pf->kv, pf->n_kv, "vendor"),
		     dev = host_kv_get(pf->kv, pf->n_kv, "device");

		if (!pf->line || !pf->col || ven != dev)
			abort();
		if (!ven && !host_kv_get(pf->kv, pf->n_kv, "pci") &&
		    !host_kv_get(pf->kv, pf->n_kv, "name"))
			abort(); /* an entry says which PF */
		for (size_t j = 0; j < pf->n_vfs; j++) {
			const struct host_vfs *v = &pf->vfs[j];
			struct sriov_vf_config cfg = { 0 };

			if (v->first > v->last || v->last > 65535 || !v->line)
				abort();
			for (size_t k = 0; k < v->n_kv; k++) {
				if (!v->kv[k].line || !v->kv[k].col)
					abort();
				if (strcmp(v->kv[k].key, "driver"))
					sriov_vf_config_set(&cfg, v->kv[k].key,
							    v->kv[k].val, &err);
			}
			sriov_vf_config_check(&cfg, &err);
		}
	}
	host_file_release(&h);
	return 0;
}
