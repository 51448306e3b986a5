/* SPDX-License-Identifier: MIT */
/*
 * sriov-fabricd's pure parts: the model of ports/ as the schema's parser
 * classifies it, and the file rendered from it with the static intent.
 * Expected files are written out by hand from docs/cluster.md's rules.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fabricd.h"
#include "assert_msg.h"

static const char static_yaml[] =
	"partitions:\n"
	"  - name: Default\n"
	"    pkey: 0x7fff\n"
	"    members:\n"
	"      - {group: ALL_SWITCHES, membership: full}\n"
	"      - {group: SELF, membership: full}\n"
	"  - name: storage\n"
	"    pkey: 0x0a01\n"
	"    ipoib: true\n"
	"    members:\n"
	"      - {guid: 0x0002c90300000011, membership: full}\n";

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test_fabricd.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static struct fd_static load_static(const char *yaml)
{
	struct fd_static st;
	struct sriov_error err = { 0 };
	char *path = write_tmp(yaml);
	int r = fd_static_load(path, NULL, &st, &err);

	unlink(path);
	free(path);
	if (r < 0)
		fail_msg("static: %s", err.msg);
	return st;
}

static void put(struct model *m, const char *key, const char *value,
		int64_t crev, int64_t lease)
{
	struct sriov_etcd_kv kv = {
		.key = (char *)key,
		.key_len = strlen(key),
		.value = (char *)value,
		.value_len = strlen(value),
		.create_revision = crev,
		.mod_revision = crev,
		.lease = lease,
	};

	assert_int_equal(model_put(m, &kv, NULL), 1);
}

/* A port value as sriovd writes it; pf NULL: no pf_guid. */
static char *port(const char *id, const char *fabric, const char *pkey,
		  const char *ms, const char *guid, const char *pf,
		  const char *state)
{
	char *s;

	assert_true(
		asprintf(
			&s,
			"{\"port\":\"%s\",\"host\":\"h1\",\"physnet\":\"ib\",\"vnic_type\":\"direct\",\"vf\":\"0000:41:00.1\",\"state\":\"%s\",\"vlan\":null,\"fabric\":\"%s\",\"pkey\":\"%s\",\"membership\":\"%s\",\"guid\":\"%s\"%s%s%s}",
			id, state, fabric, pkey, ms, guid,
			pf ? ",\"pf_guid\":\"" : "", pf ? pf : "",
			pf ? "\"" : "") > 0);
	return s;
}

static void put_port(struct model *m, const char *id, const char *fabric,
		     const char *pkey, const char *ms, const char *guid,
		     const char *pf, int64_t crev)
{
	char key[256];
	char *v = port(id, fabric, pkey, ms, guid, pf, "bound");

	snprintf(key, sizeof(key), "/sriov/v1/ports/%s", id);
	put(m, key, v, crev, 0);
	free(v);
}

static const char *body(const struct fd_render *r)
{
	return r->text + r->body_off;
}

