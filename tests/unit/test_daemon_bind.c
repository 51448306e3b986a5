/* SPDX-License-Identifier: MIT */
/*
 * port.bind through sriovd's API on fake sysfs trees: a request that does
 * not fit the network (a P-key or GUID on an Ethernet VF, a VLAN or MAC on
 * an InfiniBand one, no GUID under the 'given' policy, a GUID another port
 * holds) is refused before the journal: no journal entry, no port, every
 * VF as it was. A request that fits is journaled before anything is
 * touched, and rolled back when the kernel then fails it.
 *
 * The trees are tests/fixtures/hosts/{igb,mlx5-cx6-ib,mlx4-seed}.json as
 * mkhost.py builds them, copied per test. A fake root's netlink handle
 * replays the trees' recorded answers and refuses every change, so the
 * "kernel fails it" case is that refusal; the tests also run in a network
 * namespace of their own (a user namespace first when not root), so
 * nothing of the host's could be read or touched even through a bug.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "sriovd.h"

struct fx {
	const char *host; /* tests/fixtures/hosts/<host>.json */
	const char *yaml; /* sriovd.yaml */
	char dir[64];
};

static struct daemon d;

static int setup(void **state)
{
	struct fx *f = *state;
	struct sriov_error e = { 0 };
	char cmd[512], sys[128], db[128];

	snprintf(f->dir, sizeof(f->dir), "/tmp/test_daemon_bind.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(cmd, sizeof(cmd), "cp -a '%s/%s/sys' '%s/'",
		 SRIOV_FIXTURES_BUILD, f->host, f->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(sys, sizeof(sys), "%s/sys", f->dir);
	memset(&d, 0, sizeof(d));
	d.listen_fd = d.monitor_fd = -1;
	if (sriov_root_open(sys, f->dir, &d.root, &e) < 0 ||
	    sriov_nl_open(d.root, &d.nl, &e) < 0)
		fail_msg("root %s: %s", sys, e.msg);
	if (sriov_daemon_config_load("c.yaml", f->yaml, &d.cfg, &e) < 0)
		fail_msg("config: %s", e.msg);
	snprintf(db, sizeof(db), "%s/s.db", f->dir);
	if (sriov_store_open(db, &d.store, &e) < 0 || ops_sync(&d, &e) < 0)
		fail_msg("store: %s", e.msg);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	sriov_store_close(d.store);
	sriov_nl_close(d.nl);
	sriov_root_free(d.root);
	sriov_daemon_config_release(&d.cfg);
	free(d.watch_ifindex);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The journal as "op status pf vf|...", oldest first, read with SQL of
 * our own (not through the store's code). */
static const char *journal(const struct fx *f)
{
	static char out[2048];
	size_t len = 0;
	sqlite3_stmt *st;
	sqlite3 *h;
	char db[128];

	out[0] = '\0';
	snprintf(db, sizeof(db), "%s/s.db", f->dir);
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(
				 h,
				 "SELECT j.op, j.status, coalesce(v.pf, '-'), "
				 "coalesce(v.idx, '-') FROM journal j LEFT "
				 "JOIN vf v ON v.id = j.vf_id ORDER BY j.seq",
				 -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && len < sizeof(out))
		len += (size_t)snprintf(out + len, sizeof(out) - len,
					"%s%s %s %s %s", len ? "|" : "",
					sqlite3_column_text(st, 0),
					sqlite3_column_text(st, 1),
					sqlite3_column_text(st, 2),
					sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

/* The VF and port lists as the API gives them. */
static char *lists(void)
{
	const char *qa = "{\"op\":\"vf.list\"}", *qb = "{\"op\":\"port.list\"}";
	json_t *a = api_handle(&d, qa, strlen(qa), 0);
	json_t *b = api_handle(&d, qb, strlen(qb), 0);
	char *sa = json_dumps(a, JSON_SORT_KEYS), *sb = json_dumps(b, 0), *s;

	assert_true(json_is_true(json_object_get(a, "ok")));
	assert_true(json_is_true(json_object_get(b, "ok")));
	assert_true(asprintf(&s, "%s%s", sa, sb) > 0);
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
	return s;
}

/* port.bind of @port (the "port" object); the answer. */
static json_t *bind(const char *port)
{
	char *req;
	json_t *r;

	assert_true(asprintf(&req, "{\"op\":\"port.bind\",\"port\":%s}", port) >
		    0);
	r = api_handle(&d, req, strlen(req), 0);
	free(req);
	return r;
}

/* Bind @port, expect it refused with @code and @want in the message, and
 * nothing written: the journal, the VFs and the ports as they were. */
static void refused(const struct fx *f, const char *port, const char *code,
		    const char *want)
{
	char *before = lists(), *after, jb[2048];
	json_t *r, *e;
	const char *msg;

	snprintf(jb, sizeof(jb), "%s", journal(f));
	r = bind(port);
	e = json_object_get(r, "error");
	msg = json_string_value(json_object_get(e, "message"));
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(e, "code")),
			    code);
	if (!msg || !strstr(msg, want))
		fail_msg("%s: got '%s', want '%s'", port, msg, want);
	json_decref(r);
	assert_string_equal(journal(f), jb);
	after = lists();
	assert_string_equal(after, before);
	free(before);
	free(after);
}

static struct fx eth = {
	.host = "igb",
	.yaml = "physnets:\n  ethnet: [enp2s0f0]\n",
};

static void test_ethernet_refuses_ib(void **state)
{
	const struct fx *f = *state;

	refused(f,
		"{\"id\":\"p1\",\"network\":{\"physnet\":\"ethnet\","
		"\"pkey\":\"0x8001\"}}",
		"EINVAL",
		"network 'ethnet' is Ethernet (pf enp2s0f0): give a vlan, not "
		"a pkey or guid");
	refused(f,
		"{\"id\":\"p1\",\"guid\":\"02:00:00:00:00:00:00:01\","
		"\"network\":{\"physnet\":\"ethnet\"}}",
		"EINVAL", "network 'ethnet' is Ethernet (pf enp2s0f0)");
	refused(f,
		"{\"id\":\"p1\",\"pf\":\"enp2s0f0\",\"network\":{\"physnet\":"
		"\"ethnet\",\"pkey\":\"0x8001\"}}",
		"EINVAL", "network 'ethnet' is Ethernet (pf enp2s0f0)");
	assert_string_equal(journal(f), "");
}

/*
 * What the refusals above are measured against: a request that fits is
 * journaled before the VF is touched. Here the kernel (the namespace's,
 * which has no such PF) then fails it, and the bind is rolled back through
 * the journal.
 */
static void test_fitting_request_is_journaled(void **state)
{
	const struct fx *f = *state;
	json_t *r = bind("{\"id\":\"p1\",\"network\":{\"physnet\":\"ethnet\","
			 "\"vlan\":100}}");

	assert_true(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	assert_string_equal(journal(f), "bind rolled_back enp2s0f0 0");
}

static struct fx ib = {
	.host = "mlx5-cx6-ib",
	.yaml = "physnets:\n  ibnet: [ibp193s0]\n",
};

static void test_infiniband_refuses_ethernet(void **state)
{
	const struct fx *f = *state;

	refused(f,
		"{\"id\":\"i1\",\"network\":{\"physnet\":\"ibnet\",\"vlan\":"
		"100}}",
		"EINVAL",
		"network 'ibnet' is InfiniBand (pf ibp193s0): give a pkey and "
		"a guid, not a vlan or mac");
	refused(f,
		"{\"id\":\"i1\",\"mac\":\"02:00:00:00:00:01\",\"network\":{"
		"\"physnet\":\"ibnet\",\"pkey\":\"0x8001\"}}",
		"EINVAL", "network 'ibnet' is InfiniBand (pf ibp193s0)");
	assert_string_equal(journal(f), "");
}

/* A GUID another port holds: that port stored as a finished bind would
 * leave it, then a second port asks for its GUID. */
static void test_guid_in_use(void **state)
{
	const struct fx *f = *state;
	struct sriov_store_port port = { 0 };
	struct sriov_error e = { 0 };
	struct sriov_store_vf vf;
	const char *held = "{\"guid\":\"02:00:00:00:00:00:00:07\",\"id\":"
			   "\"i0\",\"network\":{\"physnet\":\"ibnet\"}}";
	int64_t seq;

	snprintf(port.id, sizeof(port.id), "i0");
	snprintf(port.network, sizeof(port.network), "ibnet");
	snprintf(port.vnic_type, sizeof(port.vnic_type), "direct");
	port.settings = (char *)held;
	if (sriov_store_allocate(d.store, &port, NULL, SRIOV_NUMA_NONE, -1,
				 held, &vf, &seq, &e) < 0 ||
	    sriov_store_bind_done(d.store, seq, "i0", &e) < 0)
		fail_msg("store i0: %s", e.msg);
	assert_string_equal(journal(f), "bind done ibp193s0 0");
	refused(f,
		"{\"id\":\"i1\",\"guid\":\"02:00:00:00:00:00:00:07\","
		"\"network\":{\"physnet\":\"ibnet\",\"pkey\":\"0x8001\"}}",
		"EEXIST",
		"port i1: guid 02:00:00:00:00:00:00:07 is in use by another "
		"port");
}

static struct fx ib_given = {
	.host = "mlx5-cx6-ib",
	.yaml = "physnets:\n  ibnet: [ibp193s0]\nguid: {policy: given}\n",
};

static void test_guid_required(void **state)
{
	const struct fx *f = *state;

	refused(f,
		"{\"id\":\"i1\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":"
		"\"0x8001\"}}",
		"EINVAL",
		"port i1: a guid is required (guid policy 'given' in c.yaml)");
	assert_string_equal(journal(f), "");
}

/*
 * A physnet whose PFs are of both kinds (the ConnectX-3's Ethernet and
 * InfiniBand netdevs): a request of one kind goes to the PFs of that kind
 * only. Both binds are then failed by the namespace's kernel and rolled
 * back; the journal shows where each went.
 */
static struct fx mixed = {
	.host = "mlx4-seed",
	.yaml = "physnets:\n  mixed: [enp65s0, ib0]\n",
};

static void test_mixed_physnet(void **state)
{
	const struct fx *f = *state;
	json_t *r;

	r = bind("{\"id\":\"m1\",\"network\":{\"physnet\":\"mixed\","
		 "\"pkey\":\"0x8001\"}}");
	assert_true(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	assert_string_equal(journal(f), "bind rolled_back ib0 0");
	r = bind("{\"id\":\"m2\",\"network\":{\"physnet\":\"mixed\","
		 "\"vlan\":7}}");
	assert_true(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	/* enp65s0's vf 0 (its own row; ib0's vf 0 is quarantined) */
	assert_string_equal(journal(f), "bind rolled_back ib0 0|"
					"bind rolled_back enp65s0 0");
}

/*
 * "Bind this exact VF" (ebrctl's add-port, Nova's pci_slot): the named VF
 * is the one journaled, not the lowest free one; a VF that cannot be taken
 * is refused by name with nothing written. vf 1 is held by a port stored
 * as a finished bind; vf 3 is excluded.
 */
static struct fx ib_named = {
	.host = "mlx5-cx6-ib",
	.yaml = "physnets:\n  ibnet: [ibp193s0]\n"
		"exclude_devices: [\"ibp193s0:vf3\"]\n",
};

static void test_named_vf(void **state)
{
	const struct fx *f = *state;
	struct sriov_store_port port = { 0 };
	struct sriov_error e = { 0 };
	struct sriov_store_vf vf;
	const char *held = "{\"guid\":\"02:00:00:00:00:00:00:07\",\"id\":"
			   "\"i0\",\"network\":{\"physnet\":\"ibnet\"}}";
	int64_t seq;
	json_t *r;

	snprintf(port.id, sizeof(port.id), "i0");
	snprintf(port.network, sizeof(port.network), "ibnet");
	snprintf(port.vnic_type, sizeof(port.vnic_type), "direct");
	port.settings = (char *)held;
	if (sriov_store_allocate_vf(d.store, &port, "0000:c1:00.2", NULL,
				    SRIOV_NUMA_NONE, -1, held, &vf, &seq,
				    &e) < 0 ||
	    sriov_store_bind_done(d.store, seq, "i0", &e) < 0)
		fail_msg("store i0: %s", e.msg);
	assert_string_equal(journal(f), "bind done ibp193s0 1");

#define P(slot)                                                      \
	"{\"id\":\"ib-fa:16:3e:00:00:01\",\"network\":{\"physnet\":" \
	"\"ibnet\"},\"guid_from_mac\":\"fa:16:3e:00:00:01\","        \
	"\"pci_slot\":\"" slot "\"}"
	refused(f, P("0000:c1:00.2"), "EBUSY",
		"vf 0000:c1:00.2 (pf ibp193s0 vf 1) is not free: port 'i0' "
		"holds it");
	refused(f, P("0000:c1:00.4"), "EPERM",
		"vf 0000:c1:00.4 (pf ibp193s0 vf 3) is excluded");
	refused(f, P("0000:c1:00.7"), "ENOENT",
		"no vf 0000:c1:00.7 is managed by sriovd");
	refused(f, P("0000:c1:0.3"), "EINVAL",
		"port: invalid pci_slot '0000:c1:0.3'");
	refused(f,
		"{\"id\":\"ib-fa:16:3e:00:00:01\",\"network\":{\"physnet\":"
		"\"ibnet\"},\"guid_from_mac\":\"fa:16:3e:00:00\","
		"\"pci_slot\":\"0000:c1:00.3\"}",
		"EINVAL", "port: invalid guid_from_mac 'fa:16:3e:00:00'");
	/* the GUID of i0's MAC-made twin is i0's own: refused before the
	 * journal, as a GUID given */
	refused(f,
		"{\"id\":\"ib-02:00:00:00:00:07\",\"network\":{\"physnet\":"
		"\"ibnet\"},\"guid_from_mac\":\"02:00:00:00:00:07\","
		"\"pci_slot\":\"0000:c1:00.3\"}",
		"EEXIST",
		"guid 02:00:00:00:00:00:00:07 is in use by another port");

	/* vf 2, the one named, though vf 0 is free and lower */
	r = bind(P("0000:c1:00.3"));
	assert_true(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	assert_string_equal(journal(f), "bind done ibp193s0 1|"
					"bind rolled_back ibp193s0 2");
#undef P

	/* ebrctl's del-port names the network too: another one's port is
	 * not unbound, and an unknown port is ENOENT (nothing to do) */
	{
		static const char *const q[][3] = {
			{ "{\"op\":\"port.unbind\",\"id\":\"i0\","
			  "\"network\":\"other\"}",
			  "EINVAL",
			  "port i0 is on network 'ibnet', not 'other'; nothing "
			  "done" },
			{ "{\"op\":\"port.unbind\",\"id\":\"i9\","
			  "\"network\":\"ibnet\"}",
			  "ENOENT", "i9" },
			{ "{\"op\":\"port.unbind\",\"id\":\"i0\","
			  "\"network\":5}",
			  "EINVAL", "'network' must be a string" },
		};
		char *before = lists(), *after;

		for (size_t i = 0; i < sizeof(q) / sizeof(*q); i++) {
			json_t *a = api_handle(&d, q[i][0], strlen(q[i][0]), 0);
			json_t *er = json_object_get(a, "error");
			const char *msg = json_string_value(
				json_object_get(er, "message"));

			assert_string_equal(
				json_string_value(json_object_get(er, "code")),
				q[i][1]);
			if (!msg || !strstr(msg, q[i][2]))
				fail_msg("%s: got '%s'", q[i][0], msg);
			json_decref(a);
		}
		after = lists();
		assert_string_equal(after, before);
		free(before);
		free(after);
	}
	assert_string_equal(journal(f), "bind done ibp193s0 1|"
					"bind rolled_back ibp193s0 2");
}

/* One PCI function, two ports (ConnectX-3): the network's row is taken;
 * named from the other network, it is refused as that network's. */
static struct fx mlx4_two = {
	.host = "mlx4-seed",
	.yaml = "physnets:\n  ethnet: [enp65s0]\n  ibnet: [ib0]\n",
};

static void test_named_vf_two_ports(void **state)
{
	const struct fx *f = *state;
	json_t *r;

	r = bind("{\"id\":\"n1\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":"
		 "\"0xb030\"},\"guid_from_mac\":\"fa:16:3e:00:00:02\","
		 "\"pci_slot\":\"0000:41:00.2\"}");
	assert_true(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	assert_string_equal(journal(f), "bind rolled_back ib0 1");
	r = bind("{\"id\":\"n2\",\"network\":{\"physnet\":\"ethnet\",\"vlan\":"
		 "5},\"pci_slot\":\"0000:41:00.2\"}");
	assert_true(json_is_false(json_object_get(r, "ok")));
	json_decref(r);
	assert_string_equal(journal(f), "bind rolled_back ib0 1|"
					"bind rolled_back enp65s0 1");
	refused(f,
		"{\"id\":\"n3\",\"network\":{\"physnet\":\"ibnet\"},"
		"\"guid\":\"0x0200000000000009\",\"pci_slot\":\"enp65s0:vf1\"}",
		"EINVAL", "pf 'enp65s0' is not a pf of network 'ibnet'");
}

/* Without privileges: a user namespace first, mapping our ids to
 * themselves so the files we create stay ours. */
static int own_netns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	FILE *fp;

	if (unshare(CLONE_NEWNET) == 0)
		return 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return -errno;
	fp = fopen("/proc/self/setgroups", "w");
	if (fp) {
		fputs("deny", fp);
		fclose(fp);
	}
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)uid, (unsigned)uid);
	fp = fopen("/proc/self/uid_map", "w");
	if (fp) {
		fputs(map, fp);
		fclose(fp);
	}
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)gid, (unsigned)gid);
	fp = fopen("/proc/self/gid_map", "w");
	if (fp) {
		fputs(map, fp);
		fclose(fp);
	}
	return 0;
}

#define T(fn, fx) \
	cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, &fx)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ethernet_refuses_ib, eth),
		T(test_fitting_request_is_journaled, eth),
		T(test_infiniband_refuses_ethernet, ib),
		T(test_guid_in_use, ib),
		T(test_guid_required, ib_given),
		T(test_mixed_physnet, mixed),
		T(test_named_vf, ib_named),
		T(test_named_vf_two_ports, mlx4_two),
	};
	int r;

	r = own_netns();
	if (r < 0) {
		fprintf(stderr,
			"SKIP: unit.daemon_bind needs a network namespace of "
			"its own (unshare: %s): it will not let a bind ask "
			"the host's kernel about the fixtures' ifindexes\n",
			strerror(-r));
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
