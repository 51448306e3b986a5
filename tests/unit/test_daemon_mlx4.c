/* SPDX-License-Identifier: MIT */
/*
 * sriovd's drift check of mlx4 P-key tables (ops_check) on the fake
 * ConnectX-3 tree (mlx4_fixture.h): port "t1" stored as bound on VF 0 with
 * P-key 0xb030 (physical index 2 of port 2, so its table must read
 * [2,none,...]), port "t2" on VF 1 without a P-key (all none). The tables
 * are changed behind sriovd's back, then checked: repaired, counted in the
 * metrics, journaled. Expected tables come from the fixture's description.
 *
 * Then sriov_port_update() (what Neutron's port updates drive) on the same
 * ports: what cannot be an update is refused with nothing written; the
 * same request again writes nothing; a change the kernel refuses leaves
 * the old request stored and the table as it was. A change that the
 * kernel takes is the kernel lab's to show (lab.openstack.*): a fake
 * tree refuses every write.
 *
 * The fake tree gives its PFs ifindexes, and the check also asks about
 * the PF over rtnetlink: the handle comes from the fake root, which has no
 * recorded answers (but in the update tests), so that part fails and is
 * logged; no socket is opened.
 * The test still runs in a network namespace of its own, so that even a
 * handle that did reach a kernel would find only lo there.
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

#include "mlx4_fixture.h"
#include "sriovd.h"

#define VF0P2 MLX4_FX_VF0P2
#define VF1P2 MLX4_FX_VF1P2
#define ALL_NONE "none,none,none,none,none,none,none"

static struct daemon d;
static struct sriov_nl *nl;

/* Store @json as a port bound to the next free VF of ib0 (the lowest
 * index: none is scrubbed yet), as a bind that finished would. */
static unsigned bind_stored(const char *json)
{
	struct sriov_error e = { 0 };
	struct sriov_port_request req;
	struct sriov_store_port port = { 0 };
	struct sriov_store_vf vf;
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	char *settings;
	int64_t seq;

	assert_non_null(o);
	if (sriov_port_request_parse(o, &d.cfg, &req, &e) < 0)
		fail_msg("%s: %s", json, e.msg);
	json_decref(o);
	settings = sriov_port_request_dump(&req);
	assert_non_null(settings);
	snprintf(port.id, sizeof(port.id), "%s", req.id);
	snprintf(port.network, sizeof(port.network), "%s", req.physnet);
	snprintf(port.vnic_type, sizeof(port.vnic_type), "direct");
	port.settings = settings;
	if (sriov_store_allocate(d.store, &port, "ib0", SRIOV_NUMA_NONE, -1,
				 settings, &vf, &seq, &e) < 0 ||
	    sriov_store_bind_done(d.store, seq, req.id, &e) < 0)
		fail_msg("store %s: %s", req.id, e.msg);
	free(settings);
	return vf.index;
}

static void open_vf(struct mlx4_fx *f, unsigned index, struct sriov_port_vf *vf)
{
	struct sriov_error e = { 0 };

	if (sriov_port_vf_open(f->root, nl, "ib0", index, vf, &e) < 0)
		fail_msg("open ib0 vf %u: %s", index, e.msg);
}