static void test_static_and_ports(void **state)
{
	struct fd_static st = load_static(static_yaml);
	struct model m;
	struct fd_header h = { "ctl-a", 7, 42 };
	struct fd_render r;
	struct sriov_error err = { 0 };

	assert_int_equal(model_init(&m, NULL, "fab0", NULL), 0);
	/* into the static partition, and one of its own */
	put_port(&m, "p1", "fab0", "0x0a01", "limited", "0x0002c90300000021",
		 NULL, 10);
	put_port(&m, "p2", "fab0", "0x0b02", "full", "0x0002c90300000031", NULL,
		 11);
	put_port(&m, "p0", "fab0", "0x0b02", "limited", "0x0002c90300000030",
		 NULL, 12);
	/* not members: another fabric, Ethernet, unbinding, garbage */
	put_port(&m, "px", "fab1", "0x0b02", "full", "0x0002c90300000041", NULL,
		 13);
	put(&m, "/sriov/v1/ports/eth",
	    "{\"port\":\"eth\",\"host\":\"h1\",\"physnet\":\"p\",\"vnic_type\":\"direct\",\"vf\":\"0000:41:00.3\",\"state\":\"bound\",\"vlan\":100}",
	    14, 0);
	{
		char *v = port("pu", "fab0", "0x0b02", "full",
			       "0x0002c90300000051", NULL, "unbinding");

		put(&m, "/sriov/v1/ports/pu", v, 15, 0);
		free(v);
	}
	put(&m, "/sriov/v1/ports/bad", "{\"port\":", 16, 0);
	/* the intent's own GUID in its partition keeps its membership */
	put_port(&m, "p3", "fab0", "0x0a01", "limited", "0x0002c90300000011",
		 NULL, 17);

	assert_int_equal(fd_render(&st, &m, &h, &r, &err), 0);
	assert_string_equal(body(&r), "Default=0x7fff :\n"
				      "\tALL_SWITCHES=full,\n"
				      "\tSELF=full ;\n"
				      "storage=0x0a01, ipoib :\n"
				      "\t0x0002c90300000011=full,\n"
				      "\t0x0002c90300000021=limited ;\n"
				      "pk0b02=0x0b02, ipoib :\n"
				      "\t0x0002c90300000030=limited,\n"
				      "\t0x0002c90300000031=full ;\n");
	assert_non_null(strstr(
		r.text, "from store revision 42 (leader ctl-a, term 7)"));
	assert_int_equal(r.ports, 4);
	assert_int_equal(r.n_pkeys, 3);
	assert_int_equal(r.pkeys[0].pkey, 0x0a01);
	assert_int_equal(r.pkeys[0].members, 2);
	assert_int_equal(r.pkeys[1].pkey, 0x0b02);
	assert_int_equal(r.pkeys[1].members, 2);
	assert_int_equal(r.pkeys[2].pkey, 0x7fff);
	assert_int_equal(fd_check(r.text, r.len, "p.conf", NULL, &err), 0);
	fd_render_release(&r);

	struct fd_counts n;

	model_counts(&m, &n);
	assert_int_equal(n.ours, 4);
	assert_int_equal(n.other, 1);
	assert_int_equal(n.ethernet, 1);
	assert_int_equal(n.unbinding, 1);
	assert_int_equal(n.rejected, 1);
	{
		struct fd_port *bad = map_get(&m.ports, "bad");

		assert_non_null(bad);
		assert_int_equal(bad->kind, FD_REJECTED);
		assert_msg_has(bad->error, "/sriov/v1/ports/bad",
			       "invalid JSON");
	}
	model_release(&m);
	fd_static_release(&st);
}

/* mlx4: the PF port GUID in every P-key of its VFs, memberships joined. */
static void test_mlx4_pf_guid(void **state)
{
	struct fd_static st = load_static(static_yaml);
	struct model m;
	struct fd_header h = { "ctl-a", 1, 1 };
	struct fd_render r;

	assert_int_equal(model_init(&m, NULL, "fab0", NULL), 0);
	put_port(&m, "v1", "fab0", "0x0c03", "full", "0x0002c903000a0001",
		 "0x0002c90300000081", 1);
	put_port(&m, "v2", "fab0", "0x0c03", "limited", "0x0002c903000a0002",
		 "0x0002c90300000081", 2);
	put_port(&m, "v3", "fab0", "0x0d04", "limited", "0x0002c903000a0003",
		 "0x0002c90300000081", 3);
	assert_int_equal(fd_render(&st, &m, &h, &r, NULL), 0);
	/* members by GUID: the PF's 0x...0081 sorts first */
	assert_non_null(strstr(body(&r), "pk0c03=0x0c03, ipoib :\n"
					 "\t0x0002c90300000081=both,\n"
					 "\t0x0002c903000a0001=full,\n"
					 "\t0x0002c903000a0002=limited ;\n"
					 "pk0d04=0x0d04, ipoib :\n"
					 "\t0x0002c90300000081=limited,\n"
					 "\t0x0002c903000a0003=limited ;\n"));
	assert_int_equal(r.ports, 3);
	fd_render_release(&r);
	model_release(&m);
	fd_static_release(&st);
}

