/* SPDX-License-Identifier: MIT */
/*
 * The oslo.messaging envelope. tests/rpc/golden/ holds bodies as the broker
 * delivered them from oslo.messaging itself (tests/rpc/oslo_peer.py golden:
 * a cast, a fanout cast, a cast with a namespace, a call, and the replies
 * of an oslo.messaging RPC server); we decode them, and what we encode must
 * be the same dict oslo.messaging sent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sriov/rpc.h>

#include "../unit/assert_msg.h"

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", SRIOV_RPC_GOLDEN, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void decode_golden(const char *name, struct sriov_rpc_msg *m)
{
	struct sriov_error err = { 0 };
	size_t len;
	char *body = slurp(name, &len);

	if (sriov_rpc_msg_decode(body, len, m, &err) < 0) {
		print_error("%s: %s\n", name, err.msg);
		fail();
	}
	free(body);
}

/* The dict inside an envelope, for comparing ours with oslo.messaging's. */
static json_t *inner_dict(const char *body, size_t len)
{
	json_t *env = json_loadb(body, len, 0, NULL), *d;

	assert_non_null(env);
	d = json_loads(json_string_value(json_object_get(env, "oslo.message")),
		       0, NULL);
	assert_non_null(d);
	json_decref(env);
	return d;
}

/* Encode what we decoded: the same dict oslo.messaging put on the wire. */
static void same_as_golden(const char *name, const struct sriov_rpc_msg *m)
{
	struct sriov_error err = { 0 };
	size_t glen, len;
	char *golden = slurp(name, &glen), *ours = NULL;
	json_t *a, *b;

	assert_int_equal(sriov_rpc_msg_encode(m, &ours, &len, &err), 0);
	a = inner_dict(golden, glen);
	b = inner_dict(ours, len);
	if (!json_equal(a, b)) {
		char *sa = json_dumps(a, JSON_SORT_KEYS),
		     *sb = json_dumps(b, JSON_SORT_KEYS);

		print_error("%s:\noslo: %s\nours: %s\n", name, sa, sb);
		free(sa);
		free(sb);
		fail();
	}
	json_decref(a);
	json_decref(b);
	free(golden);
	free(ours);
}

static void test_cast(void **state)
{
	struct sriov_rpc_msg m;

	decode_golden("cast.json", &m);
	assert_false(m.is_reply);
	assert_string_equal(m.method, "port_update");
	assert_string_equal(m.version, "1.5");
	assert_null(m.namespace_);
	assert_null(m.msg_id);
	assert_null(m.reply_q);
	assert_int_equal(
		json_integer_value(json_object_get(m.args, "segmentation_id")),
		7);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(m.args, "port"), "id")),
			    "p");
	assert_string_equal(
		json_string_value(json_object_get(m.context, "user_id")), "u1");
	assert_string_equal(
		json_string_value(json_object_get(m.context, "request_id")),
		"req-1");
	assert_true(json_is_false(json_object_get(m.context, "is_admin")));
	assert_int_equal(json_object_size(m.context), 5);
	assert_int_equal(strlen(m.unique_id), 32);
	same_as_golden("cast.json", &m);
	sriov_rpc_msg_release(&m);
}

static void test_fanout_and_namespace(void **state)
{
	struct sriov_rpc_msg m;

	decode_golden("fanout.json", &m);
	assert_string_equal(m.method, "network_update");
	assert_string_equal(m.version, "1.1");
	same_as_golden("fanout.json", &m);
	sriov_rpc_msg_release(&m);

	decode_golden("cast-namespace.json", &m);
	assert_string_equal(m.method, "report_state");
	assert_string_equal(m.namespace_, "state");
	assert_string_equal(m.version, "1.0");
	same_as_golden("cast-namespace.json", &m);
	sriov_rpc_msg_release(&m);
}

