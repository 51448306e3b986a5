/* SPDX-License-Identifier: MIT */
/*
 * The state database: migrations by user_version, the invariants the schema
 * enforces by itself (checked with raw SQL, not through our functions), the
 * journal's life, and many processes racing for few VFs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include <sriov/store.h>

static char dir[64];
static char db[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/s.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char p[160];

	for (const char *sfx = ""; sfx; sfx = !*sfx		   ? "-wal" :
					      !strcmp(sfx, "-wal") ? "-shm" :
								     NULL) {
		snprintf(p, sizeof(p), "%s%s", db, sfx);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

static void add_vfs(struct sriov_store *s, const char *pf, const char *net,
		    unsigned n, int numa)
{
	struct sriov_error err = { 0 };

	for (unsigned i = 0; i < n; i++) {
		struct sriov_store_vf v = { .index = i, .numa_node = numa };

		snprintf(v.pf, sizeof(v.pf), "%s", pf);
		snprintf(v.physnet, sizeof(v.physnet), "%s", net);
		assert_int_equal(sriov_store_sync_vf(s, &v, &err), 0);
	}
}

static int alloc(struct sriov_store *s, const char *id, const char *net,
		 struct sriov_store_vf *vf, int64_t *seq,
		 struct sriov_error *err)
{
	struct sriov_store_port p = { .settings = (char *)"{}" };

	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.network, sizeof(p.network), "%s", net);
	snprintf(p.vnic_type, sizeof(p.vnic_type), "direct");
	return sriov_store_allocate(s, &p, NULL, -1, 0, "{\"t\":1}", vf, seq,
				    err);
}

/* A raw SQL statement against the file, as a second writer would. */
static int raw(const char *sql)
{
	sqlite3 *h;
	int rc;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_exec(h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

static void test_open_migrates(void **state)
{
	struct sriov_store *s = NULL;
	struct sriov_error err = { 0 };

	assert_int_equal(sriov_store_open(db, &s, &err), 0);
	assert_int_equal(sriov_store_schema_version(s),
			 SRIOV_STORE_SCHEMA_VERSION);
	sriov_store_close(s);
	/* reopening runs nothing again */
	assert_int_equal(sriov_store_open(db, &s, &err), 0);
	sriov_store_close(s);
	/* WAL is a property of the file */
	{
		sqlite3 *h;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
		sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0),
				    "wal");
		sqlite3_finalize(st);
		sqlite3_close(h);
	}
	/* a newer schema is refused, not downgraded */
	assert_int_equal(raw("PRAGMA user_version = 99"), SQLITE_OK);
	assert_int_equal(sriov_store_open(db, &s, &err), -EPROTO);
	assert_non_null(strstr(err.msg, "newer than this sriovd"));
}

static void test_schema_invariants(void **state)
{
	struct sriov_store *s = NULL;
	struct sriov_error err = { 0 };

	assert_int_equal(sriov_store_open(db, &s, &err), 0);
	add_vfs(s, "eth0", "net1", 2, 0);
	sriov_store_close(s);

	/* two ports on one VF: refused by SQL itself */
	assert_int_equal(raw("INSERT INTO port VALUES ('a', 'net1', 'direct',"
			     " '{}', 1, 'bound', 0)"),
			 SQLITE_OK);
	assert_int_not_equal(raw("INSERT INTO port VALUES ('b', 'net1',"
				 " 'direct', '{}', 1, 'bound', 0)"),
			     SQLITE_OK);
	/* the VF became bound with its port */
	assert_int_not_equal(raw("UPDATE vf SET state = 'free' WHERE id = 1"),
			     SQLITE_OK);
	/* a VF cannot be marked bound without a port */
	assert_int_not_equal(raw("UPDATE vf SET state = 'bound' WHERE id = 2"),
			     SQLITE_OK);
	/* a quarantined VF cannot be taken */
	assert_int_equal(
		raw("UPDATE vf SET state = 'quarantined' WHERE id = 2"),
		SQLITE_OK);
	assert_int_not_equal(raw("INSERT INTO port VALUES ('c', 'net1',"
				 " 'direct', '{}', 2, 'bound', 0)"),
			     SQLITE_OK);
	/* a port keeps its VF */
	assert_int_not_equal(raw("UPDATE port SET vf_id = 2 WHERE id = 'a'"),
			     SQLITE_OK);
	/* unknown states and vnic types */
	assert_int_not_equal(raw("UPDATE vf SET state = 'lost' WHERE id = 2"),
			     SQLITE_OK);
	/* foreign keys are on: saved state of a VF that does not exist */
	assert_int_not_equal(
		raw("INSERT INTO saved_state VALUES (9, 'a', '', 0, 0, 0, 0,"
		    " 0, 0, 0, 0, 0, 0, 0, '', '', '')"),
		SQLITE_OK);
}

