/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the key schema: the input is a key, a newline, and a
 * value, as any host of the cloud may have put them. A value must parse
 * or fail with an error that names its key; one that parses must format
 * back to bytes that parse to the same struct (what a reader accepts, a
 * writer writes). Keys must parse or be refused, and a parsed key built
 * again must be the same key. libFuzzer build, from the source tree:
 *
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Isrc/lib tests/fuzz/fuzz_cluster_schema.c \
 *     src/lib/cluster/schema.c src/lib/util/error.c src/lib/util/types.c \
 *     src/lib/util/strutil.c -ljansson -o fuzz_cluster_schema
 *   ./fuzz_cluster_schema -max_len=4096 tests/fuzz/corpus-schema
 *
 * CTest replays tests/fuzz/corpus-schema (fuzz.schema.replay).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/cluster.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void named(const struct sriov_error *err, const char *key)
{
	if (!strstr(err->msg, key))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	char key[SRIOV_CLUSTER_KEY_MAX], id[SRIOV_CLUSTER_ID_MAX];
	char again[SRIOV_CLUSTER_KEY_MAX];
	struct sriov_cluster_keys k;
	struct sriov_error err = { 0 };
	enum sriov_cluster_kind kind;
	const char *v;
	size_t kn, vn;
	char *out;

	if (!nl || (size_t)(nl - (const char *)data) >= sizeof(key))
		return 0;
	kn = (size_t)(nl - (const char *)data);
	memcpy(key, data, kn);
	key[kn] = '\0';
	v = nl + 1;
	vn = size - kn - 1;
	sriov_cluster_keys_init(&k, NULL, NULL);
	if (sriov_cluster_key_parse(&k, key, kn, &kind, id, &err) == 0) {
		if (sriov_cluster_key(&k, kind, id, again, NULL) < 0 ||
		    strcmp(again, key))
			abort();
	} else if (strlen(key) == kn && kn < 300) {
		named(&err, key);
	}
	if (memchr(key, '\0', kn))
		return 0;

	struct sriov_cluster_port p, p2;
	if (sriov_cluster_port_parse(key, v, vn, &p, &err) == 0) {
		if (sriov_cluster_port_format(&p, &out, NULL) < 0 ||
		    sriov_cluster_port_parse(key, out, strlen(out), &p2, NULL) <
			    0 ||
		    memcmp(&p, &p2, sizeof(p)))
			abort();
		free(out);
	} else if (strlen(key) < 300) {
		named(&err, key);
	}

	struct sriov_cluster_host h, h2;
	if (sriov_cluster_host_parse(key, v, vn, &h, &err) == 0) {
		if (sriov_cluster_host_format(&h, &out, NULL) < 0 ||
		    sriov_cluster_host_parse(key, out, strlen(out), &h2, NULL) <
			    0 ||
		    h.n_pfs != h2.n_pfs || strcmp(h.id, h2.id) ||
		    (h.n_pfs &&
		     memcmp(h.pfs, h2.pfs, h.n_pfs * sizeof(*h.pfs))))
			abort();
		free(out);
		sriov_cluster_host_release(&h);
		sriov_cluster_host_release(&h2);
	} else if (strlen(key) < 300) {
		named(&err, key);
	}

	struct sriov_cluster_claim c, c2;
	if (sriov_cluster_claim_parse(key, v, vn, &c, &err) == 0) {
		if (sriov_cluster_claim_format(&c, &out, NULL) < 0 ||
		    sriov_cluster_claim_parse(key, out, strlen(out), &c2,
					      NULL) < 0 ||
		    memcmp(&c, &c2, sizeof(c)))
			abort();
		free(out);
	} else if (strlen(key) < 300) {
		named(&err, key);
	}

	struct sriov_cluster_fabric_status s, s2;
	if (sriov_cluster_fabric_status_parse(key, v, vn, &s, &err) == 0) {
		if (sriov_cluster_fabric_status_format(&s, &out, NULL) < 0 ||
		    sriov_cluster_fabric_status_parse(key, out, strlen(out),
						      &s2, NULL) < 0 ||
		    s.n_pkeys != s2.n_pkeys || s.revision != s2.revision ||
		    (s.n_pkeys &&
		     memcmp(s.pkeys, s2.pkeys, s.n_pkeys * sizeof(*s.pkeys))))
			abort();
		free(out);
		sriov_cluster_fabric_status_release(&s);
		sriov_cluster_fabric_status_release(&s2);
	} else if (strlen(key) < 300) {
		named(&err, key);
	}
	return 0;
}
