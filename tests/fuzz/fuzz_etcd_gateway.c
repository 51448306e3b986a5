/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the etcd gateway's answers: the first byte picks the
 * parser (range, txn, put/delete, lease, lease stream, watch line, error),
 * the rest is the answer. Whatever comes from the network must parse or
 * fail with -EPROTO, never crash or leak, and what parses must hold what
 * the structs promise (NUL after every key and value; events in order).
 * libFuzzer build, from the source tree:
 *
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Isrc/lib tests/fuzz/fuzz_etcd_gateway.c \
 *     src/lib/cluster/gateway.c src/lib/cluster/base64.c \
 *     src/lib/util/error.c -ljansson -o fuzz_etcd_gateway
 *   ./fuzz_etcd_gateway -max_len=4096 tests/fuzz/corpus-etcd
 *
 * CTest replays tests/fuzz/corpus-etcd (fuzz.etcd.replay).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_kvs(const struct sriov_etcd_kv *kvs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (kvs[i].key[kvs[i].key_len] ||
		    kvs[i].value[kvs[i].value_len])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;
	struct sriov_etcd_range_resp r;
	struct sriov_etcd_txn_resp t;
	struct etcd_gw_watch_msg m;
	struct sriov_etcd_header h;
	int64_t a, b;
	char msg[64];
	int code, rc;

	if (!size)
		return 0;
	switch (data[0] % 7) {
	case 0:
		rc = etcd_gw_parse_range(s, n, &r, NULL);
		if (rc == 0) {
			check_kvs(r.kvs, r.n_kvs);
			sriov_etcd_range_resp_release(&r);
		}
		break;
	case 1:
		rc = etcd_gw_parse_txn(s, n, &t, NULL);
		if (rc == 0) {
			for (size_t i = 0; i < t.n_responses; i++)
				check_kvs(t.responses[i].kvs,
					  t.responses[i].n_kvs);
			sriov_etcd_txn_resp_release(&t);
		}
		break;
	case 2:
		rc = etcd_gw_parse_delete(s, n, &h, &a, NULL);
		if (rc == 0 && (a < 0 || h.revision < 0))
			abort();
		break;
	case 3:
	case 4:
		rc = etcd_gw_parse_lease(s, n, data[0] % 7 == 4, &a, &b, NULL);
		break;
	case 5:
		rc = etcd_gw_parse_watch(s, n, &m, NULL);
		if (rc == 0) {
			for (size_t i = 0; i < m.n_events; i++) {
				check_kvs(&m.events[i].kv, 1);
				if (m.events[i].revision <= 0 ||
				    (i && m.events[i].revision <
						  m.events[i - 1].revision))
					abort();
			}
			etcd_gw_watch_msg_release(&m);
		}
		break;
	default:
		if (etcd_gw_error(s, n, &code, msg, sizeof(msg))) {
			if (code < 0 || code >= 64 ||
			    !memchr(msg, 0, sizeof(msg)))
				abort();
			etcd_gw_retry_class(code, msg);
			etcd_gw_errno(code, msg);
		}
		rc = 0;
		break;
	}
	if (rc != 0 && rc != -EPROTO && rc != -ENOMEM && rc != -EIO)
		abort();
	return 0;
}