/* Held ports are members while no ports/ key of theirs exists. */
static void test_held(void **state)
{
	struct fd_static st = load_static(static_yaml);
	struct model m;
	struct fd_header h = { "ctl-a", 1, 1 };
	struct fd_render r;
	char *v = port("p9", "fab0", "0x0c03", "full", "0x0002c90300000091",
		       NULL, "bound");
	char *w = port("p8", "fab1", "0x0c03", "full", "0x0002c90300000092",
		       NULL, "bound");

	assert_int_equal(model_init(&m, NULL, "fab0", NULL), 0);
	put(&m, "/sriov/v1/fabrics/fab0/held/p9", v, 5, 77);
	put(&m, "/sriov/v1/fabrics/fab0/held/p8", w, 6, 77);
	assert_int_equal(fd_render(&st, &m, &h, &r, NULL), 0);
	assert_non_null(strstr(
		body(&r),
		"pk0c03=0x0c03, ipoib :\n\t0x0002c90300000091=full ;\n"));
	assert_null(strstr(body(&r), "0x0002c90300000092"));
	assert_int_equal(r.held, 1);
	assert_non_null(strstr(r.text, "1 port(s), 1 of them held"));
	fd_render_release(&r);
	{
		struct fd_port *p8 = map_get(&m.held, "p8");

		assert_int_equal(p8->kind, FD_REJECTED);
		assert_msg_has(p8->error, "/sriov/v1/fabrics/fab0/held/p8",
			       "holds a port of fabric 'fab1'");
	}
	/* the port is back, elsewhere: its record wins */
	put_port(&m, "p9", "fab0", "0x0d04", "limited", "0x0002c90300000091",
		 NULL, 9);
	assert_int_equal(fd_render(&st, &m, &h, &r, NULL), 0);
	assert_null(strstr(body(&r), "pk0c03"));
	assert_non_null(strstr(
		body(&r),
		"pk0d04=0x0d04, ipoib :\n\t0x0002c90300000091=limited ;\n"));
	assert_int_equal(r.held, 0);
	fd_render_release(&r);
	free(v);
	free(w);
	model_release(&m);
	fd_static_release(&st);
}

/* One GUID, two ports: the first created keeps it, the other is named. */
static void test_guid_conflict(void **state)
{
	struct fd_static st = load_static(static_yaml);
	struct model m;
	struct fd_header h = { "ctl-a", 1, 1 };
	struct fd_render r;

	assert_int_equal(model_init(&m, NULL, "fab0", NULL), 0);
	put_port(&m, "late", "fab0", "0x0d04", "full", "0x0002c90300000091",
		 NULL, 20);
	put_port(&m, "early", "fab0", "0x0c03", "full", "0x0002c90300000091",
		 NULL, 10);
	assert_int_equal(fd_render(&st, &m, &h, &r, NULL), 0);
	assert_non_null(strstr(body(&r), "pk0c03"));
	assert_null(strstr(body(&r), "pk0d04"));
	assert_int_equal(r.n_conflicts, 1);
	assert_string_equal(r.conflicts[0].key, "/sriov/v1/ports/late");
	assert_msg_has(r.conflicts[0].error, "/sriov/v1/ports/late",
		       "port early's too", "revision 10");
	fd_render_release(&r);
	model_release(&m);
	fd_static_release(&st);
}

static void test_model_keys(void **state)
{
	struct model m;
	struct fd_port *old = NULL;
	char *v = port("p1", "fab0", "0x0c03", "full", "0x0002c90300000091",
		       NULL, "bound");
	struct sriov_etcd_kv kv = { .key = (char *)"/sriov/v1/ports/a/b",
				    .key_len = 19,
				    .value = v,
				    .value_len = strlen(v) };

	assert_int_equal(model_init(&m, NULL, "fab0", NULL), 0);
	assert_int_equal(model_put(&m, &kv, NULL), 1);
	assert_int_equal(m.bad_keys.n, 1);
	assert_msg_has(map_get(&m.bad_keys, "/sriov/v1/ports/a/b"),
		       "/sriov/v1/ports/a/b", "not of schema");
	/* keys of other kinds are not the model's */
	kv.key = (char *)"/sriov/v1/hosts/h1";
	kv.key_len = strlen(kv.key);
	assert_int_equal(model_put(&m, &kv, NULL), 0);
	/* a value that names another port than its key */
	put(&m, "/sriov/v1/ports/p2", v, 1, 0);
	assert_int_equal(((struct fd_port *)map_get(&m.ports, "p2"))->kind,
			 FD_REJECTED);
	assert_msg_has(((struct fd_port *)map_get(&m.ports, "p2"))->error,
		       "'port' is 'p1' but the key names 'p2'");
	/* a huge value */
	{
		size_t n = SRIOV_CLUSTER_VALUE_MAX + 10;
		char *big = malloc(n + 1);

		memset(big, ' ', n);
		big[n] = '\0';
		put(&m, "/sriov/v1/ports/big", big, 2, 0);
		assert_msg_has(
			((struct fd_port *)map_get(&m.ports, "big"))->error,
			"/sriov/v1/ports/big", "over the 65536 bytes");
		free(big);
	}
	assert_int_equal(model_delete(&m, "/sriov/v1/ports/p2", 18, &old), 1);
	assert_non_null(old);
	fd_port_free(old);
	assert_null(map_get(&m.ports, "p2"));
	assert_int_equal(model_delete(&m, "/sriov/v1/ports/a/b", 19, NULL), 1);
	assert_int_equal(m.bad_keys.n, 0);
	free(v);
	model_release(&m);
}

