/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the oslo.messaging envelope decoder, the part of the
 * rpc layer a broker's peers reach: whatever the body, decode returns;
 * what it accepts encodes again and decodes to the same message. An input
 * "!DICT" is the dict alone, wrapped in an envelope here.
 * libFuzzer build, from the source tree:
 *
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iinclude -Isrc/lib tests/fuzz/fuzz_rpc_msg.c src/lib/rpc/msg.c \
 *     src/lib/rpc/url.c src/lib/util/error.c src/lib/util/strutil.c \
 *     -ljansson -o fuzz_rpc_msg
 *   ./fuzz_rpc_msg tests/fuzz/corpus-rpc-msg tests/rpc/golden
 *
 * CTest replays both corpora through the same function
 * (fuzz.rpc-msg.replay).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sriov/rpc.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int jeq(json_t *a, json_t *b)
{
	return (!a && !b) || (a && b && json_equal(a, b));
}

static int one(const uint8_t *data, size_t size)
{
	struct sriov_rpc_msg m, again;
	struct sriov_error err;
	char *body;
	size_t len;

	if (sriov_rpc_msg_decode(data, size, &m, &err) < 0) {
		if (err.code >= 0 || !err.msg[0])
			abort();
		return 0;
	}
	if (sriov_rpc_msg_encode(&m, &body, &len, &err) < 0)
		abort();
	if (sriov_rpc_msg_decode(body, len, &again, &err) < 0)
		abort();
	if (m.is_reply != again.is_reply || !streq(m.method, again.method) ||
	    !streq(m.msg_id, again.msg_id) ||
	    !streq(m.reply_q, again.reply_q) ||
	    !streq(m.version, again.version) ||
	    !streq(m.namespace_, again.namespace_) ||
	    !streq(m.failure, again.failure) || !jeq(m.args, again.args) ||
	    !jeq(m.context, again.context))
		abort();
	if (m.is_reply && (m.ending != again.ending ||
			   !jeq(m.result ? m.result : json_null(),
				again.result ? again.result : json_null())))
		abort();
	if (m.failure)
		sriov_rpc_failure_decode(m.failure, &err);
	sriov_rpc_msg_release(&again);
	sriov_rpc_msg_release(&m);
	free(body);
	return 0;
}

/*
 * An input that starts with '!' is the dict's JSON text alone, put into an
 * envelope here, so the fuzzer reaches the dict's rules without having to
 * escape JSON inside a JSON string.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *env;
	char *body;
	int r;

	if (!size || data[0] != '!')
		return one(data, size);
	env = json_pack("{s:s, s:s%}", "oslo.version", "2.0", "oslo.message",
			(const char *)data + 1, size - 1);
	if (!env)
		return 0; /* not UTF-8, or a NUL */
	body = json_dumps(env, 0);
	json_decref(env);
	if (!body)
		return 0;
	r = one((const uint8_t *)body, strlen(body));
	free(body);
	return r;
}
