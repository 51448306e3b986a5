/* SPDX-License-Identifier: MIT */
/* sriovd's state database: schema, migrations, and the transactions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include <sriov/store.h>
#include "util/macro.h"
#include "util/strutil.h"
#include "util/banned.h"

struct sriov_store {
	sqlite3 *db;
	char *path;
};

/*
 * Migrations: migrations[i] brings user_version i to i + 1. Never edit a
 * released one; append.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
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
	" holds it'); END;",
	/* 1 -> 2: a row is a function that can be handed out: a VF, or a
	 * whole PF (kind 'pf', idx 0) for direct-physical ports. SQLite
	 * cannot change a UNIQUE constraint in place: the table is rebuilt
	 * (ids kept, foreign keys off around it, checked before commit). */
	"DROP TRIGGER IF EXISTS port_needs_free_vf;"
	"DROP TRIGGER IF EXISTS port_binds_vf;"
	"DROP TRIGGER IF EXISTS port_keeps_vf;"
	"DROP TRIGGER IF EXISTS vf_bound_by_port;"
	"CREATE TABLE vf_v2 ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL DEFAULT 'vf' CHECK (kind IN ('vf', 'pf')),"
	" pf TEXT NOT NULL,"
	" idx INTEGER NOT NULL CHECK (idx >= 0 AND (kind = 'vf' OR idx = 0)),"
	" address TEXT NOT NULL DEFAULT '',"
	" physnet TEXT NOT NULL,"
	" numa_node INTEGER NOT NULL DEFAULT -1,"
	" excluded INTEGER NOT NULL DEFAULT 0 CHECK (excluded IN (0, 1)),"
	" scrubbed INTEGER NOT NULL DEFAULT 0 CHECK (scrubbed IN (0, 1)),"
	" state TEXT NOT NULL DEFAULT 'free'"
	"  CHECK (state IN ('free', 'bound', 'quarantined')),"
	" reason TEXT,"
	" UNIQUE (pf, kind, idx));"
	"INSERT INTO vf_v2 (id, kind, pf, idx, address, physnet, numa_node,"
	" excluded, scrubbed, state, reason) SELECT id, 'vf', pf, idx,"
	" address, physnet, numa_node, excluded, scrubbed, state, reason"
	" FROM vf;"
	"DROP TABLE vf;"
	"ALTER TABLE vf_v2 RENAME TO vf;"
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
	" holds it'); END;"
	/* A PF is either handed over whole or shares its VFs, never both. */
	"CREATE TRIGGER port_whole_pf_alone BEFORE INSERT ON port"
	" WHEN EXISTS (SELECT 1 FROM vf n, vf o WHERE n.id = NEW.vf_id"
	"  AND o.pf = n.pf AND o.kind <> n.kind AND o.state = 'bound')"
	" BEGIN SELECT RAISE(ABORT, 'a pf is handed over whole or shares"
	" its vfs, not both'); END;",
};

const char *sriov_vf_state_name(enum sriov_vf_state s)
{
	switch (s) {
	case SRIOV_VF_FREE:
		return "free";
	case SRIOV_VF_BOUND:
		return "bound";
	case SRIOV_VF_QUARANTINED:
		return "quarantined";
	}
	return "unknown";
}

static enum sriov_vf_state state_parse(const char *s)
{
	if (s && !strcmp(s, "bound"))
		return SRIOV_VF_BOUND;
	if (s && !strcmp(s, "quarantined"))
		return SRIOV_VF_QUARANTINED;
	return SRIOV_VF_FREE;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	default:
		return -EIO;
	}
}

static int db_error(struct sriov_store *s, int rc, struct sriov_error *err,
		    const char *what)
{
	return sriov_error_set(err, sql_errno(rc) ?: -EIO, "state %s: %s: %s",
			       s->path, what, sqlite3_errmsg(s->db));
}

static int exec(struct sriov_store *s, const char *sql, struct sriov_error *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		int r = sriov_error_set(err, sql_errno(rc) ?: -EIO,
					"state %s: %s", s->path,
					msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

static void finalizep(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(finalizep)

static int prepare(struct sriov_store *s, const char *sql, sqlite3_stmt **ret,
		   struct sriov_error *err)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);

	return rc == SQLITE_OK ? 0 : db_error(s, rc, err, "prepare");
}

/* Ends a transaction begun by begin(): rollback unless committed. */
struct txn {
	struct sriov_store *s;
	bool open;
};

static void txn_endp(struct txn *t)
{
	if (t->open)
		sqlite3_exec(t->s->db, "ROLLBACK", NULL, NULL, NULL);
}
#define _cleanup_txn_ _cleanup_(txn_endp)

static int begin(struct sriov_store *s, struct txn *t, struct sriov_error *err)
{
	int r;

	t->s = s;
	t->open = false;
	/* IMMEDIATE: take the write lock now, so two writers serialise here
	 * rather than failing at COMMIT after both read the same free VF. */
	r = exec(s, "BEGIN IMMEDIATE", err);
	if (r < 0)
		return r;
	t->open = true;
	return 0;
}

static int commit(struct txn *t, struct sriov_error *err)
{
	int r = exec(t->s, "COMMIT", err);

	if (r == 0)
		t->open = false;
	return r;
}

static int user_version(struct sriov_store *s, int *ret,
			struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, "PRAGMA user_version", &st, err);

	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return db_error(s, sqlite3_errcode(s->db), err, "user_version");
	*ret = sqlite3_column_int(st, 0);
	return 0;
}