static void test_call(void **state)
{
	struct sriov_rpc_msg m;

	decode_golden("call.json", &m);
	assert_string_equal(m.method, "get_devices_details_list");
	assert_int_equal(strlen(m.msg_id), 32);
	assert_memory_equal(m.reply_q, "reply_", 6);
	assert_int_equal(strlen(m.reply_q), 38);
	assert_true(json_is_null(m.timeout));
	assert_string_equal(json_string_value(json_object_get(m.args, "host")),
			    "h1");
	same_as_golden("call.json", &m);
	sriov_rpc_msg_release(&m);
}

static void test_replies(void **state)
{
	struct sriov_rpc_msg m;
	struct sriov_error err = { 0 };

	decode_golden("reply.json", &m);
	assert_true(m.is_reply);
	assert_true(m.ending);
	assert_null(m.failure);
	assert_string_equal(m.msg_id, "reply11111111111111111111");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(m.result, 0), "device")),
			    "fa:16:3e:00:00:01");
	same_as_golden("reply.json", &m);
	sriov_rpc_msg_release(&m);

	decode_golden("reply-failure.json", &m);
	assert_true(m.is_reply);
	assert_non_null(m.failure);
	assert_true(json_is_null(m.result));
	assert_int_equal(sriov_rpc_failure_decode(m.failure, &err), -EREMOTEIO);
	assert_string_equal(
		err.msg,
		"remote builtins.ValueError: no such device: fa:16:3e:00:00:01");
	sriov_rpc_msg_release(&m);
}

static void test_failure_encode(void **state)
{
	struct sriov_error err = { 0 };
	char *f = NULL;
	json_t *o;

	assert_int_equal(sriov_rpc_failure_encode("ValueError", "builtins",
						  "no \"vf\"", &f, &err),
			 0);
	o = json_loads(f, 0, NULL);
	/* serialize_remote_exception's keys, which deserialize_remote_exception reads */
	assert_string_equal(json_string_value(json_object_get(o, "class")),
			    "ValueError");
	assert_string_equal(json_string_value(json_object_get(o, "module")),
			    "builtins");
	assert_string_equal(json_string_value(json_object_get(o, "message")),
			    "no \"vf\"");
	assert_true(json_is_array(json_object_get(o, "tb")));
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(o, "args"), 0)),
			    "no \"vf\"");
	assert_true(json_is_object(json_object_get(o, "kwargs")));
	json_decref(o);
	assert_int_equal(sriov_rpc_failure_decode(f, &err), -EREMOTEIO);
	assert_string_equal(err.msg, "remote builtins.ValueError: no \"vf\"");
	free(f);
	assert_int_equal(sriov_rpc_failure_decode("[1]", &err), -EBADMSG);
	assert_int_equal(sriov_rpc_failure_decode("{\"class\": 1}", &err),
			 -EBADMSG);
}

static void test_encode_request(void **state)
{
	struct sriov_rpc_msg m, d;
	struct sriov_error err = { 0 };
	char *body = NULL;
	size_t len;

	sriov_rpc_msg_init(&m);
	m.method = "update_device_list";
	m.args = json_pack("{s:[s], s:[]}", "devices_up", "fa:16:3e:00:00:01",
			   "devices_down");
	m.context =
		json_pack("{s:s, s:b}", "request_id", "req-9", "is_admin", 1);
	m.version = "1.5";
	m.msg_id = "0123456789abcdef0123456789abcdef";
	m.reply_q = "reply_x";
	m.unique_id = "fedcba9876543210fedcba9876543210";
	assert_int_equal(sriov_rpc_msg_encode(&m, &body, &len, &err), 0);
	assert_int_equal(strlen(body), len);
	assert_non_null(strstr(body, "\"oslo.version\":\"2.0\""));
	assert_int_equal(sriov_rpc_msg_decode(body, len, &d, &err), 0);
	assert_string_equal(d.method, m.method);
	assert_true(json_equal(d.args, m.args));
	assert_true(json_equal(d.context, m.context));
	assert_string_equal(d.msg_id, m.msg_id);
	assert_string_equal(d.reply_q, m.reply_q);
	assert_true(json_is_null(d.timeout));
	sriov_rpc_msg_release(&d);
	free(body);

	/* what the encoder refuses */
	m.reply_q = NULL;
	assert_int_equal(sriov_rpc_msg_encode(&m, &body, &len, &err), -EINVAL);
	assert_msg_has(err.msg, "both _msg_id and _reply_q");
	m.reply_q = "reply_x";
	m.version = "one";
	assert_int_equal(sriov_rpc_msg_encode(&m, &body, &len, &err), -EINVAL);
	assert_msg_has(err.msg, "version 'one'");
	m.version = NULL;
	m.method = "";
	assert_int_equal(sriov_rpc_msg_encode(&m, &body, &len, &err), -EINVAL);
	m.method = "x";
	json_decref(m.args);
	m.args = json_array();
	assert_int_equal(sriov_rpc_msg_encode(&m, &body, &len, &err), -EINVAL);
	assert_msg_has(err.msg, "args must be an object");
	json_decref(m.args);
	json_decref(m.context);
}