static int setup(void **state)
{
	struct sriov_error e = { 0 };
	struct sriov_port_vf vf;
	struct mlx4_fx *f;
	char db[256];

	mlx4_fx_setup(state);
	f = *state;
	if (sriov_nl_open(f->root, &nl, &e) < 0)
		fail_msg("rtnetlink: %s", e.msg);
	memset(&d, 0, sizeof(d));
	d.listen_fd = d.monitor_fd = -1;
	d.root = f->root;
	d.nl = nl;
	if (sriov_daemon_config_load("c.yaml", "physnets:\n  ibnet: [ib0]\n",
				     &d.cfg, &e) < 0)
		fail_msg("config: %s", e.msg);
	snprintf(db, sizeof(db), "%s/s.db", f->dir);
	if (sriov_store_open(db, &d.store, &e) < 0 || ops_sync(&d, &e) < 0)
		fail_msg("store: %s", e.msg);

	assert_int_equal(bind_stored("{\"id\":\"t1\",\"network\":{\"physnet\":"
				     "\"ibnet\",\"pkey\":\"0xb030\"}}"),
			 0);
	assert_int_equal(bind_stored("{\"id\":\"t2\",\"network\":{\"physnet\":"
				     "\"ibnet\"}}"),
			 1);
	/* the tables as the binds left them */
	open_vf(f, 0, &vf);
	assert_int_equal(sriov_port_mlx4_pkey_apply(f->root, &vf, 0xb030, &e),
			 1);
	open_vf(f, 1, &vf);
	assert_int_equal(sriov_port_mlx4_pkey_scrub(f->root, &vf, &e), 1);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "2,none,none,none,none,none,none");
	assert_string_equal(mlx4_fx_slots(f, VF1P2), ALL_NONE);
	return 0;
}

/* setup(), and the tree's recorded rtnetlink answers (the VFs as
 * mkhost.py lists them) for the port's settings to replay against. */
