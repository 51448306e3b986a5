/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the transport_url parser: whatever the input, the parser
 * returns; what it accepts holds at least one host, ports from 1, a vhost,
 * and credentials that are UTF-8 without control characters. libFuzzer
 * build, from the source tree:
 *
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Isrc/lib tests/fuzz/fuzz_rpc_url.c src/lib/rpc/url.c \
 *     src/lib/rpc/msg.c src/lib/util/error.c src/lib/util/strutil.c \
 *     -ljansson -o fuzz_rpc_url
 *   ./fuzz_rpc_url tests/fuzz/corpus-rpc-url
 *
 * CTest replays the corpus through the same function (fuzz.rpc-url.replay).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/rpc.h>

#include "rpc/rpc-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void clean(const char *s)
{
	size_t n = strlen(s);

	if (!rpc_utf8_valid(s, n))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sriov_rpc_url u;
	struct sriov_error err;
	char *s;

	if (size > SRIOV_RPC_URL_MAX + 16)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	sriov_rpc_url_init(&u);
	u.ssl_ca_file = strdup("/caller/ca.pem");
	if (sriov_rpc_url_parse(&u, s, &err) == 0) {
		if (!u.n_hosts || u.n_hosts > SRIOV_RPC_HOSTS_MAX || !u.vhost ||
		    !*u.vhost)
			abort();
		clean(u.vhost);
		for (size_t i = 0; i < u.n_hosts; i++) {
			if (!u.hosts[i].port || !*u.hosts[i].host ||
			    !*u.hosts[i].user || !*u.hosts[i].password)
				abort();
			clean(u.hosts[i].user);
			clean(u.hosts[i].password);
			if (strchr(u.hosts[i].user, '/') ||
			    strchr(u.hosts[i].password, '/'))
				abort();
		}
	} else if (err.code >= 0 || !err.msg[0]) {
		abort(); /* a failure always says why */
	}
	sriov_rpc_url_release(&u);
	free(s);
	return 0;
}