static int decode_str(const char *s, struct sriov_error *err)
{
	struct sriov_rpc_msg m;
	int r = sriov_rpc_msg_decode(s, strlen(s), &m, err);

	if (r == 0)
		sriov_rpc_msg_release(&m);
	return r;
}

/* An envelope around the inner JSON text @inner. */
static int decode_inner(const char *inner, struct sriov_error *err)
{
	json_t *env = json_pack("{s:s, s:s}", "oslo.version", "2.0",
				"oslo.message", inner);
	char *s = json_dumps(env, 0);
	int r = decode_str(s, err);

	free(s);
	json_decref(env);
	return r;
}

static void test_decode_refuses(void **state)
{
	struct sriov_error err = { 0 };
	char *big, *deep;
	size_t n;

	assert_int_equal(decode_str("{", &err), -EBADMSG);
	assert_msg_has(err.msg, "not JSON");
	assert_int_equal(decode_str("[]", &err), -EBADMSG);
	assert_msg_has(err.msg, "not an oslo.messaging envelope");
	/* a version 1.0 message (no envelope): oslo accepts it, we do not */
	assert_int_equal(decode_str("{\"method\": \"x\", \"args\": {}}", &err),
			 -EBADMSG);
	assert_int_equal(
		decode_str(
			"{\"oslo.version\": \"1.0\", \"oslo.message\": \"{}\"}",
			&err),
		-EBADMSG);
	assert_msg_has(err.msg, "oslo.version");
	assert_int_equal(
		decode_str(
			"{\"oslo.version\": \"2.0\", \"oslo.message\": \"{}\", \"x\": 1}",
			&err),
		-EBADMSG);
	assert_int_equal(
		decode_str("{\"oslo.version\": \"2.0\", \"oslo.message\": {}}",
			   &err),
		-EBADMSG);
	assert_msg_has(err.msg, "oslo.message is not a string");
	assert_int_equal(
		decode_str(
			"{\"oslo.version\": \"2.0\", \"oslo.version\": \"2.0\", \"oslo.message\": \"{}\"}",
			&err),
		-EBADMSG);
	assert_int_equal(decode_inner("[1]", &err), -EBADMSG);
	assert_msg_has(err.msg, "not an object");
	assert_int_equal(decode_inner("{\"method\": \"a\", \"method\": \"b\"}",
				      &err),
			 -EBADMSG);
	assert_msg_has(err.msg, "duplicate");
	assert_int_equal(decode_inner("{}", &err), -EBADMSG);
	assert_msg_has(err.msg, "neither a request");
	assert_int_equal(decode_inner("{\"method\": 1}", &err), -EBADMSG);
	assert_int_equal(decode_inner("{\"method\": \"\"}", &err), -EBADMSG);
	assert_int_equal(decode_inner("{\"method\": \"a b\"}", &err), -EBADMSG);
	assert_int_equal(decode_inner("{\"method\": \"m\", \"args\": [1]}",
				      &err),
			 -EBADMSG);
	assert_msg_has(err.msg, "args is not an object");
	assert_int_equal(decode_inner("{\"method\": \"m\", \"_msg_id\": \"a\"}",
				      &err),
			 -EBADMSG);
	assert_msg_has(err.msg, "_msg_id and _reply_q");
	assert_int_equal(
		decode_inner(
			"{\"method\": \"m\", \"_msg_id\": \"a\", \"_reply_q\": \"r\", \"_timeout\": \"x\"}",
			&err),
		-EBADMSG);
	assert_int_equal(decode_inner("{\"method\": \"m\", \"_context_\": 1}",
				      &err),
			 -EBADMSG);
	assert_int_equal(
		decode_inner("{\"method\": \"m\", \"version\": \"1.x\"}", &err),
		-EBADMSG);
	assert_int_equal(
		decode_inner(
			"{\"method\": \"m\", \"args\": {\"a\": \"\\u0000\"}}",
			&err),
		-EBADMSG);
	assert_int_equal(decode_inner("{\"_msg_id\": \"a\", \"failure\": 3}",
				      &err),
			 -EBADMSG);
	assert_msg_has(err.msg, "failure");
	assert_int_equal(decode_inner("{\"_msg_id\": \"a\", \"ending\": 1}",
				      &err),
			 -EBADMSG);
	assert_int_equal(decode_inner("{\"_msg_id\": 5, \"result\": 1}", &err),
			 -EBADMSG);
	/* a reply with ending alone is fine (a call-monitor heartbeat) */
	assert_int_equal(decode_inner("{\"_msg_id\": \"a\", \"ending\": false}",
				      &err),
			 0);
	/* extra keys are ignored, as oslo.messaging's dispatcher does */
	assert_int_equal(
		decode_inner("{\"method\": \"m\", \"future\": [1]}", &err), 0);
	/* invalid UTF-8 in the body */
	assert_int_equal(
		decode_str(
			"{\"oslo.version\": \"2.0\", \"oslo.message\": \"\xff\"}",
			&err),
		-EBADMSG);

	/*
	 * nesting: the dict is level 1, args 2, so N arrays inside args reach
	 * level N + 2: SRIOV_RPC_DEPTH_MAX passes, one more does not
	 */
	n = 2 * SRIOV_RPC_DEPTH_MAX + 64;
	deep = malloc(n);
	for (unsigned arrays = SRIOV_RPC_DEPTH_MAX - 2;
	     arrays <= SRIOV_RPC_DEPTH_MAX - 1; arrays++) {
		size_t k = (size_t)snprintf(
			deep, n, "{\"method\": \"m\", \"args\": {\"a\": ");

		for (unsigned i = 0; i < arrays; i++)
			deep[k++] = '[';
		for (unsigned i = 0; i < arrays; i++)
			deep[k++] = ']';
		deep[k++] = '}';
		deep[k++] = '}';
		deep[k] = '\0';
		assert_int_equal(decode_inner(deep, &err),
				 arrays == SRIOV_RPC_DEPTH_MAX - 2 ? 0 :
								     -EBADMSG);
	}
	assert_msg_has(err.msg, "nested deeper than 32");
	free(deep);

	/* the size cap, before any parsing */
	big = malloc(SRIOV_RPC_BODY_MAX + 2);
	memset(big, ' ', SRIOV_RPC_BODY_MAX + 1);
	big[SRIOV_RPC_BODY_MAX + 1] = '\0';
	assert_int_equal(decode_str(big, &err), -EMSGSIZE);
	assert_msg_has(err.msg, "more than");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cast),
		cmocka_unit_test(test_fanout_and_namespace),
		cmocka_unit_test(test_call),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_failure_encode),
		cmocka_unit_test(test_encode_request),
		cmocka_unit_test(test_decode_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