static void test_static_refused(void **state)
{
	static const char *const bad[][2] = {
		{ "partitions:\n  - name: storage\n    pkey: 0x0a01\n    members: [{group: ALL, membership: full}]\n",
		  "no Default (0x7fff) partition" },
		{ "partitions:\n  - {name: Default, pkey: 0x7fff, members: [{group: ALL, membership: full}]}\n  - {name: pk0b02, pkey: 0x0a01, members: [{group: SELF, membership: full}]}\n",
		  "names of the form pkXXXX" },
		{ "partitions: [\n", "invalid YAML" },
		{ "partitions:\n  - {name: Default, pkey: 0x7fff, mtu: 9, members: [{group: ALL}]}\n",
		  "'mtu' must be" },
	};
	struct fd_static st;
	struct sriov_error err = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = write_tmp(bad[i][0]);

		assert_int_equal(fd_static_load(path, NULL, &st, &err),
				 -EINVAL);
		assert_msg_has(err.msg, path, bad[i][1]);
		unlink(path);
		free(path);
	}
	assert_int_equal(fd_static_load("/nonexistent/intent.yaml", NULL, &st,
					&err),
			 -ENOENT);
	assert_msg_has(err.msg, "/nonexistent/intent.yaml");
}

static void test_check(void **state)
{
	static const char bad[] =
		"Default=0x7fff : ALL=full ;\nx=0xzzzz : ALL ;\n";
	struct sriov_error err = { 0 };

	assert_int_equal(fd_check(bad, strlen(bad), "p.conf", NULL, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "fails our check", "p.conf:2");
	assert_int_equal(fd_check("# nothing\n", 10, "p.conf", NULL, &err),
			 -EINVAL);
}

static void test_sha256(void **state)
{
	char s[80];

	/* FIPS 180-2, appendix B.1 */
	fd_sha256("abc", 3, s);
	assert_string_equal(
		s,
		"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_map(void **state)
{
	struct map m = { 0 };
	char k[32];
	void *old;

	for (long i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "key%ld", i);
		assert_int_equal(map_set(&m, k, (void *)(i + 1), &old), 0);
		assert_null(old);
	}
	for (long i = 0; i < 5000; i += 2) {
		snprintf(k, sizeof(k), "key%ld", i);
		assert_ptr_equal(map_del(&m, k), (void *)(i + 1));
	}
	assert_int_equal(m.n, 2500);
	for (long i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "key%ld", i);
		assert_ptr_equal(map_get(&m, k),
				 i % 2 ? (void *)(i + 1) : NULL);
	}
	assert_int_equal(map_set(&m, "key1", (void *)7, &old), 0);
	assert_ptr_equal(old, (void *)2);
	{
		size_t n = 0;

		for (size_t i = 0; map_next(&m, &i, NULL, NULL);)
			n++;
		assert_int_equal(n, 2500);
	}
	map_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_and_ports),
		cmocka_unit_test(test_mlx4_pf_guid),
		cmocka_unit_test(test_held),
		cmocka_unit_test(test_guid_conflict),
		cmocka_unit_test(test_model_keys),
		cmocka_unit_test(test_static_refused),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
