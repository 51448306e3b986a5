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
#include "assert_msg.h"

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
	return sriov_store_allocate(s, &p, NULL, SRIOV_NUMA_NONE, -1,
				    "{\"t\":1}", vf, seq, err);
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
	assert_msg_has(err.msg, "newer than this sriovd");
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

/* The schema as released at version 1 (sriovd before whole PFs): a file
 * written by that sriovd must open, migrate and keep every row. */
static const char v1_schema[] =
	"CREATE TABLE vf ("
	" id INTEGER PRIMARY KEY,"
	" pf TEXT NOT NULL,"
	" idx INTEGER NOT NULL CHECK (idx >= 0),"
	" address TEXT NOT NULL DEFAULT '',"
	" physnet TEXT NOT NULL,"
	" numa_node INTEGER NOT NULL DEFAULT -1,"
	" excluded INTEGER NOT NULL DEFAULT 0 CHECK (excluded IN (0, 1)),"
	" scrubbed INTEGER NOT NULL DEFAULT 0 CHECK (scrubbed IN (0, 1)),"
	" state TEXT NOT NULL DEFAULT 'free'"
	"  CHECK (state IN ('free', 'bound', 'quarantined')),"
	" reason TEXT,"
	" UNIQUE (pf, idx));"
	"CREATE TABLE port ("
	" id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 127),"
	" network TEXT NOT NULL,"
	" vnic_type TEXT NOT NULL"
	"  CHECK (vnic_type IN ('direct', 'macvtap', 'direct-physical')),"
	" settings TEXT NOT NULL,"
	" vf_id INTEGER NOT NULL UNIQUE REFERENCES vf(id) ON DELETE RESTRICT,"
	" status TEXT NOT NULL"
	"  CHECK (status IN ('binding', 'bound', 'unbinding')),"
	" created INTEGER NOT NULL);"
	"CREATE TABLE saved_state ("
	" vf_id INTEGER PRIMARY KEY REFERENCES vf(id) ON DELETE CASCADE,"
	" port_id TEXT NOT NULL UNIQUE REFERENCES port(id) ON DELETE CASCADE,"
	" mac TEXT NOT NULL, vlan INTEGER NOT NULL, qos INTEGER NOT NULL,"
	" vlan_proto INTEGER NOT NULL, spoofchk INTEGER NOT NULL,"
	" trust INTEGER NOT NULL, link_state INTEGER NOT NULL,"
	" min_tx_rate INTEGER NOT NULL, max_tx_rate INTEGER NOT NULL,"
	" has_guids INTEGER NOT NULL, node_guid INTEGER NOT NULL,"
	" port_guid INTEGER NOT NULL, driver TEXT NOT NULL,"
	" netdev TEXT NOT NULL, mlx4_pkey_idx TEXT NOT NULL);"
	"CREATE TABLE journal ("
	" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" op TEXT NOT NULL CHECK (op IN ('bind', 'unbind', 'rollback',"
	"  'clear', 'repair', 'quarantine')),"
	" port_id TEXT,"
	" vf_id INTEGER REFERENCES vf(id),"
	" intent TEXT NOT NULL DEFAULT '{}',"
	" status TEXT NOT NULL"
	"  CHECK (status IN ('started', 'done', 'failed', 'rolled_back')),"
	" detail TEXT,"
	" started INTEGER NOT NULL,"
	" finished INTEGER);"
	"CREATE INDEX journal_open ON journal(seq) WHERE status = 'started';"
	/* A VF is bound exactly when a port holds it. */
	"CREATE TRIGGER port_needs_free_vf BEFORE INSERT ON port"
	" WHEN (SELECT state = 'free' AND excluded = 0 FROM vf"
	"       WHERE id = NEW.vf_id) IS NOT 1"
	" BEGIN SELECT RAISE(ABORT, 'vf is not free'); END;"
	"CREATE TRIGGER port_binds_vf AFTER INSERT ON port"
	" BEGIN UPDATE vf SET state = 'bound', scrubbed = 0, reason = NULL"
	"  WHERE id = NEW.vf_id; END;"
	"CREATE TRIGGER port_keeps_vf BEFORE UPDATE OF vf_id ON port"
	" BEGIN SELECT RAISE(ABORT, 'a port keeps its vf'); END;"
	"CREATE TRIGGER vf_bound_by_port BEFORE UPDATE OF state ON vf"
	" WHEN (NEW.state = 'bound') <>"
	"  EXISTS (SELECT 1 FROM port WHERE vf_id = NEW.id)"
	" BEGIN SELECT RAISE(ABORT, 'a vf is bound exactly when a port"
	" holds it'); END;";

static void test_migrate_from_v1(void **state)
{
	struct sriov_store *s = NULL;
	struct sriov_error err = { 0 };
	struct sriov_store_port p = { 0 };
	struct sriov_saved_state st;
	struct sriov_store_vf *vfs = NULL;
	size_t n = 0;

	assert_int_equal(raw(v1_schema), SQLITE_OK);
	assert_int_equal(
		raw("INSERT INTO vf (id, pf, idx, physnet, numa_node) VALUES"
		    " (1, 'eth0', 0, 'net1', 0), (2, 'eth0', 1, 'net1', 0),"
		    " (3, 'eth0', 2, 'net1', 0);"
		    "UPDATE vf SET state = 'quarantined', reason = 'r'"
		    " WHERE id = 3;"
		    "INSERT INTO port VALUES ('a', 'net1', 'direct', '{}', 1,"
		    " 'bound', 5);"
		    "INSERT INTO saved_state VALUES (1, 'a',"
		    " '02:00:00:00:00:07', 7, 0, 33024, 1, 0, 0, 0, 0, 0, 0,"
		    " 0, 'ixgbevf', 'eth9', '');"
		    "INSERT INTO journal (op, port_id, vf_id, status, started)"
		    " VALUES ('bind', 'a', 1, 'done', 1);"
		    "PRAGMA user_version = 1;"),
		SQLITE_OK);
	assert_int_equal(sriov_store_open(db, &s, &err), 0);
	assert_int_equal(sriov_store_schema_version(s), 2);
	assert_int_equal(sriov_store_get_port(s, "a", &p, &err), 0);
	assert_string_equal(p.pf, "eth0");
	assert_int_equal(p.vf_index, 0);
	assert_false(p.whole);
	assert_string_equal(p.status, "bound");
	sriov_store_port_release(&p);
	assert_int_equal(sriov_store_get_state(s, 1, &st, &err), 0);
	assert_string_equal(st.mac, "02:00:00:00:00:07");
	assert_string_equal(st.netdev, "eth9");
	assert_int_equal(st.vlan, 7);
	assert_int_equal(sriov_store_list_vfs(s, &vfs, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(vfs[0].state, SRIOV_VF_BOUND);
	assert_string_equal(vfs[0].port, "a");
	assert_int_equal(vfs[1].state, SRIOV_VF_FREE);
	assert_int_equal(vfs[2].state, SRIOV_VF_QUARANTINED);
	assert_string_equal(vfs[2].reason, "r");
	for (size_t i = 0; i < n; i++)
		assert_false(vfs[i].whole);
	free(vfs);
	sriov_store_close(s);
	/* the invariants came back with the rebuilt table */
	assert_int_not_equal(raw("INSERT INTO port VALUES ('b', 'net1',"
				 " 'direct', '{}', 1, 'bound', 0)"),
			     SQLITE_OK);
	assert_int_not_equal(raw("UPDATE vf SET state = 'free' WHERE id = 1"),
			     SQLITE_OK);
	assert_int_not_equal(
		raw("INSERT INTO saved_state VALUES (9, 'a', '', 0, 0, 0, 0,"
		    " 0, 0, 0, 0, 0, 0, 0, '', '', '')"),
		SQLITE_OK);
	/* deleting a VF a port holds is still refused (foreign key) */
	assert_int_not_equal(raw("DELETE FROM vf WHERE id = 1"), SQLITE_OK);
}

static int alloc_whole(struct sriov_store *s, const char *id, const char *net,
		       struct sriov_store_vf *vf, int64_t *seq,
		       struct sriov_error *err)
{
	struct sriov_store_port p = { .settings = (char *)"{}" };

	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.network, sizeof(p.network), "%s", net);
	snprintf(p.vnic_type, sizeof(p.vnic_type), "direct-physical");
	return sriov_store_allocate(s, &p, NULL, SRIOV_NUMA_NONE, -1, "{}", vf,
				    seq, err);
}

static void test_whole_pf(void **state)
{
	struct sriov_store *s = NULL;
	struct sriov_error err = { 0 };
	struct sriov_store_vf vf, vf2, pf = { .whole = true, .numa_node = 0 };
	int64_t seq, seq2;

	assert_int_equal(sriov_store_open(db, &s, &err), 0);
	add_vfs(s, "eth1", "net2", 2, 0);
	/* VF ports never get the PF row, whole ports never a VF row */
	assert_int_equal(alloc_whole(s, "w0", "net2", &vf, &seq, &err),
			 -ENOSPC);
	assert_msg_has(err.msg, "no free whole pf on network 'net2'");
	snprintf(pf.pf, sizeof(pf.pf), "eth1");
	snprintf(pf.physnet, sizeof(pf.physnet), "net2");
	snprintf(pf.address, sizeof(pf.address), "0000:41:00.1");
	assert_int_equal(sriov_store_sync_vf(s, &pf, &err), 0);
	/* the PF's row and VF 0's row do not collide */
	{
		struct sriov_store_vf *all = NULL;
		size_t n = 0, whole = 0;

		assert_int_equal(sriov_store_list_vfs(s, &all, &n, &err), 0);
		assert_int_equal(n, 3);
		for (size_t i = 0; i < n; i++)
			whole += all[i].whole;
		assert_int_equal(whole, 1);
		free(all);
	}

	assert_int_equal(alloc_whole(s, "w1", "net2", &vf, &seq, &err), 0);
	assert_true(vf.whole);
	assert_string_equal(vf.pf, "eth1");
	assert_string_equal(vf.address, "0000:41:00.1");
	/* while the PF is handed over, its VFs are not offered */
	assert_int_equal(alloc(s, "v1", "net2", &vf2, &seq2, &err), -ENOSPC);
	/* and SQL refuses it whoever asks */
	assert_int_not_equal(raw("INSERT INTO port VALUES ('x', 'net2',"
				 " 'direct', '{}', 1, 'bound', 0)"),
			     SQLITE_OK);
	{
		struct sriov_store_port p = { 0 };

		assert_int_equal(sriov_store_get_port(s, "w1", &p, &err), 0);
		assert_true(p.whole);
		assert_string_equal(p.address, "0000:41:00.1");
		sriov_store_port_release(&p);
	}
	assert_int_equal(sriov_store_vf_clear(s, "eth1", SRIOV_STORE_WHOLE_PF,
					      &err),
			 -EBUSY);
	assert_msg_has(err.msg, "handed over whole to port 'w1'");
	assert_int_equal(sriov_store_unbind_begin(s, "w1", "unbind", "{}",
						  &seq2, &err),
			 0);
	assert_int_equal(sriov_store_release(s, seq2, "w1",
					     SRIOV_VF_QUARANTINED,
					     "restore failed", "done", &err),
			 0);
	/* quarantined PF: neither whole nor (it is not bound) blocking VFs */
	assert_int_equal(alloc_whole(s, "w2", "net2", &vf, &seq, &err),
			 -ENOSPC);
	assert_int_equal(alloc(s, "v1", "net2", &vf2, &seq2, &err), 0);
	assert_false(vf2.whole);
	assert_int_equal(
		sriov_store_vf_clear(s, "eth1", SRIOV_STORE_WHOLE_PF, &err), 1);
	/* a VF of it is bound now: the PF is not handed over whole */
	assert_int_equal(alloc_whole(s, "w2", "net2", &vf, &seq, &err),
			 -ENOSPC);
	assert_int_not_equal(raw("INSERT INTO port VALUES ('y', 'net2',"
				 " 'direct-physical', '{}', 3, 'bound', 0)"),
			     SQLITE_OK);
	/* a PF row has index 0 only */
	assert_int_not_equal(raw("INSERT INTO vf (kind, pf, idx, physnet)"
				 " VALUES ('pf', 'eth7', 3, 'net2')"),
			     SQLITE_OK);
	assert_int_equal(sriov_store_vf_clear(s, "eth9", SRIOV_STORE_WHOLE_PF,
					      &err),
			 -ENOENT);
	sriov_store_close(s);
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
	assert_msg_has(err.msg, "no free vf on network 'net1'");
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
	assert_int_equal(sriov_store_allocate(s, &p, NULL, SRIOV_NUMA_REQUIRED,
					      1, "{}", &vf, &seq, &err),
			 0);
	/* node 1, and not the excluded eth1 vf 0 */
	assert_string_equal(vf.pf, "eth1");
	assert_int_equal(vf.index, 1);
	snprintf(p.id, sizeof(p.id), "b");
	assert_int_equal(sriov_store_allocate(s, &p, NULL, SRIOV_NUMA_REQUIRED,
					      1, "{}", &vf, &seq, &err),
			 -ENOSPC);
	assert_msg_has(err.msg, "policy required");
	/* preferred falls back to another node */
	assert_int_equal(sriov_store_allocate(s, &p, NULL, SRIOV_NUMA_PREFERRED,
					      1, "{}", &vf, &seq, &err),
			 0);
	assert_string_equal(vf.pf, "eth0");
	snprintf(p.id, sizeof(p.id), "c");
	assert_int_equal(sriov_store_allocate(s, &p, "eth1", SRIOV_NUMA_NONE,
					      -1, "{}", &vf, &seq, &err),
			 -ENOSPC);
	sriov_store_close(s);
}

/* "bind this exact VF": by PCI address or PF:vfN, and every reason the
 * named VF cannot be taken refused with it named, nothing written. */
static int alloc_named(struct sriov_store *s, const char *id, const char *net,
		       const char *slot, const char *pf,
		       enum sriov_numa_policy numa, int node,
		       struct sriov_store_vf *vf, int64_t *seq,
		       struct sriov_error *err)
{
	struct sriov_store_port p = { .settings = (char *)"{}" };

	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.network, sizeof(p.network), "%s", net);
	snprintf(p.vnic_type, sizeof(p.vnic_type), "direct");
	sriov_error_clear(err);
	return sriov_store_allocate_vf(s, &p, slot, pf, numa, node, "{}", vf,
				       seq, err);
}

static size_t n_pending(struct sriov_store *s)
{
	struct sriov_journal *j = NULL;
	size_t n = 0;

	assert_int_equal(sriov_store_pending(s, &j, &n, NULL), 0);
	for (size_t i = 0; i < n; i++)
		sriov_journal_release(&j[i]);
	free(j);
	return n;
}

static void test_named_vf(void **state)
{
	struct sriov_store *s = NULL;
	struct sriov_error err = { 0 };
	struct sriov_store_vf vf, pf = { .whole = true, .numa_node = 0 };
	int64_t seq, seq2;

	assert_int_equal(sriov_store_open(db, &s, &err), 0);
	/* ib0: VFs with PCI functions 0000:41:00.1.. on node 1; ib1: none */
	for (unsigned i = 0; i < 4; i++) {
		struct sriov_store_vf v = { .index = i,
					    .numa_node = 1,
					    .excluded = i == 3 };

		snprintf(v.pf, sizeof(v.pf), "ib0");
		snprintf(v.physnet, sizeof(v.physnet), "ibnet");
		snprintf(v.address, sizeof(v.address), "0000:41:00.%u", i + 1);
		assert_int_equal(sriov_store_sync_vf(s, &v, &err), 0);
	}
	add_vfs(s, "ib1", "ibnet", 2, -1);
	add_vfs(s, "eth0", "physnet1", 2, 0);

	/* the VF asked for, not the lowest free one */
	assert_int_equal(alloc_named(s, "p2", "ibnet", "0000:41:00.3", NULL,
				     SRIOV_NUMA_PREFERRED, 0, &vf, &seq, &err),
			 0);
	assert_string_equal(vf.pf, "ib0");
	assert_int_equal(vf.index, 2);
	assert_string_equal(vf.port, "p2");
	assert_int_equal(vf.state, SRIOV_VF_BOUND);
	assert_int_equal(n_pending(s), 1);
	/* PF:vfN, a VF without a PCI function */
	assert_int_equal(alloc_named(s, "q1", "ibnet", "ib1:vf1", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 0);
	assert_string_equal(vf.pf, "ib1");
	assert_int_equal(vf.index, 1);
	assert_int_equal(n_pending(s), 2);

	/* refusals: each names the VF and why, and writes nothing */
	assert_int_equal(alloc_named(s, "p3", "ibnet", "0000:41:00.3", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 -EBUSY);
	assert_msg_has(err.msg, "vf 0000:41:00.3", "not free",
		       "port 'p2' holds it");
	assert_int_equal(alloc_named(s, "p3", "ibnet", "0000:41:00.4", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 -EPERM);
	assert_msg_has(err.msg, "vf 0000:41:00.4", "excluded");
	assert_int_equal(alloc_named(s, "p3", "physnet1", "0000:41:00.1", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "is on network 'ibnet', not 'physnet1'");
	assert_int_equal(alloc_named(s, "p3", "ibnet", "0000:41:00.7", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 -ENOENT);
	assert_msg_has(err.msg, "no vf 0000:41:00.7 is managed");
	assert_int_equal(alloc_named(s, "p3", "ibnet", "ib1:vf9", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 -ENOENT);
	/* not an index: no VF, not vf 0 */
	assert_int_equal(alloc_named(s, "p3", "ibnet", "ib1:vfx", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 -ENOENT);
	assert_int_equal(alloc_named(s, "p3", "ibnet", "0000:41:00.1", "ib1",
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "a vf of pf ib0, not of pf ib1");
	assert_int_equal(alloc_named(s, "p3", "ibnet", "0000:41:00.1", NULL,
				     SRIOV_NUMA_REQUIRED, 0, &vf, &seq2, &err),
			 -EINVAL);
	assert_msg_has(err.msg, "numa node 1, not 0");
	assert_int_equal(alloc_named(s, "p2", "ibnet", "0000:41:00.1", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 -EEXIST);
	assert_int_equal(n_pending(s), 2);

	/* quarantined: named, with the way out */
	assert_int_equal(sriov_store_bind_done(s, seq, "p2", &err), 0);
	assert_int_equal(sriov_store_unbind_begin(s, "p2", "unbind", "{}", &seq,
						  &err),
			 0);
	assert_int_equal(sriov_store_release(s, seq, "p2", SRIOV_VF_QUARANTINED,
					     "scrub failed", "done", &err),
			 0);
	assert_int_equal(alloc_named(s, "p3", "ibnet", "0000:41:00.3", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 -EBUSY);
	assert_msg_has(err.msg, "quarantined (scrub failed)",
		       "sriovctl port clear ib0 2");
	assert_int_equal(sriov_store_vf_clear(s, "ib0", 2, &err), 1);
	assert_int_equal(alloc_named(s, "p3", "ibnet", "0000:41:00.3", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 0);

	/* a VF of a PF handed over whole is not taken */
	snprintf(pf.pf, sizeof(pf.pf), "eth0");
	snprintf(pf.physnet, sizeof(pf.physnet), "physnet1");
	assert_int_equal(sriov_store_sync_vf(s, &pf, &err), 0);
	assert_int_equal(alloc_whole(s, "w", "physnet1", &vf, &seq2, &err), 0);
	assert_int_equal(alloc_named(s, "e1", "physnet1", "eth0:vf0", NULL,
				     SRIOV_NUMA_NONE, -1, &vf, &seq2, &err),
			 -EBUSY);
	assert_msg_has(err.msg, "handed over whole");
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
		cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_whole_pf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_vf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numa_and_exclusion, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_processes,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
