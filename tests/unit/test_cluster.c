/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of the cluster layer: base64 (RFC 4648's vectors), the
 * gateway's requests and answers (answers as Debian's etcd 3.4.23 sent
 * them, captured with curl against /v3/), and the key schema.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include <sriov/cluster.h>
#include "cluster/internal.h"
#include "assert_msg.h"

/* ---- base64 ---- */

static void test_b64_vectors(void **state)
{
	/* RFC 4648, section 10 */
	static const char *const v[][2] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char enc[16], *dec;
		size_t n;

		assert_int_equal(b64_encoded_len(strlen(v[i][0])),
				 strlen(v[i][1]));
		b64_encode(v[i][0], strlen(v[i][0]), enc);
		assert_string_equal(enc, v[i][1]);
		assert_int_equal(b64_decode(v[i][1], strlen(v[i][1]), &dec, &n),
				 0);
		assert_int_equal(n, strlen(v[i][0]));
		assert_memory_equal(dec, v[i][0], n);
		assert_int_equal(dec[n], '\0');
		free(dec);
	}
}

static void test_b64_binary(void **state)
{
	unsigned char in[256];
	char enc[400], *dec;
	size_t n;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(255 - i);
	for (size_t len = 0; len <= sizeof(in); len += 37) {
		b64_encode(in, len, enc);
		assert_int_equal(b64_decode(enc, strlen(enc), &dec, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(dec, in, len);
		free(dec);
	}
	/* "+/" are the two last letters: 0xfb 0xff -> "+/8=" */
	b64_encode("\xfb\xff", 2, enc);
	assert_string_equal(enc, "+/8=");
}

static void test_b64_strict(void **state)
{
	static const char *const bad[] = {
		"Zg=", /* not a multiple of 4 */
		"Zh==", /* bits past the byte: not what Go writes */
		"Zm9=", /* same, 2 bytes */
		"Z===", /* three pads */
		"====", /* pads only */
		"Zm=v", /* pad inside */
		"Zg==Zg==", /* pad then more */
		"Zm9v\n", /* newline */
		"Zm9-", /* URL alphabet */
		"Zm9_",	    "Zm 9",
	};
	char *dec;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(b64_decode(bad[i], strlen(bad[i]), &dec, &n),
				 -EINVAL);
	/* A NUL byte inside is a letter like any other, never an end. */
	assert_int_equal(b64_decode("Zm\0v", 4, &dec, &n), -EINVAL);
}

/* ---- requests ---- */

static json_t *parse_req(char *s)
{
	json_t *j;

	assert_non_null(s);
	j = json_loads(s, 0, NULL);
	free(s);
	assert_non_null(j);
	return j;
}

static const char *sget(json_t *o, const char *path)
{
	json_t *v = json_object_get(o, path);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_req_range(void **state)
{
	struct sriov_etcd_range_opts o = { .range_end = "/sriov/v10",
					   .limit = 10,
					   .revision = 42,
					   .serializable = true };
	json_t *j = parse_req(etcd_gw_range_req("/sriov/v1/", 10, &o));

	/* base64 of the bytes; 64-bit integers as strings */
	assert_string_equal(sget(j, "key"), "L3NyaW92L3YxLw==");
	assert_string_equal(sget(j, "range_end"), "L3NyaW92L3YxMA==");
	assert_string_equal(sget(j, "limit"), "10");
	assert_string_equal(sget(j, "revision"), "42");
	assert_true(json_is_true(json_object_get(j, "serializable")));
	assert_null(json_object_get(j, "keys_only"));
	json_decref(j);
	/* A page starts after a key: key + "\0" goes out as bytes. */
	j = parse_req(etcd_gw_range_req("a\0", 2, NULL));
	assert_string_equal(sget(j, "key"), "YQA=");
	assert_null(json_object_get(j, "range_end"));
	json_decref(j);
}

static void test_req_txn(void **state)
{
	struct sriov_etcd_cmp cmp[] = {
		{ .key = "k", .target = SRIOV_ETCD_CMP_CREATE },
		{ .key = "v",
		  .target = SRIOV_ETCD_CMP_VALUE,
		  .result = SRIOV_ETCD_NOT_EQUAL,
		  .value = "x",
		  .value_len = 1 },
	};
	struct sriov_etcd_op ok[] = {
		{ .type = SRIOV_ETCD_OP_PUT,
		  .key = "k",
		  .value = "bar",
		  .value_len = 3,
		  .lease = 7587866186437525514 },
		{ .type = SRIOV_ETCD_OP_DELETE, .key = "d", .prev_kv = true },
	};
	struct sriov_etcd_op fail[] = { { .type = SRIOV_ETCD_OP_RANGE,
					  .key = "k" } };
	struct sriov_etcd_txn t = { cmp, 2, ok, 2, fail, 1 };
	json_t *j = parse_req(etcd_gw_txn_req(&t)), *c, *p;

	c = json_array_get(json_object_get(j, "compare"), 0);
	assert_string_equal(sget(c, "target"), "CREATE");
	assert_string_equal(sget(c, "result"), "EQUAL");
	/* create_revision == 0 must be sent although it is 0 */
	assert_string_equal(sget(c, "create_revision"), "0");
	c = json_array_get(json_object_get(j, "compare"), 1);
	assert_string_equal(sget(c, "target"), "VALUE");
	assert_string_equal(sget(c, "result"), "NOT_EQUAL");
	assert_string_equal(sget(c, "value"), "eA==");
	p = json_object_get(json_array_get(json_object_get(j, "success"), 0),
			    "request_put");
	assert_string_equal(sget(p, "value"), "YmFy");
	assert_string_equal(sget(p, "lease"), "7587866186437525514");
	p = json_object_get(json_array_get(json_object_get(j, "success"), 1),
			    "request_delete_range");
	assert_true(json_is_true(json_object_get(p, "prev_kv")));
	p = json_object_get(json_array_get(json_object_get(j, "failure"), 0),
			    "request_range");
	assert_string_equal(sget(p, "key"), "aw==");
	json_decref(j);
}

static void test_req_watch_lease(void **state)
{
	struct sriov_etcd_watch_opts o = { .key = "a",
					   .range_end = "b",
					   .prev_kv = true };
	json_t *j = parse_req(etcd_gw_watch_req(&o, 17)), *c;

	c = json_object_get(j, "create_request");
	assert_string_equal(sget(c, "key"), "YQ==");
	assert_string_equal(sget(c, "range_end"), "Yg==");
	assert_string_equal(sget(c, "start_revision"), "17");
	assert_true(json_is_true(json_object_get(c, "prev_kv")));
	assert_true(json_is_true(json_object_get(c, "progress_notify")));
	json_decref(j);
	j = parse_req(etcd_gw_lease_grant_req(10));
	assert_string_equal(sget(j, "TTL"), "10");
	json_decref(j);
	j = parse_req(etcd_gw_lease_id_req(-5));
	assert_string_equal(sget(j, "ID"), "-5");
	json_decref(j);
}

/* ---- answers, as etcd 3.4.23 sent them ---- */

static const char range_answer[] =
	"{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":\"13668033151171901709\",\"revision\":\"2\",\"raft_term\":\"2\"},"
	"\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"YmFy\"}],\"count\":\"1\"}";

static void test_parse_range(void **state)
{
	struct sriov_etcd_range_resp r;
	struct sriov_error err = { 0 };

	assert_int_equal(etcd_gw_parse_range(range_answer, strlen(range_answer),
					     &r, &err),
			 0);
	assert_true(r.header.cluster_id == 15118495548433857066ull);
	assert_true(r.header.member_id == 13668033151171901709ull);
	assert_int_equal(r.header.revision, 2);
	assert_int_equal(r.n_kvs, 1);
	assert_int_equal(r.count, 1);
	assert_false(r.more);
	assert_string_equal(r.kvs[0].key, "foo");
	assert_int_equal(r.kvs[0].key_len, 3);
	assert_string_equal(r.kvs[0].value, "bar");
	assert_int_equal(r.kvs[0].create_revision, 2);
	assert_int_equal(r.kvs[0].version, 1);
	assert_int_equal(r.kvs[0].lease, 0);
	sriov_etcd_range_resp_release(&r);

	/* Nothing found: etcd leaves kvs and count out. */
	static const char none[] =
		"{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"2\",\"raft_term\":\"2\"}}";
	assert_int_equal(etcd_gw_parse_range(none, strlen(none), &r, &err), 0);
	assert_int_equal(r.n_kvs, 0);
	assert_null(r.kvs);
	assert_int_equal(r.count, 0);
	sriov_etcd_range_resp_release(&r);
}

static void test_parse_range_bad(void **state)
{
	static const char *const bad[] = {
		"{\"kvs\":[{\"key\":\"Zm9\"}]}", /* base64 */
		"{\"kvs\":[{\"key\":\"Zm9v\",\"mod_revision\":\"-1\"}]}",
		"{\"kvs\":[{\"key\":\"Zm9v\",\"version\":\"1x\"}]}",
		"{\"header\":{\"revision\":\"99999999999999999999\"}}",
		"{\"header\":{\"revision\":\"9223372036854775808\"}}",
		"{\"header\":{\"revision\":\"\"}}",
		"{\"header\":{\"revision\":1.5}}",
		"{\"header\":[]}",
		"{\"kvs\":{}}",
		"{\"kvs\":[1]}",
		"{\"more\":\"true\"}",
		"[]",
		"{\"count\":\"1\",\"count\":\"2\"}",
		"{",
		"",
	};
	struct sriov_etcd_range_resp r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sriov_error err = { 0 };

		assert_int_equal(etcd_gw_parse_range(bad[i], strlen(bad[i]), &r,
						     &err),
				 -EPROTO);
		assert_msg_has(err.msg, "etcd answer");
	}
	/* The largest revision fits; a lease may be any int64. */
	static const char big[] =
		"{\"header\":{\"revision\":\"9223372036854775807\"},\"kvs\":[{\"key\":\"YQ==\",\"lease\":\"-9223372036854775808\"}]}";
	assert_int_equal(etcd_gw_parse_range(big, strlen(big), &r, NULL), 0);
	assert_true(r.header.revision == INT64_MAX);
	assert_true(r.kvs[0].lease == INT64_MIN);
	sriov_etcd_range_resp_release(&r);
}

static void test_parse_txn(void **state)
{
	/* create-if-absent on an existing key: the failure branch's range */
	static const char failed[] =
		"{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":\"13668033151171901709\",\"revision\":\"2\",\"raft_term\":\"2\"},"
		"\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"2\"},\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"YmFy\"}],\"count\":\"1\"}}]}";
	static const char ok[] =
		"{\"header\":{\"revision\":\"9\"},\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{\"revision\":\"9\"}}},"
		"{\"response_delete_range\":{\"header\":{\"revision\":\"9\"},\"deleted\":\"1\",\"prev_kvs\":[{\"key\":\"ZA==\",\"value\":\"eA==\"}]}}]}";
	struct sriov_etcd_txn_resp t;

	assert_int_equal(etcd_gw_parse_txn(failed, strlen(failed), &t, NULL),
			 0);
	assert_false(t.succeeded);
	assert_int_equal(t.n_responses, 1);
	assert_int_equal(t.responses[0].type, SRIOV_ETCD_OP_RANGE);
	assert_int_equal(t.responses[0].n_kvs, 1);
	assert_string_equal(t.responses[0].kvs[0].value, "bar");
	sriov_etcd_txn_resp_release(&t);

	assert_int_equal(etcd_gw_parse_txn(ok, strlen(ok), &t, NULL), 0);
	assert_true(t.succeeded);
	assert_int_equal(t.header.revision, 9);
	assert_int_equal(t.n_responses, 2);
	assert_int_equal(t.responses[0].type, SRIOV_ETCD_OP_PUT);
	assert_int_equal(t.responses[1].type, SRIOV_ETCD_OP_DELETE);
	assert_int_equal(t.responses[1].deleted, 1);
	assert_string_equal(t.responses[1].kvs[0].key, "d");
	sriov_etcd_txn_resp_release(&t);

	static const char two[] =
		"{\"responses\":[{\"response_put\":{},\"response_range\":{}}]}";
	assert_int_equal(etcd_gw_parse_txn(two, strlen(two), &t, NULL),
			 -EPROTO);
}

static void test_parse_lease(void **state)
{
	static const char grant[] =
		"{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":\"13668033151171901709\",\"revision\":\"2\",\"raft_term\":\"2\"},\"ID\":\"4111120365925813513\",\"TTL\":\"5\"}";
	/* keepalive of an expired lease: no TTL */
	static const char expired[] =
		"{\"result\":{\"header\":{\"cluster_id\":\"1\",\"member_id\":\"1\",\"revision\":\"6\",\"raft_term\":\"2\"},\"ID\":\"999\"}}";
	int64_t id, ttl;

	assert_int_equal(etcd_gw_parse_lease(grant, strlen(grant), false, &id,
					     &ttl, NULL),
			 0);
	assert_true(id == 4111120365925813513ll);
	assert_int_equal(ttl, 5);
	assert_int_equal(etcd_gw_parse_lease(expired, strlen(expired), true,
					     &id, &ttl, NULL),
			 0);
	assert_int_equal(id, 999);
	assert_int_equal(ttl, 0);
	assert_int_equal(etcd_gw_parse_lease(grant, strlen(grant), true, &id,
					     &ttl, NULL),
			 -EPROTO);
}

static void test_parse_watch(void **state)
{
	static const char created[] =
		"{\"result\":{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":\"13668033151171901709\",\"revision\":\"2\",\"raft_term\":\"2\"},\"created\":true}}";
	static const char put[] =
		"{\"result\":{\"header\":{\"revision\":\"3\"},\"events\":[{\"kv\":{\"key\":\"Zm9v\",\"create_revision\":\"2\",\"mod_revision\":\"3\",\"version\":\"2\",\"value\":\"djE=\"},"
		"\"prev_kv\":{\"key\":\"Zm9v\",\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"YmFy\"}}]}}";
	static const char del[] =
		"{\"result\":{\"header\":{\"revision\":\"6\"},\"events\":[{\"type\":\"DELETE\",\"kv\":{\"key\":\"Zm9v\",\"mod_revision\":\"6\"}}]}}";
	static const char compacted[] =
		"{\"result\":{\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":\"13668033151171901709\",\"raft_term\":\"2\"},\"canceled\":true,\"compact_revision\":\"5\"}}";
	static const char noleader[] =
		"{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no leader\",\"http_status\":\"Service Unavailable\"}}";
	static const char disorder[] =
		"{\"result\":{\"events\":[{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"4\"}},{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"3\"}}]}}";
	struct etcd_gw_watch_msg m;
	struct sriov_error err = { 0 };

	assert_int_equal(
		etcd_gw_parse_watch(created, strlen(created), &m, NULL), 0);
	assert_true(m.created);
	assert_int_equal(m.header.revision, 2);
	assert_int_equal(m.n_events, 0);
	etcd_gw_watch_msg_release(&m);

	assert_int_equal(etcd_gw_parse_watch(put, strlen(put), &m, NULL), 0);
	assert_int_equal(m.n_events, 1);
	assert_int_equal(m.events[0].type, SRIOV_ETCD_EVENT_PUT);
	assert_int_equal(m.events[0].revision, 3);
	assert_string_equal(m.events[0].kv.value, "v1");
	assert_true(m.events[0].has_prev_kv);
	assert_string_equal(m.events[0].prev_kv.value, "bar");
	etcd_gw_watch_msg_release(&m);

	assert_int_equal(etcd_gw_parse_watch(del, strlen(del), &m, NULL), 0);
	assert_int_equal(m.events[0].type, SRIOV_ETCD_EVENT_DELETE);
	assert_int_equal(m.events[0].revision, 6);
	assert_string_equal(m.events[0].kv.key, "foo");
	etcd_gw_watch_msg_release(&m);

	assert_int_equal(
		etcd_gw_parse_watch(compacted, strlen(compacted), &m, NULL), 0);
	assert_true(m.canceled);
	assert_int_equal(m.compact_revision, 5);
	etcd_gw_watch_msg_release(&m);

	assert_int_equal(
		etcd_gw_parse_watch(noleader, strlen(noleader), &m, NULL), 0);
	assert_true(m.error);
	assert_int_equal(m.error_code, 14);
	assert_string_equal(m.cancel_reason, "etcdserver: no leader");
	etcd_gw_watch_msg_release(&m);

	assert_int_equal(etcd_gw_parse_watch(disorder, strlen(disorder), &m,
					     &err),
			 -EPROTO);
	assert_msg_has(err.msg, "out of order");
}

static void test_errors(void **state)
{
	static const char unary[] =
		"{\"error\":\"etcdserver: no leader\",\"message\":\"etcdserver: no leader\",\"code\":14}";
	static const char invalid[] =
		"{\"error\":\"illegal base64 data at input byte 0\",\"message\":\"illegal base64 data at input byte 0\",\"code\":3}";
	char msg[128];
	int code;

	assert_true(
		etcd_gw_error(unary, strlen(unary), &code, msg, sizeof(msg)));
	assert_int_equal(code, 14);
	assert_string_equal(msg, "etcdserver: no leader");
	assert_int_equal(etcd_gw_retry_class(code, msg), ETCD_GW_RETRY);
	assert_int_equal(etcd_gw_errno(code, msg), -EAGAIN);
	assert_true(etcd_gw_error(invalid, strlen(invalid), &code, msg,
				  sizeof(msg)));
	assert_int_equal(etcd_gw_retry_class(code, msg), ETCD_GW_FINAL);
	assert_int_equal(etcd_gw_errno(code, msg), -EINVAL);
	assert_false(etcd_gw_error(range_answer, strlen(range_answer), &code,
				   msg, sizeof(msg)));
	/* may have been applied */
	assert_int_equal(etcd_gw_retry_class(14,
					     "etcdserver: request timed out"),
			 ETCD_GW_UNKNOWN);
	assert_int_equal(etcd_gw_retry_class(2, "context deadline exceeded"),
			 ETCD_GW_UNKNOWN);
	assert_int_equal(etcd_gw_errno(5,
				       "etcdserver: requested lease not found"),
			 -ENOENT);
	assert_int_equal(
		etcd_gw_errno(
			11,
			"etcdserver: mvcc: required revision has been compacted"),
		-ERANGE);
	assert_int_equal(
		etcd_gw_errno(8, "etcdserver: mvcc: database space exceeded"),
		-ENOSPC);
	assert_int_equal(etcd_gw_errno(3, "etcdserver: request is too large"),
			 -EMSGSIZE);
}

static void test_prefix_end(void **state)
{
	char buf[32];

	assert_int_equal(sriov_etcd_prefix_end("/sriov/v1/", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "/sriov/v10");
	assert_int_equal(sriov_etcd_prefix_end("a\xff", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "b");
	assert_int_equal(sriov_etcd_prefix_end("\xff\xff", buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(sriov_etcd_prefix_end("", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sriov_etcd_prefix_end("abc", buf, 3), -EINVAL);
}

static void test_open_options(void **state)
{
	const char *const bad_eps[][1] = { { "127.0.0.1:2379" },
					   { "http://" },
					   { "http://h:1/v3" },
					   { "http://u@h:1" },
					   { "ftp://h:1" } };
	struct sriov_etcd *e;

	for (size_t i = 0; i < sizeof(bad_eps) / sizeof(bad_eps[0]); i++) {
		struct sriov_etcd_opts o = { .endpoints = bad_eps[i],
					     .n_endpoints = 1 };
		struct sriov_error err = { 0 };

		assert_int_equal(sriov_etcd_open(&o, &e, &err), -EINVAL);
		assert_msg_has(err.msg, "etcd endpoint", "http://HOST:PORT");
	}
	const char *const ok[] = { "http://127.0.0.1:1", "http://[::1]:2" };
	struct sriov_etcd_opts o = { .endpoints = ok,
				     .n_endpoints = 2,
				     .cert_file = "c" };
	struct sriov_error err = { 0 };

	assert_int_equal(sriov_etcd_open(&o, &e, &err), -EINVAL);
	assert_msg_has(err.msg, "give both or neither");
	o.key_file = "k";
	assert_int_equal(sriov_etcd_open(&o, &e, &err), -EINVAL);
	assert_msg_has(err.msg, "must be https://");
	o.cert_file = o.key_file = NULL;
	assert_int_equal(sriov_etcd_open(&o, &e, &err), 0);
	/* Nothing listens on port 1 of loopback: every endpoint refuses, and
	 * the message names each. */
	struct sriov_etcd_range_resp r;

	assert_int_equal(sriov_etcd_range(e, "k", NULL, &r, &err), -EAGAIN);
	assert_msg_has(err.msg, "no endpoint answered", "http://127.0.0.1:1",
		       "http://[::1]:2", "no quorum");
	sriov_etcd_close(e);
}

/* ---- schema ---- */

static struct sriov_cluster_keys keys(void)
{
	struct sriov_cluster_keys k;

	assert_int_equal(sriov_cluster_keys_init(&k, NULL, NULL), 0);
	return k;
}

static void test_keys(void **state)
{
	struct sriov_cluster_keys k = keys();
	char buf[SRIOV_CLUSTER_KEY_MAX], id[SRIOV_CLUSTER_ID_MAX];
	enum sriov_cluster_kind kind;
	struct sriov_error err = { 0 };

	assert_string_equal(k.prefix, "/sriov/v1/");
	assert_int_equal(
		sriov_cluster_key(&k, SRIOV_CLUSTER_HOST, "h1", buf, NULL), 0);
	assert_string_equal(buf, "/sriov/v1/hosts/h1");
	assert_int_equal(sriov_cluster_key(&k, SRIOV_CLUSTER_PORT, "3f2a-port",
					   buf, NULL),
			 0);
	assert_string_equal(buf, "/sriov/v1/ports/3f2a-port");
	/* every spelling of a GUID gives its one key */
	assert_int_equal(sriov_cluster_key(&k, SRIOV_CLUSTER_GUID,
					   "00:02:c9:03:00:A1:B2:C1", buf,
					   NULL),
			 0);
	assert_string_equal(buf, "/sriov/v1/guids/0x0002c90300a1b2c1");
	assert_int_equal(
		sriov_cluster_key(&k, SRIOV_CLUSTER_GUID, "0x2", buf, NULL), 0);
	assert_string_equal(buf, "/sriov/v1/guids/0x0000000000000002");
	assert_int_equal(sriov_cluster_key(&k, SRIOV_CLUSTER_FABRIC_STATUS,
					   "fab0", buf, NULL),
			 0);
	assert_string_equal(buf, "/sriov/v1/fabrics/fab0/status");
	assert_int_equal(sriov_cluster_key_parse(&k, buf, strlen(buf), &kind,
						 id, NULL),
			 0);
	assert_int_equal(kind, SRIOV_CLUSTER_FABRIC_STATUS);
	assert_string_equal(id, "fab0");
	assert_int_equal(sriov_cluster_key(&k, SRIOV_CLUSTER_FABRIC_LEADER,
					   "fab0", buf, NULL),
			 0);
	assert_string_equal(buf, "/sriov/v1/fabrics/fab0/leader");
	assert_int_equal(sriov_cluster_key_parse(&k, buf, strlen(buf), &kind,
						 id, NULL),
			 0);
	assert_int_equal(kind, SRIOV_CLUSTER_FABRIC_LEADER);
	assert_int_equal(sriov_cluster_key_prefix(&k, SRIOV_CLUSTER_PORT, buf),
			 0);
	assert_string_equal(buf, "/sriov/v1/ports/");

	assert_int_equal(sriov_cluster_key(&k, SRIOV_CLUSTER_GUID,
					   "0x0102c90300a1b2c1", buf, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "group (I/G) bit");
	assert_int_equal(sriov_cluster_key(&k, SRIOV_CLUSTER_HOST, "a/b", buf,
					   &err),
			 -EINVAL);
	assert_msg_has(err.msg, "invalid host id 'a/b'");

	static const char *const bad[] = {
		"/sriov/v1/hosts/",
		"/sriov/v1/hosts/a/b",
		"/sriov/v1/guids/0x0002C90300A1B2C1", /* not canonical */
		"/sriov/v1/guids/0x2",
		"/sriov/v1/guids/0x0000000000000000",
		"/sriov/v1/fabrics/f",
		"/sriov/v1/fabrics/f/other",
		"/sriov/v1/ports/..",
		"/sriov/v2/ports/p",
		"/sriov/v1/nodes/n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sriov_cluster_key_parse(&k, bad[i],
							 strlen(bad[i]), &kind,
							 id, &err),
				 -EINVAL);
		assert_msg_has(err.msg, bad[i], "is not of schema 1");
	}
	assert_int_equal(sriov_cluster_key_parse(&k, "/sriov/v1/hosts/a\0b", 19,
						 &kind, id, NULL),
			 -EINVAL);

	assert_int_equal(sriov_cluster_keys_init(&k, "/tenant-a/sriov/", NULL),
			 0);
	assert_string_equal(k.prefix, "/tenant-a/sriov/v1/");
	static const char *const roots[] = { "sriov/", "/sriov", "/a//b/",
					     "/a b/", "" };
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		assert_int_equal(sriov_cluster_keys_init(&k, roots[i], NULL),
				 -EINVAL);
}

#define PORT_KEY "/sriov/v1/ports/p1"
static const char ib_port[] =
	"{\"port\":\"p1\",\"host\":\"h1\",\"physnet\":\"ibnet\",\"vnic_type\":\"direct\",\"vf\":\"0000:41:00.1\",\"state\":\"bound\","
	"\"vlan\":null,\"fabric\":\"fab0\",\"pkey\":\"0x0a01\",\"membership\":\"full\",\"guid\":\"0x0002c90300a1b2c1\",\"future\":[1]}";

static void test_port_parse(void **state)
{
	struct sriov_cluster_port p;
	static const char eth[] =
		"{\"port\":\"p1\",\"host\":\"h1\",\"physnet\":\"physnet1\",\"vnic_type\":\"macvtap\",\"vf\":\"0000:3b:02.7\",\"state\":\"bound\",\"vlan\":100}";

	assert_int_equal(sriov_cluster_port_parse(PORT_KEY, ib_port,
						  strlen(ib_port), &p, NULL),
			 0);
	assert_string_equal(p.id, "p1");
	assert_string_equal(p.host, "h1");
	assert_true(p.infiniband);
	assert_string_equal(p.fabric, "fab0");
	assert_int_equal(p.pkey, 0x0a01);
	assert_int_equal(p.membership, SRIOV_MEMBER_FULL);
	assert_true(p.guid == 0x0002c90300a1b2c1ull);
	assert_int_equal(p.vlan, -1);
	assert_int_equal(p.vnic_type, SRIOV_VNIC_DIRECT);
	assert_int_equal(sriov_cluster_port_parse(PORT_KEY, eth, strlen(eth),
						  &p, NULL),
			 0);
	assert_false(p.infiniband);
	assert_int_equal(p.vlan, 100);
	assert_int_equal(p.vnic_type, SRIOV_VNIC_MACVTAP);
	assert_string_equal(p.vf, "0000:3b:02.7");
}

/* Replace the first @from in ib_port with @to and parse it. */
static int port_with(const char *from, const char *to, struct sriov_error *err)
{
	char buf[1024];
	const char *at = strstr(ib_port, from);
	struct sriov_cluster_port p;

	assert_non_null(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - ib_port), ib_port, to,
		 at + strlen(from));
	return sriov_cluster_port_parse(PORT_KEY, buf, strlen(buf), &p, err);
}

static void test_port_invalid(void **state)
{
	static const char *const cases[][3] = {
		{ "\"0x0a01\"", "\"0x8a01\"", "membership bit 0x8000" },
		{ "\"0x0a01\"", "\"0xa01\"", "4 lowercase hex digits" },
		{ "\"0x0a01\"", "\"0x0A01\"", "4 lowercase hex digits" },
		{ "\"0x0a01\"", "\"0x0000\"", "partition 0 does not exist" },
		{ "\"0x0a01\"", "\"0x7fff\"", "the Default partition" },
		{ "\"0x0a01\"", "2561", "'pkey' must be a string" },
		{ "\"full\"", "\"fulll\"", "full, limited or both" },
		{ "\"0x0002c90300a1b2c1\"", "\"0x0000000000000000\"",
		  "reserved" },
		{ "\"0x0002c90300a1b2c1\"", "\"0x0102c90300a1b2c1\"",
		  "group (I/G) bit" },
		{ "\"0x0002c90300a1b2c1\"", "\"0x0002C90300A1B2C1\"",
		  "16 lowercase hex digits" },
		{ "\"0x0002c90300a1b2c1\"", "\"00:02:c9:03:00:a1:b2:c1\"",
		  "16 lowercase hex digits" },
		{ "\"port\":\"p1\"", "\"port\":\"p2\"",
		  "'port' is 'p2' but the key names 'p1'" },
		{ "\"host\":\"h1\"", "\"host\":\"h/1\"", "'host' is 'h/1'" },
		{ "\"host\":\"h1\",", "", "missing 'host'" },
		{ "\"direct\"", "\"hostdev\"",
		  "direct, macvtap or direct-physical" },
		{ "\"bound\"", "\"bonud\"", "bound or unbinding" },
		{ "\"vlan\":null", "\"vlan\":100", "has no 'vlan'" },
		{ "\"vlan\":null", "\"vlan\":5000", "from 1 to 4094" },
		{ "\"fabric\":\"fab0\",", "", "missing 'fabric'" },
		{ "\"guid\":\"0x0002c90300a1b2c1\"", "\"guid\":null",
		  "missing 'guid'" },
		{ "\"physnet\":\"ibnet\"", "\"physnet\":\"ib\\u0001\"",
		  "without control characters" },
		{ "\"physnet\":\"ibnet\"",
		  "\"physnet\":\"ibnet\",\"physnet\":\"x\"", "invalid JSON" },
		{ "{\"port\"", "[{\"port\"", "invalid JSON" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sriov_error err = { 0 };

		assert_int_equal(port_with(cases[i][0], cases[i][1], &err),
				 -EINVAL);
		assert_msg_has(err.msg, PORT_KEY ": ", cases[i][2]);
	}
	/* Oversized: refused before any parsing, naming the key. */
	size_t n = SRIOV_CLUSTER_VALUE_MAX + 1;
	char *big = malloc(n);
	struct sriov_cluster_port p;
	struct sriov_error err = { 0 };

	assert_non_null(big);
	memset(big, ' ', n);
	assert_int_equal(sriov_cluster_port_parse(PORT_KEY, big, n, &p, &err),
			 -EMSGSIZE);
	assert_msg_has(err.msg, PORT_KEY, "over the 65536 bytes");
	free(big);
	assert_int_equal(sriov_cluster_port_parse(PORT_KEY, "[]", 2, &p, &err),
			 -EINVAL);
	assert_msg_has(err.msg, PORT_KEY, "must be a JSON object");
}

static void test_port_format(void **state)
{
	struct sriov_cluster_port p = { .id = "p1",
					.host = "h1",
					.physnet = "ibnet",
					.vnic_type = SRIOV_VNIC_DIRECT,
					.vf = "0000:41:00.1",
					.vlan = -1,
					.infiniband = true,
					.fabric = "fab0",
					.pkey = 0x0a01,
					.membership = SRIOV_MEMBER_BOTH,
					.guid = 0x0002c90300a1b2c1ull },
				  q;
	struct sriov_error err = { 0 };
	char *s, *s2;

	assert_int_equal(sriov_cluster_port_format(&p, &s, NULL), 0);
	assert_string_equal(
		s,
		"{\"port\":\"p1\",\"host\":\"h1\",\"physnet\":\"ibnet\",\"vnic_type\":\"direct\",\"vf\":\"0000:41:00.1\",\"state\":\"bound\",\"vlan\":null,"
		"\"fabric\":\"fab0\",\"pkey\":\"0x0a01\",\"membership\":\"both\",\"guid\":\"0x0002c90300a1b2c1\"}");
	assert_int_equal(
		sriov_cluster_port_parse(PORT_KEY, s, strlen(s), &q, NULL), 0);
	assert_string_equal(q.state, "bound");
	snprintf(p.state, sizeof(p.state), "bound");
	assert_memory_equal(&p, &q, sizeof(p));
	/* equal structs, equal bytes: a transaction may compare them */
	assert_int_equal(sriov_cluster_port_format(&q, &s2, NULL), 0);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	p.pkey = 0x8a01;
	assert_int_equal(sriov_cluster_port_format(&p, &s, &err), -EINVAL);
	assert_msg_has(err.msg, "'pkey'", "0x8a01");
	p.pkey = 0x0a01;
	p.guid = 0;
	assert_int_equal(sriov_cluster_port_format(&p, &s, &err), -EINVAL);
	assert_msg_has(err.msg, "'guid'", "reserved");
}

static void test_claim(void **state)
{
	static const char key[] = "/sriov/v1/guids/0x0002c90300a1b2c1";
	struct sriov_cluster_claim c = { "p1", "h1" }, d;
	struct sriov_error err = { 0 };
	char *s;

	assert_int_equal(sriov_cluster_claim_format(&c, &s, NULL), 0);
	assert_string_equal(s, "{\"port\":\"p1\",\"host\":\"h1\"}");
	assert_int_equal(sriov_cluster_claim_parse(key, s, strlen(s), &d, NULL),
			 0);
	assert_string_equal(d.port, "p1");
	assert_string_equal(d.host, "h1");
	free(s);
	assert_int_equal(sriov_cluster_claim_parse("/sriov/v1/guids/0x2", "{}",
						   2, &d, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "/sriov/v1/guids/0x2", "not a valid port GUID");
	assert_int_equal(sriov_cluster_claim_parse(key, "{\"port\":\"p1\"}", 13,
						   &d, &err),
			 -EINVAL);
	assert_msg_has(err.msg, key, "missing 'host'");
}

static void test_host(void **state)
{
	static const char key[] = "/sriov/v1/hosts/h1";
	struct sriov_cluster_pf pfs[] = {
		{ .name = "ib0",
		  .address = "0000:41:00.0",
		  .link = SRIOV_CLUSTER_LINK_INFINIBAND,
		  .physnet = "ibnet",
		  .fabric = "fab0",
		  .numa_node = 1,
		  .vfs_total = 16,
		  .vfs_free = 10,
		  .vfs_bound = 5,
		  .vfs_quarantined = 1 },
		{ .name = "ens1f0",
		  .link = SRIOV_CLUSTER_LINK_ETHERNET,
		  .physnet = "physnet1",
		  .numa_node = -1,
		  .vfs_total = 8 },
	};
	struct sriov_cluster_host h = { .id = "h1",
					.version = "0.1.0",
					.updated = 1700000000,
					.pfs = pfs,
					.n_pfs = 2 },
				  g;
	struct sriov_error err = { 0 };
	char *s;

	assert_int_equal(sriov_cluster_host_format(&h, &s, NULL), 0);
	assert_int_equal(sriov_cluster_host_parse(key, s, strlen(s), &g, NULL),
			 0);
	assert_string_equal(g.id, "h1");
	assert_int_equal(g.updated, 1700000000);
	assert_int_equal(g.n_pfs, 2);
	assert_memory_equal(&g.pfs[0], &pfs[0], sizeof(pfs[0]));
	assert_memory_equal(&g.pfs[1], &pfs[1], sizeof(pfs[1]));
	sriov_cluster_host_release(&g);
	free(s);

	pfs[0].vfs_bound = 6; /* 10 + 6 + 1 > 16 */
	assert_int_equal(sriov_cluster_host_format(&h, &s, &err), -EINVAL);
	assert_msg_has(err.msg, "pfs[0]", "more than total 16");
	pfs[0].vfs_bound = 5;
	pfs[1].fabric[0] = 'f';
	assert_int_equal(sriov_cluster_host_format(&h, &s, &err), -EINVAL);
	assert_msg_has(err.msg, "pfs[1]", "an Ethernet one none");
	pfs[1].fabric[0] = '\0';

	static const char wrong_host[] =
		"{\"host\":\"h2\",\"updated\":1,\"pfs\":[]}";
	assert_int_equal(sriov_cluster_host_parse(key, wrong_host,
						  strlen(wrong_host), &g, &err),
			 -EINVAL);
	assert_msg_has(err.msg, key, "the key names 'h1'");
	static const char bad_link[] =
		"{\"host\":\"h1\",\"updated\":1,\"pfs\":[{\"name\":\"x\",\"link\":\"roce\",\"physnet\":\"p\",\"vfs\":{\"total\":1,\"free\":1,\"bound\":0,\"quarantined\":0}}]}";
	assert_int_equal(sriov_cluster_host_parse(key, bad_link,
						  strlen(bad_link), &g, &err),
			 -EINVAL);
	assert_msg_has(err.msg, key, "'link' is 'roce'");
}

static void test_fabric_status(void **state)
{
	static const char key[] = "/sriov/v1/fabrics/fab0/status";
	struct sriov_cluster_pkey_count pk[] = { { 0x0a01, 3 },
						 { 0x7fff, 12 } };
	struct sriov_cluster_fabric_status s = {
		.fabric = "fab0",
		.revision = 1234,
		.checksum = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		.pkeys = pk,
		.n_pkeys = 2,
		.verify = "ok",
		.time = 1700000000,
		.leader = "ctl-a",
	},
					   t;
	struct sriov_error err = { 0 };
	char *txt;

	assert_int_equal(sriov_cluster_fabric_status_format(&s, &txt, NULL), 0);
	assert_int_equal(sriov_cluster_fabric_status_parse(
				 key, txt, strlen(txt), &t, NULL),
			 0);
	assert_int_equal(t.revision, 1234);
	assert_int_equal(t.n_pkeys, 2);
	assert_int_equal(t.pkeys[1].pkey, 0x7fff);
	assert_int_equal(t.pkeys[1].members, 12);
	assert_string_equal(t.leader, "ctl-a");
	assert_string_equal(t.checksum, s.checksum);
	sriov_cluster_fabric_status_release(&t);
	free(txt);

	pk[1].pkey = 0x0a01;
	assert_int_equal(sriov_cluster_fabric_status_format(&s, &txt, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "listed twice");
	pk[1].pkey = 0x7fff;
	s.checksum[10] = 'X';
	assert_int_equal(sriov_cluster_fabric_status_format(&s, &txt, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "'checksum'", "64 lowercase hex digits");
}

/* The members added within v1 for sriov-fabricd and cluster place. */
static void test_port_pf_guid(void **state)
{
	struct sriov_cluster_port p = { .id = "p1",
					.host = "h1",
					.physnet = "ibnet",
					.vnic_type = SRIOV_VNIC_DIRECT,
					.vf = "0000:41:00.1",
					.vlan = -1,
					.infiniband = true,
					.fabric = "fab0",
					.pkey = 0x0a01,
					.membership = SRIOV_MEMBER_FULL,
					.guid = 0x0002c90300a1b2c1ull,
					.pf_guid = 0x0002c90300a1b201ull },
				  q;
	struct sriov_error err = { 0 };
	char *s;

	assert_int_equal(sriov_cluster_port_format(&p, &s, NULL), 0);
	assert_non_null(strstr(s, ",\"pf_guid\":\"0x0002c90300a1b201\"}"));
	assert_int_equal(
		sriov_cluster_port_parse(PORT_KEY, s, strlen(s), &q, NULL), 0);
	snprintf(p.state, sizeof(p.state), "bound");
	assert_memory_equal(&p, &q, sizeof(p));
	free(s);
	p.pf_guid = p.guid;
	assert_int_equal(sriov_cluster_port_format(&p, &s, &err), -EINVAL);
	assert_msg_has(err.msg, "'pf_guid' is the port's own 'guid'");

	static const char eth[] =
		"{\"port\":\"p1\",\"host\":\"h1\",\"physnet\":\"p\",\"vnic_type\":\"direct\",\"vf\":\"0000:41:00.1\",\"state\":\"bound\",\"pf_guid\":\"0x0002c90300a1b201\"}";
	assert_int_equal(sriov_cluster_port_parse(PORT_KEY, eth, strlen(eth),
						  &q, &err),
			 -EINVAL);
	assert_msg_has(err.msg, PORT_KEY, "Ethernet port", "no 'pf_guid'");
	static const char bad[] =
		"{\"port\":\"p1\",\"host\":\"h1\",\"physnet\":\"p\",\"vnic_type\":\"direct\",\"vf\":\"0000:41:00.1\",\"state\":\"bound\",\"fabric\":\"f\",\"pkey\":\"0x0a01\",\"membership\":\"full\",\"guid\":\"0x0002c90300a1b2c1\",\"pf_guid\":\"0x2\"}";
	assert_int_equal(sriov_cluster_port_parse(PORT_KEY, bad, strlen(bad),
						  &q, &err),
			 -EINVAL);
	assert_msg_has(err.msg, PORT_KEY, "'pf_guid' is '0x2'");
}

static void test_held_keys(void **state)
{
	struct sriov_cluster_keys k = keys();
	char buf[SRIOV_CLUSTER_KEY_MAX], id[SRIOV_CLUSTER_ID_MAX];
	enum sriov_cluster_kind kind;
	struct sriov_error err = { 0 };

	assert_int_equal(sriov_cluster_held_key(&k, "fab0", "p1", buf, NULL),
			 0);
	assert_string_equal(buf, "/sriov/v1/fabrics/fab0/held/p1");
	assert_int_equal(sriov_cluster_key_parse(&k, buf, strlen(buf), &kind,
						 id, NULL),
			 0);
	assert_int_equal(kind, SRIOV_CLUSTER_FABRIC_HELD);
	assert_string_equal(id, "p1");
	assert_int_equal(sriov_cluster_held_key(&k, "fab0", NULL, buf, NULL),
			 0);
	assert_string_equal(buf, "/sriov/v1/fabrics/fab0/held/");
	assert_int_equal(sriov_cluster_held_key(&k, "fab0", "a/b", buf, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "invalid port id 'a/b'");
	assert_int_equal(sriov_cluster_held_key(&k, "..", "p1", buf, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "invalid fabric id '..'");
	assert_int_equal(sriov_cluster_key(&k, SRIOV_CLUSTER_FABRIC_HELD,
					   "fab0", buf, &err),
			 -EINVAL);
	static const char *const bad[] = {
		"/sriov/v1/fabrics/fab0/held/",
		"/sriov/v1/fabrics/fab0/held/a/b",
		"/sriov/v1/fabrics//held/p1",
		"/sriov/v1/fabrics/f..g/held/p1",
		"/sriov/v1/fabrics/fab0/held",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sriov_cluster_key_parse(&k, bad[i],
							 strlen(bad[i]), &kind,
							 id, NULL),
				 -EINVAL);
}

static void test_host_placement(void **state)
{
	static const char key[] = "/sriov/v1/hosts/h1";
	char addrs[][32] = { "0000:41:00.1", "0000:41:00.2", "0000:3b:02.0" };
	struct sriov_cluster_pf pfs[] = {
		{ .name = "ib0",
		  .address = "0000:41:00.0",
		  .link = SRIOV_CLUSTER_LINK_INFINIBAND,
		  .physnet = "ibnet",
		  .fabric = "fab0",
		  .numa_node = 1,
		  .vfs_total = 4,
		  .vfs_free = 2,
		  .vfs_bound = 2,
		  .vendor_id = "15b3",
		  .product_id = "1017",
		  .vf_product_id = "1018",
		  .has_free_vfs = true,
		  .free_vfs_first = 0,
		  .n_free_vfs = 2 },
		{ .name = "ens2f0",
		  .address = "0000:3b:00.0",
		  .link = SRIOV_CLUSTER_LINK_ETHERNET,
		  .physnet = "physnet1",
		  .numa_node = 0,
		  .vfs_total = 1,
		  .vfs_free = 1,
		  .vendor_id = "8086",
		  .vf_product_id = "154c",
		  .has_free_vfs = true,
		  .free_vfs_first = 2,
		  .n_free_vfs = 1 },
	};
	struct sriov_cluster_host h = { .id = "h1",
					.updated = 1,
					.pfs = pfs,
					.n_pfs = 2,
					.free_vfs = addrs,
					.n_free_vfs = 3 },
				  g;
	struct sriov_error err = { 0 };
	char *s;

	assert_int_equal(sriov_cluster_host_format(&h, &s, NULL), 0);
	assert_non_null(strstr(
		s,
		"\"vendor_id\":\"15b3\",\"product_id\":\"1017\",\"vf_product_id\":\"1018\",\"free_vfs\":[\"0000:41:00.1\",\"0000:41:00.2\"]"));
	assert_int_equal(sriov_cluster_host_parse(key, s, strlen(s), &g, NULL),
			 0);
	free(s);
	assert_int_equal(g.n_free_vfs, 3);
	assert_memory_equal(&g.pfs[0], &pfs[0], sizeof(pfs[0]));
	assert_memory_equal(&g.pfs[1], &pfs[1], sizeof(pfs[1]));
	assert_string_equal(g.free_vfs[2], "0000:3b:02.0");
	sriov_cluster_host_release(&g);

	static const char *const bad[][2] = {
		{ "\"vendor_id\":\"15B3\"", "'vendor_id' is '15B3'" },
		{ "\"vf_product_id\":\"101\"", "'vf_product_id' is '101'" },
		{ "\"free_vfs\":[]", "list of the 1 free VFs" },
		{ "\"free_vfs\":[\"41:00.1\"]",
		  "free_vfs[0] is not a PCI address" },
		{ "\"free_vfs\":[\"0000:41:00.8\"]",
		  "free_vfs[0] is not a PCI address" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char v[512];

		snprintf(
			v, sizeof(v),
			"{\"host\":\"h1\",\"updated\":1,\"pfs\":[{\"name\":\"x\",\"link\":\"ethernet\",\"physnet\":\"p\",\"vfs\":{\"total\":1,\"free\":1,\"bound\":0,\"quarantined\":0},%s}]}",
			bad[i][0]);
		assert_int_equal(sriov_cluster_host_parse(key, v, strlen(v), &g,
							  &err),
				 -EINVAL);
		assert_msg_has(err.msg, key, "pfs[0]", bad[i][1]);
	}
}

static void test_fabric_status_optional(void **state)
{
	static const char key[] = "/sriov/v1/fabrics/fab0/status";
	struct sriov_cluster_rejected rj[] = {
		{ .key = "/sriov/v1/ports/bad", .error = "invalid JSON" },
	};
	struct sriov_cluster_fabric_status s = {
		.fabric = "fab0",
		.revision = 9,
		.checksum = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		.verify = "skipped",
		.time = 1,
		.leader = "ctl-a",
		.ports = 7,
		.held = 2,
		.error = "render refused",
		.error_revision = 11,
		.rejected = rj,
		.n_rejected = 1,
		.n_rejected_total = 5,
	},
					   t;
	char *txt;

	assert_int_equal(sriov_cluster_fabric_status_format(&s, &txt, NULL), 0);
	assert_int_equal(sriov_cluster_fabric_status_parse(
				 key, txt, strlen(txt), &t, NULL),
			 0);
	free(txt);
	assert_int_equal(t.ports, 7);
	assert_int_equal(t.held, 2);
	assert_string_equal(t.error, "render refused");
	assert_int_equal(t.error_revision, 11);
	assert_int_equal(t.n_rejected, 1);
	assert_int_equal(t.n_rejected_total, 5);
	assert_string_equal(t.rejected[0].key, "/sriov/v1/ports/bad");
	assert_string_equal(t.rejected[0].error, "invalid JSON");
	sriov_cluster_fabric_status_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_vectors),
		cmocka_unit_test(test_b64_binary),
		cmocka_unit_test(test_b64_strict),
		cmocka_unit_test(test_req_range),
		cmocka_unit_test(test_req_txn),
		cmocka_unit_test(test_req_watch_lease),
		cmocka_unit_test(test_parse_range),
		cmocka_unit_test(test_parse_range_bad),
		cmocka_unit_test(test_parse_txn),
		cmocka_unit_test(test_parse_lease),
		cmocka_unit_test(test_parse_watch),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_prefix_end),
		cmocka_unit_test(test_open_options),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_port_parse),
		cmocka_unit_test(test_port_invalid),
		cmocka_unit_test(test_port_format),
		cmocka_unit_test(test_claim),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_fabric_status),
		cmocka_unit_test(test_port_pf_guid),
		cmocka_unit_test(test_held_keys),
		cmocka_unit_test(test_host_placement),
		cmocka_unit_test(test_fabric_status_optional),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