static void test_bind_unbind_journal(void **state)
{
	struct sriov_store *s = NULL;
	struct sriov_error err = { 0 };
	struct sriov_store_vf vf, vf2;
	struct sriov_saved_state st = { .spoofchk = 1, .trust = 0, .vlan = 7 },
				 back;
	struct sriov_journal *j = NULL;
	size_t n = 0;
	int64_t seq, seq2;

	assert_int_equal(sriov_store_open(db, &s, &err), 0);
	add_vfs(s, "eth0", "net1", 1, 0);
	assert_int_equal(alloc(s, "p1", "net1", &vf, &seq, &err), 0);
	assert_string_equal(vf.pf, "eth0");
	/* the intent is in the journal before anything else happens */
	assert_int_equal(sriov_store_pending(s, &j, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(j[0].op, "bind");
	assert_string_equal(j[0].intent, "{\"t\":1}");
	sriov_journal_release(&j[0]);
	free(j);
	/* the last VF is gone; the same port twice is refused */
	assert_int_equal(alloc(s, "p2", "net1", &vf2, &seq2, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "no free vf on network 'net1'"));
	assert_int_equal(alloc(s, "p1", "net1", &vf2, &seq2, &err), -EEXIST);
	assert_int_equal(alloc(s, "p3", "other", &vf2, &seq2, &err), -ENOSPC);

	snprintf(st.mac, sizeof(st.mac), "02:00:00:00:00:01");
	snprintf(st.driver, sizeof(st.driver), "ixgbevf");
	assert_int_equal(sriov_store_save_state(s, vf.id, &st, &err), 0);
	/* a second save (retried bind) keeps the first original */
	st.vlan = 99;
	assert_int_equal(sriov_store_save_state(s, vf.id, &st, &err), 0);
	assert_int_equal(sriov_store_get_state(s, vf.id, &back, &err), 0);
	assert_int_equal(back.vlan, 7);
	assert_string_equal(back.mac, "02:00:00:00:00:01");
	assert_string_equal(back.driver, "ixgbevf");

	assert_int_equal(sriov_store_bind_done(s, seq, "p1", &err), 0);
	assert_int_equal(sriov_store_pending(s, &j, &n, &err), 0);
	assert_int_equal(n, 0);
	free(j);

	assert_int_equal(sriov_store_unbind_begin(s, "p1", "unbind", "{}",
						  &seq2, &err),
			 0);
	assert_int_equal(sriov_store_pending(s, &j, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(j[0].op, "unbind");
	sriov_journal_release(&j[0]);
	free(j);
	assert_int_equal(sriov_store_release(s, seq2, "p1",
					     SRIOV_VF_QUARANTINED,
					     "scrub failed", "done", &err),
			 0);
	/* saved state went with the port */
	assert_int_equal(sriov_store_get_state(s, vf.id, &back, NULL), -ENOENT);
	assert_int_equal(sriov_store_get_vf(s, vf.id, &vf2, &err), 0);
	assert_int_equal(vf2.state, SRIOV_VF_QUARANTINED);
	assert_string_equal(vf2.reason, "scrub failed");
	/* quarantined: never handed out until cleared */
	assert_int_equal(alloc(s, "p4", "net1", &vf2, &seq2, &err), -ENOSPC);
	assert_int_equal(sriov_store_vf_clear(s, "eth0", 0, &err), 1);
	assert_int_equal(alloc(s, "p4", "net1", &vf2, &seq2, &err), 0);
	/* a bound VF cannot be cleared */
	assert_int_equal(sriov_store_vf_clear(s, "eth0", 0, &err), -EBUSY);
	assert_int_equal(sriov_store_vf_clear(s, "eth0", 5, &err), -ENOENT);
	sriov_store_close(s);
}

static void test_numa_and_exclusion(void **state)
{
	struct sriov_store *s = NULL;
	struct sriov_error err = { 0 };
	struct sriov_store_port p = { .settings = (char *)"{}" };
	struct sriov_store_vf vf,
		x = { .index = 0, .numa_node = 1, .excluded = true };
	int64_t seq;

	assert_int_equal(sriov_store_open(db, &s, &err), 0);
	add_vfs(s, "eth0", "net1", 2, 0);
	add_vfs(s, "eth1", "net1", 2, 1);
	snprintf(x.pf, sizeof(x.pf), "eth1");
	snprintf(x.physnet, sizeof(x.physnet), "net1");
	assert_int_equal(sriov_store_sync_vf(s, &x, &err), 0);
	snprintf(p.network, sizeof(p.network), "net1");
	snprintf(p.vnic_type, sizeof(p.vnic_type), "direct");

	snprintf(p.id, sizeof(p.id), "a");
	assert_int_equal(sriov_store_allocate(s, &p, NULL, 1, 1, "{}", &vf,
					      &seq, &err),
			 0);
	/* node 1, and not the excluded eth1 vf 0 */
	assert_string_equal(vf.pf, "eth1");
	assert_int_equal(vf.index, 1);
	snprintf(p.id, sizeof(p.id), "b");
	assert_int_equal(sriov_store_allocate(s, &p, NULL, 1, 1, "{}", &vf,
					      &seq, &err),
			 -ENOSPC);
	assert_non_null(strstr(err.msg, "policy required"));
	/* preferred falls back to another node */
	assert_int_equal(sriov_store_allocate(s, &p, NULL, 1, 0, "{}", &vf,
					      &seq, &err),
			 0);
	assert_string_equal(vf.pf, "eth0");
	snprintf(p.id, sizeof(p.id), "c");
	assert_int_equal(sriov_store_allocate(s, &p, "eth1", -1, 0, "{}", &vf,
					      &seq, &err),
			 -ENOSPC);
	sriov_store_close(s);
}

/* Many processes, each with its own connection, race for few VFs. */
static void test_concurrent_processes(void **state)
{
	enum { NVF = 3, NPROC = 12, ROUNDS = 5 };
	struct sriov_store *s = NULL;
	struct sriov_error err = { 0 };
	struct sriov_store_port *ports = NULL;
	size_t n = 0;

	assert_int_equal(sriov_store_open(db, &s, &err), 0);
	add_vfs(s, "eth0", "net1", NVF, 0);
	sriov_store_close(s);

	for (int round = 0; round < ROUNDS; round++) {
		pid_t pids[NPROC];
		int ok = 0, full = 0;

		for (int i = 0; i < NPROC; i++) {
			pids[i] = fork();
			assert_true(pids[i] >= 0);
			if (pids[i] == 0) {
				struct sriov_store *c = NULL;
				struct sriov_store_vf vf;
				char id[32];
				int64_t seq;
				int r;

				if (sriov_store_open(db, &c, NULL) < 0)
					_exit(3);
				snprintf(id, sizeof(id), "r%d-p%d", round, i);
				r = alloc(c, id, "net1", &vf, &seq, NULL);
				if (r == 0)
					r = sriov_store_bind_done(c, seq, id,
								  NULL);
				sriov_store_close(c);
				_exit(r == 0 ? 0 : r == -ENOSPC ? 1 : 2);
			}
		}
		for (int i = 0; i < NPROC; i++) {
			int st;

			assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
			assert_true(WIFEXITED(st));
			if (WEXITSTATUS(st) == 0)
				ok++;
			else if (WEXITSTATUS(st) == 1)
				full++;
		}
		/* every request answered; exactly the free VFs succeeded */
		assert_int_equal(ok, NVF);
		assert_int_equal(full, NPROC - NVF);

		assert_int_equal(sriov_store_open(db, &s, &err), 0);
		assert_int_equal(sriov_store_list_ports(s, &ports, &n, &err),
				 0);
		assert_int_equal(n, NVF);
		for (size_t i = 0; i < n; i++) {
			for (size_t k = i + 1; k < n; k++)
				assert_int_not_equal(ports[i].vf_id,
						     ports[k].vf_id);
		}
		for (size_t i = 0; i < n; i++) {
			int64_t seq;

			assert_int_equal(sriov_store_unbind_begin(
						 s, ports[i].id, "unbind", "{}",
						 &seq, &err),
					 0);
			assert_int_equal(
				sriov_store_release(s, seq, ports[i].id,
						    SRIOV_VF_FREE, NULL, "done",
						    &err),
				0);
			sriov_store_port_release(&ports[i]);
		}
		free(ports);
		sriov_store_close(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_migrates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_schema_invariants, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bind_unbind_journal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_numa_and_exclusion, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_processes,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