/* Foreign keys cannot be switched inside a transaction; migrations that
 * rebuild a table need them off, and foreign_key_check says whether the
 * result holds before it is committed. */
static int fk_check(struct sriov_store *s, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, "PRAGMA foreign_key_check", &st, err);

	if (r < 0)
		return r;
	if (sqlite3_step(st) == SQLITE_ROW)
		return sriov_error_set(
			err, -EIO,
			"state %s: a row of %s breaks its foreign key after the migration",
			s->path, (const char *)sqlite3_column_text(st, 0));
	return 0;
}

static int migrate_txn(struct sriov_store *s, struct sriov_error *err)
{
	_cleanup_txn_ struct txn t = { 0 };
	char sql[64];
	int v, r;

	r = begin(s, &t, err);
	if (r < 0)
		return r;
	r = user_version(s, &v, err);
	if (r < 0)
		return r;
	if (v > (int)ARRAY_SIZE(migrations))
		return sriov_error_set(
			err, -EPROTO,
			"state %s: schema version %d is newer than this sriovd (%zu); upgrade sriovd",
			s->path, v, ARRAY_SIZE(migrations));
	for (; v < (int)ARRAY_SIZE(migrations); v++) {
		r = exec(s, migrations[v], err);
		if (r < 0) {
			sriov_error_prefix(err, "migration to version %d",
					   v + 1);
			return r;
		}
	}
	r = fk_check(s, err);
	if (r < 0)
		return r;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	r = exec(s, sql, err);
	if (r < 0)
		return r;
	return commit(&t, err);
}

static int migrate(struct sriov_store *s, struct sriov_error *err)
{
	int r = exec(s, "PRAGMA foreign_keys = OFF", err);

	if (r < 0)
		return r;
	r = migrate_txn(s, err);
	if (exec(s, "PRAGMA foreign_keys = ON", r < 0 ? NULL : err) < 0 &&
	    r == 0)
		r = -EIO;
	return r;
}

int sriov_store_schema_version(struct sriov_store *s)
{
	int v = -1;

	user_version(s, &v, NULL);
	return v;
}

void sriov_store_close(struct sriov_store *s)
{
	if (!s)
		return;
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

static void store_closep(struct sriov_store **s)
{
	sriov_store_close(*s);
}

int sriov_store_open(const char *path, struct sriov_store **ret,
		     struct sriov_error *err)
{
	_cleanup_(store_closep) struct sriov_store *s = NULL;
	int rc, r;

	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path)))
		return sriov_error_set(err, -ENOMEM, "out of memory");
	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_FULLMUTEX,
			     NULL);
	if (rc != SQLITE_OK)
		return sriov_error_set(err, sql_errno(rc) ?: -EIO,
				       "state %s: cannot open: %s", path,
				       s->db ? sqlite3_errmsg(s->db) :
					       sqlite3_errstr(rc));
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 10000);
	r = exec(s,
		 "PRAGMA journal_mode = WAL;"
		 "PRAGMA synchronous = FULL;",
		 err);
	if (r < 0)
		return r;
	r = migrate(s, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

static void copy_col(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static char *dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? strdup((const char *)t) : NULL;
}

int sriov_store_sync_vf(struct sriov_store *s, const struct sriov_store_vf *vf,
			struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(s,
		    "INSERT INTO vf (pf, idx, address, physnet, numa_node,"
		    " excluded, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		    " ON CONFLICT (pf, kind, idx) DO UPDATE SET address = ?3,"
		    " physnet = ?4, numa_node = ?5, excluded = ?6",
		    &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, vf->pf, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)vf->index);
	sqlite3_bind_text(st, 3, vf->address, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, vf->physnet, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, vf->numa_node);
	sqlite3_bind_int(st, 6, vf->excluded);
	sqlite3_bind_text(st, 7, vf->whole ? "pf" : "vf", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "record vf");
	return 0;
}

static const char vf_cols[] =
	"vf.id, vf.pf, vf.idx, vf.address, vf.physnet, vf.numa_node,"
	" vf.excluded, vf.scrubbed, vf.state, vf.reason,"
	" (SELECT id FROM port WHERE port.vf_id = vf.id), vf.kind";