static int setup_nl(void **state)
{
	struct mlx4_fx *f;
	char cmd[512];

	setup(state);
	f = *state;
	snprintf(cmd, sizeof(cmd), "cp -a '%s/mlx4-seed/netlink' '%s/'",
		 SRIOV_FIXTURES_BUILD, f->dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int teardown(void **state)
{
	sriov_store_close(d.store);
	sriov_daemon_config_release(&d.cfg);
	free(d.watch_ifindex);
	sriov_nl_close(nl);
	nl = NULL;
	return mlx4_fx_teardown(state);
}

/* The journal's repair notes as "port: detail|...", oldest first. */
static const char *repairs(struct mlx4_fx *f)
{
	static char out[4096];
	size_t len = 0;
	sqlite3_stmt *st;
	sqlite3 *h;
	char db[256];

	out[0] = '\0';
	snprintf(db, sizeof(db), "%s/s.db", f->dir);
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h,
					    "SELECT port_id, detail FROM "
					    "journal WHERE op = 'repair' "
					    "AND status = 'done' ORDER BY seq",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && len < sizeof(out))
		len += (size_t)snprintf(out + len, sizeof(out) - len,
					"%s%s: %s", len ? "|" : "",
					sqlite3_column_text(st, 0),
					sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

/* Tables as the ports want them: nothing to repair, nothing written. */
static void test_clean(void **state)
{
	struct mlx4_fx *f = *state;
	char *before = mlx4_fx_snapshot(f), *after;

	ops_check(&d);
	assert_int_equal(d.metrics.drift_repaired, 0);
	assert_int_equal(d.metrics.drift_reported, 0);
	assert_string_equal(repairs(f), "");
	after = mlx4_fx_snapshot(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* A second partition in t1's table (slot 3 -> 0xb000 at physical index
 * 1), 0xffff in t2's empty one: both repaired, counted and journaled. */
static void test_repaired(void **state)
{
	struct mlx4_fx *f = *state;

	mlx4_fx_write(f, VF0P2 "/pkey_idx/3", "1\n");
	mlx4_fx_write(f, VF1P2 "/pkey_idx/5", "0\n");
	ops_check(&d);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "2,none,none,none,none,none,none");
	assert_string_equal(mlx4_fx_slots(f, VF1P2), ALL_NONE);
	assert_int_equal(d.metrics.drift_repaired, 2);
	assert_int_equal(d.metrics.drift_reported, 0);
	assert_string_equal(repairs(f), "t1: mlx4 p-key table re-applied|"
					"t2: mlx4 p-key table re-applied");

	/* slot 0 moved to 0xffff (physical index 0) */
	mlx4_fx_write(f, VF0P2 "/pkey_idx/0", "0\n");
	ops_check(&d);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "2,none,none,none,none,none,none");
	assert_int_equal(d.metrics.drift_repaired, 3);

	/* repaired means a later check finds nothing */
	ops_check(&d);
	assert_int_equal(d.metrics.drift_repaired, 3);
	assert_int_equal(d.metrics.drift_reported, 0);
}

/* The subnet manager took 0xb030 off port 2 and index 2 now holds
 * another partition's P-key: the repair cannot map 0xb030, so t1's VF is
 * left in no partition and the drift reported, at every check. */
static void test_repair_fails(void **state)
{
	struct mlx4_fx *f = *state;
	const char *j;

	mlx4_fx_write(f, MLX4_FX_IOV "/ports/2/pkeys/2", "0x8042\n");
	ops_check(&d);
	assert_string_equal(mlx4_fx_slots(f, VF0P2), ALL_NONE);
	assert_string_equal(mlx4_fx_slots(f, VF1P2), ALL_NONE);
	assert_int_equal(d.metrics.drift_repaired, 0);
	assert_int_equal(d.metrics.drift_reported, 1);
	j = repairs(f);
	if (strncmp(j, "t1: ", 4) || !strstr(j, "0xb030") ||
	    !strstr(j, "not in port 2") || !strstr(j, "no partition") ||
	    strchr(j, '|'))
		fail_msg("journal: %s", j);

	ops_check(&d);
	assert_int_equal(d.metrics.drift_repaired, 0);
	assert_int_equal(d.metrics.drift_reported, 2);
	assert_string_equal(mlx4_fx_slots(f, VF0P2), ALL_NONE);
}

/* ops_update() of @json; its return, the message in @msg. */
static int update(const char *json, char *msg, size_t size)
{
	struct sriov_error e = { 0 };
	struct sriov_port_request req;
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	int r;

	assert_non_null(o);
	if (sriov_port_request_parse(o, &d.cfg, &req, &e) < 0)
		fail_msg("%s: %s", json, e.msg);
	json_decref(o);
	r = ops_update(&d, &req, &e);
	snprintf(msg, size, "%s", e.msg);
	return r;
}

/* The stored request of port @id. */
static char *settings_of(const char *id)
{
	struct sriov_error e = { 0 };
	struct sriov_store_port p = { 0 };
	char *s;

	if (sriov_store_get_port(d.store, id, &p, &e) < 0)
		fail_msg("port %s: %s", id, e.msg);
	s = strdup(p.settings);
	assert_non_null(s);
	sriov_store_port_release(&p);
	return s;
}

/* Journal entries of every kind. */
static int journal_count(struct mlx4_fx *f)
{
	sqlite3_stmt *st;
	sqlite3 *h;
	char db[256];
	int n;

	snprintf(db, sizeof(db), "%s/s.db", f->dir);
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM journal",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* An update that cannot be one (no such port, a new GUID, another VF, an
 * Ethernet setting on an InfiniBand VF): refused with the reason, and
 * nothing written: not the store, not the journal, not a table. */
static void test_update_refused(void **state)
{
	static const struct {
		const char *json, *rc_name, *want;
		int rc;
	} cases[] = {
		{ "{\"id\":\"nope\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":\"0xb000\"}}",
		  "ENOENT", "nope", -ENOENT },
		{ "{\"id\":\"t1\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":\"0xb030\"},\"guid\":\"0x0200000000000042\"}",
		  "EINVAL", "a new GUID takes an unbind and a bind", -EINVAL },
		{ "{\"id\":\"t1\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":\"0xb030\"},\"pci_slot\":\"0000:41:00.2\"}",
		  "EINVAL", "it holds vf 0000:41:00.1, not 0000:41:00.2",
		  -EINVAL },
		{ "{\"id\":\"t2\",\"network\":{\"physnet\":\"ibnet\"},\"mac\":\"02:00:00:00:00:01\"}",
		  "EINVAL", "is InfiniBand: give a pkey, not a vlan or mac",
		  -EINVAL },
	};
	struct mlx4_fx *f = *state;
	char *tables = mlx4_fx_snapshot(f), *s1 = settings_of("t1"),
	     *s2 = settings_of("t2"), msg[512], *now;
	int jn = journal_count(f);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = update(cases[i].json, msg, sizeof(msg));

		if (r != cases[i].rc || !strstr(msg, cases[i].want))
			fail_msg("%s: got %d '%s', want %s '%s'", cases[i].json,
				 r, msg, cases[i].rc_name, cases[i].want);
		now = settings_of("t1");
		assert_string_equal(now, s1);
		free(now);
		now = settings_of("t2");
		assert_string_equal(now, s2);
		free(now);
		assert_int_equal(journal_count(f), jn);
		now = mlx4_fx_snapshot(f);
		assert_string_equal(now, tables);
		free(now);
	}
	free(tables);
	free(s1);
	free(s2);
}

/* t1's own request again, with the VF as the kernel reports it (the
 * tree's recorded answers: link state auto, as t1 is stored here) and its
 * table as stored: nothing drifted, so nothing is written, stored or
 * journaled. */
static void test_update_same(void **state)
{
	static const char *req =
		"{\"id\":\"t1\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":\"0xb030\"},\"link_state\":\"auto\"}";
	struct mlx4_fx *f = *state;
	struct sriov_error e = { 0 };
	struct sriov_port_request r;
	json_error_t je;
	json_t *o = json_loads(req, 0, &je);
	char msg[512], *tables = mlx4_fx_snapshot(f), *s, *now;
	int jn;

	/* as a bind of that request left it */
	assert_non_null(o);
	assert_int_equal(sriov_port_request_parse(o, &d.cfg, &r, &e), 0);
	json_decref(o);
	s = sriov_port_request_dump(&r);
	assert_non_null(s);
	if (sriov_store_port_set_settings(d.store, "t1", s, &e) < 0)
		fail_msg("store: %s", e.msg);
	free(s);
	s = settings_of("t1");
	jn = journal_count(f);

	if (update(req, msg, sizeof(msg)) < 0)
		fail_msg("update: %s", msg);
	assert_int_equal(journal_count(f), jn);
	now = mlx4_fx_snapshot(f);
	assert_string_equal(now, tables);
	free(now);
	now = settings_of("t1");
	assert_string_equal(now, s);
	free(now);
	free(tables);
	free(s);
}

/* A new P-key for t1 (0xb030 -> 0xb000) that the kernel refuses (a tree
 * that is not the live /sys refuses every change, as a kernel refusing
 * the VF's settings would): the error says so, the old request is stored
 * again, the VF's table is still t1's, and the refusal is journaled. */
static void test_update_rolled_back(void **state)
{
	struct mlx4_fx *f = *state;
	char msg[512], *before = settings_of("t1"), *after;
	const char *j;

	assert_true(
		update("{\"id\":\"t1\",\"network\":{\"physnet\":\"ibnet\",\"pkey\":\"0xb000\"}}",
		       msg, sizeof(msg)) < 0);
	if (!strstr(msg, "vf 0: refused"))
		fail_msg("message: %s", msg);
	after = settings_of("t1");
	assert_string_equal(after, before);
	assert_string_equal(mlx4_fx_slots(f, VF0P2),
			    "2,none,none,none,none,none,none");
	assert_string_equal(mlx4_fx_slots(f, VF1P2), ALL_NONE);
	j = repairs(f);
	if (strncmp(j, "t1: ", 4) || !strstr(j, "vf 0: refused"))
		fail_msg("journal: %s", j);
	free(before);
	free(after);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repaired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repair_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_update_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_update_same, setup_nl,
						teardown),
		cmocka_unit_test_setup_teardown(test_update_rolled_back,
						setup_nl, teardown),
	};
	int r;

	r = own_netns();
	if (r < 0) {
		fprintf(stderr,
			"SKIP: unit.daemon_mlx4 needs a network namespace of "
			"its own (unshare: %s): it will not let sriovd's "
			"check ask the host's kernel about the fixture's "
			"ifindexes\n",
			strerror(-r));
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