static void vf_from_row(sqlite3_stmt *st, struct sriov_store_vf *v)
{
	memset(v, 0, sizeof(*v));
	v->id = sqlite3_column_int64(st, 0);
	copy_col(v->pf, sizeof(v->pf), st, 1);
	v->index = (unsigned)sqlite3_column_int(st, 2);
	copy_col(v->address, sizeof(v->address), st, 3);
	copy_col(v->physnet, sizeof(v->physnet), st, 4);
	v->numa_node = sqlite3_column_int(st, 5);
	v->excluded = sqlite3_column_int(st, 6);
	v->scrubbed = sqlite3_column_int(st, 7);
	v->state = state_parse((const char *)sqlite3_column_text(st, 8));
	copy_col(v->reason, sizeof(v->reason), st, 9);
	copy_col(v->port, sizeof(v->port), st, 10);
	v->whole = !strcmp((const char *)sqlite3_column_text(st, 11), "pf");
	if (v->whole)
		v->index = 0;
}

static int journal_insert(struct sriov_store *s, const char *op,
			  const char *port_id, int64_t vf_id,
			  const char *intent, const char *status,
			  const char *detail, int64_t *ret_seq,
			  struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int64_t now = now_ms();
	int r, rc;

	r = prepare(s,
		    "INSERT INTO journal (op, port_id, vf_id, intent, status,"
		    " detail, started, finished) VALUES (?1, ?2, ?3, ?4, ?5,"
		    " ?6, ?7, ?8)",
		    &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, op, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, port_id, -1, SQLITE_STATIC);
	if (vf_id > 0)
		sqlite3_bind_int64(st, 3, vf_id);
	sqlite3_bind_text(st, 4, intent ? intent : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now);
	if (strcmp(status, "started"))
		sqlite3_bind_int64(st, 8, now);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "journal");
	if (ret_seq)
		*ret_seq = sqlite3_last_insert_rowid(s->db);
	return 0;
}

/* Inside an allocation's transaction: -EEXIST when @id already has a port. */
static int port_absent(struct sriov_store *s, const char *id,
		       struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *q = NULL;
	int r, rc;

	r = prepare(s, "SELECT 1 FROM port WHERE id = ?1", &q, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		return sriov_error_set(
			err, -EEXIST,
			"port '%s' is already bound; unbind it first", id);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "look up port");
	return 0;
}

/* Inside an allocation's transaction: the journal entry, the port
 * (binding) on VF @vf_id, and the VF as it now is. */
static int take_vf(struct sriov_store *s, const struct sriov_store_port *port,
		   int64_t vf_id, const char *intent, struct sriov_store_vf *vf,
		   int64_t *seq, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *ins = NULL, *get = NULL;
	char sql[512];
	int r, rc;

	r = journal_insert(s, "bind", port->id, vf_id, intent, "started", NULL,
			   seq, err);
	if (r < 0)
		return r;

	r = prepare(s,
		    "INSERT INTO port (id, network, vnic_type, settings, vf_id,"
		    " status, created) VALUES (?1, ?2, ?3, ?4, ?5, 'binding',"
		    " ?6)",
		    &ins, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(ins, 1, port->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 2, port->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 3, port->vnic_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(ins, 4, port->settings ? port->settings : "{}", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(ins, 5, vf_id);
	sqlite3_bind_int64(ins, 6, now_ms() / 1000);
	rc = sqlite3_step(ins);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "insert port");

	snprintf(sql, sizeof(sql), "SELECT %s FROM vf WHERE id = ?1", vf_cols);
	r = prepare(s, sql, &get, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(get, 1, vf_id);
	if (sqlite3_step(get) != SQLITE_ROW)
		return db_error(s, sqlite3_errcode(s->db), err, "read vf");
	vf_from_row(get, vf);

	return 0;
}

int sriov_store_allocate(struct sriov_store *s,
			 const struct sriov_store_port *port, const char *pf,
			 enum sriov_numa_policy numa, int numa_node,
			 const char *intent, struct sriov_store_vf *ret_vf,
			 int64_t *ret_seq, struct sriov_error *err)
{
	_cleanup_txn_ struct txn t = { 0 };
	_cleanup_stmt_ sqlite3_stmt *q = NULL;
	struct sriov_store_vf vf;
	int64_t vf_id, seq;
	char sql[512];
	bool whole = !strcmp(port->vnic_type, "direct-physical");
	const char *what = whole ? "whole pf" : "vf";
	/* The SQL's ?4: 0 orders by the node, 1 only the node, 2 the node or
	 * VFs whose node is unknown. */
	int numa_mode = 0, r, rc;

	if (numa == SRIOV_NUMA_NONE)
		numa_node = -1;
	else if (numa == SRIOV_NUMA_REQUIRED)
		numa_mode = 1;
	else if (numa == SRIOV_NUMA_LEGACY && numa_node >= 0)
		numa_mode = 2;

	r = begin(s, &t, err);
	if (r < 0)
		return r;

	r = port_absent(s, port->id, err);
	if (r < 0)
		return r;

	/* Prefer the requested NUMA node, then VFs we left scrubbed, then
	 * the lowest index: a deterministic choice is easier to debug. */
	snprintf(sql, sizeof(sql),
		 "SELECT id FROM vf WHERE physnet = ?1 AND state = 'free'"
		 " AND excluded = 0 AND (?2 IS NULL OR pf = ?2) AND kind = ?5"
		 " AND NOT EXISTS (SELECT 1 FROM vf o WHERE o.pf = vf.pf"
		 "  AND o.kind <> vf.kind AND o.state = 'bound')"
		 " AND (?4 = 0 OR numa_node = ?3 OR (?4 = 2 AND numa_node < 0))"
		 " ORDER BY (numa_node = ?3) DESC, scrubbed DESC, pf, idx"
		 " LIMIT 1");
	r = prepare(s, sql, &q, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(q, 1, port->network, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, pf, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, numa_node);
	sqlite3_bind_int(q, 4, numa_mode);
	sqlite3_bind_text(q, 5, whole ? "pf" : "vf", -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		if (numa_mode)
			return sriov_error_set(
				err, -ENOSPC,
				"no free %s on network '%s'%s%s on numa node %d (policy %s)",
				what, port->network, pf ? " pf " : "",
				pf ? pf : "", numa_node,
				sriov_numa_policy_name(numa));
		return sriov_error_set(err, -ENOSPC,
				       "no free %s on network '%s'%s%s%s", what,
				       port->network, pf ? " pf " : "",
				       pf ? pf : "",
				       whole ? " (a PF listed under "
					       "direct_physical, with no VFs "
					       "and not in use by the host)" :
					       "");
	}
	if (rc != SQLITE_ROW)
		return db_error(s, rc, err, "choose vf");
	vf_id = sqlite3_column_int64(q, 0);

	r = take_vf(s, port, vf_id, intent, &vf, &seq, err);
	if (r < 0)
		return r;
	r = commit(&t, err);
	if (r < 0)
		return r;
	*ret_vf = vf;
	*ret_seq = seq;
	return 0;
}

/*
 * The VF @slot names: its PCI address, or "PF:vfN" (PF as the store names
 * it). One PCI function can be a VF of two PF rows (a ConnectX-3's two
 * ports, one netdev each): the row of @network, then of @pf, is taken.
 * -ENOENT when the store has no such VF.
 */
static int find_named_vf(struct sriov_store *s, const char *slot,
			 const char *network, const char *pf,
			 struct sriov_store_vf *ret, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	const char *colon = strrchr(slot, ':');
	bool by_name = colon && !strncmp(colon + 1, "vf", 2);
	char sql[768], name[64] = "";
	uint64_t idx = 0;
	int r, rc;

	if (by_name) {
		if ((size_t)(colon - slot) >= sizeof(name) ||
		    parse_u64(colon + 3, 10, &idx) < 0 || idx > 65535)
			return sriov_error_set(err, -ENOENT,
					       "no vf %s is managed by sriovd",
					       slot);
		memcpy(name, slot, (size_t)(colon - slot));
		name[colon - slot] = '\0';
	}
	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM vf WHERE kind = 'vf' AND %s"
		 " ORDER BY (physnet = ?3) DESC, (pf = ?4) DESC, pf, idx"
		 " LIMIT 1",
		 vf_cols, by_name ? "pf = ?1 AND idx = ?2" : "address = ?1");
	r = prepare(s, sql, &st, err);
	if (r < 0)
		return r;
	if (by_name) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, (int)idx);
	} else {
		sqlite3_bind_text(st, 1, slot, -1, SQLITE_STATIC);
	}
	sqlite3_bind_text(st, 3, network, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, pf, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return sriov_error_set(
			err, -ENOENT,
			"no vf %s is managed by sriovd (not a vf of a pf under physnets, or not created: sriov_numvfs)",
			slot);
	if (rc != SQLITE_ROW)
		return db_error(s, rc, err, "find vf");
	vf_from_row(st, ret);
	return 0;
}

/* Is @v's PF handed over whole? (Its VFs are not offered meanwhile.) */
static int pf_taken_whole(struct sriov_store *s, const struct sriov_store_vf *v,
			  struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(s,
		    "SELECT 1 FROM vf WHERE pf = ?1 AND kind = 'pf'"
		    " AND state = 'bound'",
		    &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, v->pf, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(s, rc, err, "look up whole pf");
	return rc == SQLITE_ROW;
}

int sriov_store_allocate_vf(struct sriov_store *s,
			    const struct sriov_store_port *port,
			    const char *slot, const char *pf,
			    enum sriov_numa_policy numa, int numa_node,
			    const char *intent, struct sriov_store_vf *ret_vf,
			    int64_t *ret_seq, struct sriov_error *err)
{
	_cleanup_txn_ struct txn t = { 0 };
	struct sriov_store_vf v;
	int64_t seq;
	int r;

	r = begin(s, &t, err);
	if (r < 0)
		return r;
	r = port_absent(s, port->id, err);
	if (r < 0)
		return r;
	r = find_named_vf(s, slot, port->network, pf, &v, err);
	if (r < 0)
		return r;
	/* Each reason a VF cannot be taken, in the order an operator would
	 * look: whose it is, then what the config says of it. */
	if (strcmp(v.physnet, port->network))
		return sriov_error_set(
			err, -EINVAL,
			"vf %s (pf %s vf %u) is on network '%s', not '%s'",
			slot, v.pf, v.index, v.physnet, port->network);
	if (pf && strcmp(v.pf, pf))
		return sriov_error_set(err, -EINVAL,
				       "vf %s is a vf of pf %s, not of pf %s",
				       slot, v.pf, pf);
	if (v.excluded)
		return sriov_error_set(
			err, -EPERM,
			"vf %s (pf %s vf %u) is excluded (exclude_devices, or its pf left the config or the vf is gone)",
			slot, v.pf, v.index);
	if (v.state == SRIOV_VF_BOUND)
		return sriov_error_set(
			err, -EBUSY,
			"vf %s (pf %s vf %u) is not free: port '%s' holds it",
			slot, v.pf, v.index, v.port);
	if (v.state == SRIOV_VF_QUARANTINED)
		return sriov_error_set(
			err, -EBUSY,
			"vf %s (pf %s vf %u) is not free: quarantined (%s); sriovctl port clear %s %u frees it",
			slot, v.pf, v.index, v.reason, v.pf, v.index);
	r = pf_taken_whole(s, &v, err);
	if (r < 0)
		return r;
	if (r > 0)
		return sriov_error_set(
			err, -EBUSY,
			"vf %s is not free: its pf %s is handed over whole (direct-physical)",
			slot, v.pf);
	if (numa == SRIOV_NUMA_REQUIRED && numa_node >= 0 &&
	    v.numa_node != numa_node)
		return sriov_error_set(
			err, -EINVAL,
			"vf %s is on numa node %d, not %d (policy required)",
			slot, v.numa_node, numa_node);
	r = take_vf(s, port, v.id, intent, &v, &seq, err);
	if (r < 0)
		return r;
	r = commit(&t, err);
	if (r < 0)
		return r;
	*ret_vf = v;
	*ret_seq = seq;
	return 0;
}

int sriov_store_save_state(struct sriov_store *s, int64_t vf_id,
			   const struct sriov_saved_state *o,
			   struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	/* Only while the VF is held by a port: the original is that of the
	 * VF before this port, and INSERT OR IGNORE keeps the first one if a
	 * bind is retried after a crash. */
	r = prepare(s,
		    "INSERT OR IGNORE INTO saved_state (vf_id, port_id, mac,"
		    " vlan, qos, vlan_proto, spoofchk, trust, link_state,"
		    " min_tx_rate, max_tx_rate, has_guids, node_guid,"
		    " port_guid, driver, netdev, mlx4_pkey_idx)"
		    " SELECT ?1, port.id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		    " ?11, ?12, ?13, ?14, ?15, ?16 FROM port"
		    " WHERE port.vf_id = ?1",
		    &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, vf_id);
	sqlite3_bind_text(st, 2, o->mac, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)o->vlan);
	sqlite3_bind_int(st, 4, (int)o->qos);
	sqlite3_bind_int(st, 5, o->vlan_proto);
	sqlite3_bind_int(st, 6, o->spoofchk);
	sqlite3_bind_int(st, 7, o->trust);
	sqlite3_bind_int(st, 8, (int)o->link_state);
	sqlite3_bind_int64(st, 9, o->min_tx_rate);
	sqlite3_bind_int64(st, 10, o->max_tx_rate);
	sqlite3_bind_int(st, 11, o->has_guids);
	sqlite3_bind_int64(st, 12, (int64_t)o->node_guid);
	sqlite3_bind_int64(st, 13, (int64_t)o->port_guid);
	sqlite3_bind_text(st, 14, o->driver, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, o->netdev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 16, o->mlx4_pkey_idx, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "save vf state");
	if (sqlite3_changes(s->db) == 0) {
		struct sriov_saved_state cur;

		/* Either already saved (fine) or no port holds the VF. */
		if (sriov_store_get_state(s, vf_id, &cur, NULL) == 0)
			return 0;
		return sriov_error_set(err, -ENOENT,
				       "vf %lld is not held by a port",
				       (long long)vf_id);
	}
	return 0;
}

int sriov_store_get_state(struct sriov_store *s, int64_t vf_id,
			  struct sriov_saved_state *o, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(s,
		    "SELECT mac, vlan, qos, vlan_proto, spoofchk, trust,"
		    " link_state, min_tx_rate, max_tx_rate, has_guids,"
		    " node_guid, port_guid, driver, netdev, mlx4_pkey_idx"
		    " FROM saved_state WHERE vf_id = ?1",
		    &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, vf_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return sriov_error_set(err, -ENOENT,
				       "no saved state for vf %lld",
				       (long long)vf_id);
	if (rc != SQLITE_ROW)
		return db_error(s, rc, err, "read saved state");
	memset(o, 0, sizeof(*o));
	copy_col(o->mac, sizeof(o->mac), st, 0);
	o->vlan = (uint32_t)sqlite3_column_int(st, 1);
	o->qos = (uint32_t)sqlite3_column_int(st, 2);
	o->vlan_proto = (uint16_t)sqlite3_column_int(st, 3);
	o->spoofchk = sqlite3_column_int(st, 4);
	o->trust = sqlite3_column_int(st, 5);
	o->link_state = (uint32_t)sqlite3_column_int(st, 6);
	o->min_tx_rate = (uint32_t)sqlite3_column_int64(st, 7);
	o->max_tx_rate = (uint32_t)sqlite3_column_int64(st, 8);
	o->has_guids = sqlite3_column_int(st, 9);
	o->node_guid = (uint64_t)sqlite3_column_int64(st, 10);
	o->port_guid = (uint64_t)sqlite3_column_int64(st, 11);
	copy_col(o->driver, sizeof(o->driver), st, 12);
	copy_col(o->netdev, sizeof(o->netdev), st, 13);
	copy_col(o->mlx4_pkey_idx, sizeof(o->mlx4_pkey_idx), st, 14);
	return 0;
}

static int finish_entry(struct sriov_store *s, int64_t seq, const char *status,
			const char *detail, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(s,
		    "UPDATE journal SET status = ?2, detail = ?3,"
		    " finished = ?4 WHERE seq = ?1",
		    &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, detail, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now_ms());
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "finish journal entry");
	return 0;
}

int sriov_store_journal_finish(struct sriov_store *s, int64_t seq,
			       const char *status, const char *detail,
			       struct sriov_error *err)
{
	return finish_entry(s, seq, status, detail, err);
}

int sriov_store_journal_note(struct sriov_store *s, const char *op,
			     const char *port_id, int64_t vf_id,
			     const char *detail, struct sriov_error *err)
{
	return journal_insert(s, op, port_id, vf_id, NULL, "done", detail, NULL,
			      err);
}

/* UPDATE one text column of a port: sql binds ?1 = id, ?2 = value. */
static int update_port_text(struct sriov_store *s, const char *sql,
			    const char *id, const char *value,
			    struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(s, sql, &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "update port");
	if (sqlite3_changes(s->db) == 0)
		return sriov_error_set(err, -ENOENT, "no port '%s'", id);
	return 0;
}

static int set_port_status(struct sriov_store *s, const char *port_id,
			   const char *status, struct sriov_error *err)
{
	return update_port_text(s, "UPDATE port SET status = ?2 WHERE id = ?1",
				port_id, status, err);
}

int sriov_store_bind_done(struct sriov_store *s, int64_t seq,
			  const char *port_id, struct sriov_error *err)
{
	_cleanup_txn_ struct txn t = { 0 };
	int r;

	r = begin(s, &t, err);
	if (r < 0)
		return r;
	r = set_port_status(s, port_id, "bound", err);
	if (r < 0)
		return r;
	r = finish_entry(s, seq, "done", NULL, err);
	if (r < 0)
		return r;
	return commit(&t, err);
}

int sriov_store_unbind_begin(struct sriov_store *s, const char *port_id,
			     const char *op, const char *intent,
			     int64_t *ret_seq, struct sriov_error *err)
{
	_cleanup_txn_ struct txn t = { 0 };
	struct sriov_store_port p = { 0 };
	int r;

	r = begin(s, &t, err);
	if (r < 0)
		return r;
	r = sriov_store_get_port(s, port_id, &p, err);
	if (r < 0)
		return r;
	sriov_store_port_release(&p);
	r = set_port_status(s, port_id, "unbinding", err);
	if (r < 0)
		return r;
	r = journal_insert(s, op, port_id, p.vf_id, intent, "started", NULL,
			   ret_seq, err);
	if (r < 0)
		return r;
	return commit(&t, err);
}

int sriov_store_release(struct sriov_store *s, int64_t seq, const char *port_id,
			enum sriov_vf_state state, const char *reason,
			const char *status, struct sriov_error *err)
{
	_cleanup_txn_ struct txn t = { 0 };
	_cleanup_stmt_ sqlite3_stmt *del = NULL, *up = NULL;
	struct sriov_store_port p = { 0 };
	int r, rc;

	if (state == SRIOV_VF_BOUND)
		return sriov_error_set(err, -EINVAL,
				       "a released vf is free or quarantined");
	r = begin(s, &t, err);
	if (r < 0)
		return r;
	r = sriov_store_get_port(s, port_id, &p, err);
	if (r < 0)
		return r;
	sriov_store_port_release(&p);

	r = prepare(s, "DELETE FROM port WHERE id = ?1", &del, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(del, 1, port_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(del);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "delete port");

	r = prepare(s,
		    "UPDATE vf SET state = ?2, reason = ?3, scrubbed = ?4"
		    " WHERE id = ?1",
		    &up, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(up, 1, p.vf_id);
	sqlite3_bind_text(up, 2, sriov_vf_state_name(state), -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 3, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(up, 4, state == SRIOV_VF_FREE);
	rc = sqlite3_step(up);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "update vf");

	if (seq > 0) {
		r = finish_entry(s, seq, status, reason, err);
		if (r < 0)
			return r;
	}
	return commit(&t, err);
}

static int find_vf(struct sriov_store *s, const char *pf, unsigned index,
		   struct sriov_store_vf *ret, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char sql[512];
	int r, rc;

	bool whole = index == SRIOV_STORE_WHOLE_PF;

	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM vf WHERE pf = ?1 AND idx = ?2 AND kind = ?3",
		 vf_cols);
	r = prepare(s, sql, &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, pf, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, whole ? 0 : (int)index);
	sqlite3_bind_text(st, 3, whole ? "pf" : "vf", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE && whole)
		return sriov_error_set(
			err, -ENOENT,
			"pf '%s' is not managed as a whole pf (direct_physical)",
			pf);
	if (rc == SQLITE_DONE)
		return sriov_error_set(err, -ENOENT,
				       "no vf %u on pf '%s' is managed", index,
				       pf);
	if (rc != SQLITE_ROW)
		return db_error(s, rc, err, "find vf");
	vf_from_row(st, ret);
	return 0;
}

int sriov_store_get_vf(struct sriov_store *s, int64_t vf_id,
		       struct sriov_store_vf *ret, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char sql[512];
	int r, rc;

	snprintf(sql, sizeof(sql), "SELECT %s FROM vf WHERE id = ?1", vf_cols);
	r = prepare(s, sql, &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, vf_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return sriov_error_set(err, -ENOENT, "no vf %lld",
				       (long long)vf_id);
	if (rc != SQLITE_ROW)
		return db_error(s, rc, err, "get vf");
	vf_from_row(st, ret);
	return 0;
}

static int vf_set(struct sriov_store *s, int64_t vf_id, const char *sql,
		  const char *text, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = prepare(s, sql, &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, vf_id);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "update vf");
	return sqlite3_changes(s->db);
}

int sriov_store_port_set_settings(struct sriov_store *s, const char *id,
				  const char *settings, struct sriov_error *err)
{
	return update_port_text(s,
				"UPDATE port SET settings = ?2 WHERE id = ?1",
				id, settings, err);
}

int sriov_store_vf_clear(struct sriov_store *s, const char *pf, unsigned index,
			 struct sriov_error *err)
{
	_cleanup_txn_ struct txn t = { 0 };
	struct sriov_store_vf vf;
	char detail[64];
	int r;

	r = begin(s, &t, err);
	if (r < 0)
		return r;
	r = find_vf(s, pf, index, &vf, err);
	if (r < 0)
		return r;
	if (vf.state == SRIOV_VF_BOUND && vf.whole)
		return sriov_error_set(
			err, -EBUSY,
			"pf '%s' is handed over whole to port '%s'; unbind the port instead",
			pf, vf.port);
	if (vf.state == SRIOV_VF_BOUND)
		return sriov_error_set(
			err, -EBUSY,
			"vf %u on pf '%s' is bound to port '%s'; unbind the port instead",
			index, pf, vf.port);
	if (vf.state == SRIOV_VF_FREE)
		return commit(&t, err);
	r = vf_set(s, vf.id,
		   "UPDATE vf SET state = 'free', reason = NULL WHERE id = ?1",
		   NULL, err);
	if (r < 0)
		return r;
	snprintf(detail, sizeof(detail), "operator cleared quarantine");
	r = journal_insert(s, "clear", NULL, vf.id, NULL, "done", detail, NULL,
			   err);
	if (r < 0)
		return r;
	r = commit(&t, err);
	return r < 0 ? r : 1;
}

int sriov_store_vf_quarantine(struct sriov_store *s, int64_t vf_id,
			      const char *reason, struct sriov_error *err)
{
	int r = vf_set(s, vf_id,
		       "UPDATE vf SET state = 'quarantined', reason = ?2,"
		       " scrubbed = 0 WHERE id = ?1 AND state = 'free'",
		       reason, err);

	if (r < 0)
		return r;
	if (r == 0)
		return sriov_error_set(err, -EBUSY,
				       "vf %lld is not free; not quarantined",
				       (long long)vf_id);
	return journal_insert(s, "quarantine", NULL, vf_id, NULL, "done",
			      reason, NULL, err);
}

int sriov_store_vf_set_scrubbed(struct sriov_store *s, int64_t vf_id,
				bool scrubbed, struct sriov_error *err)
{
	int r = vf_set(s, vf_id,
		       scrubbed ? "UPDATE vf SET scrubbed = 1 WHERE id = ?1" :
				  "UPDATE vf SET scrubbed = 0 WHERE id = ?1",
		       NULL, err);

	return r < 0 ? r : 0;
}

int sriov_store_list_vfs(struct sriov_store *s, struct sriov_store_vf **ret,
			 size_t *ret_n, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ struct sriov_store_vf *v = NULL;
	size_t n = 0, cap = 0;
	char sql[512];
	int r, rc;

	snprintf(sql, sizeof(sql), "SELECT %s FROM vf ORDER BY pf, kind, idx",
		 vf_cols);
	r = prepare(s, sql, &st, err);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow_array((void **)&v, &cap, n, sizeof(*v)) < 0)
			return sriov_error_set(err, -ENOMEM, "out of memory");
		vf_from_row(st, &v[n++]);
	}
	if (rc != SQLITE_DONE)
		return db_error(s, rc, err, "list vfs");
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

void sriov_store_port_release(struct sriov_store_port *p)
{
	free(p->settings);
	p->settings = NULL;
}

static const char port_cols[] =
	"port.id, port.network, port.vnic_type, port.status, port.settings,"
	" port.vf_id, vf.pf, vf.idx, vf.address, port.created, vf.kind"
	" FROM port JOIN vf ON vf.id = port.vf_id";

static int port_from_row(sqlite3_stmt *st, struct sriov_store_port *p)
{
	memset(p, 0, sizeof(*p));
	copy_col(p->id, sizeof(p->id), st, 0);
	copy_col(p->network, sizeof(p->network), st, 1);
	copy_col(p->vnic_type, sizeof(p->vnic_type), st, 2);
	copy_col(p->status, sizeof(p->status), st, 3);
	p->settings = dup_col(st, 4);
	p->vf_id = sqlite3_column_int64(st, 5);
	copy_col(p->pf, sizeof(p->pf), st, 6);
	p->vf_index = (unsigned)sqlite3_column_int(st, 7);
	copy_col(p->address, sizeof(p->address), st, 8);
	p->created = sqlite3_column_int64(st, 9);
	p->whole = !strcmp((const char *)sqlite3_column_text(st, 10), "pf");
	return p->settings ? 0 : -ENOMEM;
}

int sriov_store_get_port(struct sriov_store *s, const char *id,
			 struct sriov_store_port *ret, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char sql[512];
	int r, rc;

	snprintf(sql, sizeof(sql), "SELECT %s WHERE port.id = ?1", port_cols);
	r = prepare(s, sql, &st, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return sriov_error_set(err, -ENOENT, "no port '%s'", id);
	if (rc != SQLITE_ROW)
		return db_error(s, rc, err, "get port");
	if (port_from_row(st, ret) < 0)
		return sriov_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int sriov_store_list_ports(struct sriov_store *s, struct sriov_store_port **ret,
			   size_t *ret_n, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct sriov_store_port *v = NULL;
	size_t n = 0, cap = 0;
	char sql[512];
	int r, rc;

	snprintf(sql, sizeof(sql), "SELECT %s ORDER BY port.id", port_cols);
	r = prepare(s, sql, &st, err);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow_array((void **)&v, &cap, n, sizeof(*v)) < 0 ||
		    port_from_row(st, &v[n]) < 0) {
			for (size_t i = 0; i < n; i++)
				sriov_store_port_release(&v[i]);
			free(v);
			return sriov_error_set(err, -ENOMEM, "out of memory");
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++)
			sriov_store_port_release(&v[i]);
		free(v);
		return db_error(s, rc, err, "list ports");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void sriov_journal_release(struct sriov_journal *j)
{
	free(j->intent);
	free(j->detail);
	j->intent = j->detail = NULL;
}

int sriov_store_pending(struct sriov_store *s, struct sriov_journal **ret,
			size_t *ret_n, struct sriov_error *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct sriov_journal *v = NULL;
	size_t n = 0, cap = 0;
	int r, rc;

	r = prepare(s,
		    "SELECT seq, op, port_id, vf_id, status, intent, detail,"
		    " started FROM journal WHERE status = 'started'"
		    " ORDER BY seq",
		    &st, err);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sriov_journal *j;

		if (grow_array((void **)&v, &cap, n, sizeof(*v)) < 0) {
			for (size_t i = 0; i < n; i++)
				sriov_journal_release(&v[i]);
			free(v);
			return sriov_error_set(err, -ENOMEM, "out of memory");
		}
		j = &v[n++];
		memset(j, 0, sizeof(*j));
		j->seq = sqlite3_column_int64(st, 0);
		copy_col(j->op, sizeof(j->op), st, 1);
		copy_col(j->port, sizeof(j->port), st, 2);
		j->vf_id = sqlite3_column_int64(st, 3);
		copy_col(j->status, sizeof(j->status), st, 4);
		j->intent = dup_col(st, 5);
		j->detail = dup_col(st, 6);
		j->started = sqlite3_column_int64(st, 7);
	}
	if (rc != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++)
			sriov_journal_release(&v[i]);
		free(v);
		return db_error(s, rc, err, "read journal");
	}
	*ret = v;
	*ret_n = n;
	return 0;
}
